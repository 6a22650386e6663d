//! The idx reader: round trips, clear refusals of bad files, and dataset location.

use golden::data::{self, DataError, Dataset, DatasetKind, Split};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const FIXTURE_IMAGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/mnist-t10k-100-images-idx3-ubyte"
);
const FIXTURE_LABELS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/mnist-t10k-100-labels-idx1-ubyte"
);

fn fixture() -> Dataset {
    Dataset::load(Path::new(FIXTURE_IMAGES), Path::new(FIXTURE_LABELS)).expect("fixture loads")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("data-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn format_reason(err: DataError) -> (String, String) {
    match err {
        DataError::Format { path, reason, .. } => (path, reason),
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn fixture_holds_the_first_100_mnist_test_digits() {
    let d = fixture();
    assert_eq!((d.len(), d.rows, d.cols, d.features()), (100, 28, 28, 784));
    assert_eq!(d.images.dim(), (100, 784));
    // The well-known first labels of MNIST's t10k set.
    assert_eq!(&d.labels[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert_eq!(d.classes(), 10);
    // Real digits: a dark background with some ink.
    let ink = d.image(0).iter().filter(|&&p| p > 0).count();
    assert!(
        (50..400).contains(&ink),
        "first image has {ink} non-zero pixels"
    );
    assert_eq!(d.sample(0).len(), 784);
}

#[test]
fn writer_reproduces_the_fixture_bytes_exactly() {
    let d = fixture();
    let img = std::fs::read(FIXTURE_IMAGES).unwrap();
    let lab = std::fs::read(FIXTURE_LABELS).unwrap();
    assert_eq!(data::encode_idx_images(&d.images, d.rows, d.cols), img);
    assert_eq!(data::encode_idx_labels(&d.labels), lab);
}

#[test]
fn gzip_files_round_trip_like_plain_ones() {
    let dir = scratch("gz");
    let d = fixture().take(17);
    let (img, lab) = (
        dir.join("x-images-idx3-ubyte.gz"),
        dir.join("x-labels-idx1-ubyte.gz"),
    );
    d.save(&img, &lab).unwrap();
    // Really compressed: starts with the gzip magic.
    assert_eq!(&std::fs::read(&img).unwrap()[..2], &[0x1f, 0x8b]);
    assert_eq!(Dataset::load(&img, &lab).unwrap(), d);
}

#[test]
fn truncated_image_file_is_refused_naming_file_and_sizes() {
    let dir = scratch("truncated");
    let bytes = std::fs::read(FIXTURE_IMAGES).unwrap();
    let path = dir.join("short-images-idx3-ubyte");
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let err = data::read_idx_images(&path).unwrap_err();
    let msg = err.to_string();
    let (p, reason) = format_reason(err);
    assert!(p.contains("short-images-idx3-ubyte"), "{msg}");
    assert!(reason.contains("truncated"), "{msg}");
    assert!(
        reason.contains("78400") && reason.contains("78300"),
        "{msg}"
    );
    assert!(msg.contains("fetch-mnist.sh"), "says what to do: {msg}");
}

#[test]
fn file_shorter_than_its_header_is_refused() {
    for len in [0, 3, 4, 9, 15] {
        let bytes = &std::fs::read(FIXTURE_IMAGES).unwrap()[..len];
        let err = data::parse_idx_images(bytes, "tiny").unwrap_err();
        let (_, reason) = format_reason(err);
        assert!(
            reason.contains("short") || reason.contains("truncated"),
            "{len} bytes: {reason}"
        );
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = std::fs::read(FIXTURE_LABELS).unwrap();
    bytes.push(3);
    let (_, reason) = format_reason(data::parse_idx_labels(&bytes, "long").unwrap_err());
    assert!(reason.contains("trailing"), "{reason}");
}

#[test]
fn wrong_magic_is_refused_and_explained() {
    // A label file where images are expected, and the other way round.
    let err = data::read_idx_images(Path::new(FIXTURE_LABELS)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("2049") && msg.contains("2051"), "{msg}");
    assert!(msg.contains("label file"), "{msg}");
    let err = data::read_idx_labels(Path::new(FIXTURE_IMAGES)).unwrap_err();
    assert!(err.to_string().contains("image file"), "{err}");
    // Gzip data under a plain name.
    let dir = scratch("magic");
    let gz = dir.join("x-images-idx3-ubyte.gz");
    fixture().take(2).save(&gz, &dir.join("l.gz")).unwrap();
    let plain = dir.join("x-images-idx3-ubyte");
    std::fs::copy(&gz, &plain).unwrap();
    let err = data::read_idx_images(&plain).unwrap_err();
    assert!(err.to_string().contains("gzip"), "{err}");
}

#[test]
fn corrupt_gzip_stream_is_an_error_not_a_panic() {
    let dir = scratch("badgz");
    let d = fixture().take(5);
    let gz = dir.join("x-images-idx3-ubyte.gz");
    d.save(&gz, &dir.join("l.gz")).unwrap();
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let err = data::read_idx_images(&gz).unwrap_err();
    assert!(err.to_string().contains("x-images-idx3-ubyte.gz"), "{err}");
}

#[test]
fn header_dimensions_that_overflow_are_refused() {
    let mut bytes = vec![0, 0, 8, 3];
    bytes.extend([0xff; 12]);
    let (_, reason) = format_reason(data::parse_idx_images(&bytes, "huge").unwrap_err());
    assert!(
        reason.contains("overflow") || reason.contains("truncated"),
        "{reason}"
    );
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = scratch("count");
    let d = fixture();
    let (img, lab) = (dir.join("i"), dir.join("l"));
    std::fs::write(&img, data::encode_idx_images(&d.images, 28, 28)).unwrap();
    std::fs::write(&lab, data::encode_idx_labels(&d.labels[..99])).unwrap();
    match Dataset::load(&img, &lab).unwrap_err() {
        e @ DataError::CountMismatch {
            n_images: 100,
            n_labels: 99,
            ..
        } => {
            assert!(
                e.to_string().contains("100 images") && e.to_string().contains("99 labels"),
                "{e}"
            )
        }
        other => panic!("expected a count mismatch, got {other:?}"),
    }
}

#[test]
fn missing_dataset_says_where_it_looked_and_how_to_fetch() {
    let dir = scratch("missing").join("nowhere");
    let err = data::load_from(&dir, DatasetKind::Mnist, Split::Train).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::NotFound { .. }), "{msg}");
    assert!(msg.starts_with("MNIST"), "{msg}");
    assert!(msg.contains("nowhere"), "{msg}");
    assert!(msg.contains("train-images-idx3-ubyte"), "{msg}");
    assert!(msg.contains("scripts/fetch-mnist.sh"), "{msg}");
    let err = data::read_idx_labels(&dir.join("x")).unwrap_err();
    assert!(matches!(err, DataError::NotFound { .. }), "{err}");
}

#[test]
fn data_root_comes_from_lcttfs_data_and_finds_plain_or_gz_names() {
    // The only test that touches the environment variable.
    let root = scratch("root");
    let mnist = root.join("mnist");
    let fashion = root.join("fashion-mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    std::fs::create_dir_all(&fashion).unwrap();
    let d = fixture().take(10);
    d.save(
        &mnist.join("t10k-images-idx3-ubyte"),
        &mnist.join("t10k-labels-idx1-ubyte"),
    )
    .unwrap();
    d.save(
        &fashion.join("t10k-images-idx3-ubyte.gz"),
        &fashion.join("t10k-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    std::env::set_var(data::DATA_ENV, &root);
    assert_eq!(data::data_root(), root);
    assert_eq!(data::dataset_dir(DatasetKind::FashionMnist), fashion);
    let m = data::load(DatasetKind::Mnist, Split::Test);
    let f = data::load(DatasetKind::FashionMnist, Split::Test);
    let missing = data::load(DatasetKind::Mnist, Split::Train);
    std::env::remove_var(data::DATA_ENV);
    assert_eq!(m.unwrap(), d);
    assert_eq!(f.unwrap(), d);
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains(&mnist.display().to_string()));
    assert!(data::default_data_root().ends_with("data"));
}

#[test]
fn dataset_names_parse() {
    assert_eq!("mnist".parse::<DatasetKind>().unwrap(), DatasetKind::Mnist);
    assert_eq!(
        "fashion-mnist".parse::<DatasetKind>().unwrap(),
        DatasetKind::FashionMnist
    );
    assert!("cifar"
        .parse::<DatasetKind>()
        .unwrap_err()
        .contains("mnist or fashion-mnist"));
    assert_eq!(Split::Test.images_name(), "t10k-images-idx3-ubyte");
    assert_eq!(Split::Train.labels_name(), "train-labels-idx1-ubyte");
}

#[test]
fn slicing_clips_to_the_set() {
    let d = fixture();
    assert_eq!(d.take(1000).len(), 100);
    let s = d.slice(95, 10);
    assert_eq!(s.len(), 5);
    assert_eq!(s.labels, d.labels[95..]);
    assert_eq!(s.image(0), d.image(95));
    assert!(d.slice(200, 5).is_empty());
}

/// Runs on the real data when it is there (scripts/fetch-mnist.sh), says so when it is not.
#[test]
fn real_mnist_has_60000_train_and_10000_test_samples_when_present() {
    let dir = data::default_data_root().join("mnist");
    if data::split_files(&dir, Split::Test).is_none() {
        eprintln!(
            "skipped: MNIST not found at {} (run scripts/fetch-mnist.sh)",
            dir.display()
        );
        return;
    }
    let test = data::load_from(&dir, DatasetKind::Mnist, Split::Test).unwrap();
    assert_eq!((test.len(), test.rows, test.cols), (10_000, 28, 28));
    assert_eq!(test.take(100), fixture());
    let train = data::load_from(&dir, DatasetKind::Mnist, Split::Train).unwrap();
    assert_eq!(train.len(), 60_000);
    assert_eq!(train.classes(), 10);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_da7a),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Arbitrary bytes never panic the parsers: they parse or give an error.
    #[test]
    fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..64), magic in 0u8..3) {
        if magic == 1 && bytes.len() >= 4 { bytes[..4].copy_from_slice(&[0, 0, 8, 3]); }
        if magic == 2 && bytes.len() >= 4 { bytes[..4].copy_from_slice(&[0, 0, 8, 1]); }
        let _ = data::parse_idx_images(&bytes, "fuzz");
        let _ = data::parse_idx_labels(&bytes, "fuzz");
    }

    /// Any small image set survives encode → parse unchanged.
    #[test]
    fn encode_then_parse_is_identity(n in 0usize..5, rows in 1usize..6, cols in 1usize..6, seed in any::<u64>()) {
        let pixels = ndarray::Array2::from_shape_fn((n, rows * cols), |(i, j)| (seed.wrapping_mul(31).wrapping_add((i * 97 + j) as u64) % 256) as u8);
        let (back, r, c) = data::parse_idx_images(&data::encode_idx_images(&pixels, rows, cols), "mem").unwrap();
        prop_assert_eq!((back, r, c), (pixels, rows, cols));
    }
}

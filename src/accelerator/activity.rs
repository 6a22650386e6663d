//! The activity the DESIGN §5 cost model is measured on (`--activity`): how many events enter
//! each layer per sample, measured by the golden model on representative inputs. It sets the
//! estimated cycles per sample and, through them, the automatic lanes, so it must come from
//! the data the design will run on: the dataset the model records (`"dataset"` in its file),
//! the dataset `ttfs cosim --dataset` streams, or what `--activity` names.
//!
//! Inputs are the raw 8-bit pixels, one pixel per input, exactly as `ttfs eval` and
//! `ttfs cosim` feed a dataset to the model ([`check_images_fit`] is their shared check).

use crate::source::check_images_fit;
use anyhow::{bail, Context, Result};
use golden::data::{self, DataError, DatasetKind, Split};
use golden::model::Model;
use hdl::plan::Activity;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

/// Samples the activity is measured on: the first 100 images of a set (the committed MNIST
/// fixture holds exactly these), or 100 random samples.
pub const SAMPLES: usize = 100;

/// The first 100 MNIST test images (committed fixture): representative activity for the
/// cycle estimates of MNIST-shaped models, with no data downloaded.
const MNIST_FIXTURE: &[u8] =
    include_bytes!("../../golden/tests/fixtures/mnist-t10k-100-images-idx3-ubyte");

/// The keywords `--activity` takes besides a file.
pub const KEYWORDS: &str = "auto, mnist, fashion-mnist, random, worst-case";

/// `--activity`: what the cost model's activity is measured on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActivityChoice {
    /// The model's recorded dataset; else the dataset the command streams (`cosim --dataset`);
    /// else the first 100 MNIST test images for 784-input models of ≥ 8-bit inputs, and 100
    /// uniform random samples (seed 1) for every other model.
    Auto,
    /// The first 100 test images of a dataset.
    Dataset(DatasetKind),
    /// 100 uniform random samples over the input range, seed 1.
    Random,
    /// Every input of every layer spikes: the bound of the cost model, not a measurement.
    WorstCase,
    /// The first 100 images of an IDX image file (`*-images-idx3-ubyte`, plain or `.gz`).
    File(PathBuf),
}

impl std::str::FromStr for ActivityChoice {
    type Err = String;
    /// A keyword, a dataset name (as `--dataset` spells it), or else a file; whether the file
    /// exists is checked when the activity is measured, with the keywords in the message.
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "auto" => ActivityChoice::Auto,
            "random" => ActivityChoice::Random,
            "worst-case" => ActivityChoice::WorstCase,
            _ => match s.parse::<DatasetKind>() {
                Ok(kind) => ActivityChoice::Dataset(kind),
                Err(_) => ActivityChoice::File(PathBuf::from(s)),
            },
        })
    }
}

/// Measures the activity `choice` names for `model`. `streamed` is the dataset the command
/// streams through the design (`ttfs cosim --dataset`), which `auto` takes when the model
/// records none.
pub fn measure(
    model: &Model,
    choice: &ActivityChoice,
    streamed: Option<DatasetKind>,
) -> Result<Activity> {
    match choice {
        ActivityChoice::Auto => match (model.dataset, streamed) {
            (Some(kind), _) => of_dataset(model, kind, "model's dataset"),
            (None, Some(kind)) => {
                of_dataset(model, kind, &format!("co-simulated data, --dataset {kind}"))
            }
            (None, None) => Ok(activity_for(model)),
        },
        ActivityChoice::Dataset(kind) => of_dataset(model, *kind, &format!("--activity {kind}")),
        ActivityChoice::Random => Ok(random(model, "--activity random")),
        ActivityChoice::WorstCase => {
            let mut a = Activity::worst_case(model);
            a.source =
                "worst case: every input of every layer spikes (--activity worst-case)".into();
            Ok(a)
        }
        ActivityChoice::File(path) => of_file(model, path),
    }
}

/// The activity of a model that records no dataset, with no data given: the MNIST fixture for
/// 784-input models of ≥ 8-bit inputs, else 100 seeded random samples.
pub fn activity_for(model: &Model) -> Activity {
    if model.input_len() == 784 && model.input_bits >= 8 {
        if let Ok((images, _, _)) = data::parse_idx_images(MNIST_FIXTURE, "fixture") {
            return Activity::measure(
                model,
                &samples(&images),
                "first 100 MNIST test images (golden model)",
            );
        }
    }
    random(model, "golden model")
}

/// 100 uniform random samples over `0..2^input_bits`, seed 1.
fn random(model: &Model, why: &str) -> Activity {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let max = 1u32 << model.input_bits;
    let samples: Vec<Vec<u32>> = (0..SAMPLES)
        .map(|_| {
            (0..model.input_len())
                .map(|_| rng.gen_range(0..max))
                .collect()
        })
        .collect();
    Activity::measure(
        model,
        &samples,
        &format!("{SAMPLES} uniform random samples, seed 1 ({why})"),
    )
}

/// The first 100 test images of `kind`: MNIST's are the committed fixture, the others are read
/// from the data directory.
fn of_dataset(model: &Model, kind: DatasetKind, why: &str) -> Result<Activity> {
    let images = match kind {
        DatasetKind::Mnist => data::parse_idx_images(MNIST_FIXTURE, "the MNIST fixture")?.0,
        _ => test_images(kind, why)?,
    };
    check_images_fit(model, images.ncols(), kind.name())
        .with_context(|| format!("the cost model's activity ({why})"))?;
    let samples = samples(&images);
    Ok(Activity::measure(
        model,
        &samples,
        &format!(
            "first {} {} test images ({why})",
            samples.len(),
            kind.title()
        ),
    ))
}

/// The test images of `kind` from the data directory; missing files are refused with the file,
/// the command that fetches it and the override.
fn test_images(kind: DatasetKind, why: &str) -> Result<Array2<u8>> {
    match data::load(kind, Split::Test) {
        Ok(d) => Ok(d.take(SAMPLES).images),
        Err(DataError::NotFound { .. }) => {
            let dir = data::dataset_dir(kind);
            let images = dir.join(Split::Test.images_name());
            let gz = dir.join(format!("{}.gz", Split::Test.images_name()));
            // The images, unless they are there and it is their labels that are missing.
            let missing = if images.is_file() || gz.is_file() {
                dir.join(Split::Test.labels_name())
            } else {
                images
            };
            bail!(
                "{} is missing, and the cost model's activity is measured on the first {SAMPLES} {} test images ({why}): \
                 fetch them with `{}`, or measure on random inputs with --activity random",
                missing.display(),
                kind.title(),
                fetch_command(kind)
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// The command that puts `kind` into the data directory.
fn fetch_command(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Mnist => "bash scripts/fetch-mnist.sh",
        DatasetKind::FashionMnist => "bash scripts/fetch-mnist.sh --fashion --no-mnist",
    }
}

/// The first 100 images of an IDX image file, which must hold images of the model's input size.
fn of_file(model: &Model, path: &Path) -> Result<Activity> {
    if !path.exists() {
        bail!(
            "--activity {}: no such file, and not one of {KEYWORDS}: give one of those or an IDX images file",
            path.display()
        );
    }
    let (images, rows, cols) = data::read_idx_images(path)?;
    let name = format!("--activity {}", path.display());
    if images.nrows() == 0 {
        bail!("{name}: the file holds no images: give a file with at least one");
    }
    if images.ncols() != model.input_len() {
        bail!(
            "{name}: its images are {rows}×{cols} = {} pixels but the model takes {} inputs: \
             give images with one pixel per input",
            images.ncols(),
            model.input_len()
        );
    }
    check_images_fit(model, images.ncols(), &name)?;
    let samples = samples(&images);
    Ok(Activity::measure(
        model,
        &samples,
        &format!(
            "first {} images of {} (--activity FILE)",
            samples.len(),
            path.display()
        ),
    ))
}

/// The first 100 images as raw inputs: one pixel per input, unscaled (as
/// [`golden::data::Dataset::sample`] gives them to `eval` and `cosim`).
fn samples(images: &Array2<u8>) -> Vec<Vec<u32>> {
    images
        .rows()
        .into_iter()
        .take(SAMPLES)
        .map(|r| r.iter().map(|&p| p as u32).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_dataset_names_parse_and_anything_else_is_a_file() {
        let p = |s: &str| s.parse::<ActivityChoice>().unwrap();
        assert_eq!(p("auto"), ActivityChoice::Auto);
        assert_eq!(p("random"), ActivityChoice::Random);
        assert_eq!(p("worst-case"), ActivityChoice::WorstCase);
        assert_eq!(p("mnist"), ActivityChoice::Dataset(DatasetKind::Mnist));
        assert_eq!(
            p("fashion-mnist"),
            ActivityChoice::Dataset(DatasetKind::FashionMnist)
        );
        assert_eq!(
            p("x-idx3-ubyte"),
            ActivityChoice::File("x-idx3-ubyte".into())
        );
    }

    #[test]
    fn auto_measures_on_the_streamed_dataset_when_the_model_records_none() {
        let model = golden::default_model::quantized();
        let a = measure(&model, &ActivityChoice::Auto, Some(DatasetKind::Mnist)).unwrap();
        assert_eq!(
            a.source,
            "first 100 MNIST test images (co-simulated data, --dataset mnist)"
        );
        assert_eq!(a.events_in, activity_for(&model).events_in);
        let plain = measure(&model, &ActivityChoice::Auto, None).unwrap();
        assert_eq!(plain, activity_for(&model));
    }

    #[test]
    fn the_recorded_dataset_wins_over_the_streamed_one() {
        let mut model = golden::default_model::quantized();
        model.dataset = Some(DatasetKind::Mnist);
        let a = measure(
            &model,
            &ActivityChoice::Auto,
            Some(DatasetKind::FashionMnist),
        )
        .unwrap();
        assert_eq!(a.source, "first 100 MNIST test images (model's dataset)");
    }

    #[test]
    fn a_model_that_takes_no_images_gets_seeded_random_samples() {
        let model = golden::testkit::seeded_model(3, &[16, 8, 4]);
        let a = measure(&model, &ActivityChoice::Auto, None).unwrap();
        assert_eq!(
            a.source,
            "100 uniform random samples, seed 1 (golden model)"
        );
        assert_eq!(a.samples, SAMPLES);
        let b = measure(&model, &ActivityChoice::Random, None).unwrap();
        assert_eq!(a.events_in, b.events_in, "the same seed");
        let err = measure(&model, &ActivityChoice::Dataset(DatasetKind::Mnist), None).unwrap_err();
        assert!(format!("{err:#}").contains("784 features"), "{err:#}");
    }
}

//! Writes the committed unit-test fixture: the first N (default 100) MNIST test images and
//! labels as idx files in `golden/tests/fixtures/`.
//!
//! ```text
//! scripts/fetch-mnist.sh            # once: real MNIST into data/mnist
//! cargo run -p golden --example make_fixture -- 100
//! ```

use golden::data::{self, DatasetKind, Split};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(v) => v.parse()?,
        None => 100,
    };
    let test = data::load(DatasetKind::Mnist, Split::Test)?;
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    std::fs::create_dir_all(&dir)?;
    let images = dir.join(format!("mnist-t10k-{n}-images-idx3-ubyte"));
    let labels = dir.join(format!("mnist-t10k-{n}-labels-idx1-ubyte"));
    test.take(n).save(&images, &labels)?;
    println!("wrote {} and {}", images.display(), labels.display());
    Ok(())
}

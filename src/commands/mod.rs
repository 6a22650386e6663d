//! One module per `ttfs` subcommand.

pub mod bench;
pub mod cosim;
pub mod eval;
pub mod export;
pub mod gen;
pub mod import;
pub mod plot;
pub mod quantize;
pub mod run;
pub mod sim;
pub mod synth;
pub mod train;

/// Writes `text` to `path`, naming the path on failure.
pub fn write_file(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

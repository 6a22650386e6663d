//! `gen-verilog`: the generator's main job. With no arguments it generates the embedded
//! default model for the generic target into `out/ttfs_top`.

use clap::Parser;
use lcttfs::commands::gen;

/// Generate the LC-TTFS accelerator (Verilog, model.json, report.json, report.md) from a model.
#[derive(Parser, Debug)]
#[command(name = "gen-verilog", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    args: gen::GenArgs,
}

fn main() -> std::process::ExitCode {
    lcttfs::install_panic_hook();
    let cli = Cli::parse();
    lcttfs::exit_with(gen::run(&cli.args))
}

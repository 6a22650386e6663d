//! `ttfs`: train, quantize, evaluate and simulate LC-TTFS networks.

use clap::{Parser, Subcommand};
use lcttfs::commands::{
    bench, cosim, eval, export, import, plot, quantize, run, sim, synth, train,
};

/// LC-TTFS hardware generator: from a trained time-to-first-spike network to bit-exact hardware.
#[derive(Parser, Debug)]
#[command(name = "ttfs", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a float LC-TTFS network (ReLU1, rows summing to 1, T-level activations)
    Train(train::TrainArgs),
    /// Quantize a float model to integer weights with exact row sums
    Quantize(quantize::QuantizeArgs),
    /// Accuracy of float, integer ANN and golden SNN; spike-level SNN/ANN agreement; SOP vs MAC
    Eval(eval::EvalArgs),
    /// Run the golden SNN on samples from a JSON file and print every spike
    Sim(sim::SimArgs),
    /// Time the integer ANN, event-driven SNN and tick-level SNN on the MNIST test set
    Bench(bench::BenchArgs),
    /// Generate the accelerator and check every spike of it in Verilator against the golden model
    Cosim(cosim::CosimArgs),
    /// Synthesize, place and route for iCE40 UP5K / ECP5 with the open tools; resources, fmax, bitstream
    Synth(synth::SynthArgs),
    /// Stream dataset images to a flashed board over its serial port; accuracy, images/s, classes vs the golden model
    Run(run::RunArgs),
    /// Import a PyTorch-style .npz / .safetensors state dict or a NIR graph into an lcttfs-model
    Import(import::ImportArgs),
    /// Export a model as a PyTorch-style .npz / .safetensors state dict (what `ttfs import` reads)
    Export(export::ExportArgs),
    /// Draw a spike raster of one sample or an accuracy / spikes sweep over T (SVG and PNG)
    Plot(plot::PlotArgs),
}

fn main() -> std::process::ExitCode {
    lcttfs::install_panic_hook();
    let cli = Cli::parse();
    lcttfs::exit_with(match &cli.command {
        Command::Train(a) => train::run(a),
        Command::Quantize(a) => quantize::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Sim(a) => sim::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Cosim(a) => cosim::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Run(a) => run::run(a),
        Command::Import(a) => import::run(a),
        Command::Export(a) => export::run(a),
        Command::Plot(a) => plot::run(a),
    })
}

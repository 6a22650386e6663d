//! The accelerator of a model, as `gen-verilog`, `ttfs cosim` and `ttfs synth` make it: the
//! hardware options of the command line ([`HwArgs`]), the plan with the activity its cost model
//! is measured on ([`plan`]), the generated files in an output folder ([`files`]) and their
//! report, `report.json` and the design's part of every `report.md` ([`report`]).

pub mod activity;
pub mod files;
pub mod report;

pub use activity::{activity_for, ActivityChoice};
pub use files::{read_load_image, write, write_design, DesignFiles};
pub use report::{design_sections, ReportJson};

use crate::source::ModelArgs;
use anyhow::Result;
use clap::Args;
use golden::data::DatasetKind;
use hdl::plan::{Design, Fault, HwOptions, Target, WeightSource};

/// Hardware options shared by `gen-verilog`, `ttfs cosim` and `ttfs synth`.
#[derive(Args, Clone, Debug)]
pub struct HwArgs {
    /// Target: generic, ice40-up5k, ecp5-25k or ecp5-85k
    #[arg(long, default_value = "generic", value_name = "T")]
    pub target: Target,
    /// Lanes per layer, comma separated (default: automatic for the target)
    #[arg(long, value_delimiter = ',', value_name = "P[,P…]")]
    pub lanes: Option<Vec<usize>>,
    /// Weights in the bitstream (embedded) or loaded at run time through the w_* stream
    #[arg(long, value_enum, default_value_t = WeightsArg::Embedded)]
    pub weights: WeightsArg,
    /// Clock frequency the design is timed for, in MHz (default: 30 on ice40-up5k, 80 on ecp5-85k, else 100)
    #[arg(long, value_name = "MHZ")]
    pub clock_mhz: Option<f64>,
    /// Add per-layer spike trace ports (co-simulation)
    #[arg(long)]
    pub trace: bool,
    /// Features per input beat: s_data is K·input_bits wide (DESIGN §4 revision 2; default:
    /// automatic for the target, 1 on ice40-up5k and generic)
    #[arg(long, value_name = "K")]
    pub input_lanes: Option<usize>,
    /// Events each layer integrates per pass, 1 or 2, comma separated (2: its weight ROM is
    /// read through both block-RAM ports; default: automatic, 2 on ECP5 where it helps)
    #[arg(long, value_delimiter = ',', value_name = "E[,E…]")]
    pub events_per_cycle: Option<Vec<usize>>,
    /// Event streams from the wide encoder into layer 1, 1 or 2 (2: two merge chains over
    /// half the banks each, and layer 1 takes a pair of one tick per cycle; needs 4 or more
    /// features per beat and a dense layer 1; default: 1)
    #[arg(long, value_name = "S")]
    pub encoder_streams: Option<usize>,
    /// Inputs the cost model's activity (estimated cycles, automatic lanes) is measured on:
    /// auto (the model's dataset, else MNIST for 784-input models, else random), mnist,
    /// fashion-mnist, random (seed 1), worst-case, or an IDX images FILE (first 100 images)
    #[arg(long, default_value = "auto", value_name = "A|FILE")]
    pub activity: ActivityChoice,
    /// Test only: generate a deliberately broken design
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<FaultArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsArg {
    Embedded,
    Runtime,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultArg {
    WindowOffByOne,
}

impl HwArgs {
    pub fn options(&self) -> Result<HwOptions> {
        let mut o = HwOptions::new(self.target);
        o.lanes = self.lanes.clone();
        o.weights = match self.weights {
            WeightsArg::Embedded => WeightSource::Embedded,
            WeightsArg::Runtime => WeightSource::Runtime,
        };
        if let Some(mhz) = self.clock_mhz {
            anyhow::ensure!(
                mhz.is_finite() && (1.0..=1000.0).contains(&mhz),
                "--clock-mhz {mhz} is outside 1..=1000"
            );
            o.clock_hz = (mhz * 1e6).round() as u64;
        }
        o.trace = self.trace;
        o.input_lanes = self.input_lanes;
        o.events_per_cycle = self.events_per_cycle.clone();
        o.encoder_streams = self.encoder_streams;
        o.fault = self.fault.map(|f| match f {
            FaultArg::WindowOffByOne => Fault::WindowOffByOne,
        });
        Ok(o)
    }
}

/// Plans the design of `--model` for the hardware options.
pub fn plan(model: &ModelArgs, hw: &HwArgs) -> Result<Design> {
    plan_streaming(model, hw, None)
}

/// [`plan`] for a command that streams `dataset` through the design (`ttfs cosim --dataset`):
/// `--activity auto` measures on that data when the model records no dataset of its own.
pub fn plan_streaming(
    model: &ModelArgs,
    hw: &HwArgs,
    dataset: Option<DatasetKind>,
) -> Result<Design> {
    let loaded = model.load()?;
    // Before the activity measurement: it runs the model, and the refusal names the file.
    crate::source::require_buildable(&loaded.model, &loaded.origin, "the hardware generator")?;
    let options = hw.options()?;
    let activity = activity::measure(&loaded.model, &hw.activity, dataset)?;
    Ok(Design::new(loaded.model, options, activity)?)
}

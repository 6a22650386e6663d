//! What synthesis adds to a board: its constraint file (`constraints/`, embedded in the
//! binary so that `ttfs synth` works outside the checkout) and how to read it.
//!
//! Every board *fact* — oscillator, core clock and PLL, pins, the flash offset of the weight
//! image, the wrapper module `board_top` — lives in one place, [`hdl::board::Board`];
//! tests/synth.rs checks every constraint file's frequency line against
//! [`Board::osc_hz`] and that it places every pin of [`Board::pin_names`]. The device and
//! package of a board come from its target ([`super::Device::of`]`(board.target())`).

use hdl::board::generate_board::BOARD_TOP_MODULE;
pub use hdl::board::Board;

/// Constraint file flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    /// iCE40 `.pcf` (nextpnr-ice40 `--pcf`): `set_io`, `set_frequency clk MHZ`.
    Pcf,
    /// ECP5 `.lpf` (nextpnr-ecp5 `--lpf`): `LOCATE COMP`, `FREQUENCY PORT "clk" N MHZ;`.
    Lpf,
}

/// The board-agnostic LFE5U-85F CABGA381 pin template (`constraints/ecp5-85f.lpf`): the
/// ULX3S sites and oscillator, for porting the ULX3S wrapper to a bigger ECP5. `ttfs synth
/// --target ecp5-85k` itself is board-less (`--board none`); tests/synth.rs checks this
/// file's frequency line and pins against [`Board::Ulx3s25f`].
pub const ECP5_85F_TEMPLATE: (&str, &str) = (
    "ecp5-85f.lpf",
    include_str!("../../constraints/ecp5-85f.lpf"),
);

/// The top module of every board wrapper ([`hdl::board::generate_board`]).
pub const WRAPPER_TOP: &str = BOARD_TOP_MODULE;

/// Synthesis facts of a board: its constraint file.
pub trait BoardConstraints {
    /// The constraint file's text (embedded copy of `constraints/<file>`).
    fn constraints(self) -> &'static str;
    /// Its flavour.
    fn constraint_kind(self) -> ConstraintKind;
    /// Refuses a board whose device is not `target`, in one line.
    fn check_target(self, target: hdl::target::Target) -> anyhow::Result<()>;
}

impl BoardConstraints for Board {
    fn constraints(self) -> &'static str {
        match self {
            Board::Icebreaker => include_str!("../../constraints/icebreaker.pcf"),
            Board::Ulx3s25f => include_str!("../../constraints/ulx3s-25f.lpf"),
        }
    }

    fn constraint_kind(self) -> ConstraintKind {
        match self {
            Board::Icebreaker => ConstraintKind::Pcf,
            Board::Ulx3s25f => ConstraintKind::Lpf,
        }
    }

    fn check_target(self, target: hdl::target::Target) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.target() == target,
            "board {} carries {}, not {target}: use --target {} with --board {}, or --board none",
            self.name(),
            self.target(),
            self.target(),
            self.name()
        );
        Ok(())
    }
}

/// `--board`: `none` or a board name.
pub fn parse_board(s: &str) -> Result<Option<Board>, String> {
    if s == "none" {
        return Ok(None);
    }
    s.parse::<Board>().map(Some).map_err(|_| {
        format!(
            "unknown board \"{s}\": use none, {}",
            Board::ALL.map(|b| b.name()).join(", ")
        )
    })
}

/// The `--board` value: `none` or a board (clap needs a non-`Option` type to parse into).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardChoice(pub Option<Board>);

impl std::str::FromStr for BoardChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_board(s).map(BoardChoice)
    }
}

/// The frequency line of a constraint text, in Hz: pcf `set_frequency <clk> <MHz>`, lpf
/// `FREQUENCY PORT "<clk>" <N> MHZ;`. `None` when there is no line for `clock_port`.
pub fn parse_frequency_hz(kind: ConstraintKind, text: &str, clock_port: &str) -> Option<u64> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let words: Vec<&str> = line
            .trim_end_matches(';')
            .split_whitespace()
            .map(|w| w.trim_matches('"'))
            .collect();
        let mhz = match (kind, words.as_slice()) {
            (ConstraintKind::Pcf, ["set_frequency", port, mhz]) if *port == clock_port => {
                mhz.parse::<f64>().ok()
            }
            (ConstraintKind::Lpf, ["FREQUENCY", "PORT", port, value, unit])
                if *port == clock_port =>
            {
                let v = value.parse::<f64>().ok()?;
                match unit.to_ascii_uppercase().as_str() {
                    "MHZ" => Some(v),
                    "KHZ" => Some(v / 1e3),
                    "HZ" => Some(v / 1e6),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(mhz) = mhz {
            return Some((mhz * 1e6).round() as u64);
        }
    }
    None
}

/// Whether the constraint text places `port` (`set_io [-nowarn] port pin` /
/// `LOCATE COMP "port" SITE "X";`).
pub fn constrains_port(kind: ConstraintKind, text: &str, port: &str) -> bool {
    text.lines().any(|line| {
        let line = line.split('#').next().unwrap_or("").trim();
        let words: Vec<&str> = line
            .trim_end_matches(';')
            .split_whitespace()
            .map(|w| w.trim_matches('"'))
            .filter(|w| *w != "-nowarn")
            .collect();
        match (kind, words.as_slice()) {
            (ConstraintKind::Pcf, ["set_io", p, _pin]) => *p == port,
            (ConstraintKind::Lpf, ["LOCATE", "COMP", p, "SITE", _]) => *p == port,
            _ => false,
        }
    })
}

/// The board link's figures next to the core's (`synth.json` `link`, `report.md`): what the
/// UART allows end to end, side by side with what the core computes, and which bounds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinkFigures {
    /// Nominal line rate (the host bridge runs it), baud.
    pub baud: u64,
    /// The wrapper's rate, core clock / `cycles_per_bit`.
    pub actual_baud: f64,
    /// `actual_baud / baud − 1`.
    pub baud_error: f64,
    /// Core clock cycles per UART bit.
    pub cycles_per_bit: u32,
    /// Bytes of one sample's link frame (header, packed input levels, check).
    pub frame_bytes_per_sample: u64,
    /// Answer bytes per sample (on the other wire, in parallel).
    pub answer_bytes_per_sample: u64,
    /// Line bits per byte (8N1).
    pub line_bits_per_byte: u64,
    /// `baud / (line_bits_per_byte · frame_bytes_per_sample)`.
    pub link_bound_samples_per_s: f64,
    /// The core's throughput (`throughput_samples_per_s`), when known.
    pub core_samples_per_s: Option<f64>,
    /// `min(core, link)`.
    pub end_to_end_samples_per_s: Option<f64>,
    /// `link` or `core`: which one bounds end to end.
    pub bound_by: Option<String>,
}

impl LinkFigures {
    /// The link of `board` for samples of `format`, with the core's `core` samples/s.
    pub fn new(board: Board, format: &hdl::board::LinkFormat, core: Option<f64>) -> LinkFigures {
        let baud = board.uart_baud();
        let link = format.images_per_s(baud);
        let end = core.map(|c| c.min(link));
        LinkFigures {
            baud,
            actual_baud: board.uart_actual_baud(),
            baud_error: board.uart_baud_error(),
            cycles_per_bit: board.uart_cycles_per_bit(),
            frame_bytes_per_sample: format.frame_bytes() as u64,
            answer_bytes_per_sample: 1,
            line_bits_per_byte: hdl::board::link::LINE_BITS_PER_BYTE,
            link_bound_samples_per_s: link,
            core_samples_per_s: core,
            end_to_end_samples_per_s: end,
            bound_by: core.map(|c| if link <= c { "link" } else { "core" }.to_string()),
        }
    }

    /// One line for `report.md`.
    pub fn summary(&self) -> String {
        format!(
            "{} baud ({} cycles/bit, {:+.2} % off), {} bytes per sample + {} answer byte: link bound {:.0} samples/s; core {} samples/s; end to end {} samples/s, bound by the {}",
            self.baud,
            self.cycles_per_bit,
            100.0 * self.baud_error,
            self.frame_bytes_per_sample,
            self.answer_bytes_per_sample,
            self.link_bound_samples_per_s,
            self.core_samples_per_s
                .map(|c| format!("{c:.0}"))
                .unwrap_or("?".into()),
            self.end_to_end_samples_per_s
                .map(|c| format!("{c:.0}"))
                .unwrap_or("?".into()),
            self.bound_by.as_deref().unwrap_or("?")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mnist_link_carries_at_least_300_images_per_s_on_both_boards_and_names_the_bound() {
        let f = hdl::board::LinkFormat::of_model(&golden::default_model::quantized());
        for b in Board::ALL {
            let l = LinkFigures::new(b, &f, Some(2000.0));
            assert_eq!(l.frame_bytes_per_sample, 562);
            assert!(l.link_bound_samples_per_s >= 300.0, "{b}: {l:?}");
            assert!(l.baud_error.abs() < 0.02, "{b}: {l:?}");
            assert_eq!(l.bound_by.as_deref(), Some("link"));
            assert_eq!(l.end_to_end_samples_per_s, Some(l.link_bound_samples_per_s));
            // The bound can be the core: a core slower than the link.
            let slow = LinkFigures::new(b, &f, Some(100.0));
            assert_eq!(slow.bound_by.as_deref(), Some("core"));
            assert_eq!(slow.end_to_end_samples_per_s, Some(100.0));
        }
    }
}

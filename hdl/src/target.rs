//! The one home for the facts of the devices a design is built for: family, capacities
//! (data sheets), part and package (for yosys / nextpnr), block RAM geometry, the names the
//! tools give their resources, default clocks and the next bigger device.
//!
//! The plan ([`crate::plan`]), the board wrappers ([`crate::board`]) and the synthesis flow
//! (`src/synth`) read these facts here; nothing else spells out a device.

use serde::{Deserialize, Serialize};

/// FPGA family of a target: which yosys pass, nextpnr, packer and resource names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40 (icestorm flow).
    Ice40,
    /// Lattice ECP5 (project Trellis flow).
    Ecp5,
}

impl Family {
    /// The yosys synthesis pass.
    pub fn yosys_pass(self) -> &'static str {
        match self {
            Family::Ice40 => "synth_ice40",
            Family::Ecp5 => "synth_ecp5",
        }
    }

    /// The nextpnr binary.
    pub fn nextpnr(self) -> &'static str {
        match self {
            Family::Ice40 => "nextpnr-ice40",
            Family::Ecp5 => "nextpnr-ecp5",
        }
    }

    /// The bitstream packer.
    pub fn packer(self) -> &'static str {
        match self {
            Family::Ice40 => "icepack",
            Family::Ecp5 => "ecppack",
        }
    }

    /// nextpnr's option for the placed and routed design and that file's extension
    /// (`--asc` → `.asc` for icepack, `--textcfg` → `.config` for ecppack).
    pub fn placed_output(self) -> (&'static str, &'static str) {
        match self {
            Family::Ice40 => ("--asc", "asc"),
            Family::Ecp5 => ("--textcfg", "config"),
        }
    }

    /// The bitstream's extension (`.bin`, `.bit`).
    pub fn bitstream_ext(self) -> &'static str {
        match self {
            Family::Ice40 => "bin",
            Family::Ecp5 => "bit",
        }
    }

    /// The packer's arguments that turn the placed design `placed` into `bitstream`.
    pub fn pack_args(self, placed: &str, bitstream: &str) -> Vec<String> {
        match self {
            Family::Ice40 => vec![placed.into(), bitstream.into()],
            Family::Ecp5 => ["--compress", "--input", placed, "--bit", bitstream]
                .map(String::from)
                .to_vec(),
        }
    }

    /// How `synth.json` names the family's resources: `(name, nextpnr BEL type)`.
    pub fn resources(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Family::Ice40 => &[
                ("LC", "ICESTORM_LC"),
                ("EBR", "ICESTORM_RAM"),
                ("SPRAM", "ICESTORM_SPRAM"),
                ("DSP", "ICESTORM_DSP"),
                ("IO", "SB_IO"),
                ("GLOBAL", "SB_GB"),
                ("PLL", "ICESTORM_PLL"),
            ],
            Family::Ecp5 => &[
                ("TRELLIS_COMB", "TRELLIS_COMB"),
                ("FF", "TRELLIS_FF"),
                ("DP16KD", "DP16KD"),
                ("LUTRAM", "TRELLIS_RAMW"),
                ("DSP", "MULT18X18D"),
                ("IO", "TRELLIS_IO"),
                ("GLOBAL", "DCCA"),
                ("PLL", "EHXPLLL"),
            ],
        }
    }

    /// The `synth.json` name of the logic cells that hold the LUTs (`LC`, `TRELLIS_COMB`).
    pub fn logic_resource(self) -> &'static str {
        match self {
            Family::Ice40 => "LC",
            Family::Ecp5 => "TRELLIS_COMB",
        }
    }

    /// Bits one block RAM can deliver per cycle, every read port at its widest: iCE40
    /// `SB_RAM40_4K` has one read port of 16 bits; ECP5 `DP16KD` two true-dual ports of 18 bits
    /// each (Lattice TN1264, "Memory Usage Guide for ECP5 Devices": 36-bit wide reads need the
    /// pseudo-dual-port mode, which gives the same 36 bits per cycle).
    pub fn bram_read_bits_per_cycle(self) -> u64 {
        match self {
            Family::Ice40 => 16,
            Family::Ecp5 => 36,
        }
    }

    /// The `synth.json` name of the initialisable block RAMs (`EBR`, `DP16KD`).
    pub fn bram_resource(self) -> &'static str {
        match self {
            Family::Ice40 => "EBR",
            Family::Ecp5 => "DP16KD",
        }
    }

    /// Aspect ratios `(depth, width)` of one block RAM (iCE40 `SB_RAM40_4K`: 256×16, 512×8,
    /// 1024×4, 2048×2; ECP5 `DP16KD`: 1024×18, 2048×9, 4096×4, 8192×2, 16384×1).
    pub fn bram_modes(self) -> &'static [(u64, u64)] {
        match self {
            Family::Ice40 => &[(256, 16), (512, 8), (1024, 4), (2048, 2)],
            Family::Ecp5 => &[(1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1)],
        }
    }
}

/// What the design is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Vendor-neutral Verilog: inferred block RAM with `$readmemh` contents.
    Generic,
    /// Lattice iCE40 UP5K: 5 280 LCs, 30 EBR (4 kbit), 4 SPRAM (256 kbit, not initialisable).
    Ice40Up5k,
    /// Lattice ECP5 LFE5U-25F: 24 288 LUTs, 56 DP16KD (18 kbit).
    Ecp5_25k,
    /// Lattice ECP5 LFE5U-85F: 83 640 LUTs, 208 DP16KD.
    Ecp5_85k,
}

/// Capacity of a device target (the generic target has none: it is unbounded).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Capacity {
    /// LUT4s (iCE40 logic cells).
    pub luts: u64,
    pub ffs: u64,
    /// Initialisable block RAMs and the bits of one.
    pub brams: u64,
    pub bram_bits: u64,
    /// iCE40 `SB_SPRAM256KA` blocks (16k × 16 bit, not initialisable).
    pub spram: u64,
    pub dsp: u64,
}

impl Capacity {
    /// The capacity of a `synth.json` resource ([`Family::resources`]; `LUT4` counts logic
    /// cells), 0 for a resource without a data-sheet figure here (IO, GLOBAL, PLL, LUTRAM).
    pub fn of(&self, resource: &str) -> u64 {
        match resource {
            "EBR" | "DP16KD" => self.brams,
            "SPRAM" => self.spram,
            "DSP" => self.dsp,
            "FF" => self.ffs,
            "LC" | "TRELLIS_COMB" | "LUT4" => self.luts,
            _ => 0,
        }
    }
}

/// Words of one iCE40 UP5K `SB_SPRAM256KA`.
pub const SPRAM_WORDS: u64 = 16384;
/// Width of one `SB_SPRAM256KA` word.
pub const SPRAM_WIDTH: u64 = 16;

impl Target {
    /// Every target: generic, then the devices from the smallest.
    pub const ALL: [Target; 4] = [
        Target::Generic,
        Target::Ice40Up5k,
        Target::Ecp5_25k,
        Target::Ecp5_85k,
    ];

    /// The `--target` name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Generic => "generic",
            Target::Ice40Up5k => "ice40-up5k",
            Target::Ecp5_25k => "ecp5-25k",
            Target::Ecp5_85k => "ecp5-85k",
        }
    }

    /// The device family (`None`: the generic target).
    pub fn family(self) -> Option<Family> {
        match self {
            Target::Generic => None,
            Target::Ice40Up5k => Some(Family::Ice40),
            Target::Ecp5_25k | Target::Ecp5_85k => Some(Family::Ecp5),
        }
    }

    /// Device capacity from the vendor data sheets (iCE40 UltraPlus family data sheet
    /// FPGA-DS-02008; ECP5 family data sheet FPGA-DS-02012).
    pub fn capacity(self) -> Option<Capacity> {
        match self {
            Target::Generic => None,
            Target::Ice40Up5k => Some(Capacity {
                luts: 5280,
                ffs: 5280,
                brams: 30,
                bram_bits: 4096,
                spram: 4,
                dsp: 8,
            }),
            Target::Ecp5_25k => Some(Capacity {
                luts: 24288,
                ffs: 24288,
                brams: 56,
                bram_bits: 18432,
                spram: 0,
                dsp: 28,
            }),
            Target::Ecp5_85k => Some(Capacity {
                luts: 83640,
                ffs: 83640,
                brams: 208,
                bram_bits: 18432,
                spram: 0,
                dsp: 156,
            }),
        }
    }

    /// Part and package, as reports name the device (`None`: the generic target).
    pub fn part(self) -> Option<&'static str> {
        match self {
            Target::Generic => None,
            Target::Ice40Up5k => Some("iCE40UP5K-SG48"),
            Target::Ecp5_25k => Some("LFE5U-25F-CABGA381"),
            Target::Ecp5_85k => Some("LFE5U-85F-CABGA381"),
        }
    }

    /// nextpnr's device and package options (empty for the generic target).
    pub fn nextpnr_device(self) -> &'static [&'static str] {
        match self {
            Target::Generic => &[],
            Target::Ice40Up5k => &["--up5k", "--package", "sg48"],
            Target::Ecp5_25k => &["--25k", "--package", "CABGA381"],
            Target::Ecp5_85k => &["--85k", "--package", "CABGA381"],
        }
    }

    /// The clock the design is constrained to unless the user says otherwise: on iCE40 UP5K
    /// 30 MHz (the iCEBreaker's 12 MHz oscillator through the PLL, ×80/32, see
    /// `hdl::board::Board`); 80 MHz on the ECP5-85F, whose default plan (128 lanes across the
    /// device, two encoder streams) places at 80.6 MHz with placer seed 2
    /// ([`Target::default_seed`]), its paths mostly routing; 100 MHz on the 25F and generic.
    pub fn default_clock_hz(self) -> u64 {
        match self {
            Target::Ice40Up5k => 30_000_000,
            Target::Ecp5_85k => 80_000_000,
            _ => 100_000_000,
        }
    }

    /// nextpnr's placer seed unless the user gives one: 2 on the ECP5-85F, whose default
    /// design (128 lanes across the device, 47 % of its cells) routes with seed 2 in under an
    /// hour and did not with seed 1 (router1 still had hundreds to thousands of overused
    /// wires after 45 minutes); 1 elsewhere.
    pub fn default_seed(self) -> u64 {
        match self {
            Target::Ecp5_85k => 2,
            _ => 1,
        }
    }

    /// The next bigger device, for "does not fit" advice (`None`: the biggest, or generic).
    pub fn bigger(self) -> Option<Target> {
        match self {
            Target::Ice40Up5k => Some(Target::Ecp5_25k),
            Target::Ecp5_25k => Some(Target::Ecp5_85k),
            Target::Generic | Target::Ecp5_85k => None,
        }
    }

    /// Whether the device has iCE40 `SB_SPRAM256KA` blocks (the UP5K).
    pub fn has_spram(self) -> bool {
        self.capacity().is_some_and(|c| c.spram > 0)
    }

    /// Whether the device has distributed (LUT) RAM: ECP5 `TRELLIS_DPR16X4`, ~1 LUT per 16
    /// bits, for memories too small to spend a block RAM on.
    pub fn has_lut_ram(self) -> bool {
        self.family() == Some(Family::Ecp5)
    }

    /// Whether a carry cell computes its sum bits itself (ECP5 `CCU2C`), where an iCE40
    /// `SB_CARRY` needs a LUT4 beside it.
    pub fn carry_has_sum(self) -> bool {
        self.family() == Some(Family::Ecp5)
    }

    /// Block RAMs for a `depth × width` memory, in the cheapest aspect ratio of the family's
    /// block ([`Family::bram_modes`]; the generic target counts iCE40 blocks).
    pub fn brams_for(self, depth: u64, width: u64) -> u64 {
        self.family()
            .unwrap_or(Family::Ice40)
            .bram_modes()
            .iter()
            .map(|&(d, w)| depth.div_ceil(d) * width.div_ceil(w))
            .min()
            .unwrap_or(0)
    }

    /// Block RAMs for a `depth × width` memory with one write and one read port (a FIFO):
    /// an ECP5 `DP16KD` then also has its 512 × 36 pseudo-dual-port mode (yosys maps an
    /// [`crate::layer::EventQueue`] of 512 × 32 to one block).
    pub fn fifo_brams_for(self, depth: u64, width: u64) -> u64 {
        let pdp = match self.family() {
            Some(Family::Ecp5) => depth.div_ceil(512) * width.div_ceil(36),
            _ => u64::MAX,
        };
        self.brams_for(depth, width).min(pdp)
    }
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "up5k" => Ok(Target::Ice40Up5k),
            "ecp5-25f" => Ok(Target::Ecp5_25k),
            "ecp5-85f" => Ok(Target::Ecp5_85k),
            _ => Target::ALL
                .into_iter()
                .find(|t| t.name() == s)
                .ok_or_else(|| {
                    format!("unknown target \"{s}\": use generic, ice40-up5k, ecp5-25k or ecp5-85k")
                }),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_aliases_are_accepted() {
        for t in Target::ALL {
            assert_eq!(t.name().parse::<Target>(), Ok(t));
        }
        assert_eq!("up5k".parse::<Target>(), Ok(Target::Ice40Up5k));
        assert_eq!("ecp5-25f".parse::<Target>(), Ok(Target::Ecp5_25k));
        assert_eq!("ecp5-85f".parse::<Target>(), Ok(Target::Ecp5_85k));
        let e = "xc7".parse::<Target>().unwrap_err();
        assert!(e.contains("unknown target \"xc7\""), "{e}");
    }

    #[test]
    fn every_device_has_a_family_part_and_nextpnr_options() {
        for t in Target::ALL {
            let device = t.family().is_some();
            assert_eq!(t.part().is_some(), device, "{t}");
            assert_eq!(!t.nextpnr_device().is_empty(), device, "{t}");
            assert_eq!(t.capacity().is_some(), device, "{t}");
        }
    }

    #[test]
    fn block_ram_counts_use_the_cheapest_aspect_ratio() {
        // 1024 × 16 bits: 4 iCE40 blocks of 256×16 (or 1024×4); one DP16KD of 1024×18.
        assert_eq!(Target::Ice40Up5k.brams_for(1024, 16), 4);
        assert_eq!(Target::Generic.brams_for(1024, 16), 4);
        assert_eq!(Target::Ecp5_25k.brams_for(1024, 16), 1);
    }
}

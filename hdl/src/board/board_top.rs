//! `BoardTop<ZW>`: the board wrapper around the accelerator core — UART in, class byte out,
//! weights from the SPI flash at boot.

use crate::board::board::Pll;
use crate::board::{
    AnswerByte, BeatPacker, ClockGen, LinkFormat, LinkFramer, PowerOnReset, SpiFlashConfig,
    SpiFlashReader, UartRx, UartTx,
};
use crate::plan::Design;
use crate::prelude::*;
use crate::prim::Fifo;
use crate::top::TtfsCore;

/// Run-time parameters of a [`BoardTop`] (from [`crate::board::Board`] for real boards;
/// tests shrink the times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardParams {
    /// PLL between the oscillator and the core clock (`None`: no PLL).
    pub pll: Option<Pll>,
    /// UART bit period in core clock cycles (`4 ..= 65536`).
    pub cycles_per_bit: u32,
    /// Power-on / button reset hold in cycles (`1 ..= 65536`).
    pub reset_hold_cycles: u32,
    /// Flash reader of the weight image (`None`: no reader; `words` must be the length of
    /// the design's load image).
    pub flash: Option<SpiFlashConfig>,
}

/// The board wrapper (issue 5): [`ClockGen`] → core clock; [`PowerOnReset`] (button
/// `btn_n`, active low, and PLL `lock`) → `rst` of every other block; at boot a
/// [`SpiFlashReader`] streams the weight image from the flash into the core's load port
/// (only when the design loads weights); [`UartRx`] → [`LinkFramer`] (link frames of
/// [`crate::board::link`]: header, packed input levels, check byte) → 4-entry [`Fifo`] →
/// core `s_*`, `s_last` from the framer's feature counter; the framer's verdict per frame →
/// 8-entry verdict FIFO; core `m_*` (taken only once the sample's verdict is in) →
/// [`AnswerByte`] → [`UartTx`], one byte per frame: class in bits 6..0, bit 7 = `m_error` or a
/// bad frame.
///
/// **Resynchronisation.** The header is the only byte with bit 7 set: every header opens a
/// frame (a frame still open is answered as bad, its partial sample closed with filler beats
/// so the core answers it with `m_error`), bytes outside a frame are ignored. A corrupted
/// byte costs one frame; the next header is decoded normally. The button `btn_n` resets
/// everything (and reloads the weights).
///
/// **Boot.** The UART has no flow control: while the weights load (`led_loaded` low; 55 ms
/// for the default model on the iCEBreaker, 1.64 M cycles) the core takes no feature and
/// only 4 values fit the FIFO; a later byte overflows the framer's buffer and loses its
/// frame (error LED). A host waits for the loaded LED, or ~100 ms after configuration / the
/// button, before its first frame. After boot the core takes a feature per cycle or so, far
/// faster than the UART delivers them.
///
/// Ports: `clock` (in, oscillator), `btn_n` (in, active low), `uart_rx` (in), `uart_tx`
/// (out), `flash_cs_n`, `flash_sck`, `flash_mosi` (out; idle — high, low, low — without a
/// reader), `flash_miso` (in), `led_loaded` (out: every weight is in), `led_heartbeat` (out:
/// bit 23 of a free-running counter), `led_error` (out, sticky until reset: a UART framing
/// error, a lost byte, or an answer with bit 7), `led_class` (out, `Bits<8>`: the last answer
/// byte sent).
///
/// Latency: boot = `reset_hold_cycles` + the flash read (`SpiFlashReader`: ~`32·words`
/// cycles at `sck = clk/2`); then a sample's answer starts ~the core's latency after its last
/// frame's check byte's stop bit (the UART dominates: `10·cycles_per_bit` per byte).
/// Cost: the core plus the board blocks (UART ~98 LUT4, flash reader ~125 LUT4, link framer
/// ~300 LUT4, FIFO 4×9 bits, verdict FIFO 8×1 bit, answer byte, 24-bit heartbeat counter;
/// yosys `synth_ice40` figures of `tests/board_verilog.rs`).
#[derive(LogicBlock)]
pub struct BoardTop<const ZW: usize> {
    /// Board oscillator.
    pub clock: Input<Clock>,
    /// Reset button, active low.
    pub btn_n: Input<Bit>,
    /// UART, FPGA receives.
    pub uart_rx: Input<Bit>,
    /// UART, FPGA transmits.
    pub uart_tx: Output<Bit>,
    /// SPI flash chip select, active low.
    pub flash_cs_n: Output<Bit>,
    /// SPI flash clock.
    pub flash_sck: Output<Bit>,
    /// SPI flash data in (FPGA out).
    pub flash_mosi: Output<Bit>,
    /// SPI flash data out (FPGA in).
    pub flash_miso: Input<Bit>,
    /// Weights loaded.
    pub led_loaded: Output<Bit>,
    /// Heartbeat.
    pub led_heartbeat: Output<Bit>,
    /// Sticky error.
    pub led_error: Output<Bit>,
    /// Last answer byte.
    pub led_class: Output<Bits8>,
    /// Core clock.
    pub clkgen: ClockGen,
    /// Reset generator.
    pub por: PowerOnReset,
    /// UART receiver.
    pub uart_in: UartRx,
    /// UART transmitter.
    pub uart_out: UartTx,
    /// Feature bytes (bit 8: `s_last`). Four words, so that it sits in flip-flops, not in an
    /// `SB_RAM40_4K` that a 16-lane UP5K core needs: the link delivers a byte every
    /// ~10 bit times (≥ 100 core cycles), and the core's input, double-buffered by the encoder,
    /// holds `s_ready` low only while both banks wait on a slower stage, which a sample that takes
    /// ≥ 784 byte times to arrive never makes it do.
    pub fifo: Fifo<Bits<9>, 2>,
    /// The accelerator.
    pub core: TtfsCore<ZW>,
    /// Weight image reader (zero or one).
    pub flash: Vec<SpiFlashReader>,
    /// Link frames → feature beats and verdicts.
    pub framer: LinkFramer,
    /// One verdict per frame, until its answer is sent.
    pub verdicts: Fifo<Bit, 3>,
    /// Core answer → UART byte.
    pub answer: AnswerByte,
    answer_go: Wire<Bit>,
    x16: ZeroExtend<8, 16>,
    core_clock: Wire<Clock>,
    rst: Wire<Bit>,
    flash_unused: Wire<Bit>,
    /// With `K > 1` features per beat (`input_lanes`): the packer between the FIFO and the
    /// core, its beat, and the beat's slots `1..K` zero-extended (`slot16[i]`: slot `i + 1`,
    /// bits `[8i + 8, 8i + 16)`; slot 0 goes through `x16` to the core's `s.data`).
    packer: Vec<BeatPacker>,
    pbeat: Vec<Wire<Bits<64>>>,
    /// The beat's bits past slot `K − 1` (always 0), for Verilator's lint.
    pbeat_unused: Vec<Wire<Bit>>,
    slot16: Vec<ZeroExtend<8, 16>>,
    _narrow: usize,
    _wide: usize,
    _slots: usize,
    err: RDff<Bit>,
    beat: RDff<Bits24>,
    one24: Constant<Bits24>,
    zero16: Constant<Bits16>,
    _nflash: usize,
}

impl<const ZW: usize> BoardTop<ZW> {
    /// The wrapper of `design` with `params`. Panics when the design does not fit a byte
    /// UART (`input_bits > 8`, more than 128 classes, more than 65536 inputs) or when the
    /// flash reader's word count is not the design's load image length (check with
    /// [`crate::board::generate_board`], which refuses such designs with an error).
    pub fn new(design: &Design, params: BoardParams) -> Self {
        assert!(
            design.input_bits <= 8,
            "board top: input_bits = {} > 8 (one UART byte per feature)",
            design.input_bits
        );
        assert!(
            design.classes <= 128,
            "board top: {} classes > 128 (7-bit class in the answer byte)",
            design.classes
        );
        let flash = flash_reader(design, params.flash);
        let k = design.input_lanes;
        let wide = usize::from(k > 1);
        Self {
            packer: (0..wide).map(|_| BeatPacker::new(k)).collect(),
            pbeat: (0..wide).map(|_| Signal::default()).collect(),
            pbeat_unused: (0..wide).map(|_| Signal::default()).collect(),
            slot16: (1..k).map(|_| ZeroExtend::new()).collect(),
            _narrow: 1 - wide,
            _wide: wide,
            _slots: k - 1,
            clock: Signal::default(),
            btn_n: Signal::default(),
            uart_rx: Signal::default(),
            uart_tx: Signal::default(),
            flash_cs_n: Signal::default(),
            flash_sck: Signal::default(),
            flash_mosi: Signal::default(),
            flash_miso: Signal::default(),
            led_loaded: Signal::default(),
            led_heartbeat: Signal::default(),
            led_error: Signal::default(),
            led_class: Signal::default(),
            clkgen: ClockGen::new(params.pll),
            por: PowerOnReset::new(params.reset_hold_cycles, true),
            uart_in: UartRx::new(params.cycles_per_bit),
            uart_out: UartTx::new(params.cycles_per_bit),
            fifo: Fifo::new(),
            core: TtfsCore::new(design, ""),
            _nflash: flash.len(),
            flash,
            framer: LinkFramer::new(&LinkFormat::of_model(&design.model)),
            verdicts: Fifo::new(),
            answer: AnswerByte::default(),
            answer_go: Signal::default(),
            x16: ZeroExtend::new(),
            core_clock: Signal::default(),
            rst: Signal::default(),
            flash_unused: Signal::default(),
            err: RDff::default(),
            beat: RDff::default(),
            one24: Constant::new(bits(1)),
            zero16: Constant::new(bits(0)),
        }
    }

    /// The `$readmemh` files of the core's memories: `(file name, contents)`.
    pub fn images(&self) -> &[(String, String)] {
        self.core.images()
    }

    /// Marks the external inputs as driven and connects everything.
    pub fn connect_inputs(&mut self) {
        self.clock.connect();
        self.btn_n.connect();
        self.uart_rx.connect();
        self.flash_miso.connect();
        self.connect_all();
    }
}

/// The flash reader of a design (none when it embeds its weights); panics when the design
/// loads its weights and there is no reader, or when the reader's word count is not the
/// length of the design's load image.
fn flash_reader(design: &Design, cfg: Option<SpiFlashConfig>) -> Vec<SpiFlashReader> {
    let words = crate::generate::load_image(design).map(|l| l.words.len() as u32);
    match (cfg, words) {
        (Some(cfg), Some(w)) => {
            assert_eq!(
                cfg.words, w,
                "board top: flash reader words {} != load image words {w}",
                cfg.words
            );
            vec![SpiFlashReader::new(cfg)]
        }
        (_, None) => vec![],
        (None, Some(_)) => {
            panic!("board top: the design loads its weights but the board has no flash reader")
        }
    }
}

impl<const ZW: usize> Logic for BoardTop<ZW> {
    #[hdl_gen]
    fn update(&mut self) {
        // Clock and reset.
        self.clkgen.clock_in.next = self.clock.val();
        self.core_clock.next = self.clkgen.clock_out.val();
        self.por.clock.next = self.core_clock.val();
        self.por.button.next = self.btn_n.val() & self.clkgen.lock.val();
        self.rst.next = self.por.rst.val();
        self.uart_in.clock.next = self.core_clock.val();
        self.uart_in.rst.next = self.rst.val();
        self.framer.clock.next = self.core_clock.val();
        self.framer.rst.next = self.rst.val();
        self.fifo.clock.next = self.core_clock.val();
        self.fifo.rst.next = self.rst.val();
        self.verdicts.clock.next = self.core_clock.val();
        self.verdicts.rst.next = self.rst.val();
        self.core.clock.next = self.core_clock.val();
        self.core.rst.next = self.rst.val();
        self.answer.clock.next = self.core_clock.val();
        self.answer.rst.next = self.rst.val();
        self.uart_out.clock.next = self.core_clock.val();
        self.uart_out.rst.next = self.rst.val();
        dff_setup!(self, core_clock, err, beat);
        self.err.rst.next = self.rst.val();
        self.beat.rst.next = self.rst.val();
        // Weight image: from the flash reader, or nothing.
        self.core.w_valid.next = false;
        self.core.w_data.next = self.zero16.val();
        self.flash_cs_n.next = true;
        self.flash_sck.next = false;
        self.flash_mosi.next = false;
        self.flash_unused.next = self.flash_miso.val() | self.core.w_ready.val();
        for i in 0..self._nflash {
            self.flash[i].clock.next = self.core_clock.val();
            self.flash[i].rst.next = self.rst.val();
            self.flash[i].miso.next = self.flash_miso.val();
            self.flash[i].w_ready.next = self.core.w_ready.val();
            self.core.w_valid.next = self.flash[i].w_valid.val();
            self.core.w_data.next = self.flash[i].w_data.val();
            self.flash_cs_n.next = self.flash[i].cs_n.val();
            self.flash_sck.next = self.flash[i].sck.val();
            self.flash_mosi.next = self.flash[i].mosi.val();
            self.flash_unused.next = self.flash[i].w_last.val() | self.flash[i].done.val();
        }
        // UART bytes → framer → FIFO → core.
        self.uart_in.rx.next = self.uart_rx.val();
        self.framer.rx_valid.next = self.uart_in.valid.val();
        self.framer.rx_data.next = self.uart_in.data.val();
        self.fifo.s_valid.next = self.framer.beat_valid.val();
        self.fifo.s_data.next = self.framer.beat.val();
        self.framer.beat_ready.next = self.fifo.s_ready.val();
        self.x16.x.next = self.fifo.m_data.val().get_bits::<8>(0);
        for _i in 0..self._narrow {
            self.core.s.valid.next = self.fifo.m_valid.val();
            self.core.s.data.next = self.x16.y.val();
            self.core.s.last.next = self.fifo.m_data.val().get_bit(8);
            self.fifo.m_ready.next = self.core.s.ready.val();
        }
        // Several features per beat: bytes → the packer → the core's slots.
        for w in 0..self._wide {
            self.packer[w].clock.next = self.core_clock.val();
            self.packer[w].rst.next = self.rst.val();
            self.packer[w].s_valid.next = self.fifo.m_valid.val();
            self.packer[w].s_data.next = self.fifo.m_data.val().get_bits::<8>(0);
            self.packer[w].s_last.next = self.fifo.m_data.val().get_bit(8);
            self.fifo.m_ready.next = self.packer[w].s_ready.val();
            self.core.s.valid.next = self.packer[w].m_valid.val();
            self.core.s.last.next = self.packer[w].m_last.val();
            self.packer[w].m_ready.next = self.core.s.ready.val();
            self.pbeat[w].next = self.packer[w].m_beat.val();
            self.pbeat_unused[w].next = self.pbeat[w].val().any();
            self.x16.x.next = self.pbeat[w].val().get_bits::<8>(0);
            self.core.s.data.next = self.x16.y.val();
        }
        for i in 0..self._slots {
            self.slot16[i].x.next = self.pbeat[0].val().get_bits::<8>(8 * i + 8);
            self.core.s_slot[i].next = self.slot16[i].y.val();
        }
        self.verdicts.s_valid.next = self.framer.verdict_valid.val();
        self.verdicts.s_data.next = self.framer.verdict_bad.val();
        // Core → answer byte → UART, once the sample's verdict is in.
        self.answer_go.next = self.verdicts.m_valid.val() & self.uart_out.ready.val();
        self.answer.m_class.next = self.core.m.class.val();
        self.answer.m_error.next = self.core.m.error.val() | self.verdicts.m_data.val();
        self.answer.sent.next = self.core.m.valid.val() & self.answer_go.val();
        self.uart_out.valid.next = self.core.m.valid.val() & self.verdicts.m_valid.val();
        self.uart_out.data.next = self.answer.data.val();
        self.core.m.ready.next = self.answer_go.val();
        self.verdicts.m_ready.next = self.core.m.valid.val() & self.answer_go.val();
        // Sticky error: a framing error, a lost byte or verdict, an answer with bit 7.
        if self.uart_in.frame_error.val()
            | self.framer.dropped.val()
            | (self.framer.verdict_valid.val() & !self.verdicts.s_ready.val())
            | self.answer.error_sent.val()
        {
            self.err.d.next = true;
        }
        self.beat.d.next = self.beat.q.val() + self.one24.val();
        // Pins.
        self.uart_tx.next = self.uart_out.tx.val();
        self.led_loaded.next = self.core.loaded.val();
        self.led_heartbeat.next = self.beat.q.val().get_bit(23);
        self.led_error.next = self.err.q.val();
        self.led_class.next = self.answer.last.val();
    }
}

//! `SyncRam` in rust-hdl's simulator against a `Vec` reference, and its Verilog: `$readmemh`
//! contents, lint, and block-RAM inference by yosys for iCE40.

mod common;

use hdl::harness::Harness;
use hdl::prim::SyncRam;
use rand::Rng;
use rust_hdl::prelude::*;

fn ram<const N: usize>(ram: SyncRam<Bits<16>, N>) -> SyncRam<Bits<16>, N> {
    let mut ram = ram;
    ram.clock.connect();
    ram.raddr.connect();
    ram.we.connect();
    ram.waddr.connect();
    ram.wdata.connect();
    ram.connect_all();
    ram
}

#[test]
fn reads_written_words_one_cycle_later_old_word_on_collision() {
    const N: usize = 4;
    let mut rng = common::rng(5);
    // (raddr, we, waddr, wdata) per cycle; many collisions on 16 words.
    let stim: Vec<(u64, bool, u64, u64)> = (0..600)
        .map(|_| {
            (
                rng.gen_range(0..16),
                rng.gen_bool(0.5),
                rng.gen_range(0..16),
                rng.gen_range(0..1 << 16),
            )
        })
        .collect();
    let image: Vec<u64> = (0..16).map(|i| 1000 + i).collect();
    let init: Vec<Bits<16>> = image.iter().map(|&v| v.to_bits()).collect();
    common::run(
        ram::<N>(SyncRam::with_image("ram.hex", &init)),
        |x| x.clock.next = !x.clock.val(),
        stim.len() as u64 + 2,
        move |mut sim: Sim<SyncRam<Bits<16>, N>>| {
            let mut x = sim.init()?;
            let mut mem = image.clone();
            for (cycle, &(raddr, we, waddr, wdata)) in stim.iter().enumerate() {
                x.raddr.next = raddr.to_bits();
                x.we.next = we;
                x.waddr.next = waddr.to_bits();
                x.wdata.next = wdata.to_bits();
                wait_clock_cycle!(sim, clock, x);
                let want = mem[raddr as usize]; // read before write
                if we {
                    mem[waddr as usize] = wdata;
                }
                assert_eq!(x.rdata.val().to_u64(), want, "cycle {cycle} raddr {raddr}");
            }
            sim.done(x)
        },
    );
}

#[test]
fn hex_image_has_one_padded_word_per_line_twos_complement_for_signed() {
    let ram = SyncRam::<Signed<10>, 2>::with_image("s.hex", &[signed(-1), signed(5), signed(-512)]);
    assert_eq!(ram.hex_image(), "3ff\n005\n200\n000\n");
    let ram = SyncRam::<Bits<16>, 1>::with_image("u.hex", &[0xbeefu64.to_bits()]);
    assert_eq!(ram.hex_image(), "beef\n0000\n");
}

/// A ROM: the RAM with its write port tied off, read through a registered valid bit.
#[derive(LogicBlock)]
struct Rom {
    pub clock: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub addr: Signal<In, Bits<8>>,
    pub read: Signal<In, Bit>,
    pub data: Signal<Out, Bits<16>>,
    pub valid: Signal<Out, Bit>,
    mem: SyncRam<Bits<16>, 8>,
    valid_r: hdl::prim::RDff<Bit>,
    addr_zero: Constant<Bits<8>>,
    data_zero: Constant<Bits<16>>,
}

impl Logic for Rom {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, valid_r);
        self.valid_r.rst.next = self.rst.val();
        self.valid_r.d.next = self.read.val();
        self.mem.clock.next = self.clock.val();
        self.mem.raddr.next = self.addr.val();
        self.mem.we.next = false;
        self.mem.waddr.next = self.addr_zero.val();
        self.mem.wdata.next = self.data_zero.val();
        self.data.next = self.mem.rdata.val();
        self.valid.next = self.valid_r.q.val();
    }
}

fn rom(contents: &[Bits<16>]) -> Rom {
    Rom {
        clock: Signal::default(),
        rst: Signal::default(),
        addr: Signal::default(),
        read: Signal::default(),
        data: Signal::default(),
        valid: Signal::default(),
        mem: SyncRam::with_image("rom.hex", contents),
        valid_r: Default::default(),
        addr_zero: Constant::new(0u64.to_bits()),
        data_zero: Constant::new(0u64.to_bits()),
    }
}

#[test]
fn rom_returns_image_words_with_registered_valid() {
    let words: Vec<u64> = (0..256).map(|i| (i * 2654435761u64) & 0xffff).collect();
    let contents: Vec<Bits<16>> = words.iter().map(|&w| w.to_bits()).collect();
    let mut h = Harness::new(rom(&contents), |x| &mut x.clock);
    h.uut.rst.next = true;
    h.cycle();
    h.uut.rst.next = false;
    assert!(!h.uut.valid.val());
    for addr in (0..256u64).rev() {
        h.uut.addr.next = addr.to_bits();
        h.uut.read.next = true;
        h.cycle();
        assert!(h.uut.valid.val());
        assert_eq!(
            h.uut.data.val().to_u64(),
            words[addr as usize],
            "addr {addr}"
        );
    }
}

#[test]
fn rom_verilog_reads_hex_file_lints_clean_and_infers_ice40_block_ram() {
    let contents: Vec<Bits<16>> = (0..256u64).map(|i| (i * 3).to_bits()).collect();
    let mut r = rom(&contents);
    r.connect_all();
    let e = common::emit(&r, "rom");
    assert!(e.text.contains("initial $readmemh(\"rom.hex\", words_);"));
    assert_eq!(
        e.text.matches("initial").count(),
        1,
        "only the memory image"
    );
    std::fs::write(e.file.with_file_name("rom.hex"), r.mem.hex_image()).unwrap();
    common::verilator_lint_clean(&e);
    if let Some(stat) = common::yosys_ice40_stat(&e) {
        assert!(
            stat.contains("SB_RAM40_4K"),
            "no block RAM inferred:\n{stat}"
        );
    }
}

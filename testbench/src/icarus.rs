//! Icarus Verilog co-simulation: the same stimulus, the same result file and the same golden
//! check as the Verilator harness, from a Verilog-2005 testbench that `iverilog -g2005` compiles
//! with the generated top.
//!
//! Why a second simulator: Verilator schedules statically and forgives Verilog whose meaning
//! depends on event order; Icarus, the default simulator of cocotb and many open flows, is
//! event-driven like most commercial simulators. A design that only Verilator runs is not the
//! plain Verilog-2005 that DESIGN §4 promises (DESIGN §6: two `always @(*)` blocks glitching each
//! other's inputs stopped Icarus' simulated time).
//!
//! The bench ([`bench_source`]) is a line-for-line port of `cpp/harness_main.cpp`: the same
//! splitmix64 streams decide every stall (so a seed gives the same cycles in both simulators),
//! the same reset, watchdog and completion rules, and it writes the `lcttfs-result` file that
//! [`crate::result`] parses. The stimulus is not parsed in Verilog: sizes and stall thresholds
//! become `localparam`s of the generated bench and the beats, resets and weights
//! `$readmemh` images, so one bench is compiled per run (a second or two for a small design).
//!
//! Icarus stops only when the bench calls `$finish`: a design that livelocks the scheduler never
//! returns, so [`IcarusRun::run`] kills it after a wall-clock limit and says so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::result::RawRun;
use crate::stimulus::Stimulus;
use crate::top::TopInfo;
use crate::CosimError;

/// The two Icarus programs: the compiler and the runtime.
#[derive(Clone, Debug)]
pub struct Icarus {
    pub iverilog: PathBuf,
    pub vvp: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Icarus {
    /// Finds `iverilog` and `vvp` on `PATH`.
    pub fn discover() -> Result<Icarus, CosimError> {
        match (on_path("iverilog"), on_path("vvp")) {
            (Some(iverilog), Some(vvp)) => Ok(Icarus { iverilog, vvp }),
            _ => Err(CosimError::IcarusNotFound),
        }
    }
}

/// One Icarus co-simulation run of `info`'s top from `sources`.
#[derive(Clone, Debug)]
pub struct IcarusRun {
    pub tool: Icarus,
    pub info: TopInfo,
    pub sources: Vec<PathBuf>,
    /// Where the bench, its data and the result go (created; kept).
    pub work: PathBuf,
    /// Wall-clock limit of the simulation: past it the run is killed and reported as stuck.
    pub limit: Duration,
}

/// Wall-clock limit of an Icarus run unless told otherwise.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(600);

/// Name of the generated bench module.
pub const BENCH_MODULE: &str = "lcttfs_bench";

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64 state of stream `stream` (as `Rng(seed, stream)` in the C++ harness).
fn stream_state(seed: u64, stream: u64) -> u64 {
    seed ^ GOLDEN_GAMMA.wrapping_mul(stream + 1)
}

/// `unit() < prob` ⇔ `next >> 11 < ceil(prob · 2^53)` for the 53-bit integer `next >> 11`
/// (`unit() = (next >> 11) · 2^-53`, exact in `f64`; so is `prob · 2^53`).
fn stall_threshold(prob: f64) -> u64 {
    const TWO53: f64 = 9_007_199_254_740_992.0;
    if prob <= 0.0 {
        0
    } else if prob >= 1.0 {
        1u64 << 53
    } else {
        (prob * TWO53).ceil() as u64
    }
}

fn hex_lines<T: std::fmt::LowerHex, I: IntoIterator<Item = T>>(values: I) -> String {
    let mut s = String::new();
    for v in values {
        let _ = writeln!(s, "{v:x}");
    }
    if s.is_empty() {
        s.push_str("0\n");
    }
    s
}

/// The data images of `stim` for the bench: `(file name, contents)`.
pub fn bench_data(stim: &Stimulus) -> Vec<(&'static str, String)> {
    let (beats, starts) = stim.beats();
    let mut resets = stim.resets.clone();
    resets.sort_unstable();
    resets.dedup();
    vec![
        (
            "beats.hex",
            hex_lines(
                beats
                    .iter()
                    .map(|b| (u128::from(b.last) << 64) | u128::from(b.value)),
            ),
        ),
        ("starts.hex", hex_lines(starts.iter().map(|&s| s as u64))),
        ("resets.hex", hex_lines(resets)),
        (
            "weights.hex",
            hex_lines(stim.weights.iter().map(|&w| u64::from(w))),
        ),
    ]
}

/// The Verilog-2005 bench for `info` and `stim`, reading its data images from `data_dir`.
pub fn bench_source(info: &TopInfo, stim: &Stimulus, data_dir: &Path) -> String {
    let (beats, starts) = stim.beats();
    let mut resets = stim.resets.clone();
    resets.sort_unstable();
    resets.dedup();
    let st = &stim.stalls;
    let ib = info.input_bits * info.input_lanes as u32;
    let cw = info.class_width();
    let n_trace = info.trace.len();
    let data = |f: &str| data_dir.join(f).display().to_string().replace('\\', "/");
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// Generated by the lcttfs testbench crate (testbench::icarus) for top `{}`: a port of\n\
         // cpp/harness_main.cpp. Do not edit.\n`timescale 1ns/1ps\nmodule {BENCH_MODULE};",
        info.module
    );
    let lp = |v: &mut String, name: &str, value: u64| {
        let _ = writeln!(v, "  localparam [63:0] {name} = 64'd{value};");
    };
    lp(&mut v, "N_BEATS", beats.len() as u64);
    lp(&mut v, "N_SAMPLES", stim.samples.len() as u64);
    lp(&mut v, "N_RESETS", resets.len() as u64);
    lp(
        &mut v,
        "N_WEIGHTS",
        if info.load { stim.weights.len() } else { 0 } as u64,
    );
    lp(&mut v, "IN_THR", stall_threshold(st.input_prob));
    lp(&mut v, "IN_MAX_RUN", st.input_max_run);
    lp(&mut v, "OUT_THR", stall_threshold(st.output_prob));
    lp(&mut v, "OUT_MAX_RUN", st.output_max_run);
    lp(&mut v, "WATCHDOG", stim.watchdog);
    lp(&mut v, "MAX_CYCLES", stim.max_cycles);
    lp(&mut v, "RESET_LEN", stim.reset_len.max(1));
    lp(&mut v, "TAIL", stim.tail);
    lp(&mut v, "S_IN0", stream_state(st.seed, 0));
    lp(&mut v, "S_OUT0", stream_state(st.seed, 1));
    lp(&mut v, "S_W0", stream_state(st.seed, 2));
    let _ = writeln!(
        v,
        "  localparam [63:0] GAMMA = 64'h{GOLDEN_GAMMA:x};\n\
         \n  // ---- data (the stimulus, as $readmemh images)\n\
         \x20 reg [64:0] beat_mem [0:{nb}];\n\
         \x20 reg [63:0] start_mem [0:{ns}];\n\
         \x20 reg [63:0] reset_mem [0:{nr}];\n\
         \x20 reg [15:0] weight_mem [0:{nw}];\n\
         \x20 initial begin\n\
         \x20   $readmemh(\"{fb}\", beat_mem);\n\
         \x20   $readmemh(\"{fs}\", start_mem);\n\
         \x20   $readmemh(\"{fr}\", reset_mem);\n\
         \x20   $readmemh(\"{fw}\", weight_mem);\n\
         \x20 end",
        nb = beats.len().max(1) - 1,
        ns = starts.len().max(1) - 1,
        nr = resets.len().max(1) - 1,
        nw = stim.weights.len().max(1) - 1,
        fb = data("beats.hex"),
        fs = data("starts.hex"),
        fr = data("resets.hex"),
        fw = data("weights.hex"),
    );
    // DUT ports.
    let _ = writeln!(
        v,
        "\n  // ---- the top (DESIGN §4)\n\
         \x20 reg clk, rst, s_valid, s_last, m_ready;\n\
         \x20 reg [{}:0] s_data;\n\
         \x20 wire s_ready, m_valid, m_error;\n\
         \x20 wire [{}:0] m_class;",
        ib - 1,
        cw - 1
    );
    let mut conns = vec![
        ".clk(clk)",
        ".rst(rst)",
        ".s_valid(s_valid)",
        ".s_ready(s_ready)",
        ".s_data(s_data)",
        ".s_last(s_last)",
        ".m_valid(m_valid)",
        ".m_ready(m_ready)",
        ".m_class(m_class)",
        ".m_error(m_error)",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    if info.load {
        v.push_str("  reg w_valid, w_last;\n  reg [15:0] w_data;\n  wire w_ready;\n");
        for p in ["w_valid", "w_ready", "w_data", "w_last"] {
            conns.push(format!(".{p}({p})"));
        }
    } else {
        v.push_str("  reg w_valid, w_last;\n  reg [15:0] w_data;\n  wire w_ready = 1'b0;\n");
    }
    for t in &info.trace {
        let l = t.layer;
        let _ = writeln!(
            v,
            "  wire t{l}_valid, t{l}_eow;\n  wire [{}:0] t{l}_m;\n  wire [{}:0] t{l}_index;",
            info.tick_width().max(1) - 1,
            t.index_width() - 1
        );
        for p in ["valid", "eow", "m", "index"] {
            conns.push(format!(".t{l}_{p}(t{l}_{p})"));
        }
        if t.pair {
            let _ = writeln!(
                v,
                "  wire t{l}_valid2;\n  wire [{}:0] t{l}_m2;\n  wire [{}:0] t{l}_index2;",
                info.tick_width().max(1) - 1,
                t.index_width() - 1
            );
            for p in ["valid2", "m2", "index2"] {
                conns.push(format!(".t{l}_{p}(t{l}_{p})"));
            }
        }
    }
    let _ = writeln!(
        v,
        "  {} dut (\n    {}\n  );",
        info.module,
        conns.join(",\n    ")
    );
    // splitmix64 and the harness state.
    let _ = writeln!(
        v,
        "\n  // ---- splitmix64 streams (Rng in cpp/harness_main.cpp)\n\
         \x20 reg [63:0] s_in, s_out, s_w;\n\
         \x20 function [63:0] mix(input [63:0] s);\n\
         \x20   reg [63:0] z;\n\
         \x20   begin\n\
         \x20     z = s;\n\
         \x20     z = (z ^ (z >> 30)) * 64'hBF58476D1CE4E5B9;\n\
         \x20     z = (z ^ (z >> 27)) * 64'h94D049BB133111EB;\n\
         \x20     mix = z ^ (z >> 31);\n\
         \x20   end\n\
         \x20 endfunction\n\
         \x20 reg [63:0] r;\n\
         \x20 // One stream's decision when it is free to offer: a gap starts with probability\n\
         \x20 // thr / 2^53 (unit() < prob) and lasts 1..=max_run cycles (gap = cycles left\n\
         \x20 // after this one), else it offers (go). Draws as Rng::unit and Rng::run do.\n\
         \x20 task draw(inout [63:0] s, input [63:0] thr, input [63:0] max_run,\n\
         \x20           output [63:0] gap, output stall, output go);\n\
         \x20   begin\n\
         \x20     stall = 0; go = 1; gap = 0;\n\
         \x20     if (thr > 0) begin\n\
         \x20       s = s + GAMMA; r = mix(s);\n\
         \x20       if ((r >> 11) < thr) begin\n\
         \x20         stall = 1; go = 0;\n\
         \x20         if (max_run > 1) begin\n\
         \x20           s = s + GAMMA; r = mix(s); gap = r % max_run;\n\
         \x20         end\n\
         \x20       end\n\
         \x20     end\n\
         \x20   end\n\
         \x20 endtask\n\
         \n  // ---- harness state\n\
         \x20 integer fd;\n\
         \x20 reg [63:0] cycle, beat, sample, wpos, w_gap, in_gap, out_gap, rst_left, next_reset;\n\
         \x20 reg [63:0] outputs_total, epoch_outputs, frames_to_end, idle, done_at, b, resume;\n\
         \x20 reg [63:0] epoch_eow [0:{}];\n\
         \x20 reg holding, w_holding, in_reset, sv, mr, wv, stall_in, stall_out, stall_w, progress;\n\
         \x20 reg traces_done, running;\n\
         \x20 integer status; // 0 timeout, 1 done, 2 hang\n\
         \x20 integer l;\n\
         \x20 reg [64:0] bv;",
        n_trace.max(1) - 1
    );
    v.push_str(
        &BENCH_BODY_HEAD
            .replace("@N_TRACE_MAX@", &(n_trace.max(1) - 1).to_string())
            .replace("@RESULT@", &data("result.txt"))
            .replace("@SBITS@", &(ib - 1).to_string()),
    );
    // Trace sampling (generated per traced layer).
    for (slot, t) in info.trace.iter().enumerate() {
        let l = t.layer;
        let _ = writeln!(
            v,
            "        if (!in_reset && t{l}_valid) begin\n\
             \x20         progress = 1;\n\
             \x20         if (t{l}_eow) epoch_eow[{slot}] = epoch_eow[{slot}] + 1;\n\
             \x20         $fwrite(fd, \"t %0d {l} %0d %0d %0d\\n\", cycle, t{l}_eow, t{l}_m, t{l}_index);\n\
             \x20       end"
        );
        if t.pair {
            let _ = writeln!(
                v,
                "        if (!in_reset && t{l}_valid2) begin\n\
                 \x20         $fwrite(fd, \"t %0d {l} 0 %0d %0d\\n\", cycle, t{l}_m2, t{l}_index2);\n\
                 \x20       end"
            );
        }
    }
    let _ = writeln!(
        v,
        "{}",
        BENCH_BODY_TAIL.replace("@N_TRACE@", &n_trace.to_string())
    );
    v
}

/// The cycle loop up to the trace sampling (see `cpp/harness_main.cpp` for each rule).
const BENCH_BODY_HEAD: &str = r#"
  initial begin
    fd = $fopen("@RESULT@", "w");
    if (fd == 0) begin
      $display("bench: cannot write the result file");
      $finish;
    end
    $fwrite(fd, "lcttfs-result 1\n");
    s_in = S_IN0; s_out = S_OUT0; s_w = S_W0;
    wpos = 0; w_gap = 0; w_holding = 0;
    beat = 0; sample = 0; holding = 0;
    in_gap = 0; out_gap = 0;
    rst_left = RESET_LEN;
    next_reset = 0;
    outputs_total = 0; epoch_outputs = 0;
    for (l = 0; l <= @N_TRACE_MAX@; l = l + 1) epoch_eow[l] = 0;
    frames_to_end = 0;
    for (b = 0; b < N_BEATS; b = b + 1) frames_to_end = frames_to_end + beat_mem[b][64];
    idle = 0; done_at = ~64'd0; status = 0;
    clk = 0; rst = 1; s_valid = 0; s_last = 0; m_ready = 0; s_data = 0;
    w_valid = 0; w_data = 0; w_last = 0;
    #5;
    cycle = 0;
    running = 1;
    while (running && cycle < MAX_CYCLES) begin
      // ---- reset schedule
      while (next_reset < N_RESETS && reset_mem[next_reset] < cycle) next_reset = next_reset + 1;
      if (next_reset < N_RESETS && reset_mem[next_reset] == cycle && cycle >= 1) begin
        next_reset = next_reset + 1;
        resume = beat;
        if (beat > start_mem[sample]) begin
          sample = sample + 1;
          resume = start_mem[sample];
        end
        $fwrite(fd, "r %0d %0d %0d %0d\n", cycle, beat, resume, m_valid);
        beat = resume;
        holding = 0;
        wpos = 0; w_gap = 0; w_holding = 0;
        in_gap = 0; out_gap = 0;
        rst_left = RESET_LEN;
        epoch_outputs = 0;
        for (l = 0; l <= @N_TRACE_MAX@; l = l + 1) epoch_eow[l] = 0;
        frames_to_end = 0;
        for (b = beat; b < N_BEATS; b = b + 1) frames_to_end = frames_to_end + beat_mem[b][64];
        done_at = ~64'd0;
      end
      in_reset = rst_left > 0;
      if (in_reset) rst_left = rst_left - 1;

      // ---- drive inputs (decided before the clock edge, never from the DUT's ready/valid)
      sv = 0; stall_in = 0; stall_out = 0;
      if (!in_reset && beat < N_BEATS) begin
        if (holding) sv = 1;
        else if (in_gap > 0) begin
          in_gap = in_gap - 1; stall_in = 1;
        end else draw(s_in, IN_THR, IN_MAX_RUN, in_gap, stall_in, sv);
      end
      mr = 0;
      if (!in_reset) begin
        if (out_gap > 0) begin
          out_gap = out_gap - 1; stall_out = 1;
        end else draw(s_out, OUT_THR, OUT_MAX_RUN, out_gap, stall_out, mr);
      end
      wv = 0; stall_w = 0;
      if (N_WEIGHTS > 0 && !in_reset && wpos < N_WEIGHTS) begin
        if (w_holding) wv = 1;
        else if (w_gap > 0) begin
          w_gap = w_gap - 1; stall_w = 1;
        end else draw(s_w, IN_THR, IN_MAX_RUN, w_gap, stall_w, wv);
      end
      w_valid = wv;
      w_data = wv ? weight_mem[wpos] : 16'd0;
      w_last = wv && (wpos + 1 == N_WEIGHTS);
      rst = in_reset;
      s_valid = sv;
      bv = sv ? beat_mem[beat] : 65'd0;
      s_data = bv[@SBITS@:0];
      s_last = sv && bv[64];
      m_ready = mr;
      clk = 0;
      #5;

      // ---- sample outputs and handshakes of this cycle
      progress = 0;
      if (wv && w_ready) begin
        progress = 1; wpos = wpos + 1; w_holding = 0;
      end else if (wv) w_holding = 1;
      if (sv && s_ready) begin
        progress = 1; holding = 0; beat = beat + 1;
        while (sample < N_SAMPLES && beat >= start_mem[sample + 1]) sample = sample + 1;
      end else if (sv) holding = 1;
      if (!in_reset && mr && m_valid) begin
        progress = 1;
        $fwrite(fd, "o %0d %0d %0d\n", cycle, m_class, m_error);
        outputs_total = outputs_total + 1;
        epoch_outputs = epoch_outputs + 1;
      end
"#;

/// The rest of the cycle loop: the clock edge, completion and watchdog, the end record.
const BENCH_BODY_TAIL: &str = r#"
      clk = 1;
      #5;

      // ---- completion and watchdog
      if (done_at == ~64'd0 && beat >= N_BEATS && epoch_outputs >= frames_to_end) begin
        traces_done = 1;
        for (l = 0; l < @N_TRACE@; l = l + 1)
          if (epoch_eow[l] < frames_to_end) traces_done = 0;
        if (traces_done) done_at = cycle;
      end
      if (done_at != ~64'd0 && cycle >= done_at + TAIL) begin
        status = 1; running = 0;
      end else if (progress) idle = 0;
      else if (!(in_reset || (stall_in && beat < N_BEATS) || stall_out || stall_w)) begin
        idle = idle + 1;
        if (WATCHDOG > 0 && idle >= WATCHDOG) begin
          status = 2; running = 0;
        end
      end
      cycle = cycle + 1;
    end
    if (status == 1) $fwrite(fd, "end done");
    else if (status == 2) $fwrite(fd, "end hang");
    else $fwrite(fd, "end timeout");
    $fwrite(fd, " %0d %0d %0d %0d\n", cycle, beat, outputs_total, idle);
    $fclose(fd);
    $finish;
  end
endmodule"#;

impl IcarusRun {
    /// Compiles the bench with the top and runs `stim` (validated against the top first).
    pub fn run(&self, stim: &Stimulus) -> Result<RawRun, CosimError> {
        stim.validate(&self.info)?;
        if self.sources.is_empty() {
            return Err(CosimError::Stimulus("no Verilog source given".into()));
        }
        std::fs::create_dir_all(&self.work)
            .map_err(|e| CosimError::io("cannot create run directory", &self.work, e))?;
        let work = std::fs::canonicalize(&self.work)
            .map_err(|e| CosimError::io("cannot resolve run directory", &self.work, e))?;
        for (name, text) in bench_data(stim) {
            let p = work.join(name);
            std::fs::write(&p, text).map_err(|e| CosimError::io("cannot write", &p, e))?;
        }
        let bench = work.join("bench.v");
        let text = bench_source(&self.info, stim, &work);
        std::fs::write(&bench, text).map_err(|e| CosimError::io("cannot write", &bench, e))?;
        let result = work.join("result.txt");
        let vvp_file = work.join("bench.vvp");
        let sources: Vec<PathBuf> = self
            .sources
            .iter()
            .map(|s| std::fs::canonicalize(s).map_err(|e| CosimError::io("cannot read", s, e)))
            .collect::<Result<_, _>>()?;
        // The generator's `$readmemh` images sit next to the first source: run there.
        let run_dir = sources[0]
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| work.clone());
        let mut compile = Command::new(&self.tool.iverilog);
        compile
            .arg("-g2005")
            .arg("-Wall")
            .arg("-Wno-timescale")
            .arg("-s")
            .arg(BENCH_MODULE)
            .arg("-o")
            .arg(&vvp_file)
            .arg(&bench)
            .args(&sources);
        let out = compile
            .stdin(Stdio::null())
            .output()
            .map_err(|e| CosimError::io("cannot run", &self.tool.iverilog, e))?;
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Err(CosimError::Build {
                log: vvp_file.display().to_string(),
                tail: tail_lines(&log, 20),
            });
        }
        let t0 = Instant::now();
        let mut child = Command::new(&self.tool.vvp)
            .arg("-n")
            .arg(&vvp_file)
            .current_dir(&run_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| CosimError::io("cannot run", &self.tool.vvp, e))?;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if t0.elapsed() < self.limit => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(CosimError::Stuck {
                        simulator: "Icarus Verilog (vvp)".into(),
                        seconds: self.limit.as_secs_f64(),
                        result: result.display().to_string(),
                    });
                }
                Err(e) => return Err(CosimError::io("cannot wait for", &self.tool.vvp, e)),
            }
        };
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        if !status.success() {
            return Err(CosimError::Run {
                exe: self.tool.vvp.display().to_string(),
                status: status.to_string(),
                stderr: stderr.trim().to_string(),
            });
        }
        let mut run = RawRun::read(&result)?;
        run.sim_seconds = t0.elapsed().as_secs_f64();
        Ok(run)
    }
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_threshold_matches_the_unit_compare() {
        // unit() = x · 2^-53 < prob  ⇔  x < ceil(prob · 2^53), for every 53-bit x.
        for prob in [0.0, 0.3, 0.5, 1e-9, 0.999_999, 1.0, 2.0] {
            let thr = stall_threshold(prob);
            for x in [0u64, 1, thr.saturating_sub(1), thr, thr + 1, (1 << 53) - 1] {
                let x = x.min((1 << 53) - 1);
                let unit = x as f64 * (1.0 / 9_007_199_254_740_992.0);
                assert_eq!(unit < prob, x < thr, "prob {prob}, x {x}");
            }
        }
    }

    #[test]
    fn stream_states_follow_the_cpp_rng() {
        // Rng(seed, stream): s = seed ^ (0x9E3779B97F4A7C15 · (stream + 1)), wrapping.
        assert_eq!(stream_state(0, 0), 0x9E37_79B9_7F4A_7C15);
        assert_eq!(
            stream_state(7, 1),
            7 ^ 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(2)
        );
    }
}

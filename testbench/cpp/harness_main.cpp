// ---------------------------------------------------------------------------------------------
// Generic part of the LC-TTFS co-simulation harness (testbench crate, cpp/harness_main.cpp).
// The generated prelude above defines: Top, N_TRACE, INPUT_MASK, sample_trace(), set_data(),
// HAS_LOAD, set_w(), w_ready(), and LCTTFS_VCD when the model was built with --trace.
//
// usage: harness STIMULUS RESULT [VCD]
//
// Stimulus (whitespace separated, written by testbench::stimulus):
//   lcttfs-stim 1
//   seed S
//   stall IN_PROB IN_MAX_RUN OUT_PROB OUT_MAX_RUN
//   watchdog N        max_cycles N        reset_len N        tail N
//   resets COUNT c1 c2 ...
//   vcd FROM_SAMPLE TO_SAMPLE          (TO < FROM: no dump)
//   weights COUNT w0 w1 ...            load image, streamed through w_* after every reset
//   samples COUNT
//   then per sample: NBEATS HAS_LAST v0 v1 ... (s_last on the last beat iff HAS_LAST)
// Result (one record per line, in cycle order):
//   lcttfs-result 1
//   o CYCLE CLASS ERROR                 output beat (m_valid && m_ready)
//   t CYCLE LAYER EOW M INDEX           trace beat (t{l}_valid, rst low)
//   r CYCLE ACCEPTED_BEATS RESUME_BEAT M_VALID   reset applied (rst high from CYCLE for reset_len
//                                      cycles); M_VALID: an output beat was pending
//   end STATUS CYCLES ACCEPTED_BEATS OUTPUTS IDLE   STATUS: done | hang | timeout
// ---------------------------------------------------------------------------------------------
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Reader {
    std::vector<char> buf;
    size_t pos = 0;
    bool ok = true;
    std::string what;

    bool open(const char* path) {
        FILE* f = std::fopen(path, "rb");
        if (!f) return false;
        char chunk[1 << 16];
        size_t n;
        while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) buf.insert(buf.end(), chunk, chunk + n);
        std::fclose(f);
        buf.push_back('\0');
        return true;
    }
    void skip_ws() {
        while (pos < buf.size() && (buf[pos] == ' ' || buf[pos] == '\n' || buf[pos] == '\r' || buf[pos] == '\t')) pos++;
    }
    std::string word() {
        skip_ws();
        size_t start = pos;
        while (pos < buf.size() && buf[pos] != '\0' && buf[pos] != ' ' && buf[pos] != '\n' && buf[pos] != '\r' && buf[pos] != '\t') pos++;
        return std::string(buf.data() + start, pos - start);
    }
    void expect(const char* w) {
        std::string got = word();
        if (got != w && ok) {
            ok = false;
            what = std::string("expected '") + w + "', found '" + got + "'";
        }
    }
    uint64_t u64() {
        skip_ws();
        if (pos >= buf.size() || buf[pos] < '0' || buf[pos] > '9') {
            if (ok) {
                ok = false;
                what = "expected an unsigned integer at byte " + std::to_string(pos);
            }
            return 0;
        }
        uint64_t v = 0;
        while (pos < buf.size() && buf[pos] >= '0' && buf[pos] <= '9') v = v * 10 + (uint64_t)(buf[pos++] - '0');
        return v;
    }
    double f64() {
        skip_ws();
        char* end = nullptr;
        double v = std::strtod(buf.data() + pos, &end);
        if (end == buf.data() + pos) {
            if (ok) {
                ok = false;
                what = "expected a number at byte " + std::to_string(pos);
            }
            return 0.0;
        }
        pos = (size_t)(end - buf.data());
        return v;
    }
};

struct Rng {  // splitmix64: deterministic per seed, independent streams per stream id
    uint64_t s;
    Rng(uint64_t seed, uint64_t stream) : s(seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1))) {}
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double unit() { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }
    uint64_t run(uint64_t max_run) { return max_run <= 1 ? 1 : 1 + next() % max_run; }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s STIMULUS RESULT [VCD]\n", argv[0]);
        return 2;
    }
    Reader rd;
    if (!rd.open(argv[1])) {
        std::fprintf(stderr, "harness: cannot read stimulus %s\n", argv[1]);
        return 2;
    }
    rd.expect("lcttfs-stim");
    uint64_t version = rd.u64();
    rd.expect("seed");
    uint64_t seed = rd.u64();
    rd.expect("stall");
    double in_prob = rd.f64();
    uint64_t in_max_run = rd.u64();
    double out_prob = rd.f64();
    uint64_t out_max_run = rd.u64();
    rd.expect("watchdog");
    uint64_t watchdog = rd.u64();
    rd.expect("max_cycles");
    uint64_t max_cycles = rd.u64();
    rd.expect("reset_len");
    uint64_t reset_len = rd.u64();
    rd.expect("tail");
    uint64_t tail = rd.u64();
    rd.expect("resets");
    uint64_t n_resets = rd.u64();
    std::vector<uint64_t> resets;
    for (uint64_t i = 0; i < n_resets && rd.ok; i++) resets.push_back(rd.u64());
    rd.expect("vcd");
    uint64_t vcd_from = rd.u64();
    uint64_t vcd_to = rd.u64();
    rd.expect("weights");
    uint64_t n_weights = rd.u64();
    std::vector<uint32_t> weights;
    for (uint64_t i = 0; i < n_weights && rd.ok; i++) weights.push_back((uint32_t)(rd.u64() & 0xffff));
    if (rd.ok && (n_weights > 0) != HAS_LOAD) {
        std::fprintf(stderr, "harness: the stimulus has %llu weight words but the top %s a load port\n",
                     (unsigned long long)n_weights, HAS_LOAD ? "has" : "has no");
        return 2;
    }
    rd.expect("samples");
    uint64_t n_samples = rd.u64();
    // Flat beat stream: value, s_last; sample_start[k] = first beat of sample k.
    std::vector<uint64_t> beat_value;
    std::vector<uint8_t> beat_last;
    std::vector<uint64_t> sample_start;
    for (uint64_t k = 0; k < n_samples && rd.ok; k++) {
        uint64_t nb = rd.u64();
        uint64_t has_last = rd.u64();
        sample_start.push_back(beat_value.size());
        for (uint64_t i = 0; i < nb && rd.ok; i++) {
            beat_value.push_back(rd.u64() & INPUT_MASK);
            beat_last.push_back((has_last != 0 && i + 1 == nb) ? 1 : 0);
        }
    }
    sample_start.push_back(beat_value.size());
    if (!rd.ok || version != 1) {
        std::fprintf(stderr, "harness: bad stimulus file %s: %s\n", argv[1],
                     rd.ok ? "unsupported version" : rd.what.c_str());
        return 2;
    }
    const uint64_t n_beats = beat_value.size();

    FILE* out = std::fopen(argv[2], "wb");
    if (!out) {
        std::fprintf(stderr, "harness: cannot write result %s\n", argv[2]);
        return 2;
    }
    static char outbuf[1 << 20];
    std::setvbuf(out, outbuf, _IOFBF, sizeof outbuf);
    std::fprintf(out, "lcttfs-result 1\n");

    const std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    ctx->commandArgs(1, argv);
#ifdef LCTTFS_VCD
    ctx->traceEverOn(true);
#endif
    const std::unique_ptr<Top> top{new Top{ctx.get()}};
#ifdef LCTTFS_VCD
    std::unique_ptr<VerilatedVcdC> vcd;
    const bool want_vcd = argc >= 4 && vcd_to >= vcd_from;
    bool vcd_on = false, vcd_done = false;
    uint64_t vcd_stop_at = UINT64_MAX;
#else
    if (argc >= 4) std::fprintf(stderr, "harness: built without --trace, no VCD written\n");
#endif

    Rng rng_in(seed, 0), rng_out(seed, 1), rng_w(seed, 2);
    uint64_t wpos = 0, w_gap = 0;  // next load word; stall cycles left on w_valid
    bool w_holding = false;        // w_valid asserted, waiting for w_ready (keep it)
    uint64_t beat = 0;            // next beat to present
    uint64_t sample = 0;          // sample of `beat`
    bool holding = false;         // s_valid asserted, waiting for s_ready (AXI: keep it)
    uint64_t in_gap = 0, out_gap = 0;
    uint64_t rst_left = reset_len > 0 ? reset_len : 1;  // initial reset
    size_t next_reset = 0;
    uint64_t outputs_total = 0;
    // Final-epoch bookkeeping: outputs and eow beats since the last reset, and how many frames
    // (closed by s_last) the beats since the last reset form.
    uint64_t epoch_outputs = 0;
    uint64_t epoch_eow[N_TRACE > 0 ? N_TRACE : 1] = {0};
    uint64_t frames_to_end = 0;
    for (uint64_t b = 0; b < n_beats; b++) frames_to_end += beat_last[b];
    uint64_t idle = 0, cycle = 0, done_at = UINT64_MAX;
    const char* status = "timeout";

    top->clk = 0;
    top->rst = 1;
    top->s_valid = 0;
    top->s_last = 0;
    top->m_ready = 0;
    set_data(top.get(), 0);
    top->eval();

    for (cycle = 0; cycle < max_cycles; cycle++) {
        // ---- reset schedule
        while (next_reset < resets.size() && resets[next_reset] < cycle) next_reset++;
        if (next_reset < resets.size() && resets[next_reset] == cycle && cycle >= 1) {
            next_reset++;
            // Drop the partly sent sample: resume at the next sample start.
            uint64_t resume = beat;
            if (beat > sample_start[sample]) {
                sample++;
                resume = sample_start[sample];
            }
            // m_valid as the reset hits (registers of the previous edge): a result was waiting.
            std::fprintf(out, "r %llu %llu %llu %u\n", (unsigned long long)cycle, (unsigned long long)beat,
                         (unsigned long long)resume, (unsigned)top->m_valid);
            beat = resume;
            holding = false;
            wpos = 0;  // the weights are loaded again after every reset
            w_gap = 0;
            w_holding = false;
            in_gap = out_gap = 0;
            rst_left = reset_len > 0 ? reset_len : 1;
            epoch_outputs = 0;
            for (int l = 0; l < N_TRACE; l++) epoch_eow[l] = 0;
            frames_to_end = 0;
            for (uint64_t b = beat; b < n_beats; b++) frames_to_end += beat_last[b];
            done_at = UINT64_MAX;
        }
        const bool in_reset = rst_left > 0;
        if (in_reset) rst_left--;

        // ---- drive inputs (decided before the clock edge, never from the DUT's ready/valid)
        bool s_valid = false, stall_in = false, stall_out = false;
        if (!in_reset && beat < n_beats) {
            if (holding) {
                s_valid = true;
            } else if (in_gap > 0) {
                in_gap--;
                stall_in = true;
            } else if (in_prob > 0.0 && rng_in.unit() < in_prob) {
                in_gap = rng_in.run(in_max_run) - 1;
                stall_in = true;
            } else {
                s_valid = true;
            }
        }
        bool m_ready = false;
        if (!in_reset) {
            if (out_gap > 0) {
                out_gap--;
                stall_out = true;
            } else if (out_prob > 0.0 && rng_out.unit() < out_prob) {
                out_gap = rng_out.run(out_max_run) - 1;
                stall_out = true;
            } else {
                m_ready = true;
            }
        }
        // Weight load stream: the same stall statistics as the input stream.
        bool w_valid = false, stall_w = false;
        if (HAS_LOAD && !in_reset && wpos < weights.size()) {
            if (w_holding) {
                w_valid = true;
            } else if (w_gap > 0) {
                w_gap--;
                stall_w = true;
            } else if (in_prob > 0.0 && rng_w.unit() < in_prob) {
                w_gap = rng_w.run(in_max_run) - 1;
                stall_w = true;
            } else {
                w_valid = true;
            }
        }
        set_w(top.get(), w_valid, w_valid ? weights[wpos] : 0, w_valid && wpos + 1 == weights.size());
        top->rst = in_reset ? 1 : 0;
        top->s_valid = s_valid ? 1 : 0;
        set_data(top.get(), s_valid ? beat_value[beat] : 0);
        top->s_last = (s_valid && beat_last[beat]) ? 1 : 0;
        top->m_ready = m_ready ? 1 : 0;
        top->clk = 0;
        top->eval();

#ifdef LCTTFS_VCD
        if (want_vcd && !vcd_on && !vcd_done && s_valid && sample >= vcd_from) {
            vcd.reset(new VerilatedVcdC);
            top->trace(vcd.get(), 99);
            vcd->open(argv[3]);
            vcd_on = true;
        }
        if (vcd_on) vcd->dump((uint64_t)2 * cycle);
#endif

        // ---- sample outputs and handshakes of this cycle
        bool progress = false;
        if (w_valid && w_ready(top.get())) {
            progress = true;
            wpos++;
            w_holding = false;
        } else if (w_valid) {
            w_holding = true;
        }
        if (s_valid && top->s_ready) {
            progress = true;
            holding = false;
            beat++;
            while (sample < n_samples && beat >= sample_start[sample + 1]) sample++;
        } else if (s_valid) {
            holding = true;
        }
        if (!in_reset && m_ready && top->m_valid) {
            progress = true;
            std::fprintf(out, "o %llu %llu %u\n", (unsigned long long)cycle, (unsigned long long)top->m_class,
                         (unsigned)top->m_error);
            outputs_total++;
            epoch_outputs++;
#ifdef LCTTFS_VCD
            if (vcd_on && outputs_total > vcd_to) vcd_stop_at = cycle + 4;
#endif
        }
        if (!in_reset) {
            if (sample_trace(top.get(), out, cycle, epoch_eow)) progress = true;
        }

        top->clk = 1;
        top->eval();
#ifdef LCTTFS_VCD
        if (vcd_on) {
            vcd->dump((uint64_t)2 * cycle + 1);
            if (cycle >= vcd_stop_at) {
                vcd->close();
                vcd_on = false;
                vcd_done = true;
            }
        }
#endif

        // ---- completion and watchdog
        if (done_at == UINT64_MAX && beat >= n_beats && epoch_outputs >= frames_to_end) {
            bool traces_done = true;
            for (int l = 0; l < N_TRACE; l++)
                if (epoch_eow[l] < frames_to_end) traces_done = false;
            if (traces_done) done_at = cycle;
        }
        if (done_at != UINT64_MAX && cycle >= done_at + tail) {
            status = "done";
            cycle++;
            break;
        }
        const bool harness_stalls = in_reset || (stall_in && beat < n_beats) || stall_out || stall_w;
        if (progress) {
            idle = 0;
        } else if (!harness_stalls) {
            idle++;
            if (watchdog > 0 && idle >= watchdog) {
                status = "hang";
                cycle++;
                break;
            }
        }
    }
#ifdef LCTTFS_VCD
    if (vcd_on) vcd->close();
#endif
    top->final();
    std::fprintf(out, "end %s %llu %llu %llu %llu\n", status, (unsigned long long)cycle, (unsigned long long)beat,
                 (unsigned long long)outputs_total, (unsigned long long)idle);
    if (std::fclose(out) != 0) {
        std::fprintf(stderr, "harness: cannot write result %s\n", argv[2]);
        return 2;
    }
    return 0;
}

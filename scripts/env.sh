# Source this file (bash/zsh) to use the project-local tools and data by hand:
#   source scripts/env.sh
# It only sets variables: the pinned tools (.tools/bin), this checkout's `ttfs` and `gen-verilog`
# (scripts/bin: `cargo run --release` wrappers, built on first use) and LCTTFS_DATA. Run
# scripts/tools.sh and scripts/fetch-mnist.sh first to install the tools and data.
# shellcheck shell=bash
if [ -n "${BASH_SOURCE[0]:-}" ]; then _lcttfs_here="${BASH_SOURCE[0]}"; else _lcttfs_here="$0"; fi
_lcttfs_root="$(cd "$(dirname "$_lcttfs_here")/.." && pwd)"
case ":$PATH:" in
    *":$_lcttfs_root/.tools/bin:"*) ;;
    *) export PATH="$_lcttfs_root/.tools/bin:$PATH" ;;
esac
case ":$PATH:" in
    *":$_lcttfs_root/scripts/bin:"*) ;;
    *) export PATH="$_lcttfs_root/scripts/bin:$PATH" ;;
esac
export LCTTFS_DATA="${LCTTFS_DATA:-$_lcttfs_root/data}"
unset _lcttfs_here _lcttfs_root

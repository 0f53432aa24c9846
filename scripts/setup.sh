#!/usr/bin/env bash
# Installs what gendiv needs from Debian 12's apt, only what is missing, non-interactively.
# Usage: scripts/setup.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake g++ clang-14 pkg-config
  xtensor-dev libxtensor-blas-dev libxsimd-dev libopenblas-dev   # numerics core
  libthrust-dev libcub-dev                                        # Thrust host backends
  libboost-test-dev libbenchmark-dev                              # tests and benchmarks
  zlib1g-dev nlohmann-json3-dev                                   # data loaders
  libcli11-dev libpng-dev libfmt-dev gnuplot-nox                  # examples
  dataset-fashion-mnist                                           # data (examples, tests)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

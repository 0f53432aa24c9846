#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing (apt, npm), fetches
# the data, builds the examples and trains the seed's VAE on binarized Fashion-MNIST for 20
# epochs, printing the epoch table and the importance-sampled test log p(x) (K = 200).
# Extra arguments go to the VAE (e.g. --data mnist, --objective iwae --k 5; see --help).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${GENDIV_JOBS:-$(nproc)}

"$root/scripts/setup.sh"
bash "$root/scripts/fetch_data.sh"
mkdir -p "$root/build"
cmake -S "$root" -B "$root/build/main" -DCMAKE_BUILD_TYPE=Release -DGENDIV_BUILD_TESTS=OFF \
      -DGENDIV_BUILD_BENCHMARKS=OFF > "$root/build/main.configure.log" 2>&1 ||
  { cat "$root/build/main.configure.log"; exit 1; }
cmake --build "$root/build/main" -j "$jobs" --target vae
exec "$root/build/main/examples/vae" --data-root "$root/data" --out "$root/out/vae" "$@"

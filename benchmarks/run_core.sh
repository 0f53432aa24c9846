#!/usr/bin/env bash
# Runs the core benchmarks and the PyTorch comparison in one sitting and prints the tables of
# docs/benchmarks.md. Usage: benchmarks/run_core.sh <build dir> <output dir>
set -euo pipefail
build=$1; out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$out"
uptime | tee "$out/uptime.txt"
for b in bench_log_sum_exp bench_likelihood bench_kl; do
  # Eight repetitions in random order: every benchmark and floor of a binary is sampled across
  # the same minutes, so that the host's drift (±30 % over minutes on this shared machine)
  # moves kernels and floors together instead of biasing their ratios; tables use the medians.
  OMP_NUM_THREADS=2 "$build/benchmarks/$b" --benchmark_min_time=0.2 --benchmark_repetitions=8 \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
    --benchmark_format=json > "$out/$b.json"
done
/usr/bin/python3 "$here/pytorch_core.py" --threads 2 > "$out/pytorch_core.txt"
uptime | tee -a "$out/uptime.txt"
/usr/bin/python3 "$here/core_table.py" "$out"

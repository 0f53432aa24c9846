#!/usr/bin/python3
"""Builds the core tables of docs/benchmarks.md from one sitting's measurements:
  bench_log_sum_exp, bench_likelihood, bench_kl run with --benchmark_format=json, and
  benchmarks/pytorch_core.py's text output.
Usage: core_table.py DIR   (DIR holds bench_log_sum_exp.json, bench_likelihood.json,
       bench_kl.json, pytorch_core.txt; see benchmarks/run_core.sh)
"""
import json
import sys
from pathlib import Path


def load_bench(path):
    out = {}
    for b in json.loads(Path(path).read_text())["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b.get("run_name", b["name"]).replace("/real_time", "")
        out[name] = b["real_time"] * {"us": 1, "ms": 1e3, "ns": 1e-3, "s": 1e6}[b["time_unit"]]
    return out


def load_torch(path):
    out = {}
    for line in Path(path).read_text().splitlines()[1:]:
        op, dtype, shape, us = line.split()
        out[(op, dtype, shape)] = float(us)
    return out


def main():
    d = Path(sys.argv[1])
    g = {}
    for f in ("bench_log_sum_exp", "bench_likelihood", "bench_kl"):
        g.update(load_bench(d / f"{f}.json"))
    t = load_torch(d / "pytorch_core.txt")

    print("### Seed shapes: gendiv against PyTorch CPU (2 threads), median µs\n")
    print("| operation | type | shape | naive | gendiv | Thrust OMP | PyTorch | PyTorch / gendiv |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    rows = [
        ("log_mean_exp", "BM_naive<{T}>/64/200", "BM_gendiv<{T}>/64/200", "BM_device_omp<{T}>/64/200",
         [("log_mean_exp", "(64,200)")]),
        ("Bernoulli (logits)", "BM_bernoulli_naive<{T}>/64/784", "BM_bernoulli_gendiv<{T}>/64/784",
         "BM_bernoulli_device_omp<{T}>/64/784",
         [("bernoulli_logits(bce_with_logits)", "(64,784)"), ("bernoulli_logits(distributions)", "(64,784)")]),
        ("Normal", "BM_normal_naive<{T}>/64/100", "BM_normal_gendiv<{T}>/64/100", "BM_normal_device_omp<{T}>/64/100",
         [("normal(distributions)", "(64,100)")]),
        ("Normal", "BM_normal_naive<{T}>/12800/100", "BM_normal_gendiv<{T}>/12800/100",
         "BM_normal_device_omp<{T}>/12800/100", [("normal(distributions)", "(12800,100)")]),
        ("KL analytic", "BM_kl_naive<{T}>/64/100", "BM_kl_gendiv<{T}>/64/100", "BM_kl_device_omp<{T}>/64/100",
         [("kl(distributions)", "(64,100)")]),
        ("KL analytic", "BM_kl_naive<{T}>/12800/100", "BM_kl_gendiv<{T}>/12800/100", "BM_kl_device_omp<{T}>/12800/100",
         [("kl(distributions)", "(12800,100)")]),
    ]
    for T in ("float", "double"):
        for label, naive, ours, dev, torch_keys in rows:
            shape = torch_keys[0][1]
            gv = g[ours.format(T=T)]
            tv = min(t[(op, T, sh)] for op, sh in torch_keys)
            print(f"| {label} | {T} | {shape} | {g[naive.format(T=T)]:.1f} | {gv:.1f} | {g[dev.format(T=T)]:.1f} | "
                  f"{tv:.1f} | **{tv / gv:.1f}×** |")

    print("\nlog_mean_exp at (64,200), its exponentials alone (Σ e^(x−m) over the rows, maxima taken "
          "beforehand, one thread as the kernel at this size): " + "; ".join(
              f"{T} {g[f'BM_floor_exp_rows<{T}>/64/200']:.2f} µs (gendiv / that "
              f"{g[f'BM_gendiv<{T}>/64/200'] / g[f'BM_floor_exp_rows<{T}>/64/200']:.2f}×, PyTorch / that "
              f"{t[('log_mean_exp', T, '(64,200)')] / g[f'BM_floor_exp_rows<{T}>/64/200']:.1f}×)"
              for T in ("float", "double")) + ".")

    print("\n### 10⁷ elements: gendiv against the floors measured in the same binary (2 threads), median ms\n")
    print("| operation | type | naive | gendiv | Thrust OMP | memory floor | transcendental floor | "
          "gendiv / tighter floor | PyTorch |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    # (label, binary, naive, gendiv, device, memory floor, transcendental floor, PyTorch key):
    # each floor is looked up in the binary that measured it beside the kernel.
    big = [
        ("log_mean_exp (1000×10000)", "bench_log_sum_exp", "BM_naive<{T}>/1000/10000", "BM_gendiv<{T}>/1000/10000",
         "BM_device_omp<{T}>/1000/10000", "BM_floor_memory<{T}>", "BM_floor_exp<{T}>", ("log_mean_exp", "(1000,10000)")),
        ("Bernoulli logits (12756×784)", "bench_likelihood", "BM_bernoulli_naive<{T}>/12756/784",
         "BM_bernoulli_gendiv<{T}>/12756/784", "BM_bernoulli_device_omp<{T}>/12756/784",
         "BM_floor_memory_bernoulli<{T}>", "BM_floor_bernoulli_transcendentals<{T}>", ("bernoulli_logits(bce_with_logits)", "(12756,784)")),
        ("Normal (100000×100)", "bench_likelihood", "BM_normal_naive<{T}>/100000/100", "BM_normal_gendiv<{T}>/100000/100",
         "BM_normal_device_omp<{T}>/100000/100", "BM_floor_memory_normal<{T}>", "BM_floor_exp<{T}>",
         ("normal(distributions)", "(100000,100)")),
        ("KL analytic (100000×100)", "bench_kl", "BM_kl_naive<{T}>/100000/100", "BM_kl_gendiv<{T}>/100000/100",
         "BM_kl_device_omp<{T}>/100000/100", "BM_floor_memory<{T}>", "BM_floor_kl_transcendentals<{T}>",
         ("kl(distributions)", "(100000,100)")),
    ]
    per_file = {f: load_bench(d / f"{f}.json") for f in ("bench_log_sum_exp", "bench_likelihood", "bench_kl")}
    for T in ("float", "double"):
        for label, f, naive, ours, dev, mem, tr, tk in big:
            b = per_file[f]
            ms = {k: b[k.format(T=T)] / 1e3 for k in (naive, ours, dev, mem, tr)}
            floor = max(ms[mem], ms[tr])
            print(f"| {label} | {T} | {ms[naive]:.2f} | {ms[ours]:.2f} | {ms[dev]:.2f} | {ms[mem]:.2f} | "
                  f"{ms[tr]:.2f} | **{ms[ours] / floor:.2f}×** | {t[(tk[0], T, tk[1])] / 1e3:.1f} |")
    b = per_file["bench_likelihood"]
    print("\nBernoulli's transcendental floor is what its row kernel calls: one exp per value and "
          "one log1p per chunk of 32 (float) or 64 (double) values (detail/bernoulli_row.hpp). The conventional exp + log1p, measured in the "
          "same binary: " + ", ".join(
              f"{T} {b[f'BM_floor_exp_log1p<{T}>'] / 1e3:.2f} ms (gendiv / that floor "
              f"{b[f'BM_bernoulli_gendiv<{T}>/12756/784'] / max(b[f'BM_floor_exp_log1p<{T}>'], b[f'BM_floor_memory_bernoulli<{T}>']):.2f}×)"
              for T in ("float", "double")) + ".")

if __name__ == "__main__":
    main()

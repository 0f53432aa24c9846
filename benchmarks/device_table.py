#!/usr/bin/python3
"""Builds the "Device paths" table of docs/benchmarks.md (section 6) from one sitting's measurements:
bench_device_cpu (and bench_device_cuda when present) run with --benchmark_format=json.
Per kernel and shape: the median time and GB/s of the host xtensor path, of the Thrust OMP and
CPP backends (and CUDA), thrust::reduce over the same input bytes on the same backend, and the
ratio kernel time / reduce time (issue 7's target on OMP: at most 1.5).
Usage: device_table.py DIR   (DIR holds bench_device_cpu.json [, bench_device_cuda.json];
       see benchmarks/run_device.sh)
"""
import json
import sys
from pathlib import Path

KERNELS = [  # (name in the benchmarks, label, input arrays, shapes)
    ("log_mean_exp", "log_mean_exp (B, K)", 1, [(64, 200), (10000, 200), (10000, 1000), (100000, 1000)]),
    ("bernoulli_logits", "Bernoulli logits (B, 784)", 2, [(64, 784), (1276, 784), (12756, 784), (127551, 784)]),
    ("normal", "Normal (B, 100)", 3, [(64, 100), (10000, 100), (100000, 100), (1000000, 100)]),
    ("kl", "Gaussian KL (B, 100)", 4, [(64, 100), (10000, 100), (100000, 100), (1000000, 100)]),
]


def load(path):
    """name -> (median real time in µs, bytes/s, bw_fraction) for each benchmark."""
    out = {}
    if not Path(path).exists():
        return out
    for b in json.loads(Path(path).read_text())["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b.get("run_name", b["name"]).replace("/real_time", "")
        us = b["real_time"] * {"us": 1, "ms": 1e3, "ns": 1e-3, "s": 1e6}[b["time_unit"]]
        out[name] = (us, b.get("bytes_per_second", 0.0), b.get("bw_fraction", 0.0))
    return out


def fmt_time(us):
    return f"{us / 1e3:.2f} ms" if us >= 1e4 else f"{us:.1f} µs"


def cell(r):
    return f"{fmt_time(r[0])} ({r[1] / 1e9:.2f})" if r else "–"


def ratio(k, red):
    return f"{k[0] / red[0]:.2f}" if k and red else "–"


def main():
    d = Path(sys.argv[1])
    g = load(d / "bench_device_cpu.json")
    c = load(d / "bench_device_cuda.json")
    head = ("| kernel | shape | input MB | host xtensor | Thrust OMP | OMP reduce | OMP / reduce | "
            "Thrust CPP | CPP reduce | CPP / reduce | SIMD sum floor |")
    rule = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if c:
        head += " CUDA | CUDA reduce | CUDA / reduce | CUDA fraction of peak |"
        rule += "---:|---:|---:|---:|"
    print("Median time (GB/s of input read); ratios: kernel time / thrust::reduce time over the "
          "same bytes on the same backend.\n")
    print(head)
    print(rule)
    for name, label, arrays, shapes in KERNELS:
        for B, D in shapes:
            floats = arrays * B * D
            s = f"{B}/{D}"
            host = g.get(f"BM_host_{name}/{s}")
            omp, cpp = g.get(f"BM_{name}<omp_sys>/{s}"), g.get(f"BM_{name}<cpp_sys>/{s}")
            romp, rcpp = g.get(f"BM_reduce<omp_sys>/{floats}"), g.get(f"BM_reduce<cpp_sys>/{floats}")
            floor = g.get(f"BM_floor_memory/{floats}")
            row = ((f"| {label} | {B}×{D} | {4 * floats / 1e6:.2f} | {cell(host)} | {cell(omp)} | "
                   f"{cell(romp)} | {ratio(omp, romp)} | {cell(cpp)} | {cell(rcpp)} | {ratio(cpp, rcpp)} | ")
                   + (f"{floor[1] / 1e9:.1f} GB/s |" if floor else "– |"))
            if c:
                cu, rcu = c.get(f"BM_{name}<cuda_sys>/{s}"), c.get(f"BM_reduce<cuda_sys>/{floats}")
                row += f" {cell(cu)} | {cell(rcu)} | {ratio(cu, rcu)} | {cu[2]:.2f} |" if cu else " – | – | – | – |"
            print(row)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch CPU times for the operations of bench_log_sum_exp / bench_likelihood / bench_kl, at
the same shapes, for docs/benchmarks.md. Run with Debian's python3-torch:
  /usr/bin/python3 benchmarks/pytorch_core.py [--threads 2]
Each line: operation, dtype, shape, median microseconds over repeated timed batches.
Where torch.distributions has the operation it is timed that way (what users call), and the
fused functional form beside it when one exists (logsumexp, binary_cross_entropy_with_logits).
"""
import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence


def median_us(fn, min_time=0.3):
    fn()
    reps, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed > 0.05:
            break
        reps *= 4
    samples = []
    deadline = time.perf_counter() + min_time
    while time.perf_counter() < deadline or len(samples) < 5:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t0) / reps * 1e6)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for dtype in (torch.float32, torch.float64):
        name = "float" if dtype == torch.float32 else "double"
        for rows, n in ((64, 200), (1000, 10000)):
            x = torch.rand(rows, n, dtype=dtype) * 50 - 50
            us = median_us(lambda: torch.logsumexp(x, 1) - math.log(n))
            print(f"log_mean_exp {name} ({rows},{n}) {us:.2f}")
        for rows in (64, 12756):
            x = torch.rand(rows, 784, dtype=dtype) * 16 - 8
            t = (torch.rand(rows, 784) > 0.5).to(dtype)
            us = median_us(lambda: -F.binary_cross_entropy_with_logits(x, t, reduction="none").sum(1))
            print(f"bernoulli_logits(bce_with_logits) {name} ({rows},784) {us:.2f}")
            us = median_us(lambda: torch.distributions.Bernoulli(logits=x).log_prob(t).sum(1))
            print(f"bernoulli_logits(distributions) {name} ({rows},784) {us:.2f}")
        for rows in (64, 12800, 100000):
            mu = torch.rand(rows, 100, dtype=dtype) * 4 - 2
            lv = torch.rand(rows, 100, dtype=dtype) * 6 - 3
            z = torch.rand(rows, 100, dtype=dtype) * 4 - 2
            mp = torch.rand(rows, 100, dtype=dtype) * 2 - 1
            lp = torch.rand(rows, 100, dtype=dtype) * 2 - 1
            us = median_us(lambda: Normal(mu, torch.exp(0.5 * lv)).log_prob(z).sum(1))
            print(f"normal(distributions) {name} ({rows},100) {us:.2f}")
            us = median_us(lambda: kl_divergence(Normal(mu, torch.exp(0.5 * lv)), Normal(mp, torch.exp(0.5 * lp))).sum(1))
            print(f"kl(distributions) {name} ({rows},100) {us:.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The divergence-vs-θ sweep of examples/divergence_vs_theta in PyTorch (CPU), for the speed
comparison in docs/benchmarks.md: the same critic (2-64-64-1, ReLU), Adam lr 1e-3, batch 512 per
law, 1000 steps per (θ, divergence), θ ∈ {-1, -0.9, ..., 1}; squared Hellinger, Jensen-Shannon
and total variation by the f-GAN bound (Nowozin et al. 2016, Table 2 conventions), Wasserstein
with the one-sided Lipschitz penalty (λ = 10; the penalty's gradient through
torch.autograd.grad(create_graph=True)). Estimates on 65,536 fresh samples per law.
Usage: /usr/bin/python3 benchmarks/pytorch_divergence_vs_theta.py [--threads 2] [--steps 1000]
"""
import argparse
import math
import time

import torch
from torch import nn
import torch.nn.functional as F


def sample(theta, n):
    return torch.stack([torch.full((n,), float(theta)), torch.rand(n)], 1)


def objective(kind, v_p, v_q):
    if kind == "hellinger":    # g(v) = 1 - e^{-v}, f*(g(v)) = e^{v} - 1
        return (1 - torch.exp(-v_p)).mean() - (torch.exp(v_q) - 1).mean()
    if kind == "js":           # g(v) = log 2 - softplus(-v), f*(g(v)) = -log(2 - e^{g(v)}) = softplus(v) - log 2
        return (math.log(2) - F.softplus(-v_p)).mean() - (F.softplus(v_q) - math.log(2)).mean()
    if kind == "tv":           # g(v) = tanh(v) / 2, f*(t) = t
        return (0.5 * torch.tanh(v_p)).mean() - (0.5 * torch.tanh(v_q)).mean()
    return v_p.mean() - v_q.mean()


def run(kind, theta, steps, batch, lam):
    critic = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.Adam(critic.parameters(), lr=1e-3)
    for _ in range(steps):
        xp, xq = sample(0.0, batch), sample(theta, batch)
        v = critic(torch.cat([xp, xq])).squeeze(1)
        loss = -objective(kind, v[:batch], v[batch:])
        if kind == "w1":
            t = torch.rand(batch, 1)
            xh = (t * xp + (1 - t) * xq).requires_grad_(True)
            g, = torch.autograd.grad(critic(xh).sum(), xh, create_graph=True)
            loss = loss + lam * torch.clamp(g.norm(dim=1) - 1, min=0).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        n = 65536
        v = critic(torch.cat([sample(0.0, n), sample(theta, n)])).squeeze(1)
        return objective(kind, v[:n], v[n:]).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--lambda", dest="lam", type=float, default=10.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    thetas = [round(-1 + 0.1 * i, 1) for i in range(21)]
    t0 = time.perf_counter()
    print("theta  hellinger  js  tv  w1_raw")
    for th in thetas:
        r = [run(k, th, args.steps, 512, args.lam) for k in ("hellinger", "js", "tv", "w1")]
        print(f"{th:5.1f}  " + "  ".join(f"{x:.4f}" for x in r), flush=True)
    print(f"sweep: {4 * len(thetas)} critics in {time.perf_counter() - t0:.1f} s "
          f"({torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()

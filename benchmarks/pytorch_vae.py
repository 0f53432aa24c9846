#!/usr/bin/python3
"""The seed's VAE in PyTorch (CPU), as the reference for examples/vae: same data (exported by
`vae --export-data DIR` as {train,valid,test}.u8), architecture, initialization scheme
(nn.Linear's default), optimizer (Adam, lr 3e-4), batch 64 in file order, loss (Bernoulli
log-likelihood from logits = mlp(z) - 5, analytic KL to N(0, I)), and the importance-sampled
test log p(x) with K = 200. One difference from the seed on purpose: the encoder's output is
split into mean and log-variance along the feature axis (the seed's `chunk(2)` splits the batch).

Prints one line per epoch (validation -ELBO, seconds), the test -ELBO, the IS log p(x) and its
time, and the peak RSS. Usage:
  /usr/bin/python3 benchmarks/pytorch_vae.py --data DIR [--epochs 20] [--threads 2] [--eval-k 200]
"""
import argparse
import math
import resource
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def load(path):
    a = np.fromfile(path, dtype=np.uint8)
    return torch.from_numpy(a.reshape(-1, 784).astype(np.float32))


class VAE(nn.Module):
    def __init__(self, latent=100):
        super().__init__()
        self.latent = latent
        self.enc = nn.Sequential(nn.Linear(784, 300), nn.ELU(), nn.Linear(300, 300), nn.ELU(),
                                 nn.Linear(300, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, 300), nn.ELU(), nn.Linear(300, 300), nn.ELU(),
                                 nn.Linear(300, 784))

    def encode(self, x):
        h = self.enc(x)
        return h[:, :self.latent], h[:, self.latent:]

    def decode(self, z):
        return self.dec(z) - 5.0

    def neg_elbo(self, x):
        mu, lv = self.encode(x)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        logits = self.decode(z)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = 0.5 * (torch.exp(lv) - 1.0 - lv + mu * mu).sum(1)
        return rec + kl


def log_normal(z, mu, lv):
    return -0.5 * (math.log(2 * math.pi) + lv + (z - mu) ** 2 * torch.exp(-lv)).sum(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-k", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N examples only")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, valid, test = (load(f"{args.data}/{s}.u8") for s in ("train", "valid", "test"))
    if args.limit:
        train = train[:args.limit]
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; train {len(train)}, "
          f"valid {len(valid)}, test {len(test)}")
    epoch_times = []
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        total, steps = 0.0, 0
        for i in range(0, len(train), 64):
            x = train[i:i + 64]
            opt.zero_grad()
            loss = model.neg_elbo(x).mean()
            loss.backward()
            opt.step()
            total += loss.item()
            steps += 1
        train_secs = time.perf_counter() - t0
        with torch.no_grad():
            v = sum(model.neg_elbo(valid[i:i + 500]).sum().item() for i in range(0, len(valid), 500))
        secs = time.perf_counter() - t0
        epoch_times.append(train_secs)
        print(f"epoch {epoch:3d}  train loss {total / steps:10.4f}  valid -ELBO {v / len(valid):10.4f}  "
              f"train {train_secs:6.2f} s  total {secs:6.2f} s", flush=True)
    with torch.no_grad():
        t = sum(model.neg_elbo(test[i:i + 500]).sum().item() for i in range(0, len(test), 500))
        print(f"test -ELBO {t / len(test):.4f}")
        if args.eval_k:
            K = args.eval_k
            t0 = time.perf_counter()
            total = 0.0
            B = max(1, 3200 // K)
            for i in range(0, len(test), B):
                x = test[i:i + B]
                mu, lv = model.encode(x)
                eps = torch.randn(x.size(0), K, mu.size(1))
                z = mu[:, None, :] + torch.exp(0.5 * lv)[:, None, :] * eps
                logits = model.decode(z.reshape(-1, mu.size(1)))
                xk = x[:, None, :].expand(-1, K, -1).reshape(-1, 784)
                log_px_z = -F.binary_cross_entropy_with_logits(logits, xk, reduction="none").sum(1)
                zf = z.reshape(-1, mu.size(1))
                log_pz = log_normal(zf, torch.zeros_like(zf), torch.zeros_like(zf))
                log_qz = log_normal(zf, mu[:, None, :].expand_as(z).reshape(-1, mu.size(1)),
                                    lv[:, None, :].expand_as(z).reshape(-1, mu.size(1)))
                w = (log_px_z + log_pz - log_qz).reshape(-1, K)
                total += (torch.logsumexp(w, 1) - math.log(K)).sum().item()
            secs = time.perf_counter() - t0
            print(f"test log p(x), importance sampled with K={K}: {total / len(test):.4f}  ({secs:.1f} s)")
    if epoch_times:
        print(f"median train seconds per epoch: {sorted(epoch_times)[len(epoch_times) // 2]:.2f}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()

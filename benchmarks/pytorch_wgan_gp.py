#!/usr/bin/python3
"""The WGAN-GP of examples/wgan_gp in PyTorch (CPU), as its speed reference: same data (the first
50,000 Fashion-MNIST training images as grey levels / 255, reshuffled every epoch), architecture
(generator 100-256-512-1024-784 ReLU with a sigmoid output; critic 784-512-256-1 leaky ReLU 0.2),
initialization scheme (nn.Linear's default), optimizer (Adam lr 1e-4, betas (0.5, 0.9) for both),
batch 64, n_critic 5 and loss (Gulrajani et al. 2017, Algorithm 1): per critic step
    L_D = mean D(G(z)) - mean D(x) + lambda mean_b (||grad_x D(x_hat_b)|| - 1)^2,
x_hat_b = t_b x_b + (1 - t_b) G(z_b) with one t_b ~ U[0, 1) per example, the input gradient taken
with torch.autograd.grad(create_graph=True) so that the penalty back-propagates into the critic's
parameters (double-backward); after every n_critic critic steps one generator step on
-mean D(G(z)). As in the C++ example, real and fake go through the critic as one batch of 2B and
the fakes of a critic step are generated without a graph.

An epoch is 781 critic steps (one pass over 50,000 images at B = 64). Prints the seconds per epoch
(or per --steps critic steps, scaled to 781) and the epoch's mean losses. Usage:
  /usr/bin/python3 benchmarks/pytorch_wgan_gp.py [--epochs 1] [--steps 781] [--threads 2]
"""
import argparse
import gzip
import time

import numpy as np
import torch
from torch import nn

FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def load_fashion_train(path, n=50000):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784)[:n]
    return torch.from_numpy(images.astype(np.float32) / 255.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0, help="critic steps per epoch (0: one pass, 781)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--n-critic", type=int, default=5)
    ap.add_argument("--lambda", dest="lam", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=FASHION)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train = load_fashion_train(args.data)
    B = args.batch_size
    full = len(train) // B
    steps = args.steps or full

    G = nn.Sequential(nn.Linear(100, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                      nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 784), nn.Sigmoid())
    D = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256),
                      nn.LeakyReLU(0.2), nn.Linear(256, 1))
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; train {len(train)}; batch {B}; "
          f"{steps} critic steps per epoch (a full pass is {full}); n_critic {args.n_critic}; "
          f"lambda {args.lam}", flush=True)

    critic_steps = 0
    times = []
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(train))
        sums = np.zeros(4)
        gen_steps = 0
        t0 = time.perf_counter()
        for s in range(steps):
            x = train[order[(s % full) * B:(s % full + 1) * B]]
            with torch.no_grad():
                fake = G(torch.randn(B, 100))
            v = D(torch.cat([x, fake]))
            d_real, d_fake = v[:B].mean(), v[B:].mean()
            t = torch.rand(B, 1)
            x_hat = (t * x + (1 - t) * fake).requires_grad_(True)
            g, = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
            penalty = args.lam * ((g.norm(2, dim=1) - 1) ** 2).mean()
            loss = d_fake - d_real + penalty
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
            sums[:3] += (loss.item(), (d_real - d_fake).item(), penalty.item())
            critic_steps += 1
            if critic_steps % args.n_critic == 0:
                opt_g.zero_grad()
                gen_loss = -D(G(torch.randn(B, 100))).mean()
                gen_loss.backward()
                opt_g.step()
                sums[3] += gen_loss.item()
                gen_steps += 1
        secs = time.perf_counter() - t0
        per_epoch = secs * full / steps
        times.append(per_epoch)
        print(f"epoch {epoch}: critic loss {sums[0] / steps:.4f}  W estimate {sums[1] / steps:.4f}  "
              f"penalty {sums[2] / steps:.4f}  gen loss {sums[3] / max(gen_steps, 1):.4f}  "
              f"{secs:.2f} s for {steps} critic steps = {per_epoch:.2f} s per epoch of {full}", flush=True)
    print(f"median seconds per epoch of {full} critic steps: {sorted(times)[len(times) // 2]:.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch CPU counterpart of benchmarks/bench_nn.cpp.

The seed notebook's VAE networks (encoder 784-300-300-200 ELU, decoder 100-300-300-784 ELU,
batch 64, float32): forward + backward of both with fixed upstream gradients, then the same plus
zero_grad and Adam steps, and the bare matrix products (torch.mm) of the same shapes.
Median of several timed runs, in milliseconds.

Run with Debian's PyTorch 1.13:  /usr/bin/python3 benchmarks/bench_nn_torch.py [--threads 2]
"""
import argparse
import statistics
import time

import torch


def median_ms(f, warmup=20, reps=7, inner=50):
    """Median and minimum wall time, and median process CPU time (all threads), in ms."""
    for _ in range(warmup):
        f()
    runs, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(inner):
            f()
        runs.append((time.perf_counter() - t0) / inner * 1e3)
        cpu.append((time.process_time() - c0) / inner * 1e3)
    return statistics.median(runs), min(runs), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    B, P, H, Z = 64, 784, 300, 100
    enc = torch.nn.Sequential(torch.nn.Linear(P, H), torch.nn.ELU(), torch.nn.Linear(H, H),
                              torch.nn.ELU(), torch.nn.Linear(H, 2 * Z))
    dec = torch.nn.Sequential(torch.nn.Linear(Z, H), torch.nn.ELU(), torch.nn.Linear(H, H),
                              torch.nn.ELU(), torch.nn.Linear(H, P))
    x = torch.rand(B, P)
    z = torch.randn(B, Z, requires_grad=True)
    d_dec = torch.rand(B, P) * 2 - 1
    d_enc = torch.rand(B, 2 * Z) * 2 - 1
    d_dec_neg, d_enc_neg = -d_dec, -d_enc
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()))

    # Upstream gradients alternate in sign from step to step, as in bench_nn.cpp, so that Adam
    # keeps the parameters bounded (a fixed upstream gradient walks them off without bound).
    state = {"flip": False}

    def fwd_bwd():
        state["flip"] = not state["flip"]
        s = -1.0 if state["flip"] else 1.0
        enc.zero_grad(set_to_none=False)
        dec.zero_grad(set_to_none=False)
        z.grad = None
        enc(x).backward(d_enc if s > 0 else d_enc_neg)
        dec(z).backward(d_dec if s > 0 else d_dec_neg)

    def fwd_bwd_adam():
        fwd_bwd()
        opt.step()

    # The bare products: the same 17 matrix products as bench_nn's floor.
    enc_shapes = [(P, H), (H, H), (H, 2 * Z)]
    dec_shapes = [(Z, H), (H, H), (H, P)]
    Ws = [torch.randn(o, i) * 0.05 for (i, o) in enc_shapes + dec_shapes]
    dys = [torch.rand(B, o) for (i, o) in enc_shapes + dec_shapes]

    def products():
        for k, inp in ((0, x), (3, z.detach())):
            a = [inp]
            for j in range(3):
                a.append(torch.mm(a[-1], Ws[k + j].t()))
            for j in reversed(range(3)):
                torch.mm(dys[k + j].t(), a[j])
                if j > 0 or k == 3:
                    torch.mm(dys[k + j], Ws[k + j])

    with torch.no_grad():
        mm = median_ms(products)
    fb = median_ms(fwd_bwd)
    fba = median_ms(fwd_bwd_adam)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for name, r in (("bare products (17 mm)", mm), ("forward+backward", fb), ("forward+backward+Adam", fba)):
        print(f"{name:28s} median {r[0]:8.3f} ms  min {r[1]:8.3f} ms  cpu {r[2]:8.3f} ms  "
              f"ratio {r[0] / mm[0]:.2f}  cpu_ratio {r[2] / mm[2]:.2f}")


if __name__ == "__main__":
    main()

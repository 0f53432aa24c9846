#!/usr/bin/env python3
"""Reference values for tests/test_nn_adam.cpp (matches_pytorch_reference).

Runs torch.optim.Adam (PyTorch 1.13.1, float64) for 5 steps on 4 parameters with the gradient
sequence below, once with the defaults and once with lr=3e-2, betas=(0.5, 0.9), eps=1e-3,
weight_decay=0.1, and prints the parameters after each step with 17 significant digits.
Run with Debian's interpreter: /usr/bin/python3 tests/reference/adam_reference.py
"""
import torch

P0 = [0.5, -1.25, 3.0, 1e-3]
GRADS = [
    [0.1, -2.0, 1e-6, 0.0],
    [0.3, 1.5, -1e-6, 0.0],
    [-0.2, 0.25, 4.0, 1e-9],
    [0.05, -3.0, 0.5, -1e-9],
    [1.0, 0.0, -0.5, 2.0],
]


def run(**kw):
    p = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], **kw)
    out = []
    for g in GRADS:
        opt.zero_grad()
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append([float(v) for v in p.detach()])
    st = opt.state[p]
    return out, [float(v) for v in st["exp_avg"]], [float(v) for v in st["exp_avg_sq"]]


for name, kw in [("defaults", {}),
                 ("custom", dict(lr=3e-2, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1))]:
    params, m, v = run(**kw)
    print(f"// {name}: parameters after each step")
    for row in params:
        print("{" + ", ".join(f"{x:.17g}" for x in row) + "},")
    print("// m:", ", ".join(f"{x:.17g}" for x in m))
    print("// v:", ", ".join(f"{x:.17g}" for x in v))

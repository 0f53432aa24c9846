#!/usr/bin/env python3
"""Reference values for gendiv's numerics core (log_sum_exp.hpp, likelihood.hpp, kl.hpp,
estimators.hpp), computed with mpmath at 60 significant digits and printed to 40.

Writes tests/reference/core_reference.hpp, which the tests include. Run from anywhere:
    python3 tests/reference/core_reference.py            # rewrite the header
    python3 tests/reference/core_reference.py --check    # exit 1 if the header is stale

Every value is computed from the textbook definition, not from gendiv's stable rewrites:
  log-sum-exp  log(sum(exp(x_i)))                       (mpmath has no overflow at 1e4)
  Bernoulli    t log mu + (1-t) log(1-mu)  (0 log 0 = 0) and t log sigma(x) + (1-t) log sigma(-x)
  Normal       log of the density (2 pi s2)^(-1/2) exp(-(z-mu)^2 / (2 s2)), s2 = e^lv
  KL           1/2 [lp - lq + e^(lq-lp) - 1 + (mq-mp)^2 e^(-lp)]
  MC KL        mean over samples of log q(z) - log p(z) at z = mq + e^(lq/2) eps
and every gradient by mpmath's numerical differentiation (mp.diff) of those definitions, so
the reference shares no algebra with the hand-derived gradients under test.

Inputs are IEEE doubles (Python floats, exact); those marked float-exact are also exact in
binary32, so one reference serves the float and the double tests. Inputs tagged double-only
(e.g. log-variances that differ by 1e-10) are used by the double tests alone.
"""
import os
import struct
import sys

from mpmath import mp, mpf

mp.dps = 60
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "core_reference.hpp")
INF = float("inf")


def f32_exact(v):
    if v != v or v in (INF, -INF):
        return True
    return struct.unpack("f", struct.pack("f", v))[0] == v


def lit(v):
    """A C++ literal for a double input (exact: Python's repr round-trips)."""
    if v == INF:
        return "inf"
    if v == -INF:
        return "-inf"
    return repr(float(v))


def ref(v):
    """A C++ literal for a reference value, 40 significant digits."""
    if v == mp.inf:
        return "inf"
    if v == -mp.inf:
        return "-inf"
    if v == 0:
        return "0.0"
    if abs(v) < mpf("4.9e-324") / 2:  # rounds to 0 in double: keep the value in a comment
        return f"0.0 /* {mp.nstr(v, 40, min_fixed=0, max_fixed=0)} */"
    return mp.nstr(v, 40, min_fixed=0, max_fixed=0).replace("e+", "e")


def vec(xs, f=lit):
    return "{" + ", ".join(f(x) for x in xs) + "}"


def grad(fun, args, i, direction=0):
    """d fun / d args[i] at args, by mpmath's numerical differentiation."""
    def g(v):
        a = list(args)
        a[i] = v
        return fun(*a)
    return mp.diff(g, mpf(args[i]), direction=direction)


# ---------------------------------------------------------------- log-sum-exp ------------------
def lse(xs):
    finite = [mpf(x) for x in xs if x != -INF]
    if not finite:
        return -mp.inf
    return mp.log(mp.fsum(mp.exp(x) for x in finite))


LSE_ROWS = [
    ("ordinary", [0.5, -1.25, 2.0, 3.75, 0.0]),
    ("spread_1e3", [-500.0, 250.5, 499.75, 500.0, -1.5]),
    ("offset_1e4", [10000.0, 10001.0, 9997.0, 10000.5, 9999.75]),
    ("negative_1e4", [-10000.0, -10000.5, -10003.0, -9999.25, -10001.0]),
    ("mixed_neg_inf", [-INF, 1.5, -INF, 0.25, -3.0]),
    ("near_ties", [1.0, 1.0 + 2.0**-20, 1.0 - 2.0**-21, 1.0, 1.0 + 2.0**-22]),
]

# The long row: x_i = ((i * 7919) mod 4096) / 256 - 8, exact in float and double, K = 10^6.
LONG_K = 1000000
LONG_PROBES = [0, 1, 4095, 12345, 999999]


def long_row_value(i):
    return ((i * 7919) % 4096) / 256.0 - 8.0


def long_row_lse():
    counts = {}
    for i in range(LONG_K):
        k = (i * 7919) % 4096
        counts[k] = counts.get(k, 0) + 1
    s = mp.fsum(c * mp.exp(mpf(k) / 256 - 8) for k, c in counts.items())
    return mp.log(s)


# ---------------------------------------------------------------- Bernoulli ---------------------
def bern_probs(mu, t):
    mu, t = mpf(mu), mpf(t)
    a = 0 if t == 0 else t * mp.log(mu) if mu > 0 else -mp.inf
    b = 0 if t == 1 else (1 - t) * mp.log(1 - mu) if mu < 1 else -mp.inf
    return a + b


def bern_logits(x, t):
    t = mpf(t)
    # log sigma(x) = -log(1 + e^{-x}), log sigma(-x) = -log(1 + e^{x})
    x = mpf(x)
    a = 0 if t == 0 else -t * mp.log(1 + mp.exp(-x))
    b = 0 if t == 1 else -(1 - t) * mp.log(1 + mp.exp(x))
    return a + b


def bern_probs_grad(mu, t):
    d = 1 if mu == 0 else -1 if mu == 1 else 0   # one-sided at the ends of [0, 1]
    return grad(lambda m: bern_probs(m, t), [mu], 0, direction=d)


def bern_logits_grad(x, t):
    return grad(lambda v: bern_logits(v, t), [x], 0)


BERN_PROBS_ROWS = [
    ("ordinary", [0.25, 0.5, 0.75, 0.125, 0.9375], [1.0, 0.0, 1.0, 0.25, 0.0]),
    ("edges", [0.0, 1.0, 0.0, 1.0, 2.0**-40], [0.0, 1.0, 0.0, 1.0, 0.0]),
    ("near_one", [1 - 2.0**-20, 2.0**-20, 1 - 2.0**-24, 0.5, 2.0**-100], [0.0, 1.0, 1.0, 0.75, 1.0]),
]

BERN_LOGITS_ROWS = [
    ("ordinary", [0.0, 1.5, -2.25, 3.0, -0.5], [1.0, 0.0, 1.0, 0.25, 0.75]),
    ("large", [20.0, -20.0, 40.0, -40.0, 100.0], [1.0, 0.0, 1.0, 1.0, 0.0]),
    ("huge", [10000.0, -10000.0, 10000.0, -10000.0, 1e6], [1.0, 0.0, 0.25, 0.5, 1.0]),
    ("beyond", [2.0**120, -(2.0**120), 2.0**120, 1e6, -1e6], [1.0, 0.0, 0.0, 0.75, 0.25]),
]

# ---------------------------------------------------------------- Normal ------------------------
def normal_logpdf(mu, lv, z):
    mu, lv, z = mpf(mu), mpf(lv), mpf(z)
    s2 = mp.exp(lv)
    return -mp.log(2 * mp.pi * s2) / 2 - (z - mu) ** 2 / (2 * s2)


NORMAL_ROWS = [
    ("ordinary", [0.5, -1.0, 2.0, 0.0], [0.0, 1.5, -2.0, 3.5], [1.25, -0.75, 2.5, -3.0]),
    ("logvar_80", [0.0, 1.0, -1.0, 0.0], [-80.0, 80.0, -80.0, 80.0], [2.0**-40, 3.0, -1.0 + 2.0**-20, 1000.0]),
    ("means_1e3", [1000.0, -1000.0, 999.5, 0.0], [0.0, 10.0, -10.0, -1.0], [-1000.0, 1000.0, 1000.0, 0.0]),
    # -2.77e38, finite in float although (z - mu)^2 e^{-logvar} = 5.5e38 is not
    ("near_flt_max", [0.0, 0.0, 0.0, 0.0], [-80.0, 0.0, 0.0, 0.0], [100.0, 0.0, 1.0, -1.0]),
]

# ---------------------------------------------------------------- KL ----------------------------
def kl_textbook(mq, lq, mp_, lp):
    mq, lq, mp_, lp = mpf(mq), mpf(lq), mpf(mp_), mpf(lp)
    return (lp - lq + mp.exp(lq - lp) - 1 + (mq - mp_) ** 2 * mp.exp(-lp)) / 2


KL_ROWS = [  # (name, mq, lq, mp, lp, float_exact)
    ("ordinary", [0.5, -1.25, 2.0, 0.0], [0.0, 1.5, -2.0, 0.25], [0.0, 0.5, 2.0, -1.0], [0.0, -0.5, 1.0, 0.25]),
    ("standard_prior", [1.5, -0.75, 3.0, 0.0], [-1.0, 2.0, 0.5, -3.0], [0.0] * 4, [0.0] * 4),
    ("logvar_80", [1.0, -1.0, 0.0, 0.5], [80.0, -80.0, 40.0, -40.0], [0.0, 0.0, 0.0, 0.5], [0.0, 0.0, -40.0, 40.0]),
    ("tiny_delta_float", [0.0, 0.0, 1.0, 0.0], [1.0, 0.5, -3.0, 0.625], [0.0, 0.0, 1.0, 0.0],
     [1.0 + 2.0**-23, 0.5 - 2.0**-25, -3.0 - 2.0**-22, 0.625 + 2.0**-24]),
    # the true value, 2.94e38, is just below FLT_MAX although w^2 = 2 * 2.77e38 is not
    ("mean_100_logvar_m80", [100.0, -25.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [0.0] * 4, [-80.0, -80.0, 0.0, 0.0]),
]
KL_ROWS_DOUBLE = [  # not exact in float, or beyond FLT_MAX
    ("tiny_delta_1e-10", [0.0, 0.3, -2.0, 0.0], [0.3, -5.0, 40.0, 1e-3],
     [0.0, 0.3, -2.0, 0.0], [0.3 + 1e-10, -5.0 - 1e-10, 40.0 + 1e-10, 1e-3 - 1e-12]),
    ("logvar_160", [1.0, 0.0, 1000.0, 0.0], [80.0, -80.0, 0.0, 80.0], [0.0, 0.0, 0.0, 0.0],
     [-80.0, 80.0, -80.0, -80.0]),
]

# Monte Carlo KL for given noise: S = 3 samples of a (B = 2, D = 3) problem.
MC = {
    "mq": [[0.5, -1.0, 2.0], [0.0, 0.25, -0.5]],
    "lq": [[0.0, 1.5, -2.0], [-80.0, 3.0, 0.5]],
    "mp": [[0.0, 0.5, 2.0], [0.0, 0.0, 0.0]],
    "lp": [[0.0, -0.5, 1.0], [0.0, 0.0, 0.0]],
    "eps": [[[0.25, -1.5, 0.75], [1.0, 0.0, -2.0]],
            [[-0.5, 2.25, 1.25], [-1.0, 0.5, 0.125]],
            [[1.75, -0.25, -1.0], [0.0, -3.0, 2.5]]],
}


def mc_sample(mq, lq, mp_, lp, e):
    mq, lq, mp_, lp, e = (mpf(v) for v in (mq, lq, mp_, lp, e))
    z = mq + mp.exp(lq / 2) * e
    return normal_logpdf(mq, lq, z) - normal_logpdf(mp_, lp, z)


# ---------------------------------------------------------------- estimators --------------------
EST = {
    "log_px_given_z": [[-85.25, -90.5, -88.0, -86.75], [-120.5, -119.25, -121.0, -200.0]],
    "log_pz": [[-140.5, -141.25, -139.0, -142.5], [-95.0, -96.5, -94.25, -95.75]],
    "log_qz_given_x": [[-130.0, -131.5, -128.75, -133.25], [-101.0, -99.5, -100.25, -97.0]],
}


def main():
    lines = []
    w = lines.append
    w("// tests/reference/core_reference.hpp: GENERATED by tests/reference/core_reference.py")
    w("// (mpmath 60-digit working precision, values printed to 40 significant digits). Do not edit;")
    w("// rerun the script. Inputs are exact doubles; the float tests use the rows whose inputs are")
    w("// also exact in binary32. Gradients are mpmath's numerical derivatives of the definitions.")
    w("#pragma once")
    w("")
    w("#include <cstddef>")
    w("#include <limits>")
    w("#include <vector>")
    w("")
    w("namespace gendiv::test::ref {")
    w("")
    w("inline constexpr double inf = std::numeric_limits<double>::infinity();")
    w("")

    # log-sum-exp
    w("/// One row: log_sum_exp, log_mean_exp and the softmax (the gradient of both).")
    w("struct lse_row {")
    w("    const char* name;")
    w("    std::vector<double> x;")
    w("    double lse, lme;")
    w("    std::vector<double> softmax;")
    w("};")
    w("inline const std::vector<lse_row> lse_rows = {")
    for name, xs in LSE_ROWS:
        assert all(f32_exact(v) for v in xs), name
        l = lse(xs)
        sm = [0 if x == -INF else mp.exp(mpf(x) - l) for x in xs]
        # cross-check the softmax against numerical differentiation of the definition
        for i, x in enumerate(xs):
            if x != -INF:
                d = grad(lambda *a: lse(list(a)), xs, i)
                assert abs(d - sm[i]) < mpf(10) ** -40 * max(1, abs(sm[i])), (name, i)
        w(f'    {{"{name}", {vec(xs)}, {ref(l)}, {ref(l - mp.log(len(xs)))}, {vec(sm, ref)}}},')
    w("};")
    w("")
    ll = long_row_lse()
    w(f"/// The long row x_i = ((i * 7919) mod 4096) / 256 - 8, i < {LONG_K}: exact in float.")
    w(f"inline constexpr std::size_t long_row_size = {LONG_K};")
    w(f"inline constexpr double long_row_lse = {ref(ll)};")
    w(f"inline constexpr double long_row_lme = {ref(ll - mp.log(LONG_K))};")
    w(f"inline const std::vector<std::size_t> long_row_probes = {vec(LONG_PROBES, str)};")
    w("inline const std::vector<double> long_row_softmax = " +
      vec([mp.exp(mpf(long_row_value(i)) - ll) for i in LONG_PROBES], ref) + ";")
    w("")

    # Bernoulli
    w("/// One (1, D) example: parameters, targets, the log-likelihood and its gradient.")
    w("struct bernoulli_row {")
    w("    const char* name;")
    w("    std::vector<double> param, target;")
    w("    double value;")
    w("    std::vector<double> grad;")
    w("};")
    for arr, rows, f, g in (("bernoulli_probs_rows", BERN_PROBS_ROWS, bern_probs, bern_probs_grad),
                            ("bernoulli_logits_rows", BERN_LOGITS_ROWS, bern_logits, bern_logits_grad)):
        w(f"inline const std::vector<bernoulli_row> {arr} = {{")
        for name, ps, ts in rows:
            assert all(f32_exact(v) for v in ps + ts), name
            v = mp.fsum(f(p, t) for p, t in zip(ps, ts))
            gs = [g(p, t) for p, t in zip(ps, ts)]
            w(f'    {{"{name}", {vec(ps)}, {vec(ts)}, {ref(v)}, {vec(gs, ref)}}},')
        w("};")
    w("")

    # Normal
    w("/// One (1, D) example of log N(z; mu, e^logvar) and its gradient in mu, logvar and z.")
    w("struct normal_row {")
    w("    const char* name;")
    w("    std::vector<double> mu, logvar, z;")
    w("    double value;")
    w("    std::vector<double> d_mu, d_logvar, d_z;")
    w("};")
    w("inline const std::vector<normal_row> normal_rows = {")
    for name, mus, lvs, zs in NORMAL_ROWS:
        assert all(f32_exact(v) for v in mus + lvs + zs), name
        v = mp.fsum(normal_logpdf(*a) for a in zip(mus, lvs, zs))
        ds = [[grad(normal_logpdf, a, k) for a in zip(mus, lvs, zs)] for k in range(3)]
        w(f'    {{"{name}", {vec(mus)}, {vec(lvs)}, {vec(zs)}, {ref(v)},')
        w(f"     {vec(ds[0], ref)},")
        w(f"     {vec(ds[1], ref)},")
        w(f"     {vec(ds[2], ref)}}},")
    w("};")
    w("")

    # KL
    w("/// One (1, D) example of KL(N(mu_q, e^lq) || N(mu_p, e^lp)) and its four gradients.")
    w("struct kl_row {")
    w("    const char* name;")
    w("    std::vector<double> mu_q, logvar_q, mu_p, logvar_p;")
    w("    double value;")
    w("    std::vector<double> d_mu_q, d_logvar_q, d_mu_p, d_logvar_p;")
    w("};")
    for arr, rows, need32 in (("kl_rows", KL_ROWS, True), ("kl_rows_double", KL_ROWS_DOUBLE, False)):
        w(f"inline const std::vector<kl_row> {arr} = {{")
        for name, mqs, lqs, mps, lps in rows:
            if need32:
                assert all(f32_exact(v) for v in mqs + lqs + mps + lps), name
            args = list(zip(mqs, lqs, mps, lps))
            v = mp.fsum(kl_textbook(*a) for a in args)
            ds = [[grad(kl_textbook, a, k) for a in args] for k in range(4)]
            w(f'    {{"{name}", {vec(mqs)}, {vec(lqs)}, {vec(mps)}, {vec(lps)}, {ref(v)},')
            for k in range(4):
                w(f"     {vec(ds[k], ref)}{'}' if k == 3 else ''},")
        w("};")
    w("")

    # MC KL
    S, B, D = len(MC["eps"]), len(MC["mq"]), len(MC["mq"][0])
    flat = lambda a: [v for r in a for v in r]
    vals, grads = [], [[], [], [], []]
    for b in range(B):
        vals.append(mp.fsum(mc_sample(MC["mq"][b][j], MC["lq"][b][j], MC["mp"][b][j], MC["lp"][b][j],
                                      MC["eps"][s][b][j]) for s in range(S) for j in range(D)) / S)
        for j in range(D):
            a = [MC["mq"][b][j], MC["lq"][b][j], MC["mp"][b][j], MC["lp"][b][j]]
            for k in range(4):
                grads[k].append(mp.fsum(grad(lambda *x: mc_sample(*x, MC["eps"][s][b][j]), a, k)
                                        for s in range(S)) / S)
    w(f"/// Monte Carlo KL with given noise eps of shape (S, B, D) = ({S}, {B}, {D}); row-major.")
    w(f"inline constexpr std::size_t mc_S = {S}, mc_B = {B}, mc_D = {D};")
    for key in ("mq", "lq", "mp", "lp"):
        w(f"inline const std::vector<double> mc_{key} = {vec(flat(MC[key]))};")
    w(f"inline const std::vector<double> mc_eps = {vec([v for s in MC['eps'] for v in flat(s)])};")
    w(f"inline const std::vector<double> mc_value = {vec(vals, ref)};")
    for k, key in enumerate(("mq", "lq", "mp", "lp")):
        w(f"inline const std::vector<double> mc_d_{key} = {vec(grads[k], ref)};")
    w("")

    # estimators
    B, K = len(EST["log_px_given_z"]), len(EST["log_px_given_z"][0])
    lw = [[mpf(EST["log_px_given_z"][b][k]) + mpf(EST["log_pz"][b][k]) - mpf(EST["log_qz_given_x"][b][k])
           for k in range(K)] for b in range(B)]
    iw = [lse([float(v) for v in row]) - mp.log(K) for row in lw]
    # lw entries are exact in double (sums of quarter-integers), so float(v) loses nothing
    assert all(mpf(float(v)) == v for row in lw for v in row)
    el = [mp.fsum(row) / K for row in lw]
    sm = [[mp.exp(v - (iw[b] + mp.log(K))) for v in lw[b]] for b in range(B)]
    w(f"/// Importance-sampling estimators on a (B, K) = ({B}, {K}) example; row-major.")
    w(f"inline constexpr std::size_t est_B = {B}, est_K = {K};")
    for key in ("log_px_given_z", "log_pz", "log_qz_given_x"):
        w(f"inline const std::vector<double> est_{key} = {vec(flat(EST[key]))};")
    w(f"inline const std::vector<double> est_log_weights = {vec(flat(lw), ref)};")
    w(f"inline const std::vector<double> est_iwae = {vec(iw, ref)};")
    w(f"inline const std::vector<double> est_elbo = {vec(el, ref)};")
    w(f"inline const std::vector<double> est_iwae_grad = {vec(flat(sm), ref)};")
    w("")
    w("}  // namespace gendiv::test::ref")
    text = "\n".join(lines) + "\n"

    if "--check" in sys.argv:
        old = open(OUT).read() if os.path.exists(OUT) else ""
        if old != text:
            print(f"{OUT} is stale; rerun {sys.argv[0]}")
            return 1
        print(f"{OUT} is up to date")
        return 0
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

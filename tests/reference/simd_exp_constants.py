#!/usr/bin/env python3
"""Constants of gendiv/detail/simd_exp.hpp (e^x for batches of double), computed with mpmath.

Prints each constant as the C99 hex literal of the double nearest the exact value, and the
bound on the Taylor remainder that the header's comment states. Run: python3 simd_exp_constants.py
"""
import math
import mpmath

mpmath.mp.prec = 200


def hexd(v):
    return float(v).hex()


print("log2(e)      ", hexd(1 / mpmath.log(2)))
# fdlibm's split: ln2_hi = ln 2 rounded to 32 significant bits, ln2_lo = ln 2 - ln2_hi.
ln2 = mpmath.log(2)
ln2_hi = mpmath.floor(ln2 * 2**32) / 2**32
print("ln2_hi       ", hexd(ln2_hi), "(exact:", float(ln2_hi) == ln2_hi, ")")
print("ln2_lo       ", hexd(ln2 - ln2_hi))
for n in range(13, 1, -1):
    print(f"1/{n}!".ljust(13), hexd(mpmath.mpf(1) / mpmath.factorial(n)))
rmax = ln2 / 2
print("remainder bound r^14/14! * e^r at |r| = ln2/2:",
      mpmath.nstr(rmax**14 / mpmath.factorial(14) * mpmath.exp(rmax), 3))
print("1.5 * 2^52 low 12 bits zero:", (int(1.5 * 2**52) & 0xFFF) == 0)

# exp_table16 (AVX-512): the reduction by ln 2 / 16 and the table of 2^(j/16) as hi + lo.
print("16 log2(e)   ", hexd(16 / ln2))
print("ln2_hi / 16  ", hexd(ln2_hi / 16), "(exact:", float(ln2_hi / 16) == ln2_hi / 16, ")")
print("ln2_lo / 16  ", hexd((ln2 - ln2_hi) / 16))
for j in range(16):
    t = mpmath.mpf(2) ** (mpmath.mpf(j) / 16)
    hi = float(t)
    print(f"2^({j}/16)".ljust(13), "hi", hexd(hi), " lo", hexd(t - mpmath.mpf(hi)))
rmax16 = ln2 / 32
print("remainder bound r^8/8! * e^r at |r| = ln2/32:",
      mpmath.nstr(rmax16**8 / mpmath.factorial(8) * mpmath.exp(rmax16), 3))

# exp_table16 scales by the bits of 2^(j/16): the result is s + s * (e^r - 1 + lo/hi) with
# s = 2^(k/16) built by adding k << 48 to a table entry. The shifted sum's low bits are k + 2^51,
# and (k + 2^51) << 48 is k << 48 modulo 2^64; its low four bits j land in the significand, so
# each entry is bits(hi_j) - (j << 48), and adding k << 48 leaves bits(hi_j) + ((k >> 4) << 52).
print("table16 entries: bits(hi_j) - (j << 48), and lo_j / hi_j")
for j in range(16):
    t = mpmath.mpf(2) ** (mpmath.mpf(j) / 16)
    hi = float(t)
    bits = int.from_bytes(__import__("struct").pack("<d", hi), "little")
    print(f"j = {j:2d}".ljust(13), "0x%016x" % (bits - (j << 48)), " lo/hi", hexd((t - mpmath.mpf(hi)) / hi))

# exp_table16 for float (AVX-512, 16 lanes): the same reduction with float constants. The float
# nearest ln 2 / 16 (c_hi) and the float nearest ln 2 / 16 - c_hi (c_lo); the table entries
# bits(hi_j) - (j << 19) with hi_j the float nearest 2^(j/16) (adding k << 19 for the shifted sum
# k + 1.5 * 2^23 leaves bits(hi_j) + ((k >> 4) << 23)), and lo_j / hi_j to float precision.
import struct


def f32(v):
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]


def bits32(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


print("float 16 log2(e)  ", float(f32(16 / ln2)).hex())
c_hi = f32(ln2 / 16)
print("float ln2/16 c_hi ", float(c_hi).hex())
print("float ln2/16 c_lo ", float(f32(ln2 / 16 - mpmath.mpf(c_hi))).hex())
for j in range(16):
    t = mpmath.mpf(2) ** (mpmath.mpf(j) / 16)
    hi = f32(t)
    print(f"float j = {j:2d}".ljust(13), "0x%08x" % ((bits32(hi) - (j << 19)) & 0xFFFFFFFF),
          " lo/hi", float(f32((t - mpmath.mpf(hi)) / hi)).hex())
print("float remainder bound r^5/5! * e^r at |r| = ln2/32:",
      mpmath.nstr(rmax16**5 / mpmath.factorial(5) * mpmath.exp(rmax16), 3))
# The fast range: k = round(16 x / ln 2) must stay in [-2015, 2047] so that 2^(k >> 4) is a normal
# power below 2^128; e^-87.3 must be normal.
print("16 * 88.7 / ln 2 =", mpmath.nstr(16 * mpmath.mpf("88.7") / ln2, 8), "(< 2047.5)")
print("16 * -87.3 / ln 2 =", mpmath.nstr(16 * mpmath.mpf("-87.3") / ln2, 8))
print("e^-87.3 =", mpmath.nstr(mpmath.exp(mpmath.mpf("-87.3")), 6), "FLT_MIN = 1.17549e-38")

# exp_outside_fast_range: subnormal results come from the C library's exp; the thresholds.
print("ln DBL_MIN", mpmath.nstr(mpmath.log(mpmath.mpf(2) ** -1022), 12),
      " ln FLT_MIN", mpmath.nstr(mpmath.log(mpmath.mpf(2) ** -126), 10))
print("e^x > 0 down to (half the least subnormal): double", mpmath.nstr(mpmath.log(mpmath.mpf(2) ** -1075), 8),
      " float", mpmath.nstr(mpmath.log(mpmath.mpf(2) ** -150), 8))

# exp_table16_sum_term (the terms of log-sum-exp's sums, AVX-512): e^r - 1 = r + r^2 P(r) with P
# the Chebyshev interpolant (mpmath.chebyfit, close to minimax) of (e^r - 1 - r) / r^2 on
# |r| <= ln 2 / 32: degree 4 for double (e^r - 1 of degree six), degree 1 for float (a cubic),
# each coefficient rounded to the type. Printed: the coefficients c2, c3, ... and the largest
# relative error of 1 + r + r^2 P(r) against e^r over 2001 points, the coefficients as rounded.


def sum_term_poly(degree, rnd):
    def p(r):
        return mpmath.mpf(1) / 2 if r == 0 else (mpmath.exp(r) - 1 - r) / r**2
    coeffs = [rnd(c) for c in mpmath.chebyfit(p, [-rmax16, rmax16], degree + 1)[::-1]]
    worst = 0
    for i in range(2001):
        r = -rmax16 + 2 * rmax16 * i / 2000
        approx = 1 + r + r**2 * sum(mpmath.mpf(c) * r**k for k, c in enumerate(coeffs))
        worst = max(worst, abs(approx / mpmath.exp(r) - 1))
    return coeffs, worst


coeffs, worst = sum_term_poly(4, float)
print("sum term, double: c2..c6", [float(c).hex() for c in coeffs], "relative error", mpmath.nstr(worst, 3))
coeffs, worst = sum_term_poly(1, f32)
print("sum term, float: c2, c3", [float(c).hex() for c in coeffs], "relative error", mpmath.nstr(worst, 3))

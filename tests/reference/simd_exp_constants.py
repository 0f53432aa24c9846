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

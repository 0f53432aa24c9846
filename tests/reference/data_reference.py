#!/usr/bin/env python3
"""Reference values for tests/test_data_binarize.cpp and tests/test_data_permutation.cpp.

An independent MT19937-64 (Matsumoto and Nishimura; Nishimura, ACM TOMACS 2000), written from the
published algorithm in exact Python integers, checked against the C++ standard's fixed value
(the 10,000th output of std::mt19937_64 from the default seed 5489 is 9981545732273789042), and
the documented rules of gendiv/data/binarize.hpp and gendiv/data/permutation.hpp on top of it.
Run: python3 tests/reference/data_reference.py
"""
class MT64:
    def __init__(self, seed):
        M = (1 << 64) - 1
        self.mt = [0] * 312
        self.mt[0] = seed & M
        for i in range(1, 312):
            self.mt[i] = (6364136223846793005 * (self.mt[i-1] ^ (self.mt[i-1] >> 62)) + i) & M
        self.i = 312
    def next(self):
        M = (1 << 64) - 1
        UM, LM = 0xFFFFFFFF80000000, 0x7FFFFFFF
        if self.i >= 312:
            for k in range(312):
                x = (self.mt[k] & UM) | (self.mt[(k+1) % 312] & LM)
                xa = x >> 1
                if x & 1: xa ^= 0xB5026F5AA96619E9
                self.mt[k] = self.mt[(k + 156) % 312] ^ xa
            self.i = 0
        x = self.mt[self.i]; self.i += 1
        x ^= (x >> 29) & 0x5555555555555555
        x ^= (x << 17) & 0x71D67FFFEDA60000
        x ^= (x << 37) & 0xFFF7EEE000000000
        x ^= x >> 43
        return x & M

def uniform_below(r, m):
    rest = (1 << 64) % m
    while True:
        x = r.next()
        if rest == 0 or x < (1 << 64) - rest: return x % m

def permutation(n, r):
    p = list(range(n))
    for i in range(n, 1, -1):
        j = uniform_below(r, i)
        p[i-1], p[j] = p[j], p[i-1]
    return p

r = MT64(5489)
for _ in range(9999): r.next()
print("10000th:", r.next())
# binarize: greys g_k = (37 k) mod 256 for k = 0..31, seed 42
r = MT64(42)
greys = [(37 * k) % 256 for k in range(32)]
bits = [1 if (r.next() >> 11) * 255 < (g << 53) else 0 for g in greys]
print("greys", greys)
print("bits", bits)
print("perm10 seed7", permutation(10, MT64(7)))
r = MT64(123)
print("uniform_below(1000) seed123:", [uniform_below(r, 1000) for _ in range(8)])

#!/usr/bin/env python3
"""Reference values for tests/test_nn_linear.cpp (init_is_pytorch_default_and_deterministic).

A transcription of MT19937-64 (Matsumoto & Nishimura; the parameters of C++'s std::mt19937_64)
in exact integer arithmetic, and gendiv's map from a raw draw r to a weight:
    w = bound * ((r >> 11) * 2**-52 - 1),   bound = 1/sqrt(fan_in).
Prints the first draws for seed 0 and the weights of a layer with fan_in = 4 (bound 0.5).
"""


def mt19937_64(seed):
    n, m = 312, 156
    a = 0xB5026F5AA96619E9
    u, d = 29, 0x5555555555555555
    s, b = 17, 0x71D67FFFEDA60000
    t, c = 37, 0xFFF7EEE000000000
    l, f = 43, 6364136223846793005
    mask = (1 << 64) - 1
    lower = (1 << 31) - 1
    upper = ~lower & mask
    mt = [0] * n
    mt[0] = seed & mask
    for i in range(1, n):
        mt[i] = (f * (mt[i - 1] ^ (mt[i - 1] >> 62)) + i) & mask
    idx = n
    while True:
        if idx >= n:
            for i in range(n):
                x = (mt[i] & upper) | (mt[(i + 1) % n] & lower)
                xa = x >> 1
                if x & 1:
                    xa ^= a
                mt[i] = mt[(i + m) % n] ^ xa
            idx = 0
        y = mt[idx]
        idx += 1
        y ^= (y >> u) & d
        y ^= (y << s) & b
        y ^= (y << t) & c
        y ^= y >> l
        yield y & mask


if __name__ == "__main__":
    g = mt19937_64(0)
    for _ in range(3):
        r = next(g)
        print(r, repr(0.5 * ((r >> 11) * 2.0 ** -52 - 1.0)))

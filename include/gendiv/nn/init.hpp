// gendiv/nn/init.hpp: seeded, platform-independent initialization of linear layers.
//
// std::uniform_real_distribution is implementation-defined (libstdc++, libc++ and MSVC draw
// different values from the same engine), so the uniforms here are made from the raw 64-bit
// outputs of std::mt19937_64, whose sequence the C++ standard fixes: u = (r >> 11)·2⁻⁵³ is
// exact in double, and 2u - 1 lies in [-1, 1). The same seed thus gives the same weights,
// bit for bit, on every platform with IEEE double arithmetic.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>

#include "gendiv/detail/config.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::nn {

/// A uniform draw in [-1, 1) from one raw output of the engine (53 random bits, exact).
inline double symmetric_unit_uniform(std::mt19937_64& rng) {
    const std::uint64_t r = rng() >> 11;                      // 53 bits
    return static_cast<double>(r) * 0x1.0p-52 - 1.0;          // (r / 2^52) - 1, exact
}

/// Fills p[0..n) with values uniform in [-bound, bound] (bound·u rounded to T; the rounding can
/// reach ±bound itself in float).
template <class T>
void fill_uniform(T* p, std::size_t n, double bound, std::mt19937_64& rng) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(bound * symmetric_unit_uniform(rng));
}

/// The bound 1/√fan_in of PyTorch's default nn.Linear initialization: kaiming_uniform_ with
/// a = √5 gives gain √(2/(1+5)) and bound gain·√(3/fan_in) = 1/√fan_in for the weights, and
/// the bias is drawn from U(-1/√fan_in, 1/√fan_in).
inline double linear_init_bound(std::size_t fan_in) {
    return fan_in == 0 ? 0.0 : 1.0 / std::sqrt(static_cast<double>(fan_in));
}

/// PyTorch's default nn.Linear initialization of a weight (out × in, row-major) and a bias (out)
/// from `rng`: the weights first, row by row, then the bias (bias may be null).
template <class T>
void init_linear(T* weight, T* bias, std::size_t in, std::size_t out, std::mt19937_64& rng) {
    const double bound = linear_init_bound(in);
    fill_uniform(weight, out * in, bound, rng);
    if (bias) fill_uniform(bias, out, bound, rng);
}

}  // namespace gendiv::nn

GENDIV_DIAGNOSTICS_POP

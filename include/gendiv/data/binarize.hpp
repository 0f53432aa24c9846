// gendiv/data/binarize.hpp: stochastic binarization of grey-level images, reproducible bit for
// bit on every machine.
//
// Each pixel with grey level g ∈ {0, ..., 255} becomes 1 with probability g/255 and 0 otherwise
// (the dynamic binarization of Salakhutdinov and Murray, "On the quantitative analysis of deep
// belief networks", ICML 2008, done once here, so that train, validation and test bits stay
// fixed). The rule, in integers so that no floating-point detail can differ between machines:
//
//   for every pixel in row-major order: x = rng() (one raw 64-bit draw of std::mt19937_64);
//   u = x >> 11 (a uniform 53-bit integer); bit = 1 if u·255 < g·2^53, else 0.
//
// u·255 < g·2^53 is u/2^53 < g/255 without rounding (both sides are below 2^61), so
// P(bit = 1) = ⌈g·2^53/255⌉ / 2^53 = g/255 within 2^-53; g = 0 always gives 0 and g = 255
// always 1. One draw is spent on every pixel, whatever its value, so the stream stays aligned
// and binarizing a file in pieces with one engine equals binarizing it at once.
// std::uniform_real_distribution is not used: its output is implementation-defined.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

#include "gendiv/data/permutation.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::data {

/// The rule above for one pixel: 1 when the draw x falls below grey/255.
inline std::uint8_t binarize_pixel(std::uint8_t grey, std::uint64_t x) {
    return static_cast<std::uint8_t>((x >> 11) * 255u < (static_cast<std::uint64_t>(grey) << 53));
}

/// Binarizes n grey levels in place, one draw of `rng` per value, in order.
template <class URBG>
void binarize(std::uint8_t* pixels, std::size_t n, URBG& rng) {
    detail::check_64bit_engine<URBG>();
    for (std::size_t i = 0; i < n; ++i) pixels[i] = binarize_pixel(pixels[i], rng());
}

/// Binarizes (N, D) grey levels in place, row-major, continuing the stream of `rng`.
template <class URBG>
void binarize(xt::xtensor<std::uint8_t, 2>& images, URBG& rng) {
    binarize(images.data(), images.size(), rng);
}

/// Binarizes (N, D) grey levels in place with std::mt19937_64(seed).
inline void binarize(xt::xtensor<std::uint8_t, 2>& images, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    binarize(images, rng);
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

// examples/common/random.hpp: portable draws from a std::mt19937_64.
// std::uniform_real_distribution and std::normal_distribution are implementation-defined (and
// libstdc++'s normal caches a second draw inside the distribution object), so a run would not
// reproduce across standard libraries, and a checkpoint would have to save the distribution
// too. These helpers derive every draw from the engine's raw 64-bit output alone: saving the
// engine's state is enough to resume bit for bit.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <xsimd/xsimd.hpp>

namespace examples {

using engine = std::mt19937_64;

/// Uniform on (0, 1): the top 53 bits, offset by half an ulp so that 0 never occurs.
inline double uniform_open(engine& rng) {
    return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

/// n standard-normal draws by the Box–Muller transform, two per pair of uniforms. The uniforms
/// come from the engine in order; the logarithms, square roots and sines run on xsimd batches
/// of doubles (xsimd's own implementations, the same on every x86-64 machine, and ~4× faster
/// than scalar libm calls here).
template <class T>
void fill_normal(engine& rng, T* out, std::size_t n) {
    using B = xsimd::batch<double>;
    constexpr std::size_t W = B::size;
    constexpr double two_pi = 6.283185307179586476925286766559;
    alignas(64) double u1[W], u2[W], zc[W], zs[W];
    for (std::size_t i = 0; i < n; i += 2 * W) {
        for (std::size_t k = 0; k < W; ++k) {
            u1[k] = uniform_open(rng);
            u2[k] = uniform_open(rng);
        }
        const B r = xsimd::sqrt(B(-2.0) * xsimd::log(B::load_aligned(u1)));
        const auto sc = xsimd::sincos(B(two_pi) * B::load_aligned(u2));
        (r * sc.second).store_aligned(zc);
        (r * sc.first).store_aligned(zs);
        for (std::size_t k = 0; k < W; ++k) {
            const std::size_t j = i + 2 * k;
            if (j < n) out[j] = static_cast<T>(zc[k]);
            if (j + 1 < n) out[j + 1] = static_cast<T>(zs[k]);
        }
    }
}

/// A uniformly random permutation of 0..n-1 (Fisher–Yates with an unbiased bounded draw).
inline std::vector<std::size_t> permutation(engine& rng, std::size_t n) {
    std::vector<std::size_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = i;
    for (std::size_t i = n; i > 1; --i) {
        const std::uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound;
        std::uint64_t r;
        do r = rng(); while (r >= limit);
        std::swap(p[i - 1], p[r % bound]);
    }
    return p;
}

inline std::string save_engine(const engine& rng) {
    std::ostringstream os;
    os << rng;
    return os.str();
}

inline engine load_engine(const std::string& text) {
    engine rng;
    std::istringstream is(text);
    is >> rng;
    if (!is) throw std::runtime_error("corrupt random-engine state in checkpoint");
    return rng;
}

}  // namespace examples

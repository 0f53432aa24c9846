// gendiv/data/permutation.hpp: shuffling that gives the same order on every machine.
//
// std::shuffle and std::uniform_int_distribution leave their algorithms to the implementation,
// so the same seed can give libstdc++ and libc++ users different splits. gendiv fixes both steps
// on top of the raw 64-bit outputs of the engine, which the C++ standard specifies exactly for
// std::mt19937_64 ([rand.predef]: its 10,000th output from the default seed is
// 9981545732273789042):
//
//   uniform_below(rng, m): draw x = rng() until x < 2^64 − (2^64 mod m), then return x mod m.
//       (Rejection removes modulo bias; fewer than two draws on average for any m.)
//   permutation(n, rng): start from 0, 1, ..., n−1; for i = n−1 down to 1, swap entries i and
//       uniform_below(rng, i + 1) (Durstenfeld's form of the Fisher–Yates shuffle, Knuth TAOCP
//       vol. 2, algorithm 3.4.2 P). Each of the n! orders is equally likely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {
template <class URBG>
constexpr void check_64bit_engine() {
    static_assert(std::is_same_v<typename URBG::result_type, std::uint64_t> && URBG::min() == 0 &&
                      URBG::max() == std::numeric_limits<std::uint64_t>::max(),
                  "gendiv: the engine must return full-range 64-bit values (use std::mt19937_64)");
}
}  // namespace gendiv::detail

namespace gendiv::data {

/// A uniform integer in [0, m) from raw 64-bit draws by rejection (rule in the header comment).
/// @throws gendiv::error when m is 0.
template <class URBG>
std::uint64_t uniform_below(URBG& rng, std::uint64_t m) {
    detail::check_64bit_engine<URBG>();
    if (m == 0) detail::fail("uniform_below", "the bound m must be positive");
    const std::uint64_t rest = (0 - m) % m;  // 2^64 mod m
    for (;;) {
        const std::uint64_t x = rng();
        if (rest == 0 || x < 0 - rest) return x % m;  // 0 - rest == 2^64 - rest
    }
}

/// Shuffles `values` in place with the rule in the header comment.
template <class T, class URBG>
void shuffle(std::vector<T>& values, URBG& rng) {
    for (std::size_t i = values.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(uniform_below(rng, i));
        using std::swap;
        swap(values[i - 1], values[j]);
    }
}

/// A uniformly random permutation of 0, ..., n−1 (the same on every machine for a given engine
/// state).
template <class URBG>
std::vector<std::size_t> permutation(std::size_t n, URBG& rng) {
    std::vector<std::size_t> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = i;
    shuffle(p, rng);
    return p;
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

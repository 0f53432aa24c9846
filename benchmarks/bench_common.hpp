// benchmarks/bench_common.hpp: shared inputs, counters and the two floors that the core's
// kernels are measured against at large sizes:
//   * memory floor: reading the same input bytes (a SIMD sum over every input array, both
//     threads), i.e. the machine's bandwidth for this access pattern;
//   * transcendental floor: evaluating the same transcendental calls (exp, log1p, ...) that the
//     kernel needs per element with xsimd on data in cache, both threads, nothing else.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <vector>

#include "gendiv/detail/simd.hpp"

namespace bench {

template <class T>
std::vector<T> uniform(std::size_t n, double lo, double hi, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(rng));
    return v;
}

template <class T>
std::vector<T> bits(std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(rng() & 1);
    return v;
}

/// The timed loop with one untimed call of `body` first. On the development VM the first read
/// of freshly written memory is 10-40 times slower than later reads (4 arrays of 10^7 doubles:
/// 265 ms, then 7 ms), and Google Benchmark 1.7 has no warm-up option: a benchmark whose first
/// iteration already exceeds the minimum time reported that first read alone.
template <class F>
void run(benchmark::State& state, F&& body) {
    body();
    for (auto _ : state) body();
}

/// Bytes and items processed per iteration, reported as rates.
inline void set_counters(benchmark::State& state, std::size_t bytes, std::size_t items) {
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * items));
}

/// Memory floor: sum every element of the given arrays (both threads, SIMD).
template <class T>
T read_all(const std::vector<const std::vector<T>*>& arrays) {
    double total = 0;
    for (const auto* a : arrays) {
        const T* p = a->data();
        const long n = static_cast<long>(a->size());
        const long chunks = 64, per = (n + chunks - 1) / chunks;
        double part = 0;
#pragma omp parallel for reduction(+ : part) schedule(static)
        for (long c = 0; c < chunks; ++c) {
            const long lo = c * per, hi = std::min(n, lo + per);
            if (lo < hi)
                part += gendiv::detail::simd_sum<T>(static_cast<std::size_t>(hi - lo), [&](std::size_t i, auto tag) {
                    using V = typename decltype(tag)::type;
                    return gendiv::detail::load<V>(p + lo + i);
                });
        }
        total += part;
    }
    return static_cast<T>(total);
}

/// Transcendental floor: n evaluations of f on values from a small cached buffer (both
/// threads, SIMD), so the time is the calls' alone.
template <class T, class F>
T transcendental_only(std::size_t n, const std::vector<T>& cached, F f) {
    const std::size_t m = cached.size();
    const long reps = static_cast<long>((n + m - 1) / m);
    double total = 0;
#pragma omp parallel for reduction(+ : total) schedule(static)
    for (long r = 0; r < reps; ++r)
        total += gendiv::detail::simd_sum<T>(m, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            return f(gendiv::detail::load<V>(cached.data() + i));
        });
    return static_cast<T>(total);
}

}  // namespace bench

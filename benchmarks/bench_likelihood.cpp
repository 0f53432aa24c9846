// bench_likelihood: Bernoulli log-likelihood from logits at the seed's shape (64, 784) and at
// ~10^7 elements, and the diagonal-Normal log-density at (64, 100), (12800, 100) and 10^7:
// the naive formula (what the seed writes: log of a sigmoid, division by exp(logvar)) vs gendiv
// vs the Thrust device path (OMP backend), beside the memory and transcendental floors.
#include <cmath>
#include <type_traits>

#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>

#include "bench_common.hpp"
#include "gendiv/device/likelihood.hpp"
#include "gendiv/likelihood.hpp"

namespace {

template <class T>
xt::xtensor<T, 2> tensor(std::vector<T> v, long rows, long cols) {
    return xt::adapt(std::move(v), std::vector<std::size_t>{std::size_t(rows), std::size_t(cols)});
}

// ---- Bernoulli from logits ----------------------------------------------------------------

template <class T>
void BM_bernoulli_naive(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto x = bench::uniform<T>(n, -8, 8, 1), t = bench::bits<T>(n, 2);
    std::vector<T> out(static_cast<std::size_t>(B));
    bench::run(state, [&] {
        for (long b = 0; b < B; ++b) {
            T s = 0;
            for (long i = b * D; i < (b + 1) * D; ++i) {
                const T p = T(1) / (T(1) + std::exp(-x[i]));  // sigmoid, then logs (the seed)
                s += t[i] * std::log(p) + (T(1) - t[i]) * std::log(T(1) - p);
            }
            out[static_cast<std::size_t>(b)] = s;
        }
        benchmark::DoNotOptimize(out.data());
    });
    bench::set_counters(state, 2 * sizeof(T) * n, n);
}

template <class T>
void BM_bernoulli_gendiv(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto x = tensor(bench::uniform<T>(n, -8, 8, 1), B, D), t = tensor(bench::bits<T>(n, 2), B, D);
    bench::run(state, [&] {
        auto r = gendiv::log_likelihood_bernoulli_logits(x, t);
        benchmark::DoNotOptimize(r.data());
    });
    bench::set_counters(state, 2 * sizeof(T) * n, n);
}

template <class T>
void BM_bernoulli_device_omp(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto xv = bench::uniform<T>(n, -8, 8, 1), tv = bench::bits<T>(n, 2);
    thrust::device_vector<T> x(xv.begin(), xv.end()), t(tv.begin(), tv.end()), out(B);
    bench::run(state, [&] {
        gendiv::device::log_likelihood_bernoulli_logits(thrust::device, x.begin(), t.begin(), B, D, out.begin());
        benchmark::DoNotOptimize(thrust::raw_pointer_cast(out.data()));
    });
    bench::set_counters(state, 2 * sizeof(T) * n, n);
}

// ---- Normal ---------------------------------------------------------------------------------

template <class T>
void BM_normal_naive(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto mu = bench::uniform<T>(n, -2, 2, 3), lv = bench::uniform<T>(n, -3, 3, 4), z = bench::uniform<T>(n, -2, 2, 5);
    std::vector<T> out(static_cast<std::size_t>(B));
    const T log2pi = static_cast<T>(std::log(2 * M_PI));
    bench::run(state, [&] {
        for (long b = 0; b < B; ++b) {
            T s = 0;
            for (long i = b * D; i < (b + 1) * D; ++i)
                s += log2pi + lv[i] + (z[i] - mu[i]) * (z[i] - mu[i]) / std::exp(lv[i]);
            out[static_cast<std::size_t>(b)] = T(-0.5) * s;
        }
        benchmark::DoNotOptimize(out.data());
    });
    bench::set_counters(state, 3 * sizeof(T) * n, n);
}

template <class T>
void BM_normal_gendiv(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto mu = tensor(bench::uniform<T>(n, -2, 2, 3), B, D), lv = tensor(bench::uniform<T>(n, -3, 3, 4), B, D),
               z = tensor(bench::uniform<T>(n, -2, 2, 5), B, D);
    bench::run(state, [&] {
        auto r = gendiv::log_likelihood_normal(mu, lv, z);
        benchmark::DoNotOptimize(r.data());
    });
    bench::set_counters(state, 3 * sizeof(T) * n, n);
}

template <class T>
void BM_normal_device_omp(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto a = bench::uniform<T>(n, -2, 2, 3), b = bench::uniform<T>(n, -3, 3, 4), c = bench::uniform<T>(n, -2, 2, 5);
    thrust::device_vector<T> mu(a.begin(), a.end()), lv(b.begin(), b.end()), z(c.begin(), c.end()), out(B);
    bench::run(state, [&] {
        gendiv::device::log_likelihood_normal(thrust::device, mu.begin(), lv.begin(), z.begin(), B, D, out.begin());
        benchmark::DoNotOptimize(thrust::raw_pointer_cast(out.data()));
    });
    bench::set_counters(state, 3 * sizeof(T) * n, n);
}

// ---- floors at the large size ----------------------------------------------------------------

constexpr long large_bernoulli_rows = 12756, large_normal_rows = 100000;

template <class T>
void BM_floor_memory_bernoulli(benchmark::State& state) {
    const std::size_t n = large_bernoulli_rows * 784;
    const auto x = bench::uniform<T>(n, -8, 8, 1), t = bench::bits<T>(n, 2);
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::read_all<T>({&x, &t})); });
    bench::set_counters(state, 2 * sizeof(T) * n, n);
}

template <class T>
void BM_floor_exp_log1p(benchmark::State& state) {  // Bernoulli: one exp and one log1p per element
    const auto cached = bench::uniform<T>(4096, -8, 8, 6);
    const std::size_t n = large_bernoulli_rows * 784;
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::transcendental_only<T>(n, cached, [](auto v) {
            using gendiv::detail::exp;
            using gendiv::detail::log1p;
            return log1p(exp(v));
        })); });
    bench::set_counters(state, 2 * sizeof(T) * n, n);
}

template <class T>
void BM_floor_bernoulli_transcendentals(benchmark::State& state) {
    // what the row kernel calls (detail/bernoulli_row.hpp): one exp per element (for batches on
    // exp's fast path without the range test, since 5ac198c) and one log1p per
    // bernoulli_chunk<T> elements
    const auto cached = bench::uniform<T>(4096, -8, 8, 6);
    const std::size_t n = large_bernoulli_rows * 784;
    const std::size_t n_log = n / gendiv::detail::bernoulli_chunk<T>;
    bench::run(state, [&] {
        benchmark::DoNotOptimize(bench::transcendental_only<T>(n, cached, [](auto v) {
            using gendiv::detail::exp;
            using gendiv::detail::fabs;
            if constexpr (std::is_arithmetic_v<decltype(v)>)
                return exp(-fabs(v));
            else
                return gendiv::detail::exp_fast_range(-fabs(v));
        }));
        benchmark::DoNotOptimize(bench::transcendental_only<T>(n_log, cached, [](auto v) {
            using gendiv::detail::log1p;
            return log1p(v * v);
        }));
    });
    bench::set_counters(state, 2 * sizeof(T) * n, n);
}

template <class T>
void BM_floor_memory_normal(benchmark::State& state) {
    const std::size_t n = large_normal_rows * 100;
    const auto a = bench::uniform<T>(n, -2, 2, 3), b = bench::uniform<T>(n, -3, 3, 4), c = bench::uniform<T>(n, -2, 2, 5);
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::read_all<T>({&a, &b, &c})); });
    bench::set_counters(state, 3 * sizeof(T) * n, n);
}

template <class T>
void BM_floor_exp(benchmark::State& state) {  // Normal: one exp per element
    const auto cached = bench::uniform<T>(4096, -3, 3, 7);
    const std::size_t n = large_normal_rows * 100;
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::transcendental_only<T>(n, cached, [](auto v) {
            using gendiv::detail::exp;
            return exp(v);
        })); });
    bench::set_counters(state, 3 * sizeof(T) * n, n);
}

}  // namespace

#define BERNOULLI_SHAPES Args({64, 784})->Args({large_bernoulli_rows, 784})->Unit(benchmark::kMicrosecond)->UseRealTime()
#define NORMAL_SHAPES Args({64, 100})->Args({12800, 100})->Args({large_normal_rows, 100})->Unit(benchmark::kMicrosecond)->UseRealTime()
BENCHMARK_TEMPLATE(BM_bernoulli_naive, float)->BERNOULLI_SHAPES;
BENCHMARK_TEMPLATE(BM_bernoulli_gendiv, float)->BERNOULLI_SHAPES;
BENCHMARK_TEMPLATE(BM_bernoulli_device_omp, float)->BERNOULLI_SHAPES;
BENCHMARK_TEMPLATE(BM_bernoulli_naive, double)->BERNOULLI_SHAPES;
BENCHMARK_TEMPLATE(BM_bernoulli_gendiv, double)->BERNOULLI_SHAPES;
BENCHMARK_TEMPLATE(BM_bernoulli_device_omp, double)->BERNOULLI_SHAPES;
BENCHMARK_TEMPLATE(BM_normal_naive, float)->NORMAL_SHAPES;
BENCHMARK_TEMPLATE(BM_normal_gendiv, float)->NORMAL_SHAPES;
BENCHMARK_TEMPLATE(BM_normal_device_omp, float)->NORMAL_SHAPES;
BENCHMARK_TEMPLATE(BM_normal_naive, double)->NORMAL_SHAPES;
BENCHMARK_TEMPLATE(BM_normal_gendiv, double)->NORMAL_SHAPES;
BENCHMARK_TEMPLATE(BM_normal_device_omp, double)->NORMAL_SHAPES;
BENCHMARK_TEMPLATE(BM_floor_memory_bernoulli, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_exp_log1p, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_bernoulli_transcendentals, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_memory_bernoulli, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_exp_log1p, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_bernoulli_transcendentals, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_memory_normal, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_exp, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_memory_normal, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_exp, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();

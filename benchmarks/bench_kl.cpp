// bench_kl: analytic KL(q ‖ p) between diagonal Gaussians at the seed's shapes (64, 100) and
// (12800, 100) and at 10^7 elements: the seed's formula (ratios of exp(logvar)) vs gendiv vs the
// Thrust device path (OMP backend), beside the memory and transcendental floors.
#include <cmath>
#include <type_traits>

#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>

#include "bench_common.hpp"
#include "gendiv/device/kl.hpp"
#include "gendiv/kl.hpp"

namespace {

constexpr long large_rows = 100000;

struct inputs {
    template <class T>
    static std::vector<std::vector<T>> make(std::size_t n) {
        return {bench::uniform<T>(n, -2, 2, 1), bench::uniform<T>(n, -3, 3, 2), bench::uniform<T>(n, -1, 1, 3),
                bench::uniform<T>(n, -1, 1, 4)};
    }
};

template <class T>
void BM_kl_naive(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto in = inputs::make<T>(n);
    const T *mq = in[0].data(), *lq = in[1].data(), *mp = in[2].data(), *lp = in[3].data();
    std::vector<T> out(static_cast<std::size_t>(B));
    bench::run(state, [&] {
        for (long b = 0; b < B; ++b) {
            T s = 0;
            for (long i = b * D; i < (b + 1) * D; ++i)
                s += lp[i] - lq[i] - T(1) + std::exp(lq[i]) / std::exp(lp[i]) +
                     (mq[i] - mp[i]) * (mq[i] - mp[i]) / std::exp(lp[i]);
            out[static_cast<std::size_t>(b)] = T(0.5) * s;
        }
        benchmark::DoNotOptimize(out.data());
    });
    bench::set_counters(state, 4 * sizeof(T) * n, n);
}

template <class T>
void BM_kl_gendiv(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    auto in = inputs::make<T>(n);
    const std::vector<std::size_t> shape{std::size_t(B), std::size_t(D)};
    const xt::xtensor<T, 2> mq = xt::adapt(in[0], shape), lq = xt::adapt(in[1], shape), mp = xt::adapt(in[2], shape),
                            lp = xt::adapt(in[3], shape);
    bench::run(state, [&] {
        auto r = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp);
        benchmark::DoNotOptimize(r.data());
    });
    bench::set_counters(state, 4 * sizeof(T) * n, n);
}

template <class T>
void BM_kl_device_omp(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1), n = B * D;
    const auto in = inputs::make<T>(n);
    thrust::device_vector<T> mq(in[0].begin(), in[0].end()), lq(in[1].begin(), in[1].end()),
        mp(in[2].begin(), in[2].end()), lp(in[3].begin(), in[3].end()), out(B);
    bench::run(state, [&] {
        gendiv::device::kl_gaussian_gaussian_analytic(thrust::device, mq.begin(), lq.begin(), mp.begin(), lp.begin(), B,
                                                      D, out.begin());
        benchmark::DoNotOptimize(thrust::raw_pointer_cast(out.data()));
    });
    bench::set_counters(state, 4 * sizeof(T) * n, n);
}

template <class T>
void BM_floor_memory(benchmark::State& state) {
    const std::size_t n = large_rows * 100;
    const auto in = inputs::make<T>(n);
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::read_all<T>({&in[0], &in[1], &in[2], &in[3]})); });
    bench::set_counters(state, 4 * sizeof(T) * n, n);
}

/// The transcendental calls of the KL kernel alone: exp(-lp/2) and, for the log-variance term
/// beyond its series, exp(d) (exp(d/2) from d = 88 in float, 708 in double; docs/math.md, §KL):
/// two exps per element, the ones the kernel calls: for batches exp's fast path without the
/// range test (detail::kl_normal_fast_fn, which kl_analytic_rows uses while |lp| < 1416 in
/// double and 174 in float), for the scalar tail exp.
template <class T>
void BM_floor_kl_transcendentals(benchmark::State& state) {
    const auto cached = bench::uniform<T>(4096, -3, 3, 5);
    const std::size_t n = large_rows * 100;
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::transcendental_only<T>(n, cached, [](auto v) {
            using V = decltype(v);
            if constexpr (!std::is_arithmetic_v<V>) {
                return gendiv::detail::exp_fast_range(v) + gendiv::detail::exp_fast_range(V(0.5) * v);
            } else {
                using gendiv::detail::exp;
                return exp(v) + exp(T(0.5) * v);
            }
        })); });
    bench::set_counters(state, 4 * sizeof(T) * n, n);
}

}  // namespace

#define KL_SHAPES Args({64, 100})->Args({12800, 100})->Args({large_rows, 100})->Unit(benchmark::kMicrosecond)->UseRealTime()
BENCHMARK_TEMPLATE(BM_kl_naive, float)->KL_SHAPES;
BENCHMARK_TEMPLATE(BM_kl_gendiv, float)->KL_SHAPES;
BENCHMARK_TEMPLATE(BM_kl_device_omp, float)->KL_SHAPES;
BENCHMARK_TEMPLATE(BM_kl_naive, double)->KL_SHAPES;
BENCHMARK_TEMPLATE(BM_kl_gendiv, double)->KL_SHAPES;
BENCHMARK_TEMPLATE(BM_kl_device_omp, double)->KL_SHAPES;
BENCHMARK_TEMPLATE(BM_floor_memory, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_kl_transcendentals, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_memory, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_kl_transcendentals, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();

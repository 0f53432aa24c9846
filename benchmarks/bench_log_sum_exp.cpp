// bench_log_sum_exp: log_mean_exp over rows, naive formula vs gendiv vs the Thrust device path
// (OMP backend here), at the seed's importance-sampling shape (64, 200) and at 10^7 elements,
// beside the memory and transcendental floors (bench_common.hpp), and at the seed's shape beside
// its exponentials alone.
#include <algorithm>
#include <cmath>

#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>

#include "bench_common.hpp"
#include "gendiv/detail/lse_row.hpp"
#include "gendiv/device/log_sum_exp.hpp"
#include "gendiv/log_sum_exp.hpp"

namespace {

constexpr long small_rows = 64, small_n = 200, large_rows = 1000, large_n = 10000;

template <class T>
xt::xtensor<T, 2> input(long rows, long n) {
    auto v = bench::uniform<T>(static_cast<std::size_t>(rows * n), -50, 0, 1);
    xt::xtensor<T, 2> x = xt::adapt(v, std::vector<std::size_t>{std::size_t(rows), std::size_t(n)});
    return x;
}

/// The textbook formula: log((1/n) Σ exp(x)), no shift (underflows to -inf for x ≲ -745).
template <class T>
void BM_naive(benchmark::State& state) {
    const long rows = state.range(0), n = state.range(1);
    const auto x = input<T>(rows, n);
    std::vector<T> out(static_cast<std::size_t>(rows));
    bench::run(state, [&] {
        for (long r = 0; r < rows; ++r) {
            T s = 0;
            for (long i = 0; i < n; ++i) s += std::exp(x.data()[r * n + i]);
            out[static_cast<std::size_t>(r)] = std::log(s / static_cast<T>(n));
        }
        benchmark::DoNotOptimize(out.data());
    });
    bench::set_counters(state, sizeof(T) * rows * n, static_cast<std::size_t>(rows * n));
}

template <class T>
void BM_gendiv(benchmark::State& state) {
    const long rows = state.range(0), n = state.range(1);
    const auto x = input<T>(rows, n);
    bench::run(state, [&] {
        auto r = gendiv::log_mean_exp(x);
        benchmark::DoNotOptimize(r.data());
    });
    bench::set_counters(state, sizeof(T) * rows * n, static_cast<std::size_t>(rows * n));
}

template <class T>
void BM_device_omp(benchmark::State& state) {
    const long rows = state.range(0), n = state.range(1);
    const auto x = input<T>(rows, n);
    thrust::device_vector<T> dx(x.begin(), x.end()), out(static_cast<std::size_t>(rows));
    bench::run(state, [&] {
        gendiv::device::log_mean_exp(thrust::device, dx.begin(), rows, n, out.begin());
        benchmark::DoNotOptimize(thrust::raw_pointer_cast(out.data()));
    });
    bench::set_counters(state, sizeof(T) * rows * n, static_cast<std::size_t>(rows * n));
}

template <class T>
void BM_floor_memory(benchmark::State& state) {
    const auto v = bench::uniform<T>(static_cast<std::size_t>(large_rows * large_n), -50, 0, 1);
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::read_all<T>({&v})); });
    bench::set_counters(state, sizeof(T) * v.size(), v.size());
}

template <class T>
void BM_floor_exp(benchmark::State& state) {
    const auto cached = bench::uniform<T>(4096, -50, 0, 2);
    const std::size_t n = static_cast<std::size_t>(large_rows * large_n);
    // the exp that the kernel's sums call (detail::exp_of_shifted: for double batches without
    // exp's range test, arguments raised to -708 first)
    bench::run(state, [&] { benchmark::DoNotOptimize(bench::transcendental_only<T>(n, cached, [](auto v) {
            return gendiv::detail::exp_of_shifted(v);
        })); });
    bench::set_counters(state, sizeof(T) * n, n);
}

/// The seed shape's exponentials alone: Σ_i e^(x_i - m) over each row, with each row's maximum m
/// taken before the timing, through the sums the kernel calls (detail::shifted_exp_sum: the same
/// exp, loop and accumulators), on one thread as the kernel runs at this size. Left out: the
/// maxima's pass, the lane reductions and the logs. So this is what log_mean_exp at (64, 200)
/// spends on its e^x alone; against PyTorch's time it bounds the ratio that a faster
/// rest of the kernel could reach.
template <class T>
void BM_floor_exp_rows(benchmark::State& state) {
    const long rows = state.range(0), n = state.range(1);
    const auto x = input<T>(rows, n);
    std::vector<T> m(static_cast<std::size_t>(rows));
    for (long r = 0; r < rows; ++r) m[static_cast<std::size_t>(r)] = *std::max_element(x.data() + r * n, x.data() + (r + 1) * n);
    bench::run(state, [&] {
        T total = 0;
        for (long r = 0; r < rows; ++r)
            total += gendiv::detail::shifted_exp_sum(x.data() + r * n, static_cast<std::size_t>(n), m[static_cast<std::size_t>(r)]);
        benchmark::DoNotOptimize(total);
    });
    bench::set_counters(state, sizeof(T) * rows * n, static_cast<std::size_t>(rows * n));
}

}  // namespace

#define GENDIV_SHAPES Args({small_rows, small_n})->Args({large_rows, large_n})->Unit(benchmark::kMicrosecond)->UseRealTime()
BENCHMARK_TEMPLATE(BM_naive, float)->GENDIV_SHAPES;
BENCHMARK_TEMPLATE(BM_gendiv, float)->GENDIV_SHAPES;
BENCHMARK_TEMPLATE(BM_device_omp, float)->GENDIV_SHAPES;
BENCHMARK_TEMPLATE(BM_naive, double)->GENDIV_SHAPES;
BENCHMARK_TEMPLATE(BM_gendiv, double)->GENDIV_SHAPES;
BENCHMARK_TEMPLATE(BM_device_omp, double)->GENDIV_SHAPES;
BENCHMARK_TEMPLATE(BM_floor_exp_rows, float)->Args({small_rows, small_n})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_exp_rows, double)->Args({small_rows, small_n})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_memory, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_exp, float)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_memory, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_floor_exp, double)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_MAIN();

// benchmarks/bench_device.hpp: the Thrust device kernels (gendiv/device/) timed on any Thrust
// system, for bench_device_cpu.cpp (OMP and CPP backends, beside the host xtensor path) and
// bench_device_cuda.cu (CUDA). Includes Thrust and gendiv's device headers only, never xtensor:
// nvcc compiles this file too (bench_common.hpp pulls in xsimd, which it does not).
//
// Each kernel reads row-major (B × D) float inputs and writes B row results. Beside every size
// runs `thrust::reduce` over the same number of input bytes on the same system: the backend's
// own streaming ceiling (issue 7's target: each OMP kernel within 1.5× of it). Counters:
//   bytes_per_second  input bytes read per second (each input array once);
//   items_per_second  elements per second;
//   bw_fraction       bytes_per_second / the peak bandwidth given by --peak_gbs or --card.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <thrust/fill.h>
#include <thrust/reduce.h>

#include "gendiv/device/kl.hpp"
#include "gendiv/device/likelihood.hpp"
#include "gendiv/device/log_sum_exp.hpp"

namespace bench_device {

using real = float;

// ---- peak bandwidth and counters ------------------------------------------------------------

/// The bandwidth bw_fraction divides by, in GB/s (10^9 bytes per second).
inline double& peak_gbs() {
    static double p = 0;
    return p;
}

/// Takes --peak_gbs=<GB/s> and --card=h100|h200 out of argv (before benchmark::Initialize sees
/// them) and records the peak in the benchmark context. `fallback` is the default peak.
inline void parse_peak_flags(int& argc, char** argv, double fallback, const char* fallback_what) {
    std::string what = fallback_what;
    peak_gbs() = fallback;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        if (std::strncmp(a, "--peak_gbs=", 11) == 0) {
            peak_gbs() = std::atof(a + 11);
            what = "--peak_gbs";
        } else if (std::strcmp(a, "--card=h100") == 0) {
            peak_gbs() = 3350;
            what = "H100 SXM HBM3";
        } else if (std::strcmp(a, "--card=h200") == 0) {
            peak_gbs() = 4800;
            what = "H200 HBM3e";
        } else {
            argv[kept++] = argv[i];
        }
    }
    argc = kept;
    if (!(peak_gbs() > 0)) {
        std::fprintf(stderr, "bench_device: --peak_gbs must be a positive number of GB/s\n");
        std::exit(2);
    }
    benchmark::AddCustomContext("peak_gbs", std::to_string(peak_gbs()) + " (" + what + ")");
}

inline void set_counters(benchmark::State& state, std::size_t bytes, std::size_t items) {
    const double it = static_cast<double>(state.iterations());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(items));
    state.counters["bw_fraction"] =
        benchmark::Counter(it * static_cast<double>(bytes) / (peak_gbs() * 1e9), benchmark::Counter::kIsRate);
}

// ---- inputs -----------------------------------------------------------------------------------

/// splitmix64 (Steele, Lea, Flood 2014): a counter-based generator, so 10^8-element inputs
/// take a fraction of a second to make (std::mt19937_64 with a distribution took seconds per
/// array, and Google Benchmark calls each function once per repetition).
inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Uniform floats on [lo, hi), element i from (seed, i).
inline std::vector<real> uniform(std::size_t n, double lo, double hi, unsigned seed) {
    std::vector<real> v(n);
    const std::uint64_t base = static_cast<std::uint64_t>(seed) << 40;
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<real>(lo + (hi - lo) * static_cast<double>(splitmix64(base + i) >> 11) * 0x1p-53);
    return v;
}

/// 0/1 floats, element i from (seed, i).
inline std::vector<real> bits(std::size_t n, unsigned seed) {
    std::vector<real> v(n);
    const std::uint64_t base = static_cast<std::uint64_t>(seed) << 40;
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<real>(splitmix64(base + i) & 1);
    return v;
}

// ---- shapes -------------------------------------------------------------------------------------
// (B, D) per kernel, and the number of input floats each reads (for the reduce ceilings).

constexpr long bernoulli_d = 784, normal_d = 100;

/// log_mean_exp over (B, K): the seed's (64, 200) up to 10^8 floats.
#define GENDIV_BENCH_LME_SHAPES                                                                  \
    Args({64, 200})->Args({10000, 200})->Args({10000, 1000})->Args({100000, 1000})
/// Bernoulli from logits, (B, 784): the seed's batch, then ~10^6, 10^7, 10^8 elements.
#define GENDIV_BENCH_BERNOULLI_SHAPES                                                            \
    Args({64, 784})->Args({1276, 784})->Args({12756, 784})->Args({127551, 784})
/// Normal log-density and Gaussian KL, (B, 100): the seed's batch, then 10^6, 10^7, 10^8.
#define GENDIV_BENCH_NORMAL_SHAPES                                                               \
    Args({64, 100})->Args({10000, 100})->Args({100000, 100})->Args({1000000, 100})
/// thrust::reduce over every input float count above: lme (1 array), Bernoulli (2 arrays),
/// Normal (3), KL (4).
#define GENDIV_BENCH_REDUCE_SIZES                                                                \
    Arg(12800)->Arg(2000000)->Arg(10000000)->Arg(100000000)                     /* lme */        \
        ->Arg(2 * 64 * 784)->Arg(2 * 1276 * 784)->Arg(2 * 12756 * 784)->Arg(2 * 127551 * 784)    \
        ->Arg(3 * 6400)->Arg(3 * 1000000)->Arg(3 * 10000000)->Arg(300000000)    /* Normal */     \
        ->Arg(4 * 6400)->Arg(4 * 1000000)->Arg(4 * 10000000)->Arg(400000000)    /* KL */

// ---- the kernels on a Thrust system ------------------------------------------------------------
// Sys provides: policy() (an execution policy), sync() (waits for the device), and
// vec<T> (a container in the system's memory, constructible from a host iterator range).

template <class V>
real* ptr(V& v) {
    return thrust::raw_pointer_cast(v.data());
}

template <class Sys>
void BM_log_mean_exp(benchmark::State& state) {
    const std::size_t B = static_cast<std::size_t>(state.range(0)), K = static_cast<std::size_t>(state.range(1));
    const auto h = uniform(B * K, -50, 0, 1);
    typename Sys::template vec<real> x(h.begin(), h.end()), out(B);
    for (auto _ : state) {
        gendiv::device::log_mean_exp(Sys::policy(), ptr(x), B, K, ptr(out));
        Sys::sync();
        benchmark::DoNotOptimize(ptr(out));
    }
    set_counters(state, sizeof(real) * B * K, B * K);
}

template <class Sys>
void BM_bernoulli_logits(benchmark::State& state) {
    const std::size_t B = static_cast<std::size_t>(state.range(0)), D = static_cast<std::size_t>(state.range(1));
    const auto hx = uniform(B * D, -8, 8, 1), ht = bits(B * D, 2);
    typename Sys::template vec<real> x(hx.begin(), hx.end()), t(ht.begin(), ht.end()), out(B);
    for (auto _ : state) {
        gendiv::device::log_likelihood_bernoulli_logits(Sys::policy(), ptr(x), ptr(t), B, D, ptr(out));
        Sys::sync();
        benchmark::DoNotOptimize(ptr(out));
    }
    set_counters(state, 2 * sizeof(real) * B * D, B * D);
}

template <class Sys>
void BM_normal(benchmark::State& state) {
    const std::size_t B = static_cast<std::size_t>(state.range(0)), D = static_cast<std::size_t>(state.range(1));
    const auto hm = uniform(B * D, -2, 2, 3), hl = uniform(B * D, -3, 3, 4), hz = uniform(B * D, -2, 2, 5);
    typename Sys::template vec<real> mu(hm.begin(), hm.end()), lv(hl.begin(), hl.end()), z(hz.begin(), hz.end()),
        out(B);
    for (auto _ : state) {
        gendiv::device::log_likelihood_normal(Sys::policy(), ptr(mu), ptr(lv), ptr(z), B, D, ptr(out));
        Sys::sync();
        benchmark::DoNotOptimize(ptr(out));
    }
    set_counters(state, 3 * sizeof(real) * B * D, B * D);
}

template <class Sys>
void BM_kl(benchmark::State& state) {
    const std::size_t B = static_cast<std::size_t>(state.range(0)), D = static_cast<std::size_t>(state.range(1));
    const std::size_t n = B * D;
    const auto a = uniform(n, -2, 2, 6), b = uniform(n, -3, 3, 7), c = uniform(n, -2, 2, 8), d = uniform(n, -3, 3, 9);
    typename Sys::template vec<real> mq(a.begin(), a.end()), lq(b.begin(), b.end()), mp(c.begin(), c.end()),
        lp(d.begin(), d.end()), out(B);
    for (auto _ : state) {
        gendiv::device::kl_gaussian_gaussian_analytic(Sys::policy(), ptr(mq), ptr(lq), ptr(mp), ptr(lp), B, D,
                                                      ptr(out));
        Sys::sync();
        benchmark::DoNotOptimize(ptr(out));
    }
    set_counters(state, 4 * sizeof(real) * n, n);
}

/// The ceiling: thrust::reduce (a plain sum) over the same number of input floats.
template <class Sys>
void BM_reduce(benchmark::State& state) {
    const std::size_t n = static_cast<std::size_t>(state.range(0));
    typename Sys::template vec<real> x(n);
    thrust::fill(Sys::policy(), ptr(x), ptr(x) + n, real(1));
    Sys::sync();
    for (auto _ : state) {
        real s = thrust::reduce(Sys::policy(), ptr(x), ptr(x) + n, real(0));
        benchmark::DoNotOptimize(s);
    }
    set_counters(state, sizeof(real) * n, n);
}

}  // namespace bench_device

/// Registers every device kernel and the reduce ceilings for one system type (at namespace scope
/// after `using namespace bench_device;`: Google Benchmark's macros take unqualified names).
#define GENDIV_BENCH_DEVICE_SYSTEM(Sys)                                                               \
    BENCHMARK_TEMPLATE(BM_log_mean_exp, Sys)                                            \
        ->GENDIV_BENCH_LME_SHAPES->Unit(benchmark::kMicrosecond)->UseRealTime();                      \
    BENCHMARK_TEMPLATE(BM_bernoulli_logits, Sys)                                        \
        ->GENDIV_BENCH_BERNOULLI_SHAPES->Unit(benchmark::kMicrosecond)->UseRealTime();                \
    BENCHMARK_TEMPLATE(BM_normal, Sys)                                                  \
        ->GENDIV_BENCH_NORMAL_SHAPES->Unit(benchmark::kMicrosecond)->UseRealTime();                   \
    BENCHMARK_TEMPLATE(BM_kl, Sys)                                                      \
        ->GENDIV_BENCH_NORMAL_SHAPES->Unit(benchmark::kMicrosecond)->UseRealTime();                   \
    BENCHMARK_TEMPLATE(BM_reduce, Sys)                                                  \
        ->GENDIV_BENCH_REDUCE_SIZES->Unit(benchmark::kMicrosecond)->UseRealTime()

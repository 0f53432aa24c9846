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
#include <utility>
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

/// A kernel, how many (B × D) input arrays it reads, and its (B, D) shapes: the seed's batch,
/// then about 10^6, 10^7 and 10^8 elements (log_mean_exp: 64×200 up to 10^5×1000).
struct kernel_spec {
    std::string name;
    long arrays;
    std::vector<std::pair<long, long>> shapes;
};

inline const std::vector<kernel_spec>& kernels() {
    static const std::vector<kernel_spec> k = {
        {"log_mean_exp", 1, {{64, 200}, {10000, 200}, {10000, 1000}, {100000, 1000}}},
        {"bernoulli_logits", 2, {{64, 784}, {1276, 784}, {12756, 784}, {127551, 784}}},
        {"normal", 3, {{64, 100}, {10000, 100}, {100000, 100}, {1000000, 100}}},
        {"kl", 4, {{64, 100}, {10000, 100}, {100000, 100}, {1000000, 100}}},
    };
    return k;
}

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

using bench_fn = void (*)(benchmark::State&);

template <class Sys>
bench_fn device_kernel(const std::string& name) {
    if (name == "log_mean_exp") return &BM_log_mean_exp<Sys>;
    if (name == "bernoulli_logits") return &BM_bernoulli_logits<Sys>;
    if (name == "normal") return &BM_normal<Sys>;
    return &BM_kl<Sys>;
}

inline void add(const std::string& name, bench_fn fn, const std::vector<int64_t>& args) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Args(args)->Unit(benchmark::kMicrosecond)->UseRealTime();
}

/// Registers, shape by shape: `extra(kernel, B, D)` (the host path, floors), the kernel on every
/// system `Sys...` (named `names`), then thrust::reduce over the same input floats on each
/// system, so that measurements compared with each other run seconds apart, not minutes.
template <class... Sys, class Extra>
void register_all(const std::vector<std::string>& names, Extra extra) {
    for (const auto& k : kernels())
        for (const auto& [B, D] : k.shapes) {
            extra(k, B, D);
            std::size_t i = 0;
            ((add("BM_" + k.name + "<" + names[i++] + ">", device_kernel<Sys>(k.name), {B, D})), ...);
            i = 0;
            ((add("BM_reduce<" + names[i++] + ">", &BM_reduce<Sys>, {k.arrays * B * D})), ...);
        }
}

}  // namespace bench_device

// bench_device_cpu: gendiv's Thrust device kernels on the CPU backends beside the host xtensor
// path, each beside thrust::reduce over the same bytes (bench_device.hpp):
//   BM_host_*      gendiv's xtensor functions (xsimd, OpenMP rows when large);
//   BM_*<omp_sys>  the device kernels on Thrust's OMP backend (OMP_NUM_THREADS threads; run
//                  with 2 on this machine);
//   BM_*<cpp_sys>  the same on Thrust's CPP backend (one thread, sequential);
//   BM_reduce<…>   thrust::reduce over the same number of input floats on each backend;
//   BM_floor_memory  bench_common.hpp's two-thread SIMD sum over the same floats: what the
//                  memory system gives (thrust::reduce's OMP backend reaches a fraction of it).
// All read the same inputs (bench_device.hpp's generators; nvcc cannot include xsimd, so the
// .cu cannot use bench_common.hpp's).
// The kernels take explicit policies (thrust::omp::par, thrust::cpp::par) on raw host pointers,
// so one binary holds both backends. --peak_gbs=<GB/s> sets bw_fraction's denominator (default
// 32 GB/s: a two-thread SIMD sum over 400 MB arrays here, ../shared/TOOLCHAIN.md).
// Tables: benchmarks/run_device.sh and device_table.py.
#include <thrust/system/cpp/execution_policy.h>
#include <thrust/system/omp/execution_policy.h>

#include <omp.h>

#include "bench_common.hpp"
#include "bench_device.hpp"
#include "gendiv/kl.hpp"
#include "gendiv/likelihood.hpp"
#include "gendiv/log_sum_exp.hpp"

namespace {

using bench_device::real;

struct omp_sys {
    static auto policy() { return thrust::omp::par; }
    static void sync() {}
    template <class T>
    using vec = std::vector<T>;
};

struct cpp_sys {
    static auto policy() { return thrust::cpp::par; }
    static void sync() {}
    template <class T>
    using vec = std::vector<T>;
};

xt::xtensor<real, 2> tensor(std::vector<real> v, long rows, long cols) {
    return xt::adapt(std::move(v), std::vector<std::size_t>{std::size_t(rows), std::size_t(cols)});
}

// ---- the host xtensor path on the same inputs ---------------------------------------------------

void BM_host_log_mean_exp(benchmark::State& state) {
    const long B = state.range(0), K = state.range(1);
    const auto x = tensor(bench_device::uniform(B * K, -50, 0, 1), B, K);
    for (auto _ : state) {
        auto r = gendiv::log_mean_exp(x);
        benchmark::DoNotOptimize(r.data());
    }
    bench_device::set_counters(state, sizeof(real) * B * K, B * K);
}

void BM_host_bernoulli_logits(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1);
    const auto x = tensor(bench_device::uniform(B * D, -8, 8, 1), B, D), t = tensor(bench_device::bits(B * D, 2), B, D);
    for (auto _ : state) {
        auto r = gendiv::log_likelihood_bernoulli_logits(x, t);
        benchmark::DoNotOptimize(r.data());
    }
    bench_device::set_counters(state, 2 * sizeof(real) * B * D, B * D);
}

void BM_host_normal(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1);
    const auto mu = tensor(bench_device::uniform(B * D, -2, 2, 3), B, D);
    const auto lv = tensor(bench_device::uniform(B * D, -3, 3, 4), B, D);
    const auto z = tensor(bench_device::uniform(B * D, -2, 2, 5), B, D);
    for (auto _ : state) {
        auto r = gendiv::log_likelihood_normal(mu, lv, z);
        benchmark::DoNotOptimize(r.data());
    }
    bench_device::set_counters(state, 3 * sizeof(real) * B * D, B * D);
}

void BM_host_kl(benchmark::State& state) {
    const long B = state.range(0), D = state.range(1);
    const auto mq = tensor(bench_device::uniform(B * D, -2, 2, 6), B, D);
    const auto lq = tensor(bench_device::uniform(B * D, -3, 3, 7), B, D);
    const auto mp = tensor(bench_device::uniform(B * D, -2, 2, 8), B, D);
    const auto lp = tensor(bench_device::uniform(B * D, -3, 3, 9), B, D);
    for (auto _ : state) {
        auto r = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp);
        benchmark::DoNotOptimize(r.data());
    }
    bench_device::set_counters(state, 4 * sizeof(real) * B * D, B * D);
}

/// The memory floor: bench::read_all (SIMD, both threads) over the same number of floats.
void BM_floor_memory(benchmark::State& state) {
    const auto v = std::vector<real>(static_cast<std::size_t>(state.range(0)), real(1));
    for (auto _ : state) benchmark::DoNotOptimize(bench::read_all<real>({&v}));
    bench_device::set_counters(state, sizeof(real) * v.size(), v.size());
}

}  // namespace

int main(int argc, char** argv) {
    bench_device::parse_peak_flags(argc, argv, 32, "2-thread SIMD sum, ../shared/TOOLCHAIN.md");
    benchmark::AddCustomContext("omp_max_threads", std::to_string(omp_get_max_threads()));
    bench_device::register_all<omp_sys, cpp_sys>(
        {"omp_sys", "cpp_sys"}, [](const bench_device::kernel_spec& k, long B, long D) {
            const bench_device::bench_fn host = k.name == "log_mean_exp"       ? &BM_host_log_mean_exp
                                                : k.name == "bernoulli_logits" ? &BM_host_bernoulli_logits
                                                : k.name == "normal"           ? &BM_host_normal
                                                                               : &BM_host_kl;
            bench_device::add("BM_host_" + k.name, host, {B, D});
            bench_device::add("BM_floor_memory", &BM_floor_memory, {k.arrays * B * D});
        });
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

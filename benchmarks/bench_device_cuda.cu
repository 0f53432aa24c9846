// bench_device_cuda: gendiv's Thrust device kernels on CUDA (nvcc, CCCL's Thrust), each beside
// thrust::reduce over the same bytes (bench_device.hpp), with bw_fraction against the card's
// peak: --card=h100 (3.35 TB/s, the default), --card=h200 (4.8 TB/s) or --peak_gbs=<GB/s>.
// Issue 7's target on an H100: ≥ 70 % of HBM bandwidth at large sizes. Built with
// -DGENDIV_CUDA=ON; needs a GPU to run. Inputs live in thrust::device_vector; each timed call
// ends with cudaDeviceSynchronize.
#include <cuda_runtime.h>
#include <thrust/device_vector.h>
#include <thrust/system/cuda/execution_policy.h>

#include "bench_device.hpp"

namespace {

struct cuda_sys {
    static auto policy() { return thrust::cuda::par; }
    static void sync() {
        if (cudaDeviceSynchronize() != cudaSuccess) std::abort();
    }
    template <class T>
    using vec = thrust::device_vector<T>;
};

}  // namespace

int main(int argc, char** argv) {
    bench_device::parse_peak_flags(argc, argv, 3350, "H100 SXM HBM3");
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) benchmark::AddCustomContext("gpu", prop.name);
    bench_device::register_all<cuda_sys>({"cuda_sys"}, [](const bench_device::kernel_spec&, long, long) {});
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

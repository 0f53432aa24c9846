// The device tests of test_device.cpp (log_sum_exp, likelihood, kl) and
// test_device_objectives.cpp (f_divergence, penalty), compiled by nvcc for Thrust's CUDA backend
// (CCCL): thrust::device is then the GPU. Built with -DGENDIV_CUDA=ON; labelled `cuda` in CTest.
// Without a GPU the program says so and exits with 77, which CTest reports as skipped
// (SKIP_RETURN_CODE), so that `ctest -L cuda` on a machine without one is not a failure.
#define BOOST_TEST_NO_MAIN
#include <cstdio>

#include <cuda_runtime.h>

#include "test_device.cpp"
#include "test_device_objectives.cpp"

int main(int argc, char* argv[]) {
    int devices = 0;
    const cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess || devices == 0) {
        std::printf("test_device_cuda: skipped: no CUDA device (cudaGetDeviceCount: %s, %d devices)\n",
                    status == cudaSuccess ? "no error" : cudaGetErrorString(status), devices);
        return 77;
    }
    return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}

// The device tests of test_device.cpp, compiled by nvcc for Thrust's CUDA backend (CCCL).
// Built with -DGENDIV_CUDA=ON; needs a GPU to run. thrust::device is then the GPU.
#include "test_device.cpp"

// gendiv/detail/config.hpp: version, the host/device macro and the OpenMP pragma wrapper.
// Includes nothing from xtensor or Thrust, so device code and scalar kernels can use it.
#pragma once

#define GENDIV_VERSION_MAJOR 0
#define GENDIV_VERSION_MINOR 1
#define GENDIV_VERSION_PATCH 0

// GENDIV_HD marks the scalar kernels that both the xtensor path and the Thrust device path
// call. CCCL 3 no longer defines __host__/__device__ for host compilers (TOOLCHAIN.md, pitfall
// 2), so the macro expands to them only when nvcc compiles the translation unit.
#if defined(__CUDACC__)
#define GENDIV_HD __host__ __device__
#else
#define GENDIV_HD
#endif

// GENDIV_NOINLINE keeps a rare path (e^x outside its fast range) out of the loops that
// GENDIV_FLATTEN (below) inlines everything into.
#if defined(__GNUC__) || defined(__clang__)
#define GENDIV_NOINLINE __attribute__((noinline))
#else
#define GENDIV_NOINLINE
#endif

// GENDIV_ALWAYS_INLINE marks the batch math functions (detail/simd_exp.hpp) that a kernel calls
// in its innermost loop. Left to its heuristics, g++ 12 compiled e^x for double batches out of
// line in the KL kernel (bench_kl: six call sites), so each call passed its 64-byte batch through
// memory around a function that costs about ten cycles per batch.
#if defined(__CUDACC__)
#define GENDIV_ALWAYS_INLINE __forceinline__
#elif defined(__GNUC__) || defined(__clang__)
#define GENDIV_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define GENDIV_ALWAYS_INLINE inline
#endif

// GENDIV_DIAGNOSTICS_PUSH / _POP enclose the code of every gendiv header. g++ 12 (Debian 12's)
// warns "'__Y' may be used uninitialized" inside its own AVX-512 headers wherever an intrinsic
// passes _mm512_undefined_*() as a masked-off operand (GCC bug 105593, fixed in g++ 13), so a
// user's -Wall -Werror build failed on an AVX-512 machine as soon as it called a gendiv kernel
// (tests/consumer builds that way). g++ drops such a warning when some location of its inline
// chain lies where the warning is switched off, so switching the two warnings off over gendiv's
// own code silences them for gendiv's kernels. xsimd's out-of-line functions (log1p of double
// batches) have no gendiv location in their chain: detail/xtensor.hpp, simd.hpp and
// simd_exp.hpp include xtensor, xsimd and the intrinsics inside the region, which covers them
// when gendiv is the first to include those headers (README.md says what to do otherwise). The
// user's own code keeps both warnings. Elsewhere (clang, nvcc, g++ 13, no AVX-512) the macros
// are empty.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__) && __GNUC__ < 13 && defined(__AVX512F__)
#define GENDIV_DIAGNOSTICS_PUSH                                                                \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
        _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define GENDIV_DIAGNOSTICS_POP _Pragma("GCC diagnostic pop")
#else
#define GENDIV_DIAGNOSTICS_PUSH
#define GENDIV_DIAGNOSTICS_POP
#endif

// GENDIV_FLATTEN marks the SIMD loop drivers (detail/simd.hpp): every call in their body, the
// kernel lambda included, is inlined into the loop. With e^x forced inline, g++ 12 judged the
// lambda of log_sum_exp's second pass too large and called it once per batch, passing each
// batch through memory: 84% of the time of log_mean_exp over (64, 200) doubles was in that
// call and the loop around it (perf), 7.0 µs against 4.5 µs for the same sum inlined.
#if defined(__GNUC__) && !defined(__CUDACC__)
#define GENDIV_FLATTEN __attribute__((flatten))
#else
#define GENDIV_FLATTEN
#endif

// OpenMP pragmas go through _Pragma so that a user who compiles without -fopenmp gets serial
// code and no -Wunknown-pragmas warning (which -Werror would turn into an error).
#if defined(_OPENMP)
#define GENDIV_PRAGMA(x) _Pragma(#x)
#else
#define GENDIV_PRAGMA(x)
#endif

// GENDIV_FMA is 1 where a fused multiply-add is one instruction (CUDA device code; x86 compiled
// with FMA, as -march=native does on any CPU since 2013; AArch64) and 0 elsewhere, where fma()
// would be a slow library emulation: kernels use a fused form only when it is 1.
#if defined(__CUDA_ARCH__) || defined(__FMA__) || defined(__aarch64__)
#define GENDIV_FMA 1
#else
#define GENDIV_FMA 0
#endif

namespace gendiv::detail {
// Work below this many elements runs on one thread: spawning a team costs a few microseconds,
// more than a (64, 784) likelihood takes.
inline constexpr long parallel_threshold = 1L << 17;

// Loops over rows (or chunks) that run on an OpenMP team only when `parallel` is true, and
// otherwise as a plain loop. Not `omp parallel for if (parallel)`: a region whose if clause is
// false still enters libgomp and sets up a team of one, which took 1.25 µs per call on the
// development machine (a (64, 200) log_mean_exp takes 8 µs) against 8 ns for the plain loop.

/// Calls f(i) for i in [0, n), statically scheduled over the team when `parallel`.
template <class F>
inline void parallel_for(long n, bool parallel, F&& f) {
    if (parallel) {
        GENDIV_PRAGMA(omp parallel for schedule(static))
        for (long i = 0; i < n; ++i) f(i);
    } else {
        for (long i = 0; i < n; ++i) f(i);
    }
}

/// Calls f(i) (returning bool) for every i in [0, n), as parallel_for; returns whether every
/// call returned true. Every call runs, whatever the earlier ones returned.
template <class F>
inline bool parallel_all(long n, bool parallel, F&& f) {
    bool all = true;
    if (parallel) {
        GENDIV_PRAGMA(omp parallel for schedule(static) reduction(&& : all))
        for (long i = 0; i < n; ++i) all = f(i) && all;
    } else {
        for (long i = 0; i < n; ++i) all = f(i) && all;
    }
    return all;
}
}  // namespace gendiv::detail

// gendiv/detail/simd.hpp: loops that run a kernel over xsimd batches with a scalar tail.
//
// A loop body is a generic lambda f(i, vtag<V>) that loads with load<V>, computes with a kernel
// from kernels.hpp and stores with store; the loop calls it with V = xsimd::batch<T> for the
// body and V = T for the tail, so one lambda serves both.
#pragma once

#include <cstddef>
#include <limits>
#include <type_traits>

#include "gendiv/detail/config.hpp"

// From here to the end, the diagnostics region of detail/config.hpp; xsimd and the intrinsics
// are included inside it so that, when gendiv includes them first, their out-of-line functions
// are covered too.
GENDIV_DIAGNOSTICS_PUSH

#include <xsimd/xsimd.hpp>

#if defined(__AVX512F__) && !defined(__CUDACC__)
#include <immintrin.h>
#endif

namespace gendiv::detail {

/// Whether the loops below use xsimd batches. In a translation unit that nvcc compiles, the
/// kernels are __host__ __device__ templates, and nvcc rejects instantiating them on xsimd's
/// vector types; there the host path runs the same kernels on scalars (correct, not as fast:
/// keep host-heavy code in .cpp files).
#if defined(__CUDACC__)
inline constexpr bool simd_enabled = false;
#else
inline constexpr bool simd_enabled = true;
#endif

template <class V>
struct vtag {
    using type = V;
};

template <class T>
using batch_t = xsimd::batch<T>;

template <class V, class T>
inline V load(const T* p) {
    if constexpr (std::is_arithmetic_v<V>)
        return *p;
    else
        return V::load_unaligned(p);
}

/// store(p, v) writes a scalar or a batch to unaligned memory. It is a function object, not a
/// function, so that argument-dependent lookup cannot pick xsimd::store (an aligned store) for a
/// batch argument instead.
struct store_fn {
    template <class V, class T>
    void operator()(T* p, const V& v) const {
        if constexpr (std::is_arithmetic_v<V>)
            *p = v;
        else
            v.store_unaligned(p);
    }
};
inline constexpr store_fn store{};

/// Calls f(i, vtag<batch>) for i = 0, W, 2W, ... and f(i, vtag<T>) for the tail.
template <class T, class F>
GENDIV_FLATTEN inline void simd_for(std::size_t n, F&& f) {
    using B = batch_t<T>;
    constexpr std::size_t W = B::size;
    std::size_t i = 0;
    if constexpr (simd_enabled)
        for (; i + W <= n; i += W) f(i, vtag<B>{});
    for (; i < n; ++i) f(i, vtag<T>{});
}

/// The batch {0, 1, ..., W-1} of lane indices.
template <class B>
inline B lane_index() {
    alignas(64) typename B::value_type v[B::size];
    for (std::size_t k = 0; k < B::size; ++k) v[k] = static_cast<typename B::value_type>(k);
    return B::load_aligned(v);
}

/// Sum over i in [0, n) of f(i, vtag<V>). Two batch accumulators hide the add latency; every
/// 4096 elements the partial sum is folded into a double, so a row of 10^6 floats is summed
/// with error near that of pairwise summation.
///
/// A tail of r = n mod W elements (n ≥ W) is one batch too: f at n - W, which overlaps the last
/// full batch, with its first W - r lanes (counted already) replaced by 0. A row of 100 floats
/// is then 13 batches instead of 12 batches and 4 scalar calls of expf/expm1f, which cost as much
/// as the 12 batches (KL at (12800, 100)). f is called twice for those W - r indices, so it
/// must be a pure function of i (every caller's is: loads, arithmetic, a prefetch, a check).
template <class T, class F>
GENDIV_FLATTEN inline T simd_sum(std::size_t n, F&& f) {
    using B = batch_t<T>;
    constexpr std::size_t W = B::size;
    constexpr std::size_t block = 4096;
    double total = 0;
    std::size_t i = 0;
    if constexpr (simd_enabled) {
        while (i + W <= n) {
            const std::size_t end = (n - i > block ? i + block : n);
            B a0(T(0)), a1(T(0));
            for (; i + 2 * W <= end; i += 2 * W) {
                a0 += f(i, vtag<B>{});
                a1 += f(i + W, vtag<B>{});
            }
            for (; i + W <= end; i += W) a0 += f(i, vtag<B>{});
            total += static_cast<double>(xsimd::hadd(a0 + a1));
        }
        if (i < n && n >= W) {
            const B keep = xsimd::select(lane_index<B>() >= B(static_cast<T>(W - (n - i))),
                                         f(n - W, vtag<B>{}), B(T(0)));
            return static_cast<T>(total + static_cast<double>(xsimd::hadd(keep)));
        }
    }
    for (; i < n; ++i) total += static_cast<double>(f(i, vtag<T>{}));
    return static_cast<T>(total);
}

/// simd_sum(n, f) that also tests each element with ok(i, vtag<V>) (a bool for the scalar tail,
/// an xsimd::batch_bool for a batch) in the same pass; all_ok becomes whether every test passed.
/// Used to validate arguments (Bernoulli targets in [0, 1]) without a second read of memory.
template <class T, class F, class C>
GENDIV_FLATTEN inline T simd_sum_checked(std::size_t n, F&& f, C&& ok, bool& all_ok) {
    auto ok_batch = batch_t<T>(T(0)) == batch_t<T>(T(0));  // all lanes true
    bool ok_scalar = true;
    const T s = simd_sum<T>(n, [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        if constexpr (std::is_arithmetic_v<V>)
            ok_scalar = ok_scalar && ok(i, tag);
        else
            ok_batch = ok_batch & ok(i, tag);
        return f(i, tag);
    });
    all_ok = ok_scalar && xsimd::all(ok_batch);
    return s;
}

/// Rows of at most this many values can be summed through a buffer (rows_sum_buffered).
inline constexpr std::size_t short_row = 256;

/// The values a chunk of short rows holds at most (rows_sum_buffered): 4 KB of floats. In one
/// harness (16 alternating rounds, 2 threads) chunks of 512, 1024, 2048 and 4096 values gave KL
/// over (100000, 100) floats 0.77, 0.87, 0.84 and 0.87 of the row-by-row time, within the noise
/// of each other, and log_likelihood_normal over (100000, 100) doubles 1.02, 0.98 / 1.14, 1.13
/// and 1.13: memory-bound there, it loses by the pauses of its reads while rows are summed.
inline constexpr std::size_t short_rows_chunk = 1024;

/// Whether rows of D values of T go through rows_sum_buffered (W <= D <= short_row, SIMD).
template <class T>
inline bool buffers_short_rows(std::size_t D) {
    return simd_enabled && batch_t<T>::size <= D && D <= short_row;
}

/// rows_sum for short rows (buffers_short_rows), `Checked` as rows_sum_checked. Rows go in
/// chunks of about short_rows_chunk values: f runs over the chunk's values as one flat range of
/// full batches (the last one overlapping, as in simd_for_overlapping; f is pure) into a buffer
/// in L1, and each row is then summed from the buffer by simd_sum. Row by row, every row of D
/// values paid its own overlapping tail batch of f (100 floats: 7 batches of f for 6.25 batches
/// of values), its reductions and its checks: KL took 22 % longer over (100000, 100) floats than
/// over (10000, 1000) (13 % in double). The sums are those of the row-by-row form bit for bit
/// (the same values, added by simd_sum in the same order) wherever f's lanes are independent of
/// each other, as on the kernels' fast paths; a batch holding an argument outside exp's fast
/// range goes whole to xsimd's exp (exp_outside_fast_range), and such a batch may now straddle
/// two rows, so a row beside such a value can differ from its row-by-row sum in the last bits.
/// Rows shorter than a batch stay row by row (their scalar kernel's values would differ in the
/// last bits from the batch kernel's). Worth it where f costs more than reading its arguments
/// (callers choose: rows_sum_flat, rows_sum_checked_flat).
template <bool Checked, class T, class F, class C>
inline bool rows_sum_buffered(std::size_t B, std::size_t D, T* out, F&& f, C&& ok) {
    using V = batch_t<T>;
    constexpr std::size_t W = V::size;
    const std::size_t per = short_rows_chunk / D;  // rows per chunk, >= 1 (W <= D <= short_row)
    const std::size_t chunks = (B + per - 1) / per;
    return parallel_all(static_cast<long>(chunks), static_cast<long>(B * D) >= parallel_threshold, [&](long c) {
        const std::size_t lo = static_cast<std::size_t>(c) * per;
        const std::size_t rows = B - lo < per ? B - lo : per;
        const std::size_t m = rows * D, base = lo * D;
        alignas(64) T buf[short_rows_chunk];  // m <= per * D <= short_rows_chunk
        auto ok_batch = V(T(0)) == V(T(0));  // all lanes true
        // Full batches, then the last W values once more (overlapping; m >= D >= W). The loop of
        // simd_for_overlapping, written out: through it, the scalar kernel of its n < W branch
        // (never taken here) was instantiated into this flattened loop, and KL over (100000, 100)
        // took 1.05-1.07 times as long (two runs of 16 and 20 alternating rounds).
        for (std::size_t i = 0;; i += W) {
            const std::size_t at = i + W <= m ? i : m - W;
            f(base + at, vtag<V>{}).store_unaligned(buf + at);
            if constexpr (Checked) ok_batch = ok_batch & ok(base + at, vtag<V>{});
            if (at + W >= m) break;
        }
        for (std::size_t b = 0; b < rows; ++b) {
            const T* row = buf + b * D;
            out[lo + b] = simd_sum<T>(D, [&](std::size_t i, auto tag) {
                using U = typename decltype(tag)::type;
                return load<U>(row + i);
            });
        }
        return xsimd::all(ok_batch);
    });
}

/// out[b] = Σ_{i<D} f(b·D + i, vtag<V>) for b < B; rows in parallel when the work is large.
template <class T, class F>
inline void rows_sum(std::size_t B, std::size_t D, T* out, F&& f) {
    parallel_for(static_cast<long>(B), static_cast<long>(B * D) >= parallel_threshold, [&](long bb) {
        const std::size_t off = static_cast<std::size_t>(bb) * D;
        out[bb] = simd_sum<T>(D, [&](std::size_t i, auto tag) { return f(off + i, tag); });
    });
}

/// rows_sum, with rows of W to short_row values summed through a buffer (rows_sum_buffered):
/// for an f that costs more than reading its arguments.
template <class T, class F>
inline void rows_sum_flat(std::size_t B, std::size_t D, T* out, F&& f) {
    if constexpr (simd_enabled) {
        if (buffers_short_rows<T>(D)) {
            rows_sum_buffered<false>(B, D, out, f, [](std::size_t, auto) { return true; });
            return;
        }
    }
    rows_sum<T>(B, D, out, f);
}

/// out[b] = row(b·D, row_ok) for b < B, where row computes row b from its offset and sets row_ok
/// to whether its arguments passed their checks; rows in parallel when the work is large.
/// Returns whether every row passed (out is complete either way).
template <class T, class R>
inline bool rows_map_checked(std::size_t B, std::size_t D, T* out, R&& row) {
    return parallel_all(static_cast<long>(B), static_cast<long>(B * D) >= parallel_threshold, [&](long bb) {
        bool row_ok = true;
        out[bb] = row(static_cast<std::size_t>(bb) * D, row_ok);
        return row_ok;
    });
}

/// rows_sum that also tests every element with ok(b·D + i, vtag<V>) in the same pass (see
/// simd_sum_checked); returns whether every test passed (out is complete either way).
template <class T, class F, class C>
inline bool rows_sum_checked(std::size_t B, std::size_t D, T* out, F&& f, C&& ok) {
    return rows_map_checked<T>(B, D, out, [&](std::size_t off, bool& row_ok) {
        return simd_sum_checked<T>(
            D, [&](std::size_t i, auto tag) { return f(off + i, tag); },
            [&](std::size_t i, auto tag) { return ok(off + i, tag); }, row_ok);
    });
}

/// rows_sum_checked, with rows of W to short_row values summed through a buffer, as
/// rows_sum_flat.
template <class T, class F, class C>
inline bool rows_sum_checked_flat(std::size_t B, std::size_t D, T* out, F&& f, C&& ok) {
    if constexpr (simd_enabled)
        if (buffers_short_rows<T>(D)) return rows_sum_buffered<true>(B, D, out, f, ok);
    return rows_sum_checked<T>(B, D, out, f, ok);
}

/// simd_for whose tail of n mod W elements (when n >= W) is one batch at n - W, overlapping the
/// last full batch, instead of n mod W scalar calls. So f must be a pure map that stores its
/// results at its own indices only: the overlapped indices are computed and stored a second time
/// (the same values where f's lanes are independent of each other).
template <class T, class F>
GENDIV_FLATTEN inline void simd_for_overlapping(std::size_t n, F&& f) {
    using B = batch_t<T>;
    constexpr std::size_t W = B::size;
    if constexpr (simd_enabled) {
        if (n >= W) {
            std::size_t i = 0;
            for (; i + W <= n; i += W) f(i, vtag<B>{});
            if (i < n) f(n - W, vtag<B>{});
            return;
        }
    }
    for (std::size_t i = 0; i < n; ++i) f(i, vtag<T>{});
}

/// Calls f(b, b·D + i, vtag<V>) over every element of a (B × D) block, rows in parallel when
/// the work is large. Each row's tail is one overlapping batch (simd_for_overlapping), so f must
/// store its results at its own indices only, as every caller's does (gradients and maps into
/// fresh arrays). With scalar tails, rows of 100 values took 1.35 times (float) and 1.15 times
/// (double) as long per value as rows of 96 or 112 in kl_gaussian_gaussian_analytic_grad at
/// (12800, D), with glibc's trimming of freed memory turned off (page faults otherwise dominate:
/// docs/benchmarks.md).
template <class T, class F>
inline void rows_for(std::size_t B, std::size_t D, F&& f) {
    parallel_for(static_cast<long>(B), static_cast<long>(B * D) >= parallel_threshold, [&](long bb) {
        const std::size_t b = static_cast<std::size_t>(bb), off = b * D;
        simd_for_overlapping<T>(D, [&](std::size_t i, auto tag) { f(b, off + i, tag); });
    });
}

/// max_i f(p_i) over a row (f: a lane-wise map of scalars and batches, e.g. the identity or an
/// absolute value; -inf for an empty row) and whether some f(p_i) is NaN. Batches keep their own
/// NaN mask, since xsimd::max need not propagate NaN.
template <class T, class F>
inline T row_max_of(const T* p, std::size_t n, F f, bool& has_nan) {
    using B = batch_t<T>;
    constexpr std::size_t W = B::size;
    T m = -std::numeric_limits<T>::infinity();
    std::size_t i = 0;
    bool nan = false;
    if (simd_enabled && n >= W) {
        B bm(m);
        auto bn = bm != bm;  // all lanes false
        for (; i + W <= n; i += W) {
            const B v = f(B::load_unaligned(p + i));
            bm = xsimd::max(bm, v);
            bn = bn | xsimd::isnan(v);
        }
        alignas(64) T lanes[W];
        bm.store_unaligned(lanes);
        for (std::size_t k = 0; k < W; ++k) m = lanes[k] > m ? lanes[k] : m;
        nan = xsimd::any(bn);
    }
    for (; i < n; ++i) {
        const T v = f(p[i]);
        nan = nan || (v != v);
        m = v > m ? v : m;
    }
    has_nan = nan;
    return m;
}

/// The largest lane of a batch (a scalar is its own), reduced as a tree: log2(W) dependent steps
/// instead of W. On AVX-512 the tree stays in registers (extract the upper half, max, and so on
/// down to one lane): through a stack array and scalar compares, as elsewhere, it took
/// about 35 cycles per row here, and the max pass of log_mean_exp over 64 rows of 200 doubles
/// 1.19 µs of the kernel's 7.1. A batch holding a NaN gives NaN or one of its lanes (max
/// instructions return their second operand when either is NaN), as the callers allow.
template <class V>
inline auto lane_max(const V& v) {
    if constexpr (std::is_arithmetic_v<V>) {
        return v;
    } else {
        using T = typename V::value_type;
#if defined(__AVX512F__) && !defined(__CUDACC__)
        if constexpr (std::is_base_of_v<xsimd::avx512f, typename V::arch_type>) {
            // Halves, written with the max instructions themselves: clang 14 lowers
            // _mm512_reduce_max_* to llvm.vector.reduce.fmax, which it assumes ignores NaN, and
            // folded a test of the result for NaN to false while the instructions returned NaN.
            if constexpr (std::is_same_v<T, float>) {
                const __m512 x = v;
                const __m256 h8 = _mm256_max_ps(_mm512_castps512_ps256(x),
                                                _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
                const __m128 h4 = _mm_max_ps(_mm256_castps256_ps128(h8), _mm256_extractf128_ps(h8, 1));
                const __m128 h2 = _mm_max_ps(h4, _mm_movehl_ps(h4, h4));
                return _mm_cvtss_f32(_mm_max_ss(h2, _mm_shuffle_ps(h2, h2, 1)));
            } else {
                const __m512d x = v;
                const __m256d h4 = _mm256_max_pd(_mm512_castpd512_pd256(x), _mm512_extractf64x4_pd(x, 1));
                const __m128d h2 = _mm_max_pd(_mm256_castpd256_pd128(h4), _mm256_extractf128_pd(h4, 1));
                return _mm_cvtsd_f64(_mm_max_sd(h2, _mm_unpackhi_pd(h2, h2)));
            }
        } else
#endif
        {
            constexpr std::size_t W = V::size;
            alignas(64) T l[W];
            v.store_aligned(l);
            for (std::size_t w = W / 2; w >= 1; w /= 2)
                for (std::size_t k = 0; k < w; ++k) l[k] = l[k + w] > l[k] ? l[k + w] : l[k];
            return l[0];
        }
    }
}

/// The maximum of a row without a NaN (-inf for an empty row), with four batch accumulators so
/// that the loop runs at the loads' throughput, not at the latency of one chain of max
/// instructions; a tail of n mod W values is one batch overlapping the last full one (the
/// maximum is idempotent). A row holding a NaN gives NaN or some value of the row: callers that
/// must tell rows with a NaN apart check elsewhere (lse_row_parts: a sum of exp(x - m) is NaN
/// exactly when the row holds a NaN). Against row_max_of's one accumulator and NaN mask, this
/// took 10^7 floats' log_mean_exp from 1.43 to 1.19 ms (two cores, docs/benchmarks.md).
template <class T>
inline T row_max_unchecked(const T* p, std::size_t n) {
    using B = batch_t<T>;
    constexpr std::size_t W = B::size;
    T m = -std::numeric_limits<T>::infinity();
    std::size_t i = 0;
    if constexpr (simd_enabled) {
        if (n >= W) {
            B a0(m), a1(m), a2(m), a3(m);
            for (; i + 4 * W <= n; i += 4 * W) {
                a0 = xsimd::max(a0, B::load_unaligned(p + i));
                a1 = xsimd::max(a1, B::load_unaligned(p + i + W));
                a2 = xsimd::max(a2, B::load_unaligned(p + i + 2 * W));
                a3 = xsimd::max(a3, B::load_unaligned(p + i + 3 * W));
            }
            for (; i + W <= n; i += W) a0 = xsimd::max(a0, B::load_unaligned(p + i));
            if (i < n) a1 = xsimd::max(a1, B::load_unaligned(p + n - W));
            return lane_max(xsimd::max(xsimd::max(a0, a1), xsimd::max(a2, a3)));
        }
    }
    for (; i < n; ++i) m = p[i] > m ? p[i] : m;
    return m;
}

/// True when every lane of a mask (bool or xsimd::batch_bool) is set.
template <class M>
inline bool all_true(const M& m) {
    if constexpr (std::is_arithmetic_v<M>)
        return m != 0;
    else
        return xsimd::all(m);
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

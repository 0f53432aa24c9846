// gendiv/detail/bernoulli_row.hpp: the Bernoulli-from-logits log-likelihood of one contiguous
// row with xsimd batches, with one logarithm per chunk of values instead of one per value.
//
// A row's value is
//     Σ_j [t_j x_j - softplus(x_j)] = -Σ_j a_j - Σ_j log(1 + e_j),
//     a_j = max(x_j, 0) - t_j x_j ≥ 0,   e_j = e^{-|x_j|} ∈ [0, 1],
// and a sum of logarithms is the logarithm of a product: Σ_{j∈C} log(1 + e_j) = log1p(q_C) with
// q_C = Π_{j∈C}(1 + e_j) - 1. The product is carried as q itself, q ← q + e(1 + q) = q + fma(q, e,
// e): every quantity is non-negative, so each step adds at most two roundings of relative size u
// and no cancellation, and q keeps full relative precision when the e_j are tiny (1 + e would
// round e away below u; q does not). Per value this costs one exp, one fma and one add instead of
// the softplus polynomial (kernels.hpp: 9 multiply-adds in float, 20 in double); the log1p is
// taken once per lane per chunk. The derivation and the error bound are in docs/math.md §3.
//
// The host xtensor path (likelihood.hpp) and the Thrust functions on host backends
// (device/host_rows.hpp) both call this. Includes xsimd but not xtensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/detail/math.hpp"
#include "gendiv/detail/simd.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// Values per lane whose product q = Π(1 + e) - 1 is folded into one log1p: 32 in float, 64 in
/// double (two interleaved accumulators of half that, so that the fma-add chain of one batch does
/// not wait for the previous one). q ≤ 2^32 and 2^64 cannot overflow; the relative error of q, at
/// most 2·C·u by the argument above, reaches the result damped by q / ((1 + q) log1p q) ≤ 1, and
/// is in practice a few u (test_likelihood, bernoulli_logits_long_rows). Of 16 and 32 (float),
/// 16 and 64 (double), these were fastest: at 16, xsimd's double log1p took a quarter of a
/// (64, 784) double call's time (perf), and 64 brought the call from 51 to 44 µs.
template <class T>
inline constexpr std::size_t bernoulli_chunk = sizeof(T) == sizeof(float) ? 32 : 64;

/// The row summed term by term with the per-value kernel (and its targets checked): for rows
/// shorter than one batch, where the loops are scalar (nvcc), and for rows holding an infinite
/// logit.
template <class T>
inline T bernoulli_logits_row_per_value(const T* x, const T* t, std::size_t n, bool& targets_ok) {
    return simd_sum_checked<T>(
        n,
        [&](std::size_t j, auto tag) {
            using V = typename decltype(tag)::type;
            return bernoulli_logits_fn{}(load<V>(x + j), load<V>(t + j));
        },
        [&](std::size_t j, auto tag) {
            using V = typename decltype(tag)::type;
            return in_unit_interval_fn{}(load<V>(t + j));
        },
        targets_ok);
}

/// |x| below which e^{-|x|} is on exp's fast range: 87.3 for float, 708 for double.
template <class T>
inline constexpr T bernoulli_fast_abs_logit = sizeof(T) == sizeof(float) ? T(87.3) : T(708);

/// Whether the fast pass of bernoulli_logits_row_simd keeps its two checks (every target in
/// [0, 1], every |x| below bernoulli_fast_abs_logit) as running unsigned maxima of bit patterns,
/// one integer max per check and batch, instead of two comparisons and two mask ANDs for the
/// targets and one of each for |x|: where the architecture has an unsigned max of T's lane width
/// (32-bit lanes from AVX2 on, 64-bit lanes on AVX-512). The orders agree because for
/// non-negative floats (and for -|x|, all of whose bit patterns have the sign bit) the unsigned
/// order of the bits is the order of the magnitudes, and NaN of either sign lies above every
/// number of its sign.
template <class T, class A>
inline constexpr bool bernoulli_bit_checks = sizeof(T) == sizeof(float)
                                                 ? std::is_base_of_v<xsimd::avx2, A> ||
                                                       std::is_base_of_v<xsimd::avx512f, A>
                                                 : std::is_base_of_v<xsimd::avx512f, A>;

/// The unsigned integer of T's width.
template <class T>
using bits_of_t = std::conditional_t<sizeof(T) == sizeof(float), std::uint32_t, std::uint64_t>;

/// The bit pattern of v as an unsigned integer.
template <class T>
inline bits_of_t<T> bits_of(T v) {
    bits_of_t<T> b;
    std::memcpy(&b, &v, sizeof b);
    return b;
}

/// bernoulli_logits_row on xsimd batches (host compilers only). With Fast, e^{-|x|} takes exp's
/// fast path without its range test (a loop without a call; see exp_raised_below for why that
/// matters), and a row holding a logit with |x| >= bernoulli_fast_abs_logit, or a NaN, is summed
/// again with Fast = false, whose exp covers the whole range (subnormal e^{-|x|} included).
///
/// With Fast and bernoulli_bit_checks, the checks are two running unsigned maxima: of the bits of
/// t + 0 (+0 for -0; every t in [0, 1] has bits at most those of 1, and a negative t, a t above 1
/// or a NaN has more), and of the bits of -|x| = x | sign (every |x| < 87.3 has bits below those
/// of -87.3; a larger |x|, ±inf or NaN has them at least). An infinite logit fails the second
/// check, so it needs no test of its own here: the Fast = false pass finds it.
template <class T, bool Fast = true>
inline T bernoulli_logits_row_simd(const T* x, const T* t, std::size_t n, bool& targets_ok) {
    using B = batch_t<T>;
    using U = xsimd::batch<bits_of_t<T>, typename B::arch_type>;
    constexpr bool bit_checks = Fast && bernoulli_bit_checks<T, typename B::arch_type>;
    constexpr std::size_t W = B::size;
    if (n < W) return bernoulli_logits_row_per_value(x, t, n, targets_ok);
    const B zero(T(0)), inf(infinity<T>());
    auto ok = zero == zero;    // all lanes true
    auto has_inf = zero != zero;  // all lanes false
    [[maybe_unused]] auto in_range = ok;  // with Fast: every |x| < bernoulli_fast_abs_logit so far
    [[maybe_unused]] U t_bits(bits_of_t<T>(0)), nx_bits(bits_of_t<T>(0));  // with bit_checks
    B a0 = zero, a1 = zero;      // Σ a_j, two accumulators
    B q0 = zero, q1 = zero;      // Π(1 + e) - 1 over the current chunk, two accumulators
    B l = zero;                  // Σ log1p(q) over the finished chunks
    double total = 0;            // folded every `fold` values, as simd_sum does
    constexpr std::size_t C = bernoulli_chunk<T>;
    constexpr std::size_t fold = (4096 > W * C ? 4096 / (W * C) : 1) * (W * C);
    // One batch: the a-term and the product step. `keep` zeroes lanes counted already (the tail).
    auto step = [&](std::size_t i, B& a, B& q, const auto& keep, bool masked) {
        const B xv = B::load_unaligned(x + i), tv = B::load_unaligned(t + i);
        B e;
        if constexpr (bit_checks) {
            const B nx = xv | B(T(-0.0));  // -|x|
            t_bits = xsimd::max(t_bits, xsimd::bitwise_cast<U>(tv + zero));
            nx_bits = xsimd::max(nx_bits, xsimd::bitwise_cast<U>(nx));
            e = exp_fast_range(nx);  // garbage where out of range: the row is summed again
        } else {
            ok = ok & in_unit_interval_fn{}(tv);
            const B ax = xsimd::abs(xv);
            if constexpr (Fast) {
                in_range = in_range & (ax < B(bernoulli_fast_abs_logit<T>));  // false for NaN, inf
                e = exp_fast_range(-ax);  // garbage where out of range: the row is summed again
            } else {
                has_inf = has_inf | (ax == inf);
                e = exp(-ax);
            }
        }
        B ai;
        if constexpr (GENDIV_FMA) {
            ai = fnma(tv, xv, xsimd::max(xv, zero));
        } else {  // unfused: the exact form, as the per-value kernel uses it
            ai = bernoulli_logits_margin_exact_fn{}(xv, tv);
        }
        if (masked) {
            e = select(keep, e, zero);
            ai = select(keep, ai, zero);
        }
        a += ai;
        q += xsimd::fma(q, e, e);
    };
    const auto all_lanes = ok;
    std::size_t i = 0;
    while (i + W <= n) {
        // one chunk: up to bernoulli_chunk batches, alternating between the two accumulators
        const std::size_t end = (n - i) / W >= C ? i + C * W : n;
        for (; i + 2 * W <= end; i += 2 * W) {
            step(i, a0, q0, all_lanes, false);
            step(i + W, a1, q1, all_lanes, false);
        }
        if (i + W <= end) {
            step(i, a0, q0, all_lanes, false);
            i += W;
        }
        l += xsimd::log1p(q0 + xsimd::fma(q0, q1, q1));  // (1 + q0)(1 + q1) - 1
        q0 = zero;
        q1 = zero;
        if (i % fold == 0 || i + W > n) {
            total += static_cast<double>(xsimd::hadd(a0 + a1 + l));
            a0 = a1 = l = zero;
        }
    }
    if (i < n) {  // the last n - i values: one batch ending at n, its first lanes masked off
        const auto keep = lane_index<B>() >= B(static_cast<T>(W - (n - i)));
        step(n - W, a0, q0, keep, true);
        total += static_cast<double>(xsimd::hadd(a0 + xsimd::log1p(q0)));
    }
    if constexpr (bit_checks) {
        if (xsimd::any(nx_bits >= U(bits_of(-bernoulli_fast_abs_logit<T>))))
            return bernoulli_logits_row_simd<T, false>(x, t, n, targets_ok);
        targets_ok = xsimd::all(t_bits <= U(bits_of(T(1))));
        return static_cast<T>(-total);
    } else {
        if constexpr (Fast)
            if (!xsimd::all(in_range)) return bernoulli_logits_row_simd<T, false>(x, t, n, targets_ok);
        if (xsimd::any(has_inf)) return bernoulli_logits_row_per_value(x, t, n, targets_ok);
        targets_ok = xsimd::all(ok);
        return static_cast<T>(-total);
    }
}

/// Σ_j [t_j x_j - softplus(x_j)] over a row of n logits x and targets t; targets_ok becomes
/// whether every t_j lies in [0, 1] (the value is complete either way). NaN propagates; a row
/// holding an infinite logit, where max(x, 0) - t x would be inf - inf, is summed again with the
/// per-value kernel, which gives the exact limits (0 or -inf).
template <class T>
inline T bernoulli_logits_row(const T* x, const T* t, std::size_t n, bool& targets_ok) {
    if constexpr (!simd_enabled) {  // nvcc: no xsimd batch may reach the __host__ __device__ kernels
        return bernoulli_logits_row_per_value(x, t, n, targets_ok);
    } else {
        return bernoulli_logits_row_simd(x, t, n, targets_ok);
    }
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

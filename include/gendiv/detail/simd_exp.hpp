// gendiv/detail/simd_exp.hpp: e^x for batches of double and float, the kernels' most frequent
// call, and log (double) and expm1 for batches where xsimd 8.1's are wrong at the extremes.
//
// xsimd 8.1's double exp ends in ldexp(c, to_int(k)); AVX2 has no double -> int64 conversion,
// so xsimd converts lane by lane through memory (its double exp took 2.1 ns per value on one
// core here, four times its float exp). The versions here never convert: adding 1.5 * 2^52 to
// x * N / ln 2 rounds it to the nearest integer k and leaves k in the low bits of the sum's
// significand, and shifting those bits into the exponent field builds the power of two with
// integer adds and shifts. Derivation and error bounds: docs/math.md, section 1, "e^x for
// batches of double". Two reductions:
//
// * AVX-512 (exp_table16): N = 16. k = nearest integer to 16 x / ln 2, r = x - k ln 2 / 16
//   (|r| <= ln 2 / 32), e^x = 2^(k >> 4) * 2^(j/16) * e^r with j = k mod 16. The 16 values
//   2^(j/16), each as the bits of a double hi (less j << 48, so that adding k << 48 also scales
//   it by 2^(k >> 4)) and a relative tail lo / hi, fill two registers per table, and one
//   two-register permute (vpermt2q / vpermt2pd, whose index is the low four bits of each lane)
//   picks them: no memory gather. e^r - 1 = r + r^2 (1/2! + ... + r^5/7!): six terms instead of
//   the twelve below, and at most 0.56 ulp instead of 0.999 (tests/test_simd_exp.cpp).
// * Elsewhere (exp_taylor): N = 1, |r| <= ln 2 / 2, e^x = 2^k (1 + r + r^2 (1/2! + r/3! + ... +
//   r^11/13!)). The Taylor tail after r^13/13! is below 5.9e-18 relative; the roundings add up
//   to about one ulp (at most 0.999 ulp over the test's sweep).
//
// A batch with any lane where |x| >= 708 (where 2^k would leave the normal range), infinite or
// NaN goes whole to xsimd::exp, so overflow to +inf, underflow to 0 and NaN propagation are
// xsimd's, bit for bit.
//
// Batches of float on AVX-512 (16 lanes) take the same N = 16 reduction (exp_table16 for float):
// each table of 2^(j/16) fills one register (vpermd / vpermps), e^r - 1 = r + r^2 (1/2! + r/3! +
// r^2/4!), and the scale is one 32-bit add of k << 19. At most 0.538 ulp over every float of the
// fast range -87.3 < x < 88.7 (2.2e9 of them, tests/test_simd_exp.cpp), where xsimd 8.1's float
// exp takes 1.56 times as long and returns +inf from x = 88.376 on (Cephes' MAXLOGF), although
// e^x < FLT_MAX up to 88.72. A batch with a lane outside the fast range goes to xsimd::exp;
// other architectures keep xsimd::exp for float.
//
// The terms of log-sum-exp's sums (exp_raised_below) need no half-ulp accuracy: on AVX-512 they
// take exp_table16_sum_term, the table reduction without the tail of 2^(j/16) and with a
// polynomial one degree shorter (at most 1.22 ulp for double, 1.019 for float; three vector
// operations fewer per batch).
//
// Kernels find these overloads by ordinary lookup (gendiv/detail/math.hpp includes this header
// outside nvcc); they are more specialized than xsimd::exp(batch<T, A>), which argument-dependent
// lookup also finds, so they win.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gendiv/detail/config.hpp"

// From here to the end, the diagnostics region of detail/config.hpp; xsimd and the intrinsics
// are included inside it so that, when gendiv includes them first, their out-of-line functions
// are covered too.
GENDIV_DIAGNOSTICS_PUSH

#include <xsimd/xsimd.hpp>

#if defined(__AVX512F__) || (defined(__FMA__) && defined(__AVX__))
#include <immintrin.h>
#endif

namespace gendiv::detail {

/// a b + c with one rounding. xsimd 8.1's fma for AVX-512 batches, and for AVX2 batches of the
/// plain avx2 architecture, is its generic x * y + z: g++ contracts that into one instruction
/// (-ffp-contract=fast), clang does not (its contraction stays within one expression), and
/// with two roundings exp_table16 measured 0.768 ulp under clang 14 against 0.544 under g++.
template <class T, class A>
GENDIV_ALWAYS_INLINE xsimd::batch<T, A> fused_fma(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b,
                                                  const xsimd::batch<T, A>& c) noexcept {
    [[maybe_unused]] constexpr bool single = std::is_same_v<T, float>;  // unused without AVX or FMA
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, A>) {
        if constexpr (single)
            return _mm512_fmadd_ps(a, b, c);
        else
            return _mm512_fmadd_pd(a, b, c);
    } else
#endif
#if defined(__FMA__) && defined(__AVX__)
    if constexpr (std::is_base_of_v<xsimd::avx, A>) {
        if constexpr (single)
            return _mm256_fmadd_ps(a, b, c);
        else
            return _mm256_fmadd_pd(a, b, c);
    } else
#endif
        return xsimd::fma(a, b, c);
}

/// The kernels' unqualified fma on batches (kernels.hpp: Estrin's series, the one-FMA form of
/// ½φ, ...): more specialized than xsimd::fma, which argument-dependent lookup also finds, so
/// overload resolution picks these, and the kernels round once under clang as under g++.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> fma(const xsimd::batch<double, A>& a, const xsimd::batch<double, A>& b,
                                                 const xsimd::batch<double, A>& c) noexcept {
    return fused_fma(a, b, c);
}
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> fma(const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b,
                                                const xsimd::batch<float, A>& c) noexcept {
    return fused_fma(a, b, c);
}

/// fdlibm's split of ln 2: ln2_hi has 32 significant bits, so k * ln2_hi / N is exact for
/// |k| < 2^21; ln2_lo = ln 2 - ln2_hi to double precision. Dividing by N = 16 is exact.
inline constexpr double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;

/// x = k ln 2 / N + r with k the nearest integer to x N / ln 2, for N = 1 or 16: `shifted` holds k
/// in the low bits of its significand (k + 1.5 * 2^52), kd = k, r0 = x - k ln2_hi / N (exact) and
/// r = r0 - k ln2_lo / N.
template <class A>
struct exp_reduction {
    xsimd::batch<double, A> shifted, r, kd, r0;
};
template <int N, class A>
GENDIV_ALWAYS_INLINE exp_reduction<A> reduce_by_ln2_over(const xsimd::batch<double, A>& x) noexcept {
    static_assert(N == 1 || N == 16, "a power of two whose scaled constants stay exact");
    using B = xsimd::batch<double, A>;
    const B shift(0x1.8p52);
    const B shifted = fused_fma(x, B(0x1.71547652b82fep0 * N), shift);  // k + 1.5 * 2^52
    const B kd = shifted - shift;
    // kd (-c) + x rather than fnma(kd, c, x): xsimd writes fnma as fma(0 - kd, c, x), one
    // subtraction more per call, which the compiler may not drop (0 - kd is +0 where -kd is -0).
    const B r0 = fused_fma(kd, B(-ln2_hi / N), x);
    return {shifted, fused_fma(kd, B(-ln2_lo / N), r0), kd, r0};
}

/// 2^k from `shifted` of reduce_by_ln2_over<1>. The low 12 bits of 1.5 * 2^52's representation
/// are zero, so shifting the bits left by 52 leaves k alone in the exponent field; adding the
/// bias 1023 there makes the power.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> pow2_of_reduction(const xsimd::batch<double, A>& shifted) noexcept {
    using I = xsimd::batch<std::int64_t, A>;
    const I bits = xsimd::bitwise_cast<I>(shifted);
    return xsimd::bitwise_cast<xsimd::batch<double, A>>((bits << 52) + I(std::int64_t{1023} << 52));
}

/// e^x by the N = 1 reduction and a Taylor polynomial, for |x| < 708 (any architecture).
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> exp_taylor(const xsimd::batch<double, A>& x) noexcept {
    using B = xsimd::batch<double, A>;
    const exp_reduction<A> red = reduce_by_ln2_over<1>(x);
    const B& r = red.r;
    // q(r) = 1/2! + r/3! + ... + r^11/13! by Estrin's scheme: six independent FMAs, then three
    // levels, four FMAs deep instead of Horner's eleven (the loop's latency is the limit).
    // Constants: tests/reference/simd_exp_constants.py.
    const B r2 = r * r;
    const B r4 = r2 * r2;
    const B q01 = fused_fma(B(0x1.5555555555555p-3), r, B(0.5));                    // 1/3!, 1/2!
    const B q23 = fused_fma(B(0x1.1111111111111p-7), r, B(0x1.5555555555555p-5));   // 1/5!, 1/4!
    const B q45 = fused_fma(B(0x1.a01a01a01a01ap-13), r, B(0x1.6c16c16c16c17p-10));  // 1/7!, 1/6!
    const B q67 = fused_fma(B(0x1.71de3a556c734p-19), r, B(0x1.a01a01a01a01ap-16));  // 1/9!, 1/8!
    const B q89 = fused_fma(B(0x1.ae64567f544e4p-26), r, B(0x1.27e4fb7789f5cp-22));  // 1/11!, 1/10!
    const B q1011 = fused_fma(B(0x1.6124613a86d09p-33), r, B(0x1.1eed8eff8d898p-29));  // 1/13!, 1/12!
    const B q03 = fused_fma(q23, r2, q01);
    const B q47 = fused_fma(q67, r2, q45);
    const B q811 = fused_fma(q1011, r2, q89);
    const B q = fused_fma(fused_fma(q811, r4, q47), r4, q03);
    return (B(1.0) + fused_fma(r2, q, r)) * pow2_of_reduction(red.shifted);
}

/// The 16 entries of exp_table16, for j = 0..15 (tests/reference/simd_exp_constants.py):
/// bits: the bits of hi_j, the double nearest 2^(j/16), less j << 48, so that adding k << 48 (k
/// the reduction's integer, j = k mod 16) gives the bits of hi_j * 2^⌊k/16⌋; tail: lo_j / hi_j,
/// lo_j the double nearest 2^(j/16) - hi_j.
alignas(64) inline constexpr std::int64_t exp2_sixteenths_bits[16] = {
    0x3ff0000000000000, 0x3fefb5586cf9890f, 0x3fef72b83c7d517b, 0x3fef387a6e756238,
    0x3fef06fe0a31b715, 0x3feedea64c123422, 0x3feebfdad5362a27, 0x3feeab07dd485429,
    0x3feea09e667f3bcd, 0x3feea11473eb0187, 0x3feeace5422aa0db, 0x3feec49182a3f090,
    0x3feee89f995ad3ad, 0x3fef199bdd85529c, 0x3fef5818dcfba487, 0x3fefa4afa2a490da};
alignas(64) inline constexpr double exp2_sixteenths_tail[16] = {
    0x0.0p+0,               0x1.79aa65d837b6dp-54,  -0x1.01b15eaa59348p-55, 0x1.68efde3a8a894p-54,
    0x1.34d754db0abb6p-55,  0x1.59f48a72a4c6dp-55,  0x1.690cebb7aafb0p-56,  0x1.063e1e21c5409p-54,
    -0x1.3b3efbf5e2228p-54, -0x1.b32dcb94da51dp-56, 0x1.db72fc1f0eab4p-55,  0x1.1affc2b91ce27p-56,
    0x1.c1a7792cb3387p-55,  0x1.36eae30af0cb3p-56,  0x1.4a385a63d07a7p-56,  -0x1.ff7128fd391f0p-55};

#if defined(__AVX512F__)
/// s = hi_j 2^⌊k/16⌋ for j = k mod 16, from the bits kb of reduce_by_ln2_over<16>'s shifted sum
/// alone: vpermt2q reads the low four bits of each index lane, which hold j (1.5 * 2^52 is a
/// multiple of 16 in those bits), and those bits, k + 2^51 in the significand, shifted left by 48
/// are k << 48 modulo 2^64. A permute, a shift and an add; no memory gather.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> table16_scale(const __m512i& kb) noexcept {
    const __m512i entry = _mm512_permutex2var_epi64(
        _mm512_load_si512(exp2_sixteenths_bits), kb, _mm512_load_si512(exp2_sixteenths_bits + 8));
    return _mm512_castsi512_pd(_mm512_add_epi64(entry, _mm512_slli_epi64(kb, 48)));
}

/// e^x by the N = 16 reduction and a table of 2^(j/16) in registers, for |x| < 708 (AVX-512).
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> exp_table16(const xsimd::batch<double, A>& x) noexcept {
    using B = xsimd::batch<double, A>;
    const exp_reduction<A> red = reduce_by_ln2_over<16>(x);
    const B& r = red.r;
    // e^r - 1 = r + r^2 (1/2! + r/3! + r^2/4! + r^3/5! + r^4/6! + r^5/7!); the Taylor tail after
    // r^7/7! is below 1.3e-18 relative for |r| <= ln 2 / 32.
    const B r2 = r * r;
    const B q01 = fused_fma(B(0x1.5555555555555p-3), r, B(0.5));                    // 1/3!, 1/2!
    const B q23 = fused_fma(B(0x1.1111111111111p-7), r, B(0x1.5555555555555p-5));   // 1/5!, 1/4!
    const B q45 = fused_fma(B(0x1.a01a01a01a01ap-13), r, B(0x1.6c16c16c16c17p-10));  // 1/7!, 1/6!
    const B em1 = fused_fma(r2, fused_fma(fused_fma(q45, r2, q23), r2, q01), r);
    // e^x = s (1 + tail_j + (e^r - 1)) = s + s (em1 + tail_j), one FMA: six operations (with
    // table16_scale's three) where t + fma(t, em1, t_lo) times 2^⌊k/16⌋ built from the bias
    // took eight.
    const __m512i kb = _mm512_castpd_si512(red.shifted);
    const B scale = table16_scale<A>(kb);
    const B tail(_mm512_permutex2var_pd(_mm512_load_pd(exp2_sixteenths_tail), kb,
                                        _mm512_load_pd(exp2_sixteenths_tail + 8)));
    return fused_fma(scale, em1 + tail, scale);
}

/// e^x for |x| < 708 to about one ulp (at most 1.22 ulp over test_simd_exp's 2.6e6 points), for
/// the terms of a sum, whose own rounding is of that order (AVX-512): exp_table16 without the
/// tail of 2^(j/16) (its rounding, at most half an ulp, stays in the result) and with e^r - 1 of degree
/// six instead of seven, r + r^2 (c2 + c3 r + c4 r^2 + c5 r^3 + c6 r^4) with the Chebyshev
/// interpolant's coefficients on |r| <= ln 2 / 32 (relative error 2.8e-17 before rounding;
/// tests/reference/simd_exp_constants.py). Fourteen operations instead of seventeen: Σ e^(x - m)
/// over 2048 doubles in L1 0.505 -> 0.400 ns per value on one core, and log_mean_exp at (64, 200)
/// 9.56 -> 8.12 µs (docs/benchmarks.md). e^0 is 1 exactly (j = 0, r = 0), so a row's maximum
/// still contributes exactly 1 and a constant row sums to n exactly.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> exp_table16_sum_term(const xsimd::batch<double, A>& x) noexcept {
    using B = xsimd::batch<double, A>;
    const exp_reduction<A> red = reduce_by_ln2_over<16>(x);
    const B& r = red.r;
    const B r2 = r * r;
    const B q01 = fused_fma(B(0x1.55555554dd44dp-3), r, B(0.5));
    const B q23 = fused_fma(B(0x1.11120af701debp-7), r, B(0x1.55555555194d2p-5));
    const B em1 = fused_fma(r2, fused_fma(fused_fma(B(0x1.6c17bb51f236dp-10), r2, q23), r2, q01), r);
    const B scale = table16_scale<A>(_mm512_castpd_si512(red.shifted));
    return fused_fma(scale, em1, scale);
}
/// ½φ(d) = ½(e^d - 1 - d) for |d| < 700 with no range test and one reduction for every d (AVX-512):
/// the exp_table16 reduction d = kL + r, L = ln 2 / 16, with 2^(k/16) = s (1 + tail) from its
/// tables and e^r = 1 + r + q(r). With kL = k c_hi + k c_lo (fdlibm's split of ln 2, over 16),
/// r0 = d - k c_hi is exact (see reduce_by_ln2_over) and r = r0 - k c_lo, so
///   φ = s(1 + tail)(1 + r + q) - 1 - k c_hi - k c_lo - r
///     = [(s - 1) - k c_hi] + (s - 1) r0 + s [q + tail (1 + r + q) - k c_lo]
/// (the k c_lo of (s - 1) r and that of -r - k c_lo combine into -s k c_lo). s - 1 is exact for s
/// in [1/2, 2^53] (d > -0.72), and (s - 1) - k c_hi exact by Sterbenz's lemma for |d| < 1.25,
/// where (e^{kL} - 1) / kL stays within [1/2, 2]; the FMA of (s - 1) r0 and that difference then
/// rounds once, at the magnitude of φ. So near 0 (k = 0: s = 1, tail = 0) the result is
/// r^2 P(r) as the series gives it, and across k = ±1, where the first two terms cancel to about
/// φ/30, no rounding of theirs remains; beyond |d| = 1 the terms have one sign, or cancel no more
/// than e/(e - 2). About two dozen vector operations where half_expm1_minus_x_fn's series beside
/// its exp form, both evaluated and one selected per lane, took about fifty: KL over 10^7 doubles
/// on 2 threads 15.6 -> 12.5 ms (docs/benchmarks.md). At most 3.54 ulp (at d = -L/2; test_kl,
/// log_variance_term_is_within_six_ulp) where half_expm1_minus_x_fn reaches 4.11. (The
/// polynomial at the exact r0, with e^{-k c_lo} expanded apart, lost 1.7e-14 at d = 700, where
/// k c_lo = 1.9e-7, unless expanded to second order, one operation more.) NaN, ±inf and
/// |d| >= 700 are not handled: kl_analytic_rows checks |d| < 700 for each row.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> half_expm1_minus_x_table16(const xsimd::batch<double, A>& d) noexcept {
    using B = xsimd::batch<double, A>;
    constexpr double c_hi = ln2_hi / 16, c_lo = ln2_lo / 16;
    const exp_reduction<A> red = reduce_by_ln2_over<16>(d);
    const B &r = red.r, &r0 = red.r0, &kd = red.kd;
    // q = e^r - 1 - r to q's own precision: one term more than exp_table16's e^r - 1, whose tail
    // after r^7/7! is 1.3e-18 of e^r but would be 5e-15 of q; after r^8/8! it is 1.2e-17 of q.
    const B r2 = r * r;
    const B q01 = fused_fma(B(0x1.5555555555555p-3), r, B(0.5));                    // 1/3!, 1/2!
    const B q23 = fused_fma(B(0x1.1111111111111p-7), r, B(0x1.5555555555555p-5));   // 1/5!, 1/4!
    const B q45 = fused_fma(B(0x1.a01a01a01a01ap-13), r, B(0x1.6c16c16c16c17p-10));  // 1/7!, 1/6!
    const B q = r2 * fused_fma(fused_fma(fused_fma(B(0x1.a01a01a01a01ap-16), r2, q45), r2, q23), r2, q01);
    const __m512i kb = _mm512_castpd_si512(red.shifted);
    const B s = table16_scale<A>(kb);
    const B tail(_mm512_permutex2var_pd(_mm512_load_pd(exp2_sixteenths_tail), kb,
                                        _mm512_load_pd(exp2_sixteenths_tail + 8)));
    const B sm1 = s - B(1.0);
    const B lead = fused_fma(sm1, r0, fused_fma(kd, B(-c_hi), sm1));
    const B small = fused_fma(kd, B(-c_lo), fused_fma(tail, r, tail));  // tail (1 + r) - k c_lo
    return B(0.5) * fused_fma(s, fused_fma(tail, q, q + small), lead);
}
#endif

/// The float version of the tables (tests/reference/simd_exp_constants.py): bits of hi_j, the
/// float nearest 2^(j/16), less j << 19, so that adding k << 19 gives the bits of
/// hi_j * 2^⌊k/16⌋; tail: lo_j / hi_j to float precision.
alignas(64) inline constexpr std::int32_t exp2_sixteenths_bits_f[16] = {
    0x3f800000, 0x3f7daac3, 0x3f7b95c2, 0x3f79c3d3, 0x3f7837f0, 0x3f76f532, 0x3f75fed7, 0x3f75583f,
    0x3f7504f3, 0x3f7508a4, 0x3f75672a, 0x3f76248c, 0x3f7744fd, 0x3f78ccdf, 0x3f7ac0c7, 0x3f7d257d};
alignas(64) inline constexpr float exp2_sixteenths_tail_f[16] = {
    0x0.0p+0f,       0x1.8d96d4p-25f,  -0x1.9c0c22p-27f, 0x1.964904p-25f,
    0x1.125002p-25f, 0x1.370be4p-25f,  -0x1.0a3550p-25f, -0x1.00d8acp-27f,
    0x1.26055cp-26f, -0x1.05cb44p-25f, 0x1.67a1cap-28f,  0x1.a3b5e4p-28f,
    -0x1.f9c304p-27f, -0x1.6961b4p-28f, -0x1.a5217cp-28f, 0x1.61428ep-28f};

/// The fast range of e^x for float, -87.3 < x < 88.7: e^-87.3 ≈ 1.22e-38 is still normal
/// (FLT_MIN ≈ 1.18e-38), and 2^⌊k/16⌋ stays a normal power (-2015 <= k <= 2047; from x = 88.703
/// on, k = 2048 would carry into the sign bit).
inline constexpr float exp_fast_low_f = -87.3f;
inline constexpr float exp_fast_high_f = 88.7f;

#if defined(__AVX512F__)
/// The float reduction of exp_table16 and exp_table16_sum_term (below): r = x - k ln 2 / 16, the
/// bits of the shifted sum that hold k, and the scale hi_j 2^⌊k/16⌋.
template <class A>
struct exp_reduction_f {
    xsimd::batch<float, A> r;      // x - k ln 2 / 16
    __m512i kb;                    // the bits of k + 1.5 * 2^23
    xsimd::batch<float, A> scale;  // hi_j 2^⌊k/16⌋
    xsimd::batch<float, A> kf;     // k
    xsimd::batch<float, A> r0;     // x - k c_hi, exact
};
/// ln 2 / 16 = c_hi_f - c_lo_f: c_hi_f the float nearest it (21 significant bits, so that
/// x - k c_hi_f is exact), c_lo_f = c_hi_f - ln 2 / 16 to float precision.
inline constexpr float ln2_16_hi_f = 0x1.62e43p-5f, ln2_16_lo_f = 0x1.05c61p-33f;
template <class A>
GENDIV_ALWAYS_INLINE exp_reduction_f<A> reduce16_with_scale(const xsimd::batch<float, A>& x) noexcept {
    using B = xsimd::batch<float, A>;
    const B shift(0x1.8p23f);
    const B shifted = fused_fma(x, B(0x1.715476p+4f), shift);  // k + 1.5 * 2^23, 16 / ln 2
    const B kf = shifted - shift;
    const __m512i kb = _mm512_castps_si512(shifted);
    const __m512i entry = _mm512_permutexvar_epi32(kb, _mm512_load_si512(exp2_sixteenths_bits_f));
    const B r0 = fused_fma(kf, B(-ln2_16_hi_f), x);
    return {fused_fma(kf, B(ln2_16_lo_f), r0), kb,
            B(_mm512_castsi512_ps(_mm512_add_epi32(entry, _mm512_slli_epi32(kb, 19)))), kf, r0};
}
/// e^x for a batch of 16 floats with -87.3 < x < 88.7 (AVX-512), as exp_table16 for double: k the
/// nearest integer to 16 x / ln 2 (adding 1.5 * 2^23 leaves k + 2^22 in the significand's bits),
/// r = x - k ln 2 / 16 in two FMAs (ln 2 / 16 as the float c_hi nearest it and c_lo = ln 2 / 16 -
/// c_hi; x - k c_hi is exact, a multiple of 2^-28 below 2^-5), e^r - 1 = r + r^2 (1/2! + r/3! +
/// r^2/4!) (the Taylor tail after r^4/4! is below 4e-11 relative for |r| <= ln 2 / 32), and
/// e^x = s + s (e^r - 1 + tail_j) with s = hi_j 2^⌊k/16⌋ from one 32-bit add. Each table is one
/// register, indexed by the low four bits of each lane (vpermd / vpermps). Without the tail the
/// error reached 1.06 ulp, with a cubic 0.68 ulp; as written 0.538 ulp over every float in
/// range.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> exp_table16(const xsimd::batch<float, A>& x) noexcept {
    using B = xsimd::batch<float, A>;
    const exp_reduction_f<A> red = reduce16_with_scale(x);
    const B& r = red.r;
    const B em1 = fused_fma(r * r, fused_fma(r, fused_fma(r, B(1.0f / 24), B(1.0f / 6)), B(0.5f)), r);
    const B tail(_mm512_permutexvar_ps(red.kb, _mm512_load_ps(exp2_sixteenths_tail_f)));
    return fused_fma(red.scale, em1 + tail, red.scale);
}

/// exp_table16_sum_term for float: no tail, and e^r - 1 = r + r^2 (c2 + c3 r), the Chebyshev
/// interpolant's coefficients (relative error 4.7e-9 before rounding,
/// tests/reference/simd_exp_constants.py). At most 1.019 ulp over every float of the fast range
/// (tests/test_simd_exp.cpp, float_exhaustive); eleven operations instead of fourteen: Σ e^(x - m)
/// over 2048 floats in L1 0.188 -> 0.149 ns per value on one core. e^0 is 1 exactly.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> exp_table16_sum_term(const xsimd::batch<float, A>& x) noexcept {
    using B = xsimd::batch<float, A>;
    const exp_reduction_f<A> red = reduce16_with_scale(x);
    const B& r = red.r;
    const B em1 = fused_fma(r * r, fused_fma(r, B(0x1.55565cp-3f), B(0x1.000148p-1f)), r);
    return fused_fma(red.scale, em1, red.scale);
}

/// half_expm1_minus_x_table16 for float (AVX-512), for |d| < 87 (2^(k/16) stays normal and φ
/// below FLT_MAX): the same formula on the float reduction, with q = r^2 (1/2! + r/3! + r^2/4! +
/// r^3/5!) (the tail after r^5/5! is 6e-10 of q). Here k c_hi has up to 32 bits, so
/// (s - 1) - k c_hi, formed by one FMA, is exact only while it needs at most 24 bits of the
/// 2^-25 grid, that is φ(kL) < 1/2 (|d| < 0.86); beyond it rounds once but no longer cancels.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> half_expm1_minus_x_table16(const xsimd::batch<float, A>& d) noexcept {
    using B = xsimd::batch<float, A>;
    const exp_reduction_f<A> red = reduce16_with_scale(d);
    const B& r = red.r;
    const B r2 = r * r;
    const B q = r2 * fused_fma(fused_fma(r, B(1.0f / 120), B(1.0f / 24)), r2, fused_fma(r, B(1.0f / 6), B(0.5f)));
    const B& s = red.scale;
    const B tail(_mm512_permutexvar_ps(red.kb, _mm512_load_ps(exp2_sixteenths_tail_f)));
    const B sm1 = s - B(1.0f);
    const B lead = fused_fma(sm1, red.r0, fused_fma(red.kf, B(-ln2_16_hi_f), sm1));
    // tail (1 + r) - k c_lo with c_lo = ln 2 / 16 - c_hi_f = -ln2_16_lo_f
    const B small = fused_fma(red.kf, B(ln2_16_lo_f), fused_fma(tail, r, tail));
    return B(0.5f) * fused_fma(s, fused_fma(tail, q, q + small), lead);
}
#endif

/// Whether batches of type V take half_expm1_minus_x_table16 (double and float on AVX-512), and
/// the bound on |d| below which it holds (700 for double, 87 for float).
template <class V>
inline constexpr bool half_phi_table = false;
#if defined(__AVX512F__)
template <class T, class A>
inline constexpr bool half_phi_table<xsimd::batch<T, A>> = std::is_base_of_v<xsimd::avx512f, A>;
#endif
template <class T>
inline constexpr T half_phi_table_bound = sizeof(T) == sizeof(float) ? T(87) : T(700);

/// A little below the x from which xsimd 8.1's exp and expm1 return +inf although e^x is still
/// finite (from 88.3763 in float, 709.4370 in double; e^x overflows only beyond 88.7228 and
/// 709.7827): lanes above it are not left to xsimd.
template <class T>
inline constexpr T xsimd_overflow_guard = sizeof(T) == sizeof(float) ? T(88.3) : T(709.4);

/// e^x for the rare batches outside the fast range, kept out of line (inlined, as GENDIV_FLATTEN
/// on the SIMD loops would otherwise do, its code crowded the kernels' loops): xsimd::exp, except
/// at the two ends where xsimd 8.1 is wrong, whose lanes take the C library's exp one by one (in
/// double for float lanes, then rounded once to float):
/// * subnormal results: xsimd returns 0 below x = -708.40 (float about -87.34), while e^x stays
///   above 0 down to -745.13 (float -103.97);
/// * the top of the range: xsimd returns +inf from x = 709.437 (float 88.376), while e^x stays
///   below the largest finite value up to 709.7827 (float 88.7228).
/// Everything else (overflow beyond those, underflow to 0 beyond the subnormals, NaN, ±inf, and
/// the normal results just outside the fast range) is xsimd's, bit for bit.
template <class T, class A>
GENDIV_NOINLINE xsimd::batch<T, A> exp_outside_fast_range(const xsimd::batch<T, A>& x) noexcept {
    using B = xsimd::batch<T, A>;
    constexpr bool single = std::is_same_v<T, float>;
    // a little above ln of the least normal number (-87.336545, -708.396419), and a little below
    // the point where e^x rounds to 0 (-103.972, -745.133)
    const T normal_min = single ? T(-87.3365) : T(-708.3964);
    const T zero_below = single ? T(-104) : T(-745.2);
    // xsimd_overflow_guard, and a little above the point where e^x rounds to +inf (88.7228,
    // 709.7827)
    const T top_low = xsimd_overflow_guard<T>;
    const T inf_above = single ? T(88.8) : T(709.8);
    // the lanes where xsimd is wrong, for a batch or a single lane (& and | serve masks and bools)
    const auto theirs_wrong = [=](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        return ((v < V(normal_min)) & (v > V(zero_below))) | ((v > V(top_low)) & (v < V(inf_above)));
    };
    const B theirs = xsimd::exp(x);
    if (!xsimd::any(theirs_wrong(x))) return theirs;
    alignas(64) T lanes[B::size], out[B::size];
    x.store_aligned(lanes);
    theirs.store_aligned(out);
    for (std::size_t k = 0; k < B::size; ++k)
        if (theirs_wrong(lanes[k]))
            out[k] = static_cast<T>(std::exp(static_cast<double>(lanes[k])));  // inf where it overflows
    return B::load_aligned(out);
}

/// e^x for |x| < 708 with no range test: exp_table16 on AVX-512, exp_taylor elsewhere.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> exp_fast_range(const xsimd::batch<double, A>& x) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, A>)
        return exp_table16(x);
    else
#endif
        return exp_taylor(x);
}

/// e^x for a batch of double: exp_fast_range, or exp_outside_fast_range (xsimd::exp, with the
/// C library's exp where xsimd's result is wrong) for a batch with a lane outside |x| < 708.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> exp(const xsimd::batch<double, A>& x) noexcept {
    using B = xsimd::batch<double, A>;
    // Not (|x| < 708) is also true for NaN.
    if (!xsimd::all(xsimd::abs(x) < B(708.0)))
        return exp_outside_fast_range(x);
    return exp_fast_range(x);
}

/// max(lo, x) with NaN kept: x86's max instructions return their second operand when either is
/// NaN, and xsimd::max(a, b) passes a and b in that order (one instruction where a compare and a
/// blend were).
template <class T, class A>
GENDIV_ALWAYS_INLINE xsimd::batch<T, A> raised_to(const xsimd::batch<T, A>& lo, const xsimd::batch<T, A>& x) noexcept {
#if defined(__SSE2__)
    return xsimd::max(lo, x);
#else
    return xsimd::select(x < lo, lo, x);
#endif
}

/// e^x for x <= 708 without exp's range test, for sums of e^(x - shift) whose shift is the
/// maximum: x below -708, -inf included, is raised to -708 first, so such a term is e^-708
/// (3.3e-308) where e^x would be smaller or 0, which a sum of at least 1 cannot see; NaN stays
/// NaN (the comparison that raises x is false for it, and NaN passes through the arithmetic);
/// above 708 the result is unspecified. The point is a loop without a call: exp's rare batches
/// go to the out-of-line exp_outside_fast_range, and around that call g++ 12 kept the loop's
/// constants and one accumulator in stack memory (perf annotate of log_mean_exp at (64, 200)).
/// On AVX-512 the term is exp_table16_sum_term (within 1.22 ulp, where exp is within 0.544),
/// elsewhere exp_taylor (exp's own fast path, bit for bit).
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> exp_raised_below(const xsimd::batch<double, A>& x) noexcept {
    using B = xsimd::batch<double, A>;
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, A>)
        return exp_table16_sum_term(raised_to(B(-708.0), x));
    else
#endif
        return exp_taylor(raised_to(B(-708.0), x));
}

/// Whether batches of float on architecture A take exp_table16 (AVX-512); elsewhere they keep
/// xsimd::exp.
template <class A>
inline constexpr bool float_exp_table =
#if defined(__AVX512F__)
    std::is_base_of_v<xsimd::avx512f, A>;
#else
    false;
#endif

/// e^x for a batch of float with -87.3 < x < float_exp_fast_high<A> (88.7 on AVX-512, 88.3
/// elsewhere), no range test: exp_table16 on AVX-512; elsewhere xsimd::exp (which holds no call:
/// its range handling is selects).
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> exp_fast_range(const xsimd::batch<float, A>& x) noexcept {
#if defined(__AVX512F__)
    if constexpr (float_exp_table<A>)
        return exp_table16(x);
    else
#endif
        return xsimd::exp(x);
}

/// The upper end of exp_fast_range for float on architecture A: 88.7 with exp_table16; 88.3
/// with xsimd::exp, which returns +inf from 88.376 on (e^x < FLT_MAX up to 88.7228).
template <class A>
inline constexpr float float_exp_fast_high = float_exp_table<A> ? exp_fast_high_f : xsimd_overflow_guard<float>;

/// e^x for a batch of float: exp_fast_range (on AVX-512 exp_table16, elsewhere xsimd::exp), or
/// exp_outside_fast_range for a batch with a lane outside -87.3 < x < float_exp_fast_high<A>
/// (overflow to +inf, NaN: xsimd's, bit for bit; subnormal results, and finite results at the
/// top of the range, computed where xsimd returns 0 or +inf).
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> exp(const xsimd::batch<float, A>& x) noexcept {
    using B = xsimd::batch<float, A>;
    if (!xsimd::all((x > B(exp_fast_low_f)) & (x < B(float_exp_fast_high<A>))))  // true for NaN
        return exp_outside_fast_range(x);
    return exp_fast_range(x);
}

/// exp_raised_below for float: x below -87.3, -inf included, is raised to -87.3 (a term of
/// 1.22e-38 against a sum of at least 1); NaN stays NaN; from 88.7 on unspecified (88.3 without
/// AVX-512). The term is exp_table16_sum_term on AVX-512, xsimd::exp (exp's own fast path, bit
/// for bit) elsewhere.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> exp_raised_below(const xsimd::batch<float, A>& x) noexcept {
    using B = xsimd::batch<float, A>;
#if defined(__AVX512F__)
    if constexpr (float_exp_table<A>)
        return exp_table16_sum_term(raised_to(B(exp_fast_low_f), x));
    else
#endif
        return xsimd::exp(raised_to(B(exp_fast_low_f), x));
}

/// log x for a batch of double, subnormal x included. xsimd 8.1's double log does not normalize
/// subnormal arguments: log(4.9e-324) came out -746.52 (not -744.44) and log(7.4e-309) -746.23
/// (not -709.50), so a Bernoulli probability of 1e-310 cost 32.7 nats too many. Lanes below the
/// least normal number are multiplied by 2^54 first (exactly) and 54 ln 2 is subtracted after
/// (its rounding, 3.6e-15, is 5e-18 of the result); 0 stays 0 (log gives -inf), negative values
/// and -inf give NaN as before, NaN passes. Two selects, a multiply and a subtraction more than
/// xsimd's log; float's log handles subnormals itself and stays xsimd's.
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> log(const xsimd::batch<double, A>& x) noexcept {
    using B = xsimd::batch<double, A>;
    const auto low = x < B(0x1p-1022);  // subnormal, zero, negative (false for NaN)
    const B l = xsimd::log(xsimd::select(low, x * B(0x1p54), x));
    return xsimd::select(low, l - B(54 * 0x1.62e42fefa39efp-1), l);
}

/// e^x - 1 for the rare batches with a lane above xsimd's overflow threshold (out of line, as
/// exp_outside_fast_range): xsimd 8.1's expm1 returns +inf from x = 709.437 (float 88.376) while
/// e^x - 1 stays finite up to 709.7827 (88.7228); there e^x - 1 rounds to e^x, which gendiv's exp
/// gives (its fallback takes the C library's exp for those lanes).
template <class T, class A>
GENDIV_NOINLINE xsimd::batch<T, A> expm1_near_overflow(const xsimd::batch<T, A>& x) noexcept {
    using B = xsimd::batch<T, A>;
    return xsimd::select(x > B(xsimd_overflow_guard<T>), exp(x), xsimd::expm1(x));
}

/// e^x - 1 for a batch of float or double: xsimd's expm1, except for lanes above
/// xsimd_overflow_guard (88.3, 709.4), where xsimd overflows early (expm1_near_overflow). The
/// two overloads below are what kernels reach: they are more specialized than xsimd::expm1.
template <class T, class A>
GENDIV_ALWAYS_INLINE xsimd::batch<T, A> expm1_checked(const xsimd::batch<T, A>& x) noexcept {
    using B = xsimd::batch<T, A>;
    if (xsimd::any(x > B(xsimd_overflow_guard<T>))) return expm1_near_overflow(x);
    return xsimd::expm1(x);
}
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<double, A> expm1(const xsimd::batch<double, A>& x) noexcept {
    return expm1_checked(x);
}
template <class A>
GENDIV_ALWAYS_INLINE xsimd::batch<float, A> expm1(const xsimd::batch<float, A>& x) noexcept {
    return expm1_checked(x);
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

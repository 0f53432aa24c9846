// gendiv/detail/simd_exp.hpp: e^x for batches of double, the kernels' most frequent call.
//
// xsimd 8.1's double exp ends in ldexp(c, to_int(k)); AVX2 has no double -> int64 conversion,
// so xsimd converts lane by lane through memory (its double exp took 2.1 ns per value on one
// core here, four times its float exp). This version never converts: adding 1.5 * 2^52 to
// x / ln 2 rounds it to the nearest integer k and leaves k in the low bits of the sum's
// significand, and shifting those bits into the exponent field builds 2^k with integer adds and
// shifts, which AVX2 has. Derivation and error bound: docs/math.md,
// section 1, "e^x for batches of double".
//
//   k = nearest integer to x / ln 2,   r = x - k ln 2   (|r| <= ln 2 / 2, computed exactly up to
//   one rounding: k ln2_hi is exact and the subtraction is exact by Sterbenz's lemma),
//   e^x = 2^k (1 + r + r^2 (1/2! + r/3! + ... + r^11/13!))
//
// The Taylor tail after r^13/13! is below 5.9e-18 relative for |r| <= ln 2 / 2; the roundings
// add up to about one ulp (tests/test_simd_exp.cpp: at most 0.999 ulp over a sweep of 2.4e6
// points). A batch with any lane where |x| >= 708 (where 2^k would leave the normal range),
// infinite or NaN goes whole to xsimd::exp, so overflow to +inf, underflow to 0 and NaN
// propagation are xsimd's, bit for bit.
//
// Kernels find this overload by ordinary lookup (gendiv/detail/math.hpp includes this header
// outside nvcc); it is more specialized than xsimd::exp(batch<T, A>), which argument-dependent
// lookup also finds, so it wins for double and leaves float to xsimd.
#pragma once

#include <cstdint>

#include <xsimd/xsimd.hpp>

namespace gendiv::detail {

template <class A>
inline xsimd::batch<double, A> exp(const xsimd::batch<double, A>& x) noexcept {
    using B = xsimd::batch<double, A>;
    using I = xsimd::batch<std::int64_t, A>;
    // Not (|x| < 708) is also true for NaN.
    if (!xsimd::all(xsimd::abs(x) < B(708.0)))
        return xsimd::exp(x);
    const B shift(0x1.8p52);
    const B kd_shifted = xsimd::fma(x, B(0x1.71547652b82fep0), shift);  // k + 1.5 * 2^52
    const B kd = kd_shifted - shift;
    // fdlibm's split of ln 2: ln2_hi has 32 significant bits, so k * ln2_hi is exact for
    // |k| < 2^21; ln2_lo = ln 2 - ln2_hi to double precision.
    const B r = xsimd::fnma(kd, B(0x1.a39ef35793c76p-33), xsimd::fnma(kd, B(0x1.62e42feep-1), x));
    // q(r) = 1/2! + r/3! + ... + r^11/13! by Estrin's scheme: six independent FMAs, then three
    // levels, four FMAs deep instead of Horner's eleven (the loop's latency is the limit).
    // Constants: tests/reference/simd_exp_constants.py.
    const B r2 = r * r;
    const B r4 = r2 * r2;
    const B q01 = xsimd::fma(B(0x1.5555555555555p-3), r, B(0.5));                    // 1/3!, 1/2!
    const B q23 = xsimd::fma(B(0x1.1111111111111p-7), r, B(0x1.5555555555555p-5));   // 1/5!, 1/4!
    const B q45 = xsimd::fma(B(0x1.a01a01a01a01ap-13), r, B(0x1.6c16c16c16c17p-10));  // 1/7!, 1/6!
    const B q67 = xsimd::fma(B(0x1.71de3a556c734p-19), r, B(0x1.a01a01a01a01ap-16));  // 1/9!, 1/8!
    const B q89 = xsimd::fma(B(0x1.ae64567f544e4p-26), r, B(0x1.27e4fb7789f5cp-22));  // 1/11!, 1/10!
    const B q1011 = xsimd::fma(B(0x1.6124613a86d09p-33), r, B(0x1.1eed8eff8d898p-29));  // 1/13!, 1/12!
    const B q03 = xsimd::fma(q23, r2, q01);
    const B q47 = xsimd::fma(q67, r2, q45);
    const B q811 = xsimd::fma(q1011, r2, q89);
    const B q = xsimd::fma(xsimd::fma(q811, r4, q47), r4, q03);
    const B p = B(1.0) + xsimd::fma(r2, q, r);
    // The low 12 bits of 1.5 * 2^52's representation are zero, so shifting the sum's bits left
    // by 52 leaves k alone in the exponent field; adding the bias 1023 there makes 2^k.
    const I scale = (xsimd::bitwise_cast<I>(kd_shifted) << 52) + I(std::int64_t{1023} << 52);
    return p * xsimd::bitwise_cast<B>(scale);
}

}  // namespace gendiv::detail

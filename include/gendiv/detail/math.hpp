// gendiv/detail/math.hpp: the scalar math that gendiv's kernels call, for host and device.
//
// Kernels are templates over a value type V that is float, double, or (on the host) an xsimd
// batch of them. They call the functions below unqualified: ordinary lookup finds these scalar
// overloads, and argument-dependent lookup finds xsimd's batch overloads (xsimd::exp,
// xsimd::select, ...). One formula thus serves the SIMD host loop, the scalar tail and the
// Thrust device path. Outside nvcc it also brings gendiv's exp for batches of double
// (simd_exp.hpp): ordinary lookup finds it and overload resolution prefers it to xsimd::exp (it
// is more specialized). This header includes neither xtensor nor Thrust.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "gendiv/detail/config.hpp"
#if !defined(__CUDACC__)
#include "gendiv/detail/simd_exp.hpp"
#endif

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

// clang-format off
GENDIV_HD inline float  exp(float x)   { return ::expf(x); }
GENDIV_HD inline double exp(double x)  { return ::exp(x); }
GENDIV_HD inline float  expm1(float x) { return ::expm1f(x); }
GENDIV_HD inline double expm1(double x){ return ::expm1(x); }
GENDIV_HD inline float  log(float x)   { return ::logf(x); }
GENDIV_HD inline double log(double x)  { return ::log(x); }
GENDIV_HD inline float  log1p(float x) { return ::log1pf(x); }
GENDIV_HD inline double log1p(double x){ return ::log1p(x); }
GENDIV_HD inline float  sqrt(float x)  { return ::sqrtf(x); }
GENDIV_HD inline double sqrt(double x) { return ::sqrt(x); }
GENDIV_HD inline float  tanh(float x)  { return ::tanhf(x); }
GENDIV_HD inline double tanh(double x) { return ::tanh(x); }
GENDIV_HD inline float  fabs(float x)  { return ::fabsf(x); }
GENDIV_HD inline double fabs(double x) { return ::fabs(x); }
/// max(x, y) that returns y when x is NaN (IEEE fmax); kernels rely on other terms to carry NaN.
GENDIV_HD inline float  fmax(float x, float y)   { return ::fmaxf(x, y); }
GENDIV_HD inline double fmax(double x, double y) { return ::fmax(x, y); }
GENDIV_HD inline float  fmin(float x, float y)   { return ::fminf(x, y); }
GENDIV_HD inline double fmin(double x, double y) { return ::fmin(x, y); }
GENDIV_HD inline float  frexp(float x, int* e)  { return ::frexpf(x, e); }
GENDIV_HD inline double frexp(double x, int* e) { return ::frexp(x, e); }
GENDIV_HD inline float  ldexp(float x, int e)   { return ::ldexpf(x, e); }
GENDIV_HD inline double ldexp(double x, int e)  { return ::ldexp(x, e); }
// clang-format on

/// Branch-free choice for scalars; xsimd::select serves batches through ADL.
template <class T, class = std::enable_if_t<std::is_floating_point_v<T>>>
GENDIV_HD inline T select(bool c, T a, T b) {
    return c ? a : b;
}

/// Lane-wise "and" / "or" of two comparison results: && and || for scalars (clang warns about
/// & on bool), the non-short-circuit & and | for xsimd batch_bool.
GENDIV_HD inline bool both(bool a, bool b) { return a && b; }
GENDIV_HD inline bool either(bool a, bool b) { return a || b; }
template <class M, class = std::enable_if_t<!std::is_same_v<M, bool>>>
GENDIV_HD inline M both(const M& a, const M& b) {
    return a & b;
}
template <class M, class = std::enable_if_t<!std::is_same_v<M, bool>>>
GENDIV_HD inline M either(const M& a, const M& b) {
    return a | b;
}

/// Whether any lane of a comparison result is set: the bool itself for scalars, xsimd::any (found
/// by argument-dependent lookup) for a batch_bool. For a rare case that a kernel handles apart.
GENDIV_HD inline bool any_lane(bool m) { return m; }
template <class M, class = std::enable_if_t<!std::is_same_v<M, bool>>>
inline bool any_lane(const M& m) {
    return any(m);
}

/// a·b + c with one rounding (xsimd::fma serves batches through ADL).
GENDIV_HD inline float fma(float a, float b, float c) { return ::fmaf(a, b, c); }
GENDIV_HD inline double fma(double a, double b, double c) { return ::fma(a, b, c); }

/// c - a·b with one rounding (xsimd::fnma serves batches through ADL).
GENDIV_HD inline float fnma(float a, float b, float c) { return ::fmaf(-a, b, c); }
GENDIV_HD inline double fnma(double a, double b, double c) { return ::fma(-a, b, c); }

/// The scalar type of V: V itself for float/double, V::value_type for an xsimd batch.
template <class V, class = void>
struct scalar_of {
    using type = V;
};
template <class V>
struct scalar_of<V, std::void_t<typename V::value_type>> {
    using type = typename V::value_type;
};
template <class V>
using scalar_t = typename scalar_of<V>::type;

/// A constant of V's scalar type (broadcast to all lanes for a batch).
template <class V>
GENDIV_HD inline V cst(double x) {
    return V(static_cast<scalar_t<V>>(x));
}

template <class V>
GENDIV_HD inline V square(const V& x) {
    return x * x;
}

/// c[0] + c[1] x + ... + c[N-1] x^{N-1} by Horner's rule (N - 1 dependent multiply-adds, the
/// fewest operations and live registers; the faster of the two for 10 float coefficients).
template <class V, std::size_t N>
GENDIV_HD inline V horner(const V& x, const double (&c)[N]) {
    V p = cst<V>(c[N - 1]);
    for (std::size_t i = N - 1; i-- > 0;) p = p * x + cst<V>(c[i]);
    return p;
}

/// k such that 2^k < n ≤ 2^{k+1} (n ≥ 2): the split point 2^k of an Estrin level.
GENDIV_HD constexpr std::size_t log2_of_half_below(std::size_t n) {
    std::size_t k = 0;
    while ((std::size_t{2} << k) < n) ++k;
    return k;
}

template <std::size_t Lo, std::size_t Len, class V, std::size_t N>
GENDIV_HD inline V estrin(const V* xp, const double (&c)[N]) {
    if constexpr (Len == 1) {
        return cst<V>(c[Lo]);
    } else {
        // Split below the largest power of two h < Len: low part + x^h · high part.
        constexpr std::size_t lg = log2_of_half_below(Len);
        constexpr std::size_t h = std::size_t{1} << lg;
        return estrin<Lo + h, Len - h>(xp, c) * xp[lg] + estrin<Lo, h>(xp, c);
    }
}

/// poly(x, c) is c[0] + c[1] x + ... + c[N-1] x^{N-1} by Estrin's scheme: neighbouring
/// coefficients pair up as c[2i] + c[2i+1] x, the pairs pair up with x², then x⁴, ...:
/// ⌈log2 N⌉ levels of independent multiply-adds where Horner's rule chains N - 1 dependent ones.
/// For long polynomials that chain's latency, not the count of operations, sets the speed of a
/// SIMD loop: a (64, 784) double Bernoulli likelihood on one core took 302 µs with its
/// 21-coefficient softplus polynomial by Horner, 226 µs by Estrin, and 250 µs with Estrin for
/// the 17 high coefficients and Horner for the last four steps, which kernels.hpp uses because
/// it keeps Horner's accuracy (2.02 ulp; Estrin throughout 3.08). For 10 float coefficients
/// Horner was faster (54 against 82 µs: Estrin keeps more constants and powers live than AVX2's
/// 16 registers hold). Rounding errors obey the same kind of bound as Horner's.
template <class V, std::size_t N>
GENDIV_HD inline V poly(const V& x, const double (&c)[N]) {
    static_assert(N >= 1);
    V xp[8];  // x, x², x⁴, ...: enough for N ≤ 256
    static_assert(N <= 256);
    xp[0] = x;
    for (std::size_t k = 1; k < 8 && (std::size_t{1} << k) < N; ++k) xp[k] = xp[k - 1] * xp[k - 1];
    return estrin<0, N>(xp, c);
}

// INFINITY and NAN rather than numeric_limits: the latter are constexpr host functions that nvcc
// only accepts in device code with --expt-relaxed-constexpr.
template <class T>
GENDIV_HD inline T infinity() {
    return static_cast<T>(INFINITY);
}

template <class T>
GENDIV_HD inline T quiet_nan() {
    return static_cast<T>(NAN);
}

/// log(2π), to 20 digits.
inline constexpr double log_two_pi = 1.8378770664093454836;

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

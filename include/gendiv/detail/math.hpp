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
#include <type_traits>

#include "gendiv/detail/config.hpp"
#if !defined(__CUDACC__)
#include "gendiv/detail/simd_exp.hpp"
#endif

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

// gendiv/detail/penalty_kernels.hpp: the scalar pieces of the gradient penalties and of the
// interpolates they are evaluated at (penalty.hpp), shared by the xtensor path and the Thrust
// path (device/penalty.hpp). Includes neither xtensor nor xsimd nor Thrust.
//
// A row's norm is taken as ‖g·2^k‖₂·2^{-k} with 2^k chosen from the row's largest magnitude
// (norm_scale_exponent), so that the squares neither overflow nor underflow.
#pragma once

#include <cfloat>
#include <cmath>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/math.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// The k for which max_abs·2^k lies in [1/2, 1), clamped so that 2^k is a finite normal
/// number of T. @param max_abs finite and positive.
template <class T>
GENDIV_HD inline int norm_scale_exponent(T max_abs) {
    constexpr int min_exp = sizeof(T) == sizeof(float) ? FLT_MIN_EXP : DBL_MIN_EXP;
    constexpr int max_exp = sizeof(T) == sizeof(float) ? FLT_MAX_EXP : DBL_MAX_EXP;
    int e = 0;
    (void)frexp(max_abs, &e);  // max_abs = m·2^e, m in [1/2, 1)
    int k = -e;
    if (k < min_exp - 1) k = min_exp - 1;
    if (k > max_exp - 1) k = max_exp - 1;
    return k;
}

/// w = ‖g‖ − 1 (two-sided) or max(0, ‖g‖ − 1) (one-sided, NaN kept): the penalty of a row is
/// λ/B·w² (Gulrajani et al. 2017, eq. 3; Petzka et al. 2018, eq. 8).
template <class T>
GENDIV_HD inline T penalty_excess(T norm, bool one_sided) {
    const T w = norm - T(1);
    return (one_sided && !(w > T(0))) ? (w != w ? w : T(0)) : w;
}

/// A row's share of the penalty, (c·w)² with c = √(λ/B), in double (so a float penalty never
/// overflows early).
template <class T>
GENDIV_HD inline double penalty_row_term(double c, T norm, bool one_sided) {
    const double w = c * static_cast<double>(penalty_excess(norm, one_sided));
    return w * w;
}

/// ∂penalty/∂g_bj = coef·g_bj/‖g_b‖ with coef = (2λ/B)·w_b, formed as 2·(h·(g·2^k)) from the
/// row's scale 2^k and h = coef/(2‖g·2^k‖) (penalty_grad_half_factor). |g·2^k| ≤ 1 for the row's
/// largest entry and at least ½ of it, so h is at most that entry's gradient and neither h nor
/// the product overflows where the gradient itself does not; coef alone could (until 2026-12-03
/// it was formed in T: a float row of 100 entries of 1e37 with λ = 10 gave +inf for a gradient
/// of 2e38). A zero row (scaled = 0) is the caller's case: 0.
struct penalty_grad_fn {
    template <class V>
    GENDIV_HD V operator()(const V& g, const V& scale, const V& half_factor) const {
        return cst<V>(2) * (half_factor * (g * scale));
    }
};

/// h = (2λ/B)·w/(2‖g·2^k‖) of penalty_grad_fn, in double and rounded once to T.
template <class T>
GENDIV_HD inline T penalty_grad_half_factor(double two_lambda_over_b, T norm, T scaled, bool one_sided) {
    return static_cast<T>(two_lambda_over_b * static_cast<double>(penalty_excess(norm, one_sided)) /
                          (2.0 * static_cast<double>(scaled)));
}

/// x̂ = t·x_real + (1 − t)·x_fake.
struct interpolate_fn {
    template <class V>
    GENDIV_HD V operator()(const V& t, const V& x_real, const V& x_fake) const {
        return t * x_real + (cst<V>(1) - t) * x_fake;
    }
};

/// The gradients of interpolate_fn for an upstream u = ∂L/∂x̂: ∂x_real = t·u,
/// ∂x_fake = (1 − t)·u, and the summand u·(x_real − x_fake) of ∂t.
struct interpolate_grad_fn {
    template <class V>
    GENDIV_HD void operator()(const V& t, const V& u, V& d_real, V& d_fake) const {
        d_real = t * u;
        d_fake = (cst<V>(1) - t) * u;
    }
    template <class V>
    GENDIV_HD V t_term(const V& u, const V& x_real, const V& x_fake) const {
        return u * (x_real - x_fake);
    }
};

/// Throws unless λ is finite and non-negative.
inline void check_lambda(const char* function, double lambda) {
    if (!(lambda >= 0.0 && lambda < static_cast<double>(INFINITY)))
        fail(function, "argument 'lambda' is ", lambda, " but must be finite and non-negative");
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

// gendiv/detail/f_divergence_kernels.hpp: the eight f-divergences of f-GAN as tag types with
// scalar GENDIV_HD static members, usable on the host (float, double, xsimd batches) and in
// Thrust device code. Includes neither xtensor nor xsimd nor Thrust.
//
// Each type D holds, for its generator f (Nowozin, Cseke and Tomioka, "f-GAN: Training
// Generative Neural Samplers using Variational Divergence Minimization", NeurIPS 2016,
// arXiv 1606.00709: Table 1 for the generators, Table 2 for the output activations, dom f* and the
// conjugates, section 2.4):
//
//   D::f(u), D::f_prime(u)                       the generator f and f'
//   D::conjugate(t), D::conjugate_prime(t)       the convex conjugate f*(t) = sup_u (u t - f(u))
//   D::activation(v), D::activation_prime(v)     the output activation g_f : R -> dom f*
//   D::activation_inverse(t)                     g_f^{-1}, so that V* = g_f^{-1}(f'(p/q))
//   D::conjugate_of_activation(v), ..._prime(v)  f*(g_f(v)) in a closed form that neither
//                                                 overflows nor divides by a vanishing 1 - t
//   D::generator_domain, D::activation_range, D::conjugate_domain   (real_interval)
//   D::f_slope_at_infinity                       f'(∞) = lim_{u→∞} f(u)/u (for q = 0 terms)
//   D::name
//   D::large_ratio_term(p, q)   (optional; only where f'(∞) = ∞) q f(p/q) in double where p/q
//                                overflows (f_divergence_discrete; see detail::large_ratio_term)
//
// Conventions (derivations in docs/f_divergence.md):
// - Extended values: f(u) = +∞ for u outside dom f, f*(t) = +∞ for t outside dom f*; the
//   derivatives are NaN outside the domain of their function; at u = 0, f' is its one-sided
//   limit (-∞ for Kullback–Leibler, reverse KL and Neyman χ², whose f' diverges there, so that
//   the optimal critic g_f^{-1}(f'(0)) where p = 0 is that of the limit). NaN inputs give NaN.
// - Jensen–Shannon: Table 1's generator, whose f-divergence is twice the D_JS written in the same
//   row: gendiv's jensen_shannon divergence is 2·JSD, with range [0, 2 log 2].
// - Pearson χ² and total variation take f on all of R, as Table 2's conjugates imply
//   (f* = t + t²/4 on R, f* = t on [-1/2, 1/2]); restricting f to u ≥ 0 would change f* only
//   for t < -2 and t < -1/2 respectively, where no optimal critic lands.
// - Neyman χ²: f*(t) = 2 - 2√(1-t) extends continuously to t = 1 (value 2, the supremum is
//   approached as u → ∞), so dom f* = (-∞, 1]; the paper writes t < 1.
// - Total variation: f'(1) is taken as 0, the midpoint of the subdifferential [-1/2, 1/2].
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/detail/math.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// An interval of the extended real line, with open or closed ends (an infinite end is open).
struct real_interval {
    double lower, upper;
    bool lower_closed, upper_closed;

    /// Whether x lies in the interval (false for NaN).
    constexpr bool contains(double x) const {
        return (lower_closed ? x >= lower : x > lower) && (upper_closed ? x <= upper : x < upper);
    }
    /// Whether x lies in the closure [lower, upper] taken in the extended reals (false for NaN).
    constexpr bool closure_contains(double x) const { return x >= lower && x <= upper; }
};

namespace detail {

inline constexpr double ln2 = 0.69314718055994530941723212145817657;
inline constexpr double inf_d = std::numeric_limits<double>::infinity();

template <class V>
GENDIV_HD inline V pos_inf() {
    return cst<V>(static_cast<double>(INFINITY));
}

template <class V>
GENDIV_HD inline V nan_v() {
    return cst<V>(static_cast<double>(NAN));
}

/// log(1 - e^x) for x ≤ 0 without cancellation at either end (Mächler, "Accurately computing
/// log(1 - exp(-|a|))", 2012): log(-expm1(x)) near 0, log1p(-e^x) below -log 2.
template <class V>
GENDIV_HD inline V log1mexp(const V& x) {
    return select(x > cst<V>(-ln2), log(-expm1(x)), log1p(-exp(x)));
}

/// ½ sech²(v) = 2e^{-2|v|} / (1 + e^{-2|v|})², the derivative of ½ tanh(v), with no overflow.
template <class V>
GENDIV_HD inline V half_sech2(const V& v) {
    const V e = exp(cst<V>(-2) * fabs(v));
    const V d = cst<V>(1) + e;
    return cst<V>(2) * e / (d * d);
}

/// The output activation g_f(v) = v of Kullback–Leibler and Pearson χ² (f-GAN Table 2), with
/// its derivative and inverse; the divergences' tags derive from it.
struct identity_activation {
    static constexpr real_interval activation_range{-inf_d, inf_d, false, false};
    template <class V>
    static GENDIV_HD V activation(const V& v) {
        return v;
    }
    template <class V>
    static GENDIV_HD V activation_prime(const V& v) {
        return select(v == v, cst<V>(1), v);  // 1, and NaN for NaN
    }
    template <class V>
    static GENDIV_HD V activation_inverse(const V& t) {
        return t;
    }
};

/// The output activation g_f(v) = 1 - e^{-v} of Neyman χ² and squared Hellinger, onto (-∞, 1).
struct one_minus_exp_activation {
    static constexpr real_interval activation_range{-inf_d, 1.0, false, false};
    /// g_f(v) = 1 - e^{-v} = -expm1(-v).
    template <class V>
    static GENDIV_HD V activation(const V& v) {
        return -expm1(-v);
    }
    template <class V>
    static GENDIV_HD V activation_prime(const V& v) {
        return exp(-v);
    }
    /// g_f^{-1}(t) = -log(1 - t).
    template <class V>
    static GENDIV_HD V activation_inverse(const V& t) {
        return -log1p(-t);
    }
};

}  // namespace detail

// Each member function opens with `using namespace detail;` (block scope only) so that the
// unqualified math calls find gendiv::detail's scalar overloads and, through argument-dependent
// lookup, xsimd's batch overloads.

/// Kullback–Leibler: @f$ D_f = \int p \log(p/q) @f$, f(u) = u log u,
/// f*(t) = e^{t-1} on R, g_f(v) = v (f-GAN Tables 1 and 2).
struct kullback_leibler : detail::identity_activation {
    static constexpr const char* name = "kullback_leibler";
    static constexpr real_interval generator_domain{0.0, detail::inf_d, true, false};
    static constexpr real_interval conjugate_domain{-detail::inf_d, detail::inf_d, false, false};
    static constexpr double f_slope_at_infinity = detail::inf_d;

    /// f(u) = u log u, with 0 log 0 = 0.
    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        const V zero = cst<V>(0);
        return select(u < zero, pos_inf<V>(), select(u == zero, zero, u * log(u)));
    }
    /// f'(u) = log u + 1.
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        return select(u < cst<V>(0), nan_v<V>(), log(u) + cst<V>(1));
    }
    /// q f(p/q) = p (log p - log q) for p/q beyond the largest double (where log(p/q) > 709, so
    /// the difference of the two logarithms does not cancel).
    static double large_ratio_term(double p, double q) { return p * (std::log(p) - std::log(q)); }
    /// f*(t) = e^{t-1}.
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        return exp(t - cst<V>(1));
    }
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        return exp(t - cst<V>(1));
    }
    /// f*(g_f(v)) = e^{v-1} (overflows only where the value exceeds the type's range).
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        using namespace detail;
        return exp(v - cst<V>(1));
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        using namespace detail;
        return exp(v - cst<V>(1));
    }
};

/// Reverse KL: @f$ D_f = \int q \log(q/p) @f$, f(u) = -log u,
/// f*(t) = -1 - log(-t) on t < 0, g_f(v) = -e^{-v}.
struct reverse_kl {
    static constexpr const char* name = "reverse_kl";
    static constexpr real_interval generator_domain{0.0, detail::inf_d, false, false};
    static constexpr real_interval activation_range{-detail::inf_d, 0.0, false, false};
    static constexpr real_interval conjugate_domain{-detail::inf_d, 0.0, false, false};
    static constexpr double f_slope_at_infinity = 0.0;

    /// f(u) = -log u (+∞ at u = 0).
    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        return select(u < cst<V>(0), pos_inf<V>(), -log(u));
    }
    /// f'(u) = -1/u.
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        return select(u < cst<V>(0), nan_v<V>(), cst<V>(-1) / u);
    }
    /// g_f(v) = -e^{-v}.
    template <class V>
    static GENDIV_HD V activation(const V& v) {
        using namespace detail;
        return -exp(-v);
    }
    template <class V>
    static GENDIV_HD V activation_prime(const V& v) {
        using namespace detail;
        return exp(-v);
    }
    /// g_f^{-1}(t) = -log(-t).
    template <class V>
    static GENDIV_HD V activation_inverse(const V& t) {
        using namespace detail;
        return -log(-t);
    }
    /// f*(t) = -1 - log(-t) for t < 0.
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        return select(t > cst<V>(0), pos_inf<V>(), cst<V>(-1) - log(-t));
    }
    /// f*'(t) = -1/t.
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        return select(t < cst<V>(0), cst<V>(-1) / t, nan_v<V>());
    }
    /// f*(g_f(v)) = v - 1.
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        using namespace detail;
        return v - cst<V>(1);
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        using namespace detail;
        return select(v == v, cst<V>(1), v);
    }
};

/// Pearson χ²: @f$ D_f = \int (p-q)^2/q @f$, f(u) = (u-1)², f*(t) = t + t²/4, g_f(v) = v.
struct pearson_chi2 : detail::identity_activation {
    static constexpr const char* name = "pearson_chi2";
    static constexpr real_interval generator_domain{-detail::inf_d, detail::inf_d, false, false};
    static constexpr real_interval conjugate_domain{-detail::inf_d, detail::inf_d, false, false};
    static constexpr double f_slope_at_infinity = detail::inf_d;

    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        return square(u - cst<V>(1));
    }
    /// q f(p/q) = (p - q)²/q = p²/q to double precision for p/q beyond the largest double, formed
    /// from the significands and exponents so that neither p² nor p/q overflows or underflows
    /// where p²/q does not.
    static double large_ratio_term(double p, double q) {
        int ep = 0, eq = 0;
        const double mp = std::frexp(p, &ep), mq = std::frexp(q, &eq);
        return std::ldexp(mp * mp / mq, 2 * ep - eq);
    }
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        return cst<V>(2) * (u - cst<V>(1));
    }
    /// f*(t) = t + t²/4, taken as t(1 + t/4) (+∞ at t = -∞, accurate near the root t = -4).
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        return t * (cst<V>(1) + cst<V>(0.25) * t);
    }
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        return cst<V>(1) + cst<V>(0.5) * t;
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        return conjugate(v);
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        return conjugate_prime(v);
    }
};

/// Neyman χ²: @f$ D_f = \int (p-q)^2/p @f$, f(u) = (1-u)²/u, f*(t) = 2 - 2√(1-t) on t ≤ 1,
/// g_f(v) = 1 - e^{-v}.
struct neyman_chi2 : detail::one_minus_exp_activation {
    static constexpr const char* name = "neyman_chi2";
    static constexpr real_interval generator_domain{0.0, detail::inf_d, false, false};
    static constexpr real_interval conjugate_domain{-detail::inf_d, 1.0, false, true};
    static constexpr double f_slope_at_infinity = 1.0;

    /// f(u) = (1-u)²/u (+∞ at u = 0 and at u = +∞).
    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        return select(either(u < cst<V>(0), u == pos_inf<V>()), pos_inf<V>(), square(cst<V>(1) - u) / u);
    }
    /// f'(u) = 1 - 1/u².
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        return select(u < cst<V>(0), nan_v<V>(), cst<V>(1) - cst<V>(1) / (u * u));
    }
    /// f*(t) = 2 - 2√(1-t), taken as 2t / (1 + √(1-t)) for t ≥ -1 (no cancellation near 0).
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        const V s = sqrt(cst<V>(1) - t);
        const V val = select(t < cst<V>(-1), cst<V>(2) - cst<V>(2) * s, cst<V>(2) * t / (cst<V>(1) + s));
        return select(t > cst<V>(1), pos_inf<V>(), val);
    }
    /// f*'(t) = 1/√(1-t) (+∞ at t = 1).
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        return select(t <= cst<V>(1), cst<V>(1) / sqrt(cst<V>(1) - t), nan_v<V>());
    }
    /// f*(g_f(v)) = 2 - 2e^{-v/2} = -2 expm1(-v/2).
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        using namespace detail;
        return cst<V>(-2) * expm1(cst<V>(-0.5) * v);
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        using namespace detail;
        return exp(cst<V>(-0.5) * v);
    }
};

/// Squared Hellinger: @f$ D_f = \int (\sqrt p - \sqrt q)^2 @f$, f(u) = (√u - 1)²,
/// f*(t) = t/(1-t) on t < 1, g_f(v) = 1 - e^{-v}.
struct squared_hellinger : detail::one_minus_exp_activation {
    static constexpr const char* name = "squared_hellinger";
    static constexpr real_interval generator_domain{0.0, detail::inf_d, true, false};
    static constexpr real_interval conjugate_domain{-detail::inf_d, 1.0, false, false};
    static constexpr double f_slope_at_infinity = 1.0;

    /// f(u) = (√u - 1)², taken as ((u-1)/(√u+1))² for u ≤ 4 (no cancellation near u = 1).
    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        const V s = sqrt(u);
        const V val = select(u > cst<V>(4), square(s - cst<V>(1)), square((u - cst<V>(1)) / (s + cst<V>(1))));
        return select(u < cst<V>(0), pos_inf<V>(), val);
    }
    /// f'(u) = 1 - 1/√u.
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        return select(u < cst<V>(0), nan_v<V>(), cst<V>(1) - cst<V>(1) / sqrt(u));
    }
    /// f*(t) = t/(1-t), taken as -1 + 1/(1-t) below t = -1 (so f*(-∞) = -1).
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        const V d = cst<V>(1) - t;
        const V val = select(t < cst<V>(-1), cst<V>(-1) + cst<V>(1) / d, t / d);
        return select(t > cst<V>(1), pos_inf<V>(), val);
    }
    /// f*'(t) = 1/(1-t)².
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        return select(t < cst<V>(1), cst<V>(1) / square(cst<V>(1) - t), nan_v<V>());
    }
    /// f*(g_f(v)) = e^v - 1 = expm1(v): 1 - g_f(v) = e^{-v} is never formed, let alone divided by.
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        using namespace detail;
        return expm1(v);
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        using namespace detail;
        return exp(v);
    }
};

/// Jensen–Shannon, with f-GAN Table 1's generator f(u) = u log u - (u+1) log((u+1)/2), so that
/// @f$ D_f = \int p\log\frac{2p}{p+q} + q\log\frac{2q}{p+q} = 2\,\mathrm{JSD}(P\|Q) \in [0, 2\log 2] @f$;
/// f*(t) = -log(2 - e^t) on t < log 2, g_f(v) = log 2 - log(1 + e^{-v}).
struct jensen_shannon {
    static constexpr const char* name = "jensen_shannon";
    static constexpr real_interval generator_domain{0.0, detail::inf_d, true, false};
    static constexpr real_interval activation_range{-detail::inf_d, detail::ln2, false, false};
    static constexpr real_interval conjugate_domain{-detail::inf_d, detail::ln2, false, false};
    static constexpr double f_slope_at_infinity = detail::ln2;

    /// f(u) = u log u - (u+1) log((u+1)/2), accurate to a few ulps relative even near its
    /// double zero at u = 1: with a = 2u/(u+1) = 1 + w and b = 2/(u+1) = 1 - w,
    /// f = ½(u+1)·N, N = a log a + b log b = Σ_{k≥1} w^{2k}/(k(2k-1)), a series of positive
    /// terms used for |w| < 1/4 (12 terms); f(0) = log 2, f(+∞) = +∞.
    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        const V zero = cst<V>(0), one = cst<V>(1);
        const V up1 = u + one;
        const V w = (u - one) / up1, w2 = w * w;
        V p = cst<V>(1.0 / 276.0);  // 1/(k(2k-1)) for k = 12 down to 1
        p = p * w2 + cst<V>(1.0 / 231.0);
        p = p * w2 + cst<V>(1.0 / 190.0);
        p = p * w2 + cst<V>(1.0 / 153.0);
        p = p * w2 + cst<V>(1.0 / 120.0);
        p = p * w2 + cst<V>(1.0 / 91.0);
        p = p * w2 + cst<V>(1.0 / 66.0);
        p = p * w2 + cst<V>(1.0 / 45.0);
        p = p * w2 + cst<V>(1.0 / 28.0);
        p = p * w2 + cst<V>(1.0 / 15.0);
        p = p * w2 + cst<V>(1.0 / 6.0);
        p = p * w2 + one;
        const V a = cst<V>(2) * u / up1, b = cst<V>(2) / up1;
        const V a_log_a = select(u == zero, zero, a * log(a));
        const V n = select(fabs(w) < cst<V>(0.25), p * w2, a_log_a + b * log(b));
        return select(either(u < zero, u == pos_inf<V>()), pos_inf<V>(), cst<V>(0.5) * up1 * n);
    }
    /// f'(u) = log(2u/(u+1)) = log 2 - log(1 + 1/u).
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        return select(u < cst<V>(0), nan_v<V>(), cst<V>(ln2) - log1p(cst<V>(1) / u));
    }
    /// g_f(v) = log 2 - softplus(-v).
    template <class V>
    static GENDIV_HD V activation(const V& v) {
        using namespace detail;
        return cst<V>(ln2) - softplus_fn{}(-v);
    }
    /// g_f'(v) = σ(-v).
    template <class V>
    static GENDIV_HD V activation_prime(const V& v) {
        using namespace detail;
        return sigmoid_fn{}(-v);
    }
    /// g_f^{-1}(t) = -log(2e^{-t} - 1) = -log(expm1(log 2 - t)).
    template <class V>
    static GENDIV_HD V activation_inverse(const V& t) {
        using namespace detail;
        return -log(expm1(cst<V>(ln2) - t));
    }
    /// f*(t) = -log(2 - e^t) = -log 2 - log(1 - e^{t - log 2}).
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        const V c = cst<V>(ln2);
        return select(t > c, pos_inf<V>(), -c - log1mexp(t - c));
    }
    /// f*'(t) = e^t/(2 - e^t) = 1/expm1(log 2 - t).
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        const V c = cst<V>(ln2);
        return select(t < c, cst<V>(1) / expm1(c - t), nan_v<V>());
    }
    /// f*(g_f(v)) = softplus(v) - log 2.
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        using namespace detail;
        return softplus_fn{}(v) - cst<V>(ln2);
    }
    /// d/dv f*(g_f(v)) = σ(v).
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        using namespace detail;
        return sigmoid_fn{}(v);
    }
};

/// The original GAN objective as an f-divergence: f(u) = u log u - (u+1) log(u+1), so that
/// @f$ D_f = 2\,\mathrm{JSD}(P\|Q) - \log 4 @f$ and f(1) = -log 4 (Goodfellow et al. 2014);
/// f*(t) = -log(1 - e^t) on t < 0, g_f(v) = -log(1 + e^{-v}).
struct gan {
    static constexpr const char* name = "gan";
    static constexpr real_interval generator_domain{0.0, detail::inf_d, true, false};
    static constexpr real_interval activation_range{-detail::inf_d, 0.0, false, false};
    static constexpr real_interval conjugate_domain{-detail::inf_d, 0.0, false, false};
    static constexpr double f_slope_at_infinity = 0.0;

    /// f(u) = -u log(1 + 1/u) - log(1 + u), the same function without the large-u cancellation;
    /// f(+∞) = -∞.
    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        const V zero = cst<V>(0);
        const V a = select(u == zero, zero, u * log1p(cst<V>(1) / u));
        return select(u < zero, pos_inf<V>(), select(u == pos_inf<V>(), -pos_inf<V>(), -a - log1p(u)));
    }
    /// f'(u) = log(u/(u+1)) = -log(1 + 1/u).
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        return select(u < cst<V>(0), nan_v<V>(), -log1p(cst<V>(1) / u));
    }
    /// g_f(v) = -softplus(-v) = log σ(v).
    template <class V>
    static GENDIV_HD V activation(const V& v) {
        using namespace detail;
        return -softplus_fn{}(-v);
    }
    template <class V>
    static GENDIV_HD V activation_prime(const V& v) {
        using namespace detail;
        return sigmoid_fn{}(-v);
    }
    /// g_f^{-1}(t) = -log(e^{-t} - 1).
    template <class V>
    static GENDIV_HD V activation_inverse(const V& t) {
        using namespace detail;
        return -log(expm1(-t));
    }
    /// f*(t) = -log(1 - e^t).
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        return select(t > cst<V>(0), pos_inf<V>(), -log1mexp(t));
    }
    /// f*'(t) = e^t/(1 - e^t) = 1/expm1(-t).
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        return select(t < cst<V>(0), cst<V>(1) / expm1(-t), nan_v<V>());
    }
    /// f*(g_f(v)) = softplus(v) (= -log(1 - σ(v))).
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        using namespace detail;
        return softplus_fn{}(v);
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        using namespace detail;
        return sigmoid_fn{}(v);
    }
};

/// Total variation: @f$ D_f = \tfrac12\int|p - q| @f$, f(u) = ½|u - 1|,
/// f*(t) = t on [-½, ½], g_f(v) = ½ tanh(v).
struct total_variation {
    static constexpr const char* name = "total_variation";
    static constexpr real_interval generator_domain{-detail::inf_d, detail::inf_d, false, false};
    static constexpr real_interval activation_range{-0.5, 0.5, false, false};
    static constexpr real_interval conjugate_domain{-0.5, 0.5, true, true};
    static constexpr double f_slope_at_infinity = 0.5;

    template <class V>
    static GENDIV_HD V f(const V& u) {
        using namespace detail;
        return cst<V>(0.5) * fabs(u - cst<V>(1));
    }
    /// f'(u) = ½ sign(u - 1), with f'(1) = 0 (the midpoint of the subdifferential [-½, ½]).
    template <class V>
    static GENDIV_HD V f_prime(const V& u) {
        using namespace detail;
        const V one = cst<V>(1);
        return select(u < one, cst<V>(-0.5), select(u > one, cst<V>(0.5), cst<V>(0) * u));
    }
    /// g_f(v) = ½ tanh(v).
    template <class V>
    static GENDIV_HD V activation(const V& v) {
        using namespace detail;
        return cst<V>(0.5) * tanh(v);
    }
    /// g_f'(v) = ½ sech²(v).
    template <class V>
    static GENDIV_HD V activation_prime(const V& v) {
        return detail::half_sech2(v);
    }
    /// g_f^{-1}(t) = atanh(2t) = ½ log(1 + 4t/(1 - 2t)).
    template <class V>
    static GENDIV_HD V activation_inverse(const V& t) {
        using namespace detail;
        return cst<V>(0.5) * log1p(cst<V>(4) * t / (cst<V>(1) - cst<V>(2) * t));
    }
    /// f*(t) = t on [-½, ½].
    template <class V>
    static GENDIV_HD V conjugate(const V& t) {
        using namespace detail;
        return select(either(t < cst<V>(-0.5), t > cst<V>(0.5)), pos_inf<V>(), t);
    }
    template <class V>
    static GENDIV_HD V conjugate_prime(const V& t) {
        using namespace detail;
        return select(both(t >= cst<V>(-0.5), t <= cst<V>(0.5)), cst<V>(1), nan_v<V>());
    }
    /// f*(g_f(v)) = ½ tanh(v).
    template <class V>
    static GENDIV_HD V conjugate_of_activation(const V& v) {
        return activation(v);
    }
    template <class V>
    static GENDIV_HD V conjugate_of_activation_prime(const V& v) {
        return detail::half_sech2(v);
    }
};

/// True for the tag types of detail/f_divergence_kernels.hpp and any user type with the same
/// static members (name, f, f_prime, conjugate, activation, conjugate_of_activation and the
/// derivatives of the last two).
template <class D, class = void>
struct is_f_divergence : std::false_type {};

template <class D>
struct is_f_divergence<
    D, std::void_t<decltype(D::name), decltype(D::f(0.0)), decltype(D::f_prime(0.0)),
                   decltype(D::conjugate(0.0)), decltype(D::activation(0.0)),
                   decltype(D::activation_prime(0.0)), decltype(D::conjugate_of_activation(0.0)),
                   decltype(D::conjugate_of_activation_prime(0.0)),
                   decltype(D::f_slope_at_infinity)>> : std::true_type {};

template <class D>
inline constexpr bool is_f_divergence_v = is_f_divergence<D>::value;

namespace detail {

template <class D, class = void>
struct has_large_ratio_term : std::false_type {};
template <class D>
struct has_large_ratio_term<D, std::void_t<decltype(D::large_ratio_term(1.0, 1.0))>> : std::true_type {};

/// q f(p/q) for p, q > 0 whose quotient overflows double: D::large_ratio_term where the tag has
/// one; else p·f'(∞) where that is finite (at u > 1.8e308, f(u)/u is within 1.5e-154 of f'(∞)
/// for the six such tags here, squared Hellinger's 2/√u being the farthest); else q·f(+inf),
/// +inf for a user's tag with an infinite slope and no large_ratio_term.
template <class D>
double large_ratio_term(double p, double q) {
    if constexpr (has_large_ratio_term<D>::value) {
        return D::large_ratio_term(p, q);
    } else {
        const double slope = D::f_slope_at_infinity;
        return slope < inf_d && slope > -inf_d ? p * slope : q * D::f(inf_d);
    }
}

/// Functor forms for Thrust transforms and SIMD loops: g_f(v), f*(g_f(v)) and their derivatives.
template <class D>
struct f_activation_fn {
    template <class V>
    GENDIV_HD V operator()(const V& v) const {
        return D::activation(v);
    }
};

template <class D>
struct f_conjugate_of_activation_fn {
    template <class V>
    GENDIV_HD V operator()(const V& v) const {
        return D::conjugate_of_activation(v);
    }
};

template <class D>
struct f_activation_prime_fn {
    template <class V>
    GENDIV_HD V operator()(const V& v) const {
        return D::activation_prime(v);
    }
};

template <class D>
struct f_conjugate_of_activation_prime_fn {
    template <class V>
    GENDIV_HD V operator()(const V& v) const {
        return D::conjugate_of_activation_prime(v);
    }
};

}  // namespace detail

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

// gendiv/detail/kernels.hpp: the scalar kernels of gendiv's numerics core.
//
// Each functor is the single home of one formula. The xtensor functions (log_sum_exp.hpp,
// likelihood.hpp, kl.hpp) call them on xsimd batches and scalars; the Thrust functions in
// device/ call them on scalars, on the host backends and under nvcc. Derivations: docs/math.md.
#pragma once

#include <type_traits>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/math.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// log(1 + e^{-|x|}), the transcendental part of softplus, in (0, log 2], as e·P(e) with
/// e = e^{-|x|} ∈ [0, 1] and P the degree-9 (float) or degree-20 (double) Chebyshev interpolant
/// of log1p(e)/e on [0, 1]: relative error 5.3e-9 and 1.0e-17 before rounding
/// (tests/reference/softplus_poly.py computes the coefficients and those errors). One exp and a
/// polynomial instead of exp and log1p: xsimd's log1p costs 1.8–1.9× an exp, and nothing
/// is lost at the ends: e → 0 gives e·1 (the correct tail e^{-|x|}, no cancellation), x = ±inf
/// gives 0, NaN propagates.
struct log1p_exp_neg_abs_fn {
    template <class V>
    GENDIV_HD V operator()(const V& x) const {
        const V e = exp(-fabs(x));
        // Coefficients of e^0, e^1, ...: Horner for float; double below.
        if constexpr (sizeof(scalar_t<V>) == sizeof(float)) {
            const double c[] = {
                9.99999994656291975396e-1, -4.99998926480632786732e-1, 3.3329710498917748649e-1,
                -2.49516162628720743291e-1, 1.96632742572048052697e-1, -1.52696670743632877675e-1,
                1.05436237954195261425e-1, -5.63736128301073281539e-2, 1.95425272610141015e-2,
                -3.17605701843195969464e-3,
            };
            return e * horner(e, c);
        } else {
            // e^4 .. e^20 by Estrin, then e^3 .. e^0 by Horner: the chain is 9 multiply-adds deep
            // instead of 20, and the last four steps, whose roundings dominate, stay Horner's
            // (Estrin throughout measured 3.08 ulp, against 2.02).
            const double c[] = {
                1.99999997498565228146e-1, -1.66666618482485386273e-1, 1.42856519752759261809e-1,
                -1.24994270635143811279e-1, 1.11072115852995378505e-1, -9.97976809658656833282e-2,
                9.00909581519863245078e-2, -8.07095457843020583115e-2, 7.01529623652647140976e-2,
                -5.7189785341939058592e-2, 4.19257098539041572955e-2, -2.63987794807432171842e-2,
                1.35987780906172536901e-2, -5.42173399100160965879e-3, 1.55352440343343336228e-3,
                -2.82742113937410716462e-4, 2.4437973948580947113e-5,
            };
            V p = poly(e, c);
            p = p * e + cst<V>(-2.49999999920095234325e-1);
            p = p * e + cst<V>(3.33333333331975252224e-1);
            p = p * e + cst<V>(-4.99999999999990789691e-1);
            p = p * e + cst<V>(9.99999999999999989569e-1);
            return e * p;
        }
    }
};

/// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}); never overflows.
struct softplus_fn {
    template <class V>
    GENDIV_HD V operator()(const V& x) const {
        return fmax(x, cst<V>(0)) + log1p_exp_neg_abs_fn{}(x);
    }
};

/// sigmoid(x) = 1 / (1 + e^{-x}), from e^{-|x|} so that neither branch overflows.
struct sigmoid_fn {
    template <class V>
    GENDIV_HD V operator()(const V& x) const {
        const V e = exp(-fabs(x));
        const V r = cst<V>(1) / (cst<V>(1) + e);
        return select(x >= cst<V>(0), r, e * r);
    }
};

/// True where t lies in [0, 1] (false for NaN): the targets the Bernoulli terms accept.
struct in_unit_interval_fn {
    template <class V>
    GENDIV_HD auto operator()(const V& t) const {
        return both(t >= cst<V>(0), t <= cst<V>(1));
    }
};

/// max(x, 0) - t x for t in [0, 1], the non-transcendental part of softplus(x) - t x, in the exact
/// form t·max(-x, 0) + (1-t)·max(x, 0): two non-negative terms, each product taken as 0 where its
/// weight t or 1 - t is 0, so that x = ±inf gives the exact limit (0 or +inf), never NaN.
struct bernoulli_logits_margin_exact_fn {
    template <class V>
    GENDIV_HD V operator()(const V& x, const V& t) const {
        const V zero = cst<V>(0), one = cst<V>(1);
        return select(t == zero, zero, t * fmax(-x, zero)) +
               select(t == one, zero, (one - t) * fmax(x, zero));
    }
};

/// Bernoulli log-likelihood of target t in [0, 1] from a logit x:
/// @f$ t x - \mathrm{softplus}(x) = -[\log(1+e^{-|x|}) + \max(x,0) - t x] @f$, the bracket's last
/// two terms fused into one rounding: they are (1-t)x or -tx, so the fused form is as exact as
/// either product. At x = ±inf max(x,0) - tx would be inf - inf or 0·inf; a batch holding an
/// infinite logit (rare), or a build without a hardware FMA (GENDIV_FMA = 0, where an unfused
/// max(x,0) - tx would lose digits for fractional t near 1), takes the form
/// @f$ t\max(-x,0) + (1-t)\max(x,0) @f$ with each product taken as 0 where its weight t or 1-t
/// is 0, which gives the exact limit (0 or -inf). The fused form saved 15 % of a float pass over
/// 10⁷ logits (12.0 -> 10.2 ms, 2 threads).
struct bernoulli_logits_fn {
    template <class V>
    GENDIV_HD V operator()(const V& x, const V& t) const {
        const V zero = cst<V>(0);
        const V l = log1p_exp_neg_abs_fn{}(x);
        if constexpr (GENDIV_FMA) {
            if (!any_lane(fabs(x) == V(infinity<scalar_t<V>>()))) return -(l + fnma(t, x, fmax(x, zero)));
        }
        return -(l + bernoulli_logits_margin_exact_fn{}(x, t));
    }
};

/// d/dx of bernoulli_logits_fn: @f$ t - \sigma(x) = t\,\sigma(-x) - (1-t)\,\sigma(x) @f$, finite for
/// every x including ±inf (exactly t - 1 at x = +inf and t at x = -inf). Both sigmoids come from
/// e^{-|x|}, so the second form has no cancellation for t ∈ {0, 1}: at x = 40, t = 1 it gives
/// σ(-40) = 4.2e-18 where 1 - σ(40) rounds to 0 in double (and at x = 17 already in float).
struct bernoulli_logits_grad_fn {
    template <class V>
    GENDIV_HD V operator()(const V& x, const V& t) const {
        const V one = cst<V>(1);
        const V e = exp(-fabs(x));
        const V big = one / (one + e);  // σ(|x|)
        const V small = e * big;        // σ(-|x|)
        const auto pos = x >= cst<V>(0);
        return t * select(pos, small, big) - (one - t) * select(pos, big, small);
    }
};

/// Bernoulli log-likelihood of target t in [0, 1] from a probability mu in [0, 1]:
/// @f$ t\log\mu + (1-t)\log(1-\mu) @f$ with 0·log 0 = 0, so mu ∈ {0, 1} is exact:
/// 0 where the target agrees, -inf where it does not (no clamping).
struct bernoulli_probs_fn {
    template <class V>
    GENDIV_HD V operator()(const V& mu, const V& t) const {
        const V zero = cst<V>(0), one = cst<V>(1);
        const V a = select(t == zero, zero, t * log(mu));
        const V b = select(t == one, zero, (one - t) * log1p(-mu));
        return a + b;
    }
};

/// d/dmu of bernoulli_probs_fn: @f$ t/\mu - (1-t)/(1-\mu) @f$, each term 0 where its weight is 0
/// (so the derivative at mu = 0, t = 0 is the finite -1).
struct bernoulli_probs_grad_fn {
    template <class V>
    GENDIV_HD V operator()(const V& mu, const V& t) const {
        const V zero = cst<V>(0), one = cst<V>(1);
        const V a = select(t == zero, zero, t / mu);
        const V b = select(t == one, zero, (one - t) / (one - mu));
        return a - b;
    }
};

/// Diagonal-Gaussian log-density of z under N(mu, e^{lv}), one coordinate:
/// @f$ -\tfrac12(\log 2\pi + lv) - (\tfrac12 w)\,w @f$ with @f$ w = (z-\mu)e^{-lv/2} @f$. The square is
/// taken after scaling (no e^{-lv} or (z-mu)^2 overflows on its own) and the ½ is applied before
/// the product (w^2 may exceed the largest float where w^2/2 does not), so no intermediate
/// overflows before the result does.
struct normal_fn {
    template <class V>
    GENDIV_HD V operator()(const V& mu, const V& lv, const V& z) const {
        const V w = (z - mu) * exp(cst<V>(-0.5) * lv);
        return cst<V>(-0.5) * (cst<V>(log_two_pi) + lv) - (cst<V>(0.5) * w) * w;
    }
};

/// Partial derivatives of normal_fn, scaled by an upstream weight u:
/// @f$ \partial_\mu = u\,w e^{-lv/2},\ \partial_z = -\partial_\mu,\ \partial_{lv} = \tfrac{u}{2}(w^2-1) @f$.
struct normal_grad_fn {
    template <class V>
    GENDIV_HD void operator()(const V& u, const V& mu, const V& lv, const V& z, V& d_mu, V& d_lv,
                              V& d_z) const {
        const V s = exp(cst<V>(-0.5) * lv);
        const V w = (z - mu) * s;
        d_mu = u * (w * s);
        d_z = -d_mu;
        d_lv = u * ((cst<V>(0.5) * w) * w - cst<V>(0.5));
    }
};

/// @f$ \tfrac12(e^\delta - 1) = (\tfrac12 h)(h + 2) @f$ with h = expm1(δ/2), since
/// e^δ - 1 = (e^{δ/2} - 1)(e^{δ/2} + 1): at most 2.73 ulp (test_kl), no cancellation (h + 2 ≥ 1), and finite
/// wherever the result is (expm1(δ) itself overflows float near δ = 88.7, ½(e^δ - 1) only at
/// δ = 89.4).
struct half_expm1_fn {
    template <class V>
    GENDIV_HD V operator()(const V& d) const {
        const V h = expm1(cst<V>(0.5) * d);
        return (cst<V>(0.5) * h) * (h + cst<V>(2));
    }
};

/// e^a by the exp that ordinary and argument-dependent lookup find (gendiv's for batches of
/// double): the default of half_expm1_minus_x_fn's `exp_of`.
struct plain_exp {
    template <class V>
    GENDIV_HD GENDIV_ALWAYS_INLINE V operator()(const V& a) const {
        return exp(a);
    }
};

/// @f$ \tfrac12\varphi(\delta) = \tfrac12(e^\delta - 1 - \delta) @f$ without cancellation.
///
/// Near 0, the Taylor series @f$ \tfrac12\delta^2\sum_{k=0}^{K}\delta^k/(k+2)! @f$ (Estrin's scheme):
/// double K = 16 for |δ| < 1 (first omitted term δ^17/19! below 2.2e-17 of the sum S = Σ δ^k/(k+2)!,
/// which is least at δ = -1, S = 1/e), float K = 10 for |δ| < 1.5 (below 1.5^11/(13!·S) ≈ 4.3e-8
/// relative, S = 0.32 at δ = -1.5: about a third of an ulp).
/// Beyond, ½e^δ - ½(1 + δ) as one FMA: fma(½X, Y, -½ - ½δ) with X = e^δ, Y = 1, except from
/// δ = 708 (double) or 88 (float) on, where e^δ would overflow before ½φ does: there
/// X = Y = e^{δ/2}, its argument clamped at 708 (88): from δ = 1416 (176) on, ½e^{708}e^{708}
/// overflows to +inf just as ½φ(δ) does. Below δ = -700 (-87), e^δ is lost beside ½|δ| anyway
/// and the argument is clamped there too, so exp's argument stays in [-700, 708] or is NaN. For δ ≤ -1 both parts are ≥ 0 (no cancellation);
/// for δ ≥ 1 the subtraction multiplies e^δ's error by at most e/(e - 2) ≈ 3.8 at δ = 1 (double)
/// and 4.48/1.98 ≈ 2.3 at δ = 1.5 (float). test_kl's sweep: at most 4.11 ulp (double; 4.08
/// while g++ chose which of xsimd's multiply-adds to fuse) and 3.34 ulp (float). This form
/// replaced ½expm1(δ) - ½δ in double (4.46 ulp; xsimd's double expm1 costs 2.2 exps: KL over
/// 10⁷ doubles, 2 threads, 16.4 -> 13.6 ms) and (½E)E - ½ - ½δ with E = e^{δ/2} for |δ| ≥ 2 in
/// float (5.14 ulp, and three more series terms).
///
/// Both: exactly +inf at δ = +inf (not inf - inf), +inf at δ = -inf.
///
/// `exp_of` evaluates e^a for those arguments; the default, plain_exp, is exp. The host's KL
/// path for double batches passes exp's fast path without the range test (kl.hpp,
/// kl_normal_fast_fn).
struct half_expm1_minus_x_fn {
    template <class V, class E = plain_exp>
    GENDIV_HD GENDIV_ALWAYS_INLINE V operator()(const V& d, E exp_of = {}) const {
        constexpr bool single = sizeof(scalar_t<V>) == sizeof(float);
        const V series = cst<V>(0.5) * (series_sum(d) * d * d);
        // ½X·Y - ½(1 + d): X = e^d and Y = 1 below d = 708 (double) or 88 (float); X = Y = e^{d/2}
        // from there, where e^d would overflow before ½φ does. Below -700 (-87) e^d is lost beside
        // ½|d| anyway: the clamp keeps exp on its fast path.
        const V low = cst<V>(single ? -87.0 : -700.0);
        const V small = select(d > low, d, low);
        const V top = cst<V>(single ? 88.0 : 708.0);
        const auto whole = d < top;
        const V half = cst<V>(0.5) * d;
        const V x = exp_of(select(whole, small, select(half > top, top, half)));  // NaN stays
        const V y = select(whole, cst<V>(1), x);
        const V beyond = select(d == V(infinity<scalar_t<V>>()), d,
                                fma(cst<V>(0.5) * x, y, -cst<V>(0.5) - cst<V>(0.5) * d));
        return select(fabs(d) < cst<V>(single ? 1.5 : 1.0), series, beyond);
    }

  private:
    /// Σ_{k=0}^{K} d^k/(k+2)!, K = 10 in float and 16 in double, by Estrin's scheme: independent
    /// FMAs on pairs of terms, then levels in d², d⁴, d⁸; four FMAs deep instead of Horner's chain
    /// of sixteen. With exp inlined, KL over 10⁷ doubles (2 threads) took 10.4 ms with Horner and
    /// 8.8 ms with this.
    template <class V>
    GENDIV_HD GENDIV_ALWAYS_INLINE static V series_sum(const V& d) {
        const V d2 = d * d, d4 = d2 * d2, d8 = d4 * d4;
        const V a0 = fma(cst<V>(1.0 / 6.0), d, cst<V>(0.5));
        const V a1 = fma(cst<V>(1.0 / 120.0), d, cst<V>(1.0 / 24.0));
        const V a2 = fma(cst<V>(1.0 / 5040.0), d, cst<V>(1.0 / 720.0));
        const V a3 = fma(cst<V>(1.0 / 362880.0), d, cst<V>(1.0 / 40320.0));
        const V a4 = fma(cst<V>(1.0 / 39916800.0), d, cst<V>(1.0 / 3628800.0));
        const V e0 = fma(fma(a3, d2, a2), d4, fma(a1, d2, a0));  // k = 0 .. 7
        if constexpr (sizeof(scalar_t<V>) == sizeof(float)) {
            return fma(fma(cst<V>(1.0 / 479001600.0), d2, a4), d8, e0);  // k = 8 .. 10
        } else {
            const V a5 = fma(cst<V>(1.0 / 6227020800.0), d, cst<V>(1.0 / 479001600.0));
            const V a6 = fma(cst<V>(1.0 / 1307674368000.0), d, cst<V>(1.0 / 87178291200.0));
            const V a7 = fma(cst<V>(1.0 / 355687428096000.0), d, cst<V>(1.0 / 20922789888000.0));
            const V e1 = fma(fma(a7, d2, a6), d4, fma(a5, d2, a4));  // k = 8 .. 15
            return fma(fma(cst<V>(1.0 / 6402373705728000.0), d8, e1), d8, e0);  // k = 16
        }
    }
};

/// KL(N(mq, e^{lq}) ‖ N(mp, e^{lp})) for one coordinate:
/// @f$ \tfrac12\varphi(lq-lp) + (\tfrac12 w)\,w @f$ with @f$ w = (mq-mp)e^{-lp/2} @f$, which is exactly
/// 0 when q = p and accurate when lq - lp is tiny; the ½ is applied before the product so that
/// w^2 cannot overflow where w^2/2 does not. A zero variance gives +inf, never NaN: lq = -inf
/// through φ(-inf) = inf, lp = -inf through φ(+inf) = inf with w taken as 0 where mq = mp. Two
/// zero variances (lq = lp = -inf, two point masses) give 0 at the same mean and +inf at
/// different ones: lq - lp is taken as 0 wherever lq = lp (it would be -inf - -inf = NaN).
/// `exp_of` as in half_expm1_minus_x_fn: both exponentials go through it.
struct kl_normal_fn {
    template <class V, class E = plain_exp>
    GENDIV_HD GENDIV_ALWAYS_INLINE V operator()(const V& mq, const V& lq, const V& mp, const V& lp,
                                                E exp_of = {}) const {
        const V w = select(mq == mp, cst<V>(0), (mq - mp) * exp_of(cst<V>(-0.5) * lp));
        return half_expm1_minus_x_fn{}(select(lq == lp, cst<V>(0), lq - lp), exp_of) + (cst<V>(0.5) * w) * w;
    }
};

/// Partial derivatives of kl_normal_fn scaled by u:
/// @f$ \partial_{mq} = u\,w e^{-lp/2} = -\partial_{mp},\ \partial_{lq} = \tfrac u2\,\mathrm{expm1}(lq-lp),
/// \ \partial_{lp} = -\tfrac u2[\mathrm{expm1}(lq-lp) + w^2] @f$, with ½expm1 from half_expm1_fn.
struct kl_normal_grad_fn {
    template <class V>
    GENDIV_HD void operator()(const V& u, const V& mq, const V& lq, const V& mp, const V& lp,
                              V& d_mq, V& d_lq, V& d_mp, V& d_lp) const {
        const V s = exp(cst<V>(-0.5) * lp);
        const V w = (mq - mp) * s;
        const V half_e = half_expm1_fn{}(lq - lp);
        d_mq = u * (w * s);
        d_mp = -d_mq;
        d_lq = u * half_e;
        d_lp = -u * (half_e + (cst<V>(0.5) * w) * w);
    }
};

/// One Monte Carlo sample of log q(z) - log p(z) for one coordinate, with the reparameterized
/// z = mq + e^{lq/2} eps: @f$ \tfrac12(lp - lq) + \tfrac12(w - \epsilon)(w + \epsilon) @f$ where
/// @f$ w = (z-mp)e^{-lp/2} = (mq-mp)e^{-lp/2} + \epsilon\,e^{(lq-lp)/2} @f$. The difference is formed
/// directly as @f$ w - \epsilon = (mq-mp)e^{-lp/2} + \epsilon\,\mathrm{expm1}((lq-lp)/2) @f$, never as
/// w minus eps: when q is close to p the two agree to many digits and their difference (which
/// carries the whole sample) would keep only the digits eps's rounding leaves. So q = p gives
/// exactly 0, no e^{±lv} overflows on its own, and w^2 - eps^2 never cancels two large squares.
struct kl_normal_mc_fn {
    template <class V>
    GENDIV_HD V operator()(const V& mq, const V& lq, const V& mp, const V& lp, const V& eps) const {
        const V wm = (mq - mp) * exp(cst<V>(-0.5) * lp) + eps * expm1(cst<V>(0.5) * (lq - lp));
        const V wp = wm + cst<V>(2) * eps;
        return cst<V>(0.5) * (lp - lq) + (cst<V>(0.5) * wm) * wp;
    }
};

/// Pathwise partial derivatives of kl_normal_mc_fn (eps held fixed) scaled by u:
/// @f$ \partial_{mq} = u\,w e^{-lp/2} = -\partial_{mp},\ \partial_{lq} = \tfrac u2(w\epsilon e^{(lq-lp)/2} - 1),
/// \ \partial_{lp} = \tfrac u2(1 - w^2) @f$.
struct kl_normal_mc_grad_fn {
    template <class V>
    GENDIV_HD void operator()(const V& u, const V& mq, const V& lq, const V& mp, const V& lp,
                              const V& eps, V& d_mq, V& d_lq, V& d_mp, V& d_lp) const {
        const V s = exp(cst<V>(-0.5) * lp);
        const V r = exp(cst<V>(0.5) * (lq - lp));
        const V w = (mq - mp) * s + eps * r;
        d_mq = u * (w * s);
        d_mp = -d_mq;
        d_lq = cst<V>(0.5) * u * (w * eps * r - cst<V>(1));
        d_lp = u * (cst<V>(0.5) - (cst<V>(0.5) * w) * w);
    }
};

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

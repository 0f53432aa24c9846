// gendiv/f_divergence.hpp: the f-GAN variational objective and the Wasserstein critic objective
// over batches of raw critic outputs, with their gradients, and D_f between discrete
// distributions. The divergences themselves (f, f*, g_f and their derivatives for KL, reverse
// KL, Pearson χ², Neyman χ², squared Hellinger, Jensen–Shannon, GAN and total variation) are
// the tag types of detail/f_divergence_kernels.hpp, which device code can include alone.
//
// Nowozin, Cseke and Tomioka, "f-GAN" (NeurIPS 2016, arXiv 1606.00709), eq. 6: for any critic
// V : X → R,
//
//   F(V) = E_{x~P}[g_f(V(x))] - E_{x~Q}[f*(g_f(V(x)))]  ≤  D_f(P‖Q) = ∫ q f(p/q),
//
// with equality at V*(x) = g_f^{-1}(f'(p(x)/q(x))). The critic ascends F; the generator, which
// shapes Q, descends it. gendiv evaluates the f*(g_f(·)) term in closed form
// (D::conjugate_of_activation), so raw critic outputs of any size give finite terms wherever
// the exact value is finite. Derivations, the Jensen–Shannon factor and the seed's mistakes
// (it applies f* to V instead of g_f(V)): docs/f_divergence.md.
#pragma once

#include <cstddef>
#include <type_traits>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/f_divergence_kernels.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// Gradient of a critic objective (f_gan_objective, wasserstein_objective) with respect to the
/// raw critic outputs; each member has its argument's shape ((B,) or (B, 1)).
template <class T>
struct critic_objective_gradient {
    xt::xarray<T> critic_real, critic_fake;
};

namespace detail {

/// Throws unless `a` holds B ≥ 1 critic outputs as shape (B,) or (B, 1).
template <class T>
void check_critic_outputs(const char* function, const char* name, const flat<T>& a) {
    const auto& s = a.shape();
    const bool shape_ok = s.size() == 1 || (s.size() == 2 && s[1] == 1);
    if (!shape_ok)
        fail(function, "argument '", name, "' has shape ", shape_string(s),
             " but must have shape (B,) or (B, 1): one raw critic output per example");
    if (a.size() == 0)
        fail(function, "argument '", name, "' has shape ", shape_string(s),
             ": the mean over an empty batch is undefined");
}

/// The mean of K(v) over a flat buffer (SIMD, block sums in double).
template <class T, class K>
T mean_of(const flat<T>& a, K k) {
    const T* p = a.data();
    const T s = simd_sum<T>(a.size(), [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        return k(load<V>(p + i));
    });
    return s / static_cast<T>(a.size());
}

/// scale · K(v) elementwise, in an array of a's shape.
template <class T, class K>
xt::xarray<T> scaled_map(const flat<T>& a, T scale, K k) {
    auto g = empty_like_shape<T>(a.shape());
    const T* p = a.data();
    T* o = g.data();
    simd_for<T>(a.size(), [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        store(o + i, V(scale) * k(load<V>(p + i)));
    });
    return g;
}

template <class D>
constexpr void check_divergence_type() {
    static_assert(is_f_divergence_v<D>,
                  "gendiv: the template argument must be an f-divergence tag type such as "
                  "gendiv::squared_hellinger (see gendiv/detail/f_divergence_kernels.hpp)");
}

}  // namespace detail

/// The f-GAN variational lower bound of @f$ D_f(P\|Q) @f$ from raw critic outputs (eq. 6 of
/// Nowozin et al. 2016):
/// @f$ \hat F = \frac1n\sum_{i} g_f(V^{real}_i) - \frac1m\sum_{j} f^*(g_f(V^{fake}_j)) @f$.
/// @tparam D an f-divergence tag type (gendiv::squared_hellinger, ...).
/// @param critic_real V at n samples of P, shape (n,) or (n, 1);
/// @param critic_fake V at m samples of Q_θ, shape (m,) or (m, 1); n and m may differ.
/// @throws gendiv::error on an empty batch or another shape.
template <class D, class ER, class EF>
auto f_gan_objective(const xt::xexpression<ER>& critic_real, const xt::xexpression<EF>& critic_fake) {
    detail::check_divergence_type<D>();
    using T = typename detail::value_type_for<ER, EF>::type;
    constexpr const char* fn = "f_gan_objective";
    detail::flat<T> r(critic_real), f(critic_fake);
    detail::check_critic_outputs(fn, "critic_real", r);
    detail::check_critic_outputs(fn, "critic_fake", f);
    return detail::mean_of(r, detail::f_activation_fn<D>{}) -
           detail::mean_of(f, detail::f_conjugate_of_activation_fn<D>{});
}

/// Gradient of f_gan_objective:
/// @f$ \partial\hat F/\partial V^{real}_i = g_f'(V^{real}_i)/n,\quad
/// \partial\hat F/\partial V^{fake}_j = -(f^*\circ g_f)'(V^{fake}_j)/m @f$.
/// The critic ascends this gradient; the generator back-propagates `critic_fake` (with the
/// sign of its own loss) through the critic and into its parameters.
template <class D, class ER, class EF>
auto f_gan_objective_grad(const xt::xexpression<ER>& critic_real,
                          const xt::xexpression<EF>& critic_fake) {
    detail::check_divergence_type<D>();
    using T = typename detail::value_type_for<ER, EF>::type;
    constexpr const char* fn = "f_gan_objective_grad";
    detail::flat<T> r(critic_real), f(critic_fake);
    detail::check_critic_outputs(fn, "critic_real", r);
    detail::check_critic_outputs(fn, "critic_fake", f);
    return critic_objective_gradient<T>{
        detail::scaled_map(r, T(1) / static_cast<T>(r.size()), detail::f_activation_prime_fn<D>{}),
        detail::scaled_map(f, T(-1) / static_cast<T>(f.size()),
                           detail::f_conjugate_of_activation_prime_fn<D>{})};
}

/// The Wasserstein critic objective (Arjovsky, Chintala and Bottou 2017, eq. 3; Gulrajani et
/// al. 2017): @f$ \frac1n\sum_i D(x^{real}_i) - \frac1m\sum_j D(x^{fake}_j) @f$, an estimate of
/// W₁(P, Q) when the critic D is 1-Lipschitz (enforce that with gendiv/penalty.hpp).
/// @param critic_real, critic_fake raw critic outputs, shapes (n,) / (n, 1) and (m,) / (m, 1).
template <class ER, class EF>
auto wasserstein_objective(const xt::xexpression<ER>& critic_real,
                           const xt::xexpression<EF>& critic_fake) {
    using T = typename detail::value_type_for<ER, EF>::type;
    constexpr const char* fn = "wasserstein_objective";
    detail::flat<T> r(critic_real), f(critic_fake);
    detail::check_critic_outputs(fn, "critic_real", r);
    detail::check_critic_outputs(fn, "critic_fake", f);
    auto identity = [](const auto& v) { return v; };
    return detail::mean_of(r, identity) - detail::mean_of(f, identity);
}

/// Gradient of wasserstein_objective: 1/n for every real output, -1/m for every fake one.
template <class ER, class EF>
auto wasserstein_objective_grad(const xt::xexpression<ER>& critic_real,
                                const xt::xexpression<EF>& critic_fake) {
    using T = typename detail::value_type_for<ER, EF>::type;
    constexpr const char* fn = "wasserstein_objective_grad";
    detail::flat<T> r(critic_real), f(critic_fake);
    detail::check_critic_outputs(fn, "critic_real", r);
    detail::check_critic_outputs(fn, "critic_fake", f);
    critic_objective_gradient<T> g{detail::empty_like_shape<T>(r.shape()),
                                   detail::empty_like_shape<T>(f.shape())};
    g.critic_real.fill(T(1) / static_cast<T>(r.size()));
    g.critic_fake.fill(T(-1) / static_cast<T>(f.size()));
    return g;
}

/// @f$ D_f(P\|Q) = \sum_i q_i f(p_i/q_i) @f$ between two discrete distributions (or any
/// non-negative measures) on the same points, with Csiszár's conventions for empty cells:
/// a cell with q_i = 0 contributes p_i·f'(∞) (D::f_slope_at_infinity; 0 when p_i = 0 too).
/// This is the quantity f_gan_objective bounds from below.
///
/// Each term is evaluated in double (and summed in double), so for float weights p_i/q_i never
/// overflows. For double weights it overflows where q_i < p_i / DBL_MAX (a subnormal q_i, or
/// unnormalized measures); such a term is q_i f(p_i/q_i) = p_i·f(u)/u at u > 1.8e308, which is
/// p_i·f'(∞) to double precision where f'(∞) is finite (f(u)/u - f'(∞) = O(log(u)/u) or
/// O(1/√u) for the eight divergences here), and D::large_ratio_term(p_i, q_i) where f'(∞) = ∞
/// (Kullback–Leibler: p (log p - log q); Pearson χ²: p²/q). Before 2026-12-03 the quotient was
/// formed in the weights' type: P = (1, 0) against Q = (1e-320, 1) gave +inf for KL (736.8) and
/// NaN for Jensen–Shannon (2 log 2), and float weights of 1e-40 did the same.
/// @param p, q non-negative weights of the same shape (any number of dimensions, at least one
/// element). @throws gendiv::error on a shape mismatch, no elements, or a negative or NaN weight.
template <class D, class EP, class EQ>
auto f_divergence_discrete(const xt::xexpression<EP>& p, const xt::xexpression<EQ>& q) {
    detail::check_divergence_type<D>();
    using T = typename detail::value_type_for<EP, EQ>::type;
    constexpr const char* fn = "f_divergence_discrete";
    detail::check_same_shape(fn, "p", p.derived_cast(), "q", q.derived_cast());
    detail::flat<T> pf(p), qf(q);
    if (pf.size() == 0) detail::fail(fn, "arguments 'p' and 'q' have shape ", detail::shape_string(pf.shape()), " (no elements)");
    const T *pp = pf.data(), *qp = qf.data();
    double sum = 0;
    for (std::size_t i = 0; i < pf.size(); ++i) {
        const T pi = pp[i], qi = qp[i];
        if (!(pi >= T(0)) || !(qi >= T(0)))
            detail::fail(fn, "weights must be non-negative, but p[", i, "] = ", pi, " and q[", i,
                         "] = ", qi);
        const double pd = static_cast<double>(pi), qd = static_cast<double>(qi);
        if (qd > 0) {
            const double u = pd / qd;
            if (u < detail::inf_d)
                sum += qd * D::f(u);
            else
                sum += detail::large_ratio_term<D>(pd, qd);
        } else if (pd > 0) {
            sum += pd * D::f_slope_at_infinity;
        }
    }
    return static_cast<T>(sum);
}

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

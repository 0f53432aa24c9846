// gendiv/penalty.hpp: gradient penalties that keep a Wasserstein critic near 1-Lipschitz, and
// the interpolates they are evaluated at, with gradients.
//
//   gradient_penalty(g, λ)  = λ/B Σ_b (‖g_b‖₂ - 1)²             two-sided (WGAN-GP)
//   lipschitz_penalty(g, λ) = λ/B Σ_b max(0, ‖g_b‖₂ - 1)²       one-sided (WGAN-LP)
//   interpolate(x_r, x_f, t) = t_b x_r + (1 - t_b) x_f           one t_b per example
//
// g holds the critic's input gradients ∇ₓD(x̂_b) at the interpolates, one example per row of
// shape (B, ...). Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville, "Improved Training of
// Wasserstein GANs" (NeurIPS 2017, arXiv 1704.00028), eq. 3 and Algorithm 1; Petzka, Fischer
// and Lukovnikov, "On the regularization of Wasserstein GANs" (ICLR 2018, arXiv 1709.08894),
// eq. 8. The penalty's gradient with respect to g, returned here, is what a double-backward
// pass through the critic (gendiv/nn) turns into parameter gradients; interpolate_grad carries
// a gradient with respect to x̂ back to the real and fake batches.
//
// Norms are taken with a power-of-two scale by the row's largest magnitude (as LAPACK's dnrm2
// guards against overflow), so no finite entry overflows or underflows the sum of squares: a
// row of 1e200s has a finite norm and a finite penalty gradient, where the naive Σ g² is +∞
// and the gradient (‖g‖-1)·g/‖g‖ would be NaN. Non-finite entries give non-finite results.
//
// At ‖g_b‖ = 0 the two-sided penalty (‖g‖-1)² = 1 - 2‖g‖ + ‖g‖² has a cone point; gendiv uses
// the subgradient 0 there (the minimum-norm element of Clarke's generalized gradient, the ball
// of radius 2λ/B, and what PyTorch's norm backward returns), so a zero row gets a zero gradient
// rather than NaN. The one-sided penalty is flat for ‖g‖ ≤ 1, so its gradient there is
// exactly 0.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/checks.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/math.hpp"
#include "gendiv/detail/penalty_kernels.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// Gradient of gradient_penalty / lipschitz_penalty with respect to the input gradients.
template <class T>
struct penalty_gradient {
    xt::xarray<T> grad;
};

/// Gradient of interpolate given an upstream gradient with respect to x̂ (x_real and x_fake
/// have their arguments' shape, t has shape (B,)).
template <class T>
struct interpolate_gradient {
    xt::xarray<T> x_real, x_fake, t;
};

namespace detail {

/// max_j |p_j| over a row, NaN when the row holds a NaN (0 for an empty row).
template <class T>
T row_max_abs(const T* p, std::size_t n) {
    bool nan = false;
    const T m = row_max_of(
        p, n,
        [](const auto& v) {
            using std::abs;  // xsimd::abs for batches, through argument-dependent lookup
            return abs(v);
        },
        nan);
    return nan ? quiet_nan<T>() : (n == 0 ? T(0) : m);
}

/// ‖p‖₂ of a row as `scaled · 2^{-k}`: `scale` = 2^k is a power of two chosen from the row's
/// largest magnitude (clamped so that it is a finite normal number), and `scaled` = ‖p·scale‖₂
/// is computed from squares of values of order 1, which neither overflow nor underflow.
template <class T>
struct row_norm {
    T norm = T(0);    ///< ‖p‖₂ (+∞ if it exceeds the range of T)
    T scale = T(1);   ///< 2^k
    T scaled = T(0);  ///< ‖p·2^k‖₂; 0 only for a zero row
};

template <class T>
row_norm<T> stable_row_norm(const T* p, std::size_t n) {
    row_norm<T> r;
    const T a = row_max_abs(p, n);
    if (a == T(0)) return r;
    if (!(a < std::numeric_limits<T>::infinity())) {  // +∞ or NaN entries
        r.norm = r.scaled = a;
        return r;
    }
    const int k = norm_scale_exponent(a);
    r.scale = std::ldexp(T(1), k);
    const T s = r.scale;
    const T ss = simd_sum<T>(n, [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        const V x = load<V>(p + i) * V(s);
        return x * x;
    });
    r.scaled = std::sqrt(ss);
    r.norm = std::ldexp(r.scaled, -k);
    return r;
}

/// The per-row norms of a (B, ...) buffer, rows in parallel when the work is large.
template <class T>
std::vector<row_norm<T>> row_norms(const flat<T>& g) {
    const auto r = batch_rows(g.shape());
    std::vector<row_norm<T>> out(r.batch);
    const T* p = g.data();
    parallel_for(static_cast<long>(r.batch), static_cast<long>(r.batch * r.length) >= parallel_threshold,
                 [&](long b) {
                     out[static_cast<std::size_t>(b)] =
                         stable_row_norm(p + static_cast<std::size_t>(b) * r.length, r.length);
                 });
    return out;
}

template <class T>
void check_penalty_input(const char* function, const flat<T>& g) {
    if (g.dimension() < 1)
        fail(function, "argument 'grad' has shape ", shape_string(g.shape()),
             " but needs at least 1 dimension (batch first: one input gradient per example)");
    if (g.shape()[0] == 0)
        fail(function, "argument 'grad' has shape ", shape_string(g.shape()),
             ": the mean over an empty batch is undefined");
}

template <class T, class E>
T penalty_impl(const char* function, const xt::xexpression<E>& grad, double lambda, bool one_sided) {
    check_lambda(function, lambda);
    flat<T> g(grad);
    check_penalty_input(function, g);
    const auto norms = row_norms(g);
    // λ/B Σ w² summed as Σ (c w)² with c = √(λ/B): in double, so a float penalty never
    // overflows early, and a double one only when the result itself exceeds the range.
    const double c = std::sqrt(lambda / static_cast<double>(norms.size()));
    double sum = 0;
    for (const auto& n : norms) sum += penalty_row_term(c, n.norm, one_sided);
    return static_cast<T>(sum);
}

template <class T, class E>
penalty_gradient<T> penalty_grad_impl(const char* function, const xt::xexpression<E>& grad,
                                      double lambda, bool one_sided) {
    check_lambda(function, lambda);
    flat<T> g(grad);
    check_penalty_input(function, g);
    const auto r = batch_rows(g.shape());
    const auto norms = row_norms(g);
    auto out = empty_like_shape<T>(g.shape());
    const T* p = g.data();
    T* o = out.data();
    const double two_lambda_over_b = 2.0 * lambda / static_cast<double>(r.batch);
    // ∂/∂g_bj = (2λ/B) w_b g_bj/‖g_b‖, with g_bj/‖g_b‖ = (g_bj 2^k)/‖g_b 2^k‖; 0 for a zero row.
    rows_for<T>(r.batch, r.length, [&](std::size_t b, std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        const auto& n = norms[b];
        if (n.scaled == T(0)) {
            store(o + i, V(T(0)));
            return;
        }
        const T h = penalty_grad_half_factor(two_lambda_over_b, n.norm, n.scaled, one_sided);
        store(o + i, penalty_grad_fn{}(load<V>(p + i), V(n.scale), V(h)));
    });
    return {std::move(out)};
}

/// Shapes for interpolate: x_real (B, ...), x_fake the same, t (B,) with values in [0, 1].
template <class T, class ER, class EF>
void check_interpolate_args(const char* function, const ER& x_real, const EF& x_fake,
                            const flat<T>& t) {
    check_min_dim(function, "x_real", x_real, 1);
    check_same_shape(function, "x_real", x_real, "x_fake", x_fake);
    const std::size_t batch = x_real.shape()[0];
    if (t.dimension() != 1 || t.shape()[0] != batch)
        fail(function, "argument 't' has shape ", shape_string(t.shape()), " but must have shape (",
             batch, ",): one weight per example of 'x_real', whose shape is ",
             shape_string(x_real.shape()));
    check_unit_interval(function, "t", t, "interpolation weights must lie in [0, 1]");
}

}  // namespace detail

/// Two-sided gradient penalty of WGAN-GP (Gulrajani et al. 2017, eq. 3):
/// @f$ \frac{\lambda}{B}\sum_b (\|g_b\|_2 - 1)^2 @f$.
/// @param grad the critic's input gradients ∇ₓD(x̂_b), shape (B, ...), B ≥ 1.
/// @param lambda the penalty weight λ ≥ 0 (the paper uses 10).
/// @throws gendiv::error on an empty batch or a negative, infinite or NaN lambda.
template <class E>
auto gradient_penalty(const xt::xexpression<E>& grad, double lambda) {
    using T = typename detail::value_type_for<E>::type;
    return detail::penalty_impl<T>("gradient_penalty", grad, lambda, false);
}

/// Gradient of gradient_penalty with respect to `grad`:
/// @f$ \frac{2\lambda}{B}(\|g_b\| - 1)\,\frac{g_b}{\|g_b\|} @f$, and 0 for a row with g_b = 0
/// (the minimum-norm subgradient at the cone point; never NaN).
template <class E>
auto gradient_penalty_grad(const xt::xexpression<E>& grad, double lambda) {
    using T = typename detail::value_type_for<E>::type;
    return detail::penalty_grad_impl<T>("gradient_penalty_grad", grad, lambda, false);
}

/// One-sided Lipschitz penalty of WGAN-LP (Petzka et al. 2018, eq. 8):
/// @f$ \frac{\lambda}{B}\sum_b \max(0, \|g_b\|_2 - 1)^2 @f$; it leaves rows with ‖g_b‖ ≤ 1
/// alone and equals gradient_penalty on rows with ‖g_b‖ ≥ 1.
template <class E>
auto lipschitz_penalty(const xt::xexpression<E>& grad, double lambda) {
    using T = typename detail::value_type_for<E>::type;
    return detail::penalty_impl<T>("lipschitz_penalty", grad, lambda, true);
}

/// Gradient of lipschitz_penalty with respect to `grad`:
/// @f$ \frac{2\lambda}{B}\max(0, \|g_b\| - 1)\,\frac{g_b}{\|g_b\|} @f$ (exactly 0 for ‖g_b‖ ≤ 1).
template <class E>
auto lipschitz_penalty_grad(const xt::xexpression<E>& grad, double lambda) {
    using T = typename detail::value_type_for<E>::type;
    return detail::penalty_grad_impl<T>("lipschitz_penalty_grad", grad, lambda, true);
}

/// Points on the segments between real and fake examples, one weight per example:
/// @f$ \hat x_b = t_b\,x^{real}_b + (1 - t_b)\,x^{fake}_b @f$ (for finite inputs, t_b = 1 gives
/// x_real exactly and t_b = 0 gives x_fake exactly; an infinite entry on the other side makes
/// the result NaN, 0·inf).
/// @param x_real, x_fake shape (B, ...); @param t shape (B,), values in [0, 1] (see
/// sample_interpolation_weights). @returns shape (B, ...).
/// @throws gendiv::error naming the shapes when they disagree, or when a t_b lies outside [0, 1].
template <class ER, class EF, class ET>
auto interpolate(const xt::xexpression<ER>& x_real, const xt::xexpression<EF>& x_fake,
                 const xt::xexpression<ET>& t) {
    using T = typename detail::value_type_for<ER, EF, ET>::type;
    constexpr const char* fn = "interpolate";
    detail::flat<T> tf(t);
    detail::check_interpolate_args(fn, x_real.derived_cast(), x_fake.derived_cast(), tf);
    detail::flat<T> xr(x_real), xf(x_fake);
    const auto r = detail::batch_rows(xr.shape());
    auto out = detail::empty_like_shape<T>(xr.shape());
    const T *rp = xr.data(), *fp = xf.data(), *tp = tf.data();
    T* o = out.data();
    detail::rows_for<T>(r.batch, r.length, [&](std::size_t b, std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        detail::store(o + i, detail::interpolate_fn{}(V(tp[b]), detail::load<V>(rp + i),
                                                      detail::load<V>(fp + i)));
    });
    return out;
}

/// Gradient of interpolate given `upstream` = ∂L/∂x̂ (shape of x_real):
/// @f$ \partial_{x^{real}_b} = t_b\,u_b,\ \partial_{x^{fake}_b} = (1 - t_b)\,u_b,
/// \ \partial_{t_b} = \sum_j u_{bj}(x^{real}_{bj} - x^{fake}_{bj}) @f$.
template <class ER, class EF, class ET, class EU>
auto interpolate_grad(const xt::xexpression<ER>& x_real, const xt::xexpression<EF>& x_fake,
                      const xt::xexpression<ET>& t, const xt::xexpression<EU>& upstream) {
    using T = typename detail::value_type_for<ER, EF, ET, EU>::type;
    constexpr const char* fn = "interpolate_grad";
    detail::flat<T> tf(t);
    detail::check_interpolate_args(fn, x_real.derived_cast(), x_fake.derived_cast(), tf);
    detail::check_same_shape(fn, "x_real", x_real.derived_cast(), "upstream", upstream.derived_cast());
    detail::flat<T> xr(x_real), xf(x_fake), u(upstream);
    const auto r = detail::batch_rows(xr.shape());
    interpolate_gradient<T> g{detail::empty_like_shape<T>(xr.shape()),
                              detail::empty_like_shape<T>(xr.shape()),
                              xt::xarray<T>::from_shape({r.batch})};
    const T *rp = xr.data(), *fp = xf.data(), *tp = tf.data(), *up = u.data();
    T *gr = g.x_real.data(), *gf = g.x_fake.data();
    detail::rows_for<T>(r.batch, r.length, [&](std::size_t b, std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        V d_real, d_fake;
        detail::interpolate_grad_fn{}(V(tp[b]), detail::load<V>(up + i), d_real, d_fake);
        detail::store(gr + i, d_real);
        detail::store(gf + i, d_fake);
    });
    detail::rows_sum<T>(r.batch, r.length, g.t.data(), [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        return detail::interpolate_grad_fn{}.t_term(detail::load<V>(up + i), detail::load<V>(rp + i),
                                                    detail::load<V>(fp + i));
    });
    return g;
}

/// One interpolation weight per example, t_b ~ U[0, 1) independently, drawn in order from `rng`
/// (any uniform random bit generator). Each example gets its own t_b, as in Gulrajani et al.'s
/// Algorithm 1; one t for the whole batch (mlpack's WGAN-GP) puts every interpolate of a batch
/// at the same fraction of the way along its segment, so the batch probes one level set
/// instead of the whole band between the two distributions.
/// @tparam T float or double. @returns shape (batch,).
template <class T = double, class URBG>
xt::xtensor<T, 1> sample_interpolation_weights(std::size_t batch, URBG&& rng) {
    static_assert(std::is_floating_point_v<T>,
                  "gendiv: sample_interpolation_weights<T> needs T = float or double");
    xt::xtensor<T, 1> t = xt::xtensor<T, 1>::from_shape({batch});
    std::uniform_real_distribution<T> u(T(0), T(1));
    for (auto& v : t) v = u(rng);
    return t;
}

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

// gendiv/estimators.hpp: Monte Carlo objectives for latent-variable models p(x, z) with an
// encoder q(z|x), built from per-sample log-densities, with their hand-derived gradients.
// Derivations: docs/math.md, section 7.
//
//   importance_log_weights(lpx_z, lpz, lqz)  log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x)  (B, K)
//   iwae_bound(log w)                        L_K = log (1/K) Σ_k w_k                              (B,)
//   elbo(log w)                              (1/K) Σ_k log w_k                                    (B,)
//   elbo_analytic(lpx_z, kl)                 log p(x|z) - KL(q(z|x) ‖ p(z))                      (B,)
//
// With z_k ~ q(z|x) independent, L_K is the importance-weighted bound of Burda, Grosse and
// Salakhutdinov ("Importance Weighted Autoencoders", ICLR 2016, arXiv:1509.00519): E[L_K] ≤
// log p(x), E[L_K] ≤ E[L_{K+1}] (their Theorem 1), and L_K → log p(x) as K → ∞ when p(x, z)/q(z|x)
// is bounded. L_1 is the evidence lower bound (ELBO) of Kingma and Welling ("Auto-Encoding
// Variational Bayes", ICLR 2014, arXiv:1312.6114); elbo() averages K one-sample ELBO estimates
// (their SGVB estimator A, §2.3), which keeps E = ELBO for every K (it is not the IWAE bound),
// and elbo_analytic() is their estimator B as used for the Gaussian VAE of §3, with the KL term
// in closed form (kl.hpp) and the reconstruction term from one sample. The seed's test-set
// evaluation, log p(x) ≈ L_200, is iwae_bound with K = 200.
//
// The bound reuses log_sum_exp.hpp's row reduction, so it inherits its stability (no overflow
// for any finite log-weight, -inf weights allowed) and its exact constant rows.
#pragma once

#include <cstddef>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"
#include "gendiv/log_sum_exp.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// Gradient of importance_log_weights; each member has shape (B, K).
template <class T>
struct importance_log_weights_gradient {
    xt::xarray<T> log_px_given_z, log_pz, log_qz_given_x;
};

/// Gradient of iwae_bound or elbo with respect to the (B, K) log-weights.
template <class T>
struct log_weights_gradient {
    xt::xarray<T> log_weights;
};

/// Gradient of elbo_analytic; each member has shape (B,).
template <class T>
struct elbo_analytic_gradient {
    xt::xarray<T> log_px_given_z, kl;
};

namespace detail {

/// Throws unless the log-weights are a (B, K) array with K ≥ 1.
template <class E>
void check_log_weights(const char* fn, const char* name, const E& w) {
    if (w.dimension() != 2)
        fail(fn, "argument '", name, "' has shape ", shape_string(w.shape()),
             " but must have shape (B, K): K importance samples for each of B examples");
    if (w.shape()[1] == 0)
        fail(fn, "argument '", name, "' has shape ", shape_string(w.shape()),
             ": K = 0 importance samples, at least one is needed");
}

/// Throws unless `a` has shape (B,).
template <class E>
void check_batch_vector(const char* fn, const char* name, const E& a) {
    if (a.dimension() != 1)
        fail(fn, "argument '", name, "' has shape ", shape_string(a.shape()),
             " but must have shape (B,): one value per example");
}

template <class T, class E, class U>
xt::xarray<T> elbo_grad_impl(const xt::xexpression<E>& log_weights, const xt::xexpression<U>* upstream) {
    constexpr const char* fn = "elbo_grad";
    const auto& w = log_weights.derived_cast();
    check_log_weights(fn, "log_weights", w);
    const std::size_t B = w.shape()[0], K = w.shape()[1];
    const auto u = upstream_or_ones<T>(fn, upstream, B);
    auto g = empty_like_shape<T>(w.shape());
    const T inv_k = T(1) / static_cast<T>(K);
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t k = 0; k < K; ++k) g(b, k) = u(b) * inv_k;
    return g;
}

template <class T, class EA, class EK, class U>
elbo_analytic_gradient<T> elbo_analytic_grad_impl(const xt::xexpression<EA>& log_px_given_z,
                                                  const xt::xexpression<EK>& kl,
                                                  const xt::xexpression<U>* upstream) {
    constexpr const char* fn = "elbo_analytic_grad";
    check_batch_vector(fn, "log_px_given_z", log_px_given_z.derived_cast());
    check_same_shape(fn, "log_px_given_z", log_px_given_z.derived_cast(), "kl", kl.derived_cast());
    const std::size_t B = log_px_given_z.derived_cast().shape()[0];
    xt::xarray<T> u = upstream_or_ones<T>(fn, upstream, B);
    xt::xarray<T> neg = -u;
    return {std::move(u), std::move(neg)};
}

}  // namespace detail

/// Importance log-weights @f$ \log w_{bk} = \log p(x_b|z_{bk}) + \log p(z_{bk}) - \log q(z_{bk}|x_b) @f$
/// for K samples z_{bk} ~ q(z|x_b) of each of B examples (Burda et al. 2016, §3).
/// @param log_px_given_z, log_pz, log_qz_given_x shape (B, K) each, e.g. from
/// log_likelihood_bernoulli_logits and log_likelihood_normal over B·K rows, reshaped.
/// @returns shape (B, K). @throws gendiv::error unless all three are (B, K) with K ≥ 1.
template <class EX, class EP, class EQ>
auto importance_log_weights(const xt::xexpression<EX>& log_px_given_z, const xt::xexpression<EP>& log_pz,
                            const xt::xexpression<EQ>& log_qz_given_x) {
    using T = typename detail::value_type_for<EX, EP, EQ>::type;
    constexpr const char* fn = "importance_log_weights";
    const auto& a = log_px_given_z.derived_cast();
    detail::check_log_weights(fn, "log_px_given_z", a);
    detail::check_same_shape(fn, "log_px_given_z", a, "log_pz", log_pz.derived_cast());
    detail::check_same_shape(fn, "log_px_given_z", a, "log_qz_given_x", log_qz_given_x.derived_cast());
    return xt::xarray<T>(xt::cast<T>(a) + xt::cast<T>(log_pz.derived_cast()) -
                         xt::cast<T>(log_qz_given_x.derived_cast()));
}

/// Gradient of importance_log_weights for an upstream gradient u of shape (B, K) (for example
/// iwae_bound_grad(...).log_weights): @f$ (u, u, -u) @f$.
template <class EX, class EP, class EQ, class U>
auto importance_log_weights_grad(const xt::xexpression<EX>& log_px_given_z, const xt::xexpression<EP>& log_pz,
                                 const xt::xexpression<EQ>& log_qz_given_x, const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<EX, EP, EQ>::type;
    constexpr const char* fn = "importance_log_weights_grad";
    const auto& a = log_px_given_z.derived_cast();
    detail::check_log_weights(fn, "log_px_given_z", a);
    detail::check_same_shape(fn, "log_px_given_z", a, "log_pz", log_pz.derived_cast());
    detail::check_same_shape(fn, "log_px_given_z", a, "log_qz_given_x", log_qz_given_x.derived_cast());
    detail::check_same_shape(fn, "log_px_given_z", a, "upstream", upstream.derived_cast());
    xt::xarray<T> u = xt::cast<T>(upstream.derived_cast());
    xt::xarray<T> neg = -u;
    return importance_log_weights_gradient<T>{u, u, std::move(neg)};
}

/// The importance-weighted bound of Burda et al. (2016, §3) from (B, K) log-weights:
/// @f$ \mathcal L_K = \log\frac1K\sum_k w_k = m + \log\Big(\frac1K\sum_k e^{\log w_k - m}\Big) @f$,
/// m = max_k log w_k (log_mean_exp along K). With K = 200 samples from the encoder this is the
/// importance-sampled log p(x) used to evaluate a VAE on test data.
/// @returns shape (B,). @throws gendiv::error unless the input is (B, K) with K ≥ 1.
template <class E>
auto iwae_bound(const xt::xexpression<E>& log_weights) {
    using T = typename detail::value_type_for<E>::type;
    detail::check_log_weights("iwae_bound", "log_weights", log_weights.derived_cast());
    return detail::lse_impl<T>("iwae_bound", log_weights, -1, true);
}

/// Gradient of iwae_bound: the self-normalized importance weights
/// @f$ \partial\mathcal L_K/\partial\log w_k = u\,\tilde w_k,\ \tilde w_k = w_k/\sum_j w_j
/// = \mathrm{softmax}_k(\log w) @f$ (Burda et al. 2016, §3), times the upstream u of shape (B,)
/// (default 1). Chain it through importance_log_weights_grad to the three log-densities.
template <class E>
auto iwae_bound_grad(const xt::xexpression<E>& log_weights) {
    using T = typename detail::value_type_for<E>::type;
    detail::check_log_weights("iwae_bound_grad", "log_weights", log_weights.derived_cast());
    return log_weights_gradient<T>{
        detail::lse_grad_impl<T, E, E>("iwae_bound_grad", log_weights, nullptr, -1, true)};
}

template <class E, class U>
auto iwae_bound_grad(const xt::xexpression<E>& log_weights, const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<E>::type;
    detail::check_log_weights("iwae_bound_grad", "log_weights", log_weights.derived_cast());
    return log_weights_gradient<T>{
        detail::lse_grad_impl<T>("iwae_bound_grad", log_weights, &upstream, -1, true)};
}

/// The Monte Carlo ELBO from (B, K) log-weights: the mean of K one-sample estimates,
/// @f$ \frac1K\sum_k \log w_k @f$, an unbiased estimate of
/// @f$ \mathrm{ELBO} = \mathbb E_q[\log p(x|z) + \log p(z) - \log q(z|x)] @f$ (Kingma and Welling
/// 2014, §2.3, estimator A) for every K. At K = 1 it equals iwae_bound (L_1 = ELBO, bit for bit); for K > 1 it
/// is ≤ iwae_bound row by row (Jensen). @returns shape (B,).
template <class E>
auto elbo(const xt::xexpression<E>& log_weights) {
    using T = typename detail::value_type_for<E>::type;
    const auto& w = log_weights.derived_cast();
    detail::check_log_weights("elbo", "log_weights", w);
    const std::size_t B = w.shape()[0], K = w.shape()[1];
    detail::flat<T> f(log_weights);
    xt::xtensor<T, 1> out = xt::xtensor<T, 1>::from_shape({B});
    const T* p = f.data();
    detail::rows_sum<T>(B, K, out.data(), [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        return detail::load<V>(p + i);
    });
    out /= static_cast<T>(K);
    return out;
}

/// Gradient of elbo: @f$ \partial/\partial\log w_k = u/K @f$ for every sample, u of shape (B,).
template <class E>
auto elbo_grad(const xt::xexpression<E>& log_weights) {
    using T = typename detail::value_type_for<E>::type;
    return log_weights_gradient<T>{detail::elbo_grad_impl<T, E, E>(log_weights, nullptr)};
}

template <class E, class U>
auto elbo_grad(const xt::xexpression<E>& log_weights, const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<E>::type;
    return log_weights_gradient<T>{detail::elbo_grad_impl<T>(log_weights, &upstream)};
}

/// The ELBO with the KL term in closed form, as the seed's VAE trains with (Kingma and Welling
/// 2014, §2.3 estimator B, the Gaussian case of §3):
/// @f$ \log p(x|z) - \mathrm{KL}(q(z|x)\,\|\,p(z)) @f$, z one reparameterized sample.
/// @param log_px_given_z shape (B,), e.g. log_likelihood_bernoulli_logits;
/// @param kl shape (B,), e.g. kl_gaussian_gaussian_analytic against zeros. @returns shape (B,).
template <class EA, class EK>
auto elbo_analytic(const xt::xexpression<EA>& log_px_given_z, const xt::xexpression<EK>& kl) {
    using T = typename detail::value_type_for<EA, EK>::type;
    constexpr const char* fn = "elbo_analytic";
    detail::check_batch_vector(fn, "log_px_given_z", log_px_given_z.derived_cast());
    detail::check_same_shape(fn, "log_px_given_z", log_px_given_z.derived_cast(), "kl", kl.derived_cast());
    return xt::xtensor<T, 1>(xt::cast<T>(log_px_given_z.derived_cast()) - xt::cast<T>(kl.derived_cast()));
}

/// Gradient of elbo_analytic: @f$ (u, -u) @f$ for the upstream u of shape (B,) (default 1); chain
/// them through log_likelihood_*_grad and kl_gaussian_gaussian_analytic_grad as upstreams.
template <class EA, class EK>
auto elbo_analytic_grad(const xt::xexpression<EA>& log_px_given_z, const xt::xexpression<EK>& kl) {
    using T = typename detail::value_type_for<EA, EK>::type;
    return detail::elbo_analytic_grad_impl<T, EA, EK, EA>(log_px_given_z, kl, nullptr);
}

template <class EA, class EK, class U>
auto elbo_analytic_grad(const xt::xexpression<EA>& log_px_given_z, const xt::xexpression<EK>& kl,
                        const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<EA, EK>::type;
    return detail::elbo_analytic_grad_impl<T>(log_px_given_z, kl, &upstream);
}

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

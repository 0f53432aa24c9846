// gendiv/device/estimators.hpp: the Monte Carlo objectives of estimators.hpp over Thrust
// ranges, with gradients: importance log-weights, the IWAE bound (log_mean_exp over K), the
// Monte Carlo ELBO and the analytic-KL ELBO (Burda et al. 2016; Kingma and Welling 2014; see
// estimators.hpp and docs/math.md §7). Log-weights are (B × K) ranges, one row per example.
// Arguments, policies and containers: device/arguments.hpp.
#pragma once

#include <cstddef>

#include <thrust/copy.h>

#include "gendiv/detail/config.hpp"
#include "gendiv/device/log_sum_exp.hpp"
#include "gendiv/device/rows.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device {
namespace detail {

template <class T>
struct log_weight_fn {
    // (log p(x|z), log p(z), log q(z|x)) ↦ log p(x|z) + log p(z) − log q(z|x), as the host path
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        return static_cast<T>(thrust::get<0>(a)) + static_cast<T>(thrust::get<1>(a)) -
               static_cast<T>(thrust::get<2>(a));
    }
};

template <class T>
struct negate_fn {
    template <class X>
    GENDIV_HD T operator()(X x) const {
        return -static_cast<T>(x);
    }
};

template <class T>
struct times_fn {
    T c;
    template <class X>
    GENDIV_HD T operator()(X x) const {
        return static_cast<T>(x) * c;
    }
};

template <class T>
struct difference_fn {
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        return static_cast<T>(thrust::get<0>(a)) - static_cast<T>(thrust::get<1>(a));
    }
};

inline void check_samples(const char* function, std::size_t batch, std::size_t k) {
    if (k == 0)
        gendiv::detail::fail(function, "argument 'k' is 0 (", batch,
                             " examples with no importance samples): at least one is needed");
}

}  // namespace detail

/// log w = log p(x|z) + log p(z) − log q(z|x), element-wise over three (B × K) ranges into out
/// (B × K). @throws gendiv::error when K = 0 or a container's size disagrees.
template <class Policy, class A, class P, class Q, class Out, detail::if_policy<Policy> = 0>
void importance_log_weights(const Policy& exec, A&& log_px_given_z, P&& log_pz, Q&& log_qz_given_x,
                            std::size_t batch, std::size_t k, Out&& out) {
    constexpr const char* fn = "device::importance_log_weights";
    detail::check_samples(fn, batch, k);
    using T = detail::value_of_t<Out>;
    const auto n = detail::rows_extent(fn, batch, k);
    auto args = thrust::make_zip_iterator(thrust::make_tuple(
        detail::range_begin(fn, "log_px_given_z", log_px_given_z, n),
        detail::range_begin(fn, "log_pz", log_pz, n),
        detail::range_begin(fn, "log_qz_given_x", log_qz_given_x, n)));
    thrust::transform(exec, args, args + n.size, detail::range_begin(fn, "out", out, n),
                      detail::log_weight_fn<T>{});
}

template <class A, class P, class Q, class Out, detail::if_not_policy<A> = 0>
void importance_log_weights(A&& log_px_given_z, P&& log_pz, Q&& log_qz_given_x, std::size_t batch,
                            std::size_t k, Out&& out) {
    importance_log_weights(detail::system_of(log_px_given_z, log_pz, log_qz_given_x, out),
                           log_px_given_z, log_pz, log_qz_given_x, batch, k, out);
}

/// Gradient of importance_log_weights for an upstream u of shape (B × K): (u, u, −u).
template <class Policy, class U, class GA, class GP, class GQ, detail::if_policy<Policy> = 0>
void importance_log_weights_grad(const Policy& exec, U&& upstream, std::size_t batch, std::size_t k,
                                 GA&& g_log_px_given_z, GP&& g_log_pz, GQ&& g_log_qz_given_x) {
    constexpr const char* fn = "device::importance_log_weights_grad";
    detail::check_samples(fn, batch, k);
    using T = detail::value_of_t<GQ>;
    const auto n = detail::rows_extent(fn, batch, k);
    auto u = detail::range_begin(fn, "upstream", upstream, n);
    thrust::copy_n(exec, u, n.size, detail::range_begin(fn, "g_log_px_given_z", g_log_px_given_z, n));
    thrust::copy_n(exec, u, n.size, detail::range_begin(fn, "g_log_pz", g_log_pz, n));
    thrust::transform(exec, u, u + n.size, detail::range_begin(fn, "g_log_qz_given_x", g_log_qz_given_x, n),
                      detail::negate_fn<T>{});
}

template <class U, class GA, class GP, class GQ, detail::if_not_policy<U> = 0>
void importance_log_weights_grad(U&& upstream, std::size_t batch, std::size_t k, GA&& g_log_px_given_z,
                                 GP&& g_log_pz, GQ&& g_log_qz_given_x) {
    importance_log_weights_grad(detail::system_of(upstream, g_log_px_given_z), upstream, batch, k,
                                g_log_px_given_z, g_log_pz, g_log_qz_given_x);
}

/// The importance-weighted bound L_K = log (1/K) Σ_k w_k of each row of the (B × K)
/// log-weights (log_mean_exp along K) into out (B values). @throws gendiv::error when K = 0.
template <class Policy, class W, class Out, detail::if_policy<Policy> = 0>
void iwae_bound(const Policy& exec, W&& log_weights, std::size_t batch, std::size_t k, Out&& out) {
    constexpr const char* fn = "device::iwae_bound";
    detail::check_samples(fn, batch, k);
    detail::lse_rows(exec, detail::range_begin(fn, "log_weights", log_weights, detail::rows_extent(fn, batch, k)),
                     batch, k, detail::range_begin(fn, "out", out, detail::batch_extent(batch)), true);
}

template <class W, class Out, detail::if_not_policy<W> = 0>
void iwae_bound(W&& log_weights, std::size_t batch, std::size_t k, Out&& out) {
    iwae_bound(detail::system_of(log_weights, out), log_weights, batch, k, out);
}

/// Gradient of iwae_bound: u[b]·softmax_k(log w), the self-normalized importance weights,
/// from the bound's values `bound` (from iwae_bound) and the upstream u (B values), into g
/// (B × K); workspace: at least B values (optional, as log_mean_exp_grad, which this is).
template <class Policy, class W, class L, class U, class Ws, class Out, detail::if_policy<Policy> = 0>
void iwae_bound_grad(const Policy& exec, W&& log_weights, L&& bound, U&& upstream, std::size_t batch,
                     std::size_t k, Ws&& workspace, Out&& g) {
    detail::check_samples("device::iwae_bound_grad", batch, k);
    detail::lme_grad(exec, "device::iwae_bound_grad", "log_weights", "bound", log_weights, bound, upstream,
                     batch, k, workspace, g);
}

template <class Policy, class W, class L, class U, class Out, detail::if_policy<Policy> = 0>
void iwae_bound_grad(const Policy& exec, W&& log_weights, L&& bound, U&& upstream, std::size_t batch,
                     std::size_t k, Out&& g) {
    detail::check_samples("device::iwae_bound_grad", batch, k);
    detail::temporary_buffer<detail::value_of_t<Out>, Policy> work(exec, batch);
    iwae_bound_grad(exec, log_weights, bound, upstream, batch, k, work.begin(), g);
}

template <class W, class L, class U, class Ws, class Out, detail::if_not_policy<W> = 0>
void iwae_bound_grad(W&& log_weights, L&& bound, U&& upstream, std::size_t batch, std::size_t k,
                     Ws&& workspace, Out&& g) {
    iwae_bound_grad(detail::system_of(log_weights, bound, upstream, g), log_weights, bound, upstream,
                    batch, k, workspace, g);
}

template <class W, class L, class U, class Out, detail::if_not_policy<W> = 0>
void iwae_bound_grad(W&& log_weights, L&& bound, U&& upstream, std::size_t batch, std::size_t k,
                     Out&& g) {
    iwae_bound_grad(detail::system_of(log_weights, bound, upstream, g), log_weights, bound, upstream,
                    batch, k, g);
}

/// The Monte Carlo ELBO (1/K) Σ_k log w_k of each row into out (B values): a row sum (in
/// double on the host backends, in T under CUDA), divided by K in T as the host path does.
template <class Policy, class W, class Out, detail::if_policy<Policy> = 0>
void elbo(const Policy& exec, W&& log_weights, std::size_t batch, std::size_t k, Out&& out) {
    constexpr const char* fn = "device::elbo";
    detail::check_samples(fn, batch, k);
    using T = detail::value_of_t<Out>;
    detail::row_sums(exec, detail::range_begin(fn, "log_weights", log_weights, detail::rows_extent(fn, batch, k)),
                     batch, k,
                     thrust::make_transform_output_iterator(
                         detail::range_begin(fn, "out", out, detail::batch_extent(batch)),
                         detail::divide_by<T>{static_cast<T>(k)}));
}

template <class W, class Out, detail::if_not_policy<W> = 0>
void elbo(W&& log_weights, std::size_t batch, std::size_t k, Out&& out) {
    elbo(detail::system_of(log_weights, out), log_weights, batch, k, out);
}

/// Gradient of elbo: u[b]/K for every sample of row b, into g (B × K).
template <class Policy, class U, class Out, detail::if_policy<Policy> = 0>
void elbo_grad(const Policy& exec, U&& upstream, std::size_t batch, std::size_t k, Out&& g) {
    constexpr const char* fn = "device::elbo_grad";
    detail::check_samples(fn, batch, k);
    using T = detail::value_of_t<Out>;
    const auto n = detail::rows_extent(fn, batch, k);
    auto u = detail::per_element(detail::range_begin(fn, "upstream", upstream, detail::batch_extent(batch)), k);
    thrust::transform(exec, u, u + n.size, detail::range_begin(fn, "g", g, n),
                      detail::times_fn<T>{T(1) / static_cast<T>(k)});
}

template <class U, class Out, detail::if_not_policy<U> = 0>
void elbo_grad(U&& upstream, std::size_t batch, std::size_t k, Out&& g) {
    elbo_grad(detail::system_of(upstream, g), upstream, batch, k, g);
}

/// The analytic-KL ELBO log p(x|z) − KL(q(z|x) ‖ p(z)) of B examples into out (B values).
template <class Policy, class A, class K, class Out, detail::if_policy<Policy> = 0>
void elbo_analytic(const Policy& exec, A&& log_px_given_z, K&& kl, std::size_t batch, Out&& out) {
    constexpr const char* fn = "device::elbo_analytic";
    using T = detail::value_of_t<Out>;
    const auto n = detail::batch_extent(batch);
    auto args = thrust::make_zip_iterator(thrust::make_tuple(
        detail::range_begin(fn, "log_px_given_z", log_px_given_z, n), detail::range_begin(fn, "kl", kl, n)));
    thrust::transform(exec, args, args + batch, detail::range_begin(fn, "out", out, n),
                      detail::difference_fn<T>{});
}

template <class A, class K, class Out, detail::if_not_policy<A> = 0>
void elbo_analytic(A&& log_px_given_z, K&& kl, std::size_t batch, Out&& out) {
    elbo_analytic(detail::system_of(log_px_given_z, kl, out), log_px_given_z, kl, batch, out);
}

/// Gradient of elbo_analytic: (u, −u) into two ranges of B values.
template <class Policy, class U, class GA, class GK, detail::if_policy<Policy> = 0>
void elbo_analytic_grad(const Policy& exec, U&& upstream, std::size_t batch, GA&& g_log_px_given_z,
                        GK&& g_kl) {
    constexpr const char* fn = "device::elbo_analytic_grad";
    using T = detail::value_of_t<GK>;
    const auto n = detail::batch_extent(batch);
    auto u = detail::range_begin(fn, "upstream", upstream, n);
    thrust::copy_n(exec, u, batch, detail::range_begin(fn, "g_log_px_given_z", g_log_px_given_z, n));
    thrust::transform(exec, u, u + batch, detail::range_begin(fn, "g_kl", g_kl, n), detail::negate_fn<T>{});
}

template <class U, class GA, class GK, detail::if_not_policy<U> = 0>
void elbo_analytic_grad(U&& upstream, std::size_t batch, GA&& g_log_px_given_z, GK&& g_kl) {
    elbo_analytic_grad(detail::system_of(upstream, g_log_px_given_z, g_kl), upstream, batch,
                       g_log_px_given_z, g_kl);
}

}  // namespace gendiv::device

GENDIV_DIAGNOSTICS_POP

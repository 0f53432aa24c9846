// gendiv/device/likelihood.hpp: the likelihoods of likelihood.hpp over Thrust ranges.
// Each function reads row-major (B × D) ranges and writes B row sums; the scalar kernels are
// the host path's own (detail/kernels.hpp), so host and device cannot drift apart.
#pragma once

#include <cstddef>

#include "gendiv/device/rows.hpp"

namespace gendiv::device {
namespace detail {

template <class T, class K>
struct scaled_grad2 {
    // (param, target, u) ↦ u · K(param, target)
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        return static_cast<T>(thrust::get<2>(a)) *
               K{}(static_cast<T>(thrust::get<0>(a)), static_cast<T>(thrust::get<1>(a)));
    }
};

template <class T>
struct normal_grad_tuple {
    // (mu, logvar, z, u, d_mu&, d_logvar&, d_z&)
    template <class Tuple>
    GENDIV_HD void operator()(Tuple a) const {
        T dm, dl, dz;
        gendiv::detail::normal_grad_fn{}(static_cast<T>(thrust::get<3>(a)),
                                         static_cast<T>(thrust::get<0>(a)),
                                         static_cast<T>(thrust::get<1>(a)),
                                         static_cast<T>(thrust::get<2>(a)), dm, dl, dz);
        thrust::get<4>(a) = dm;
        thrust::get<5>(a) = dl;
        thrust::get<6>(a) = dz;
    }
};

}  // namespace detail

/// out[b] = Σ_d log Bernoulli(t | sigmoid(x)) over row b: see gendiv::log_likelihood_bernoulli_logits.
/// @throws gendiv::error when a target lies outside [0, 1].
template <class Policy, class X, class Tg, class Out>
void log_likelihood_bernoulli_logits(const Policy& exec, X logits, Tg target, std::size_t batch,
                                     std::size_t length, Out out) {
    using T = typename thrust::iterator_traits<Out>::value_type;
    detail::check_unit_interval(exec, "device::log_likelihood_bernoulli_logits", "target", target,
                                batch * length, batch, length);
    auto v = thrust::make_transform_iterator(thrust::make_zip_iterator(thrust::make_tuple(logits, target)),
                                             detail::apply2<T, gendiv::detail::bernoulli_logits_fn>{});
    detail::row_sums(exec, v, batch, length, out);
}

/// g = u[b] · (t − σ(x)): see gendiv::log_likelihood_bernoulli_logits_grad.
template <class Policy, class X, class Tg, class U, class G>
void log_likelihood_bernoulli_logits_grad(const Policy& exec, X logits, Tg target, U upstream,
                                          std::size_t batch, std::size_t length, G g) {
    using T = typename thrust::iterator_traits<G>::value_type;
    detail::check_unit_interval(exec, "device::log_likelihood_bernoulli_logits_grad", "target",
                                target, batch * length, batch, length);
    auto args = thrust::make_zip_iterator(
        thrust::make_tuple(logits, target, detail::per_element(upstream, length)));
    thrust::transform(exec, args, args + batch * length, g,
                      detail::scaled_grad2<T, gendiv::detail::bernoulli_logits_grad_fn>{});
}

/// out[b] = Σ_d t log μ + (1 − t) log(1 − μ): see gendiv::log_likelihood_bernoulli.
/// @throws gendiv::error when a probability or target lies outside [0, 1].
template <class Policy, class M, class Tg, class Out>
void log_likelihood_bernoulli(const Policy& exec, M mu, Tg target, std::size_t batch,
                              std::size_t length, Out out) {
    using T = typename thrust::iterator_traits<Out>::value_type;
    detail::check_unit_interval(exec, "device::log_likelihood_bernoulli", "mu", mu, batch * length,
                                batch, length);
    detail::check_unit_interval(exec, "device::log_likelihood_bernoulli", "target", target,
                                batch * length, batch, length);
    auto v = thrust::make_transform_iterator(thrust::make_zip_iterator(thrust::make_tuple(mu, target)),
                                             detail::apply2<T, gendiv::detail::bernoulli_probs_fn>{});
    detail::row_sums(exec, v, batch, length, out);
}

/// g = u[b] · (t/μ − (1 − t)/(1 − μ)): see gendiv::log_likelihood_bernoulli_grad.
template <class Policy, class M, class Tg, class U, class G>
void log_likelihood_bernoulli_grad(const Policy& exec, M mu, Tg target, U upstream,
                                   std::size_t batch, std::size_t length, G g) {
    using T = typename thrust::iterator_traits<G>::value_type;
    detail::check_unit_interval(exec, "device::log_likelihood_bernoulli_grad", "mu", mu,
                                batch * length, batch, length);
    detail::check_unit_interval(exec, "device::log_likelihood_bernoulli_grad", "target", target,
                                batch * length, batch, length);
    auto args = thrust::make_zip_iterator(
        thrust::make_tuple(mu, target, detail::per_element(upstream, length)));
    thrust::transform(exec, args, args + batch * length, g,
                      detail::scaled_grad2<T, gendiv::detail::bernoulli_probs_grad_fn>{});
}

/// out[b] = Σ_d log N(z; μ, e^{logvar}): see gendiv::log_likelihood_normal (all three ranges
/// full (B × D); broadcast a prior with a constant_iterator).
template <class Policy, class M, class L, class Z, class Out>
void log_likelihood_normal(const Policy& exec, M mu, L logvar, Z z, std::size_t batch,
                           std::size_t length, Out out) {
    using T = typename thrust::iterator_traits<Out>::value_type;
    auto v = thrust::make_transform_iterator(
        thrust::make_zip_iterator(thrust::make_tuple(mu, logvar, z)),
        detail::apply3<T, gendiv::detail::normal_fn>{});
    detail::row_sums(exec, v, batch, length, out);
}

/// Gradients of log_likelihood_normal into three (B × D) ranges.
template <class Policy, class M, class L, class Z, class U, class GM, class GL, class GZ>
void log_likelihood_normal_grad(const Policy& exec, M mu, L logvar, Z z, U upstream,
                                std::size_t batch, std::size_t length, GM g_mu, GL g_logvar,
                                GZ g_z) {
    using T = typename thrust::iterator_traits<GM>::value_type;
    auto args = thrust::make_zip_iterator(thrust::make_tuple(
        mu, logvar, z, detail::per_element(upstream, length), g_mu, g_logvar, g_z));
    thrust::for_each(exec, args, args + batch * length, detail::normal_grad_tuple<T>{});
}

}  // namespace gendiv::device

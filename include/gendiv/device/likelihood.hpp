// gendiv/device/likelihood.hpp: the likelihoods of likelihood.hpp over Thrust ranges.
// Each function reads row-major (B × D) ranges and writes B row sums; the scalar kernels are
// the host path's own (detail/kernels.hpp), so host and device cannot drift apart. Arguments,
// policies and containers: device/arguments.hpp.
#pragma once

#include <cstddef>

#include "gendiv/detail/config.hpp"
#include "gendiv/device/rows.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device {
namespace detail {

/// u · K(a, b) into o: an element-wise gradient kernel for grad_rows.
template <class K>
struct scaled_by_upstream {
    template <class V>
    GENDIV_HD void operator()(const V& u, const V& a, const V& b, V& o) const {
        o = u * K{}(a, b);
    }
};

}  // namespace detail

/// out[b] = Σ_d log Bernoulli(t | sigmoid(x)) over row b: see gendiv::log_likelihood_bernoulli_logits.
/// logits, target: (B × D) ranges; out: B values.
/// @throws gendiv::error when a target lies outside [0, 1] or a container's size disagrees.
template <class Policy, class X, class Tg, class Out, detail::if_policy<Policy> = 0>
void log_likelihood_bernoulli_logits(const Policy& exec, X&& logits, Tg&& target, std::size_t batch,
                                     std::size_t length, Out&& out) {
    constexpr const char* fn = "device::log_likelihood_bernoulli_logits";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<Out>;
    auto x = detail::range_begin(fn, "logits", logits, n);
    auto t = detail::range_begin(fn, "target", target, n);
    auto o = detail::range_begin(fn, "out", out, detail::batch_extent(batch));
    if (!detail::kernel_row_sums<T, gendiv::detail::bernoulli_logits_fn>(
            exec, std::index_sequence<1>{}, batch, length, o, x, t))
        detail::check_unit_interval(exec, fn, "target", t, n.size, batch, length);  // throws
}

template <class X, class Tg, class Out, detail::if_not_policy<X> = 0>
void log_likelihood_bernoulli_logits(X&& logits, Tg&& target, std::size_t batch, std::size_t length,
                                     Out&& out) {
    log_likelihood_bernoulli_logits(detail::system_of(logits, target, out), logits, target, batch,
                                    length, out);
}

/// g = u[b] · (t − σ(x)): see gendiv::log_likelihood_bernoulli_logits_grad. upstream: B values;
/// g: (B × D).
template <class Policy, class X, class Tg, class U, class G, detail::if_policy<Policy> = 0>
void log_likelihood_bernoulli_logits_grad(const Policy& exec, X&& logits, Tg&& target, U&& upstream,
                                          std::size_t batch, std::size_t length, G&& g) {
    constexpr const char* fn = "device::log_likelihood_bernoulli_logits_grad";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<G>;
    auto x = detail::range_begin(fn, "logits", logits, n);
    auto t = detail::range_begin(fn, "target", target, n);
    auto u = detail::range_begin(fn, "upstream", upstream, detail::batch_extent(batch));
    auto o = detail::range_begin(fn, "g", g, n);
    detail::check_unit_interval(exec, fn, "target", t, n.size, batch, length);
    detail::grad_rows<T, detail::scaled_by_upstream<gendiv::detail::bernoulli_logits_grad_fn>>(
        exec, batch, length, u, std::make_tuple(x, t), std::make_tuple(o));
}

template <class X, class Tg, class U, class G, detail::if_not_policy<X> = 0>
void log_likelihood_bernoulli_logits_grad(X&& logits, Tg&& target, U&& upstream, std::size_t batch,
                                          std::size_t length, G&& g) {
    log_likelihood_bernoulli_logits_grad(detail::system_of(logits, target, upstream, g), logits,
                                         target, upstream, batch, length, g);
}

/// out[b] = Σ_d t log μ + (1 − t) log(1 − μ): see gendiv::log_likelihood_bernoulli.
/// mu, target: (B × D) ranges; out: B values.
/// @throws gendiv::error when a probability or target lies outside [0, 1].
template <class Policy, class M, class Tg, class Out, detail::if_policy<Policy> = 0>
void log_likelihood_bernoulli(const Policy& exec, M&& mu, Tg&& target, std::size_t batch,
                              std::size_t length, Out&& out) {
    constexpr const char* fn = "device::log_likelihood_bernoulli";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<Out>;
    auto m = detail::range_begin(fn, "mu", mu, n);
    auto t = detail::range_begin(fn, "target", target, n);
    auto o = detail::range_begin(fn, "out", out, detail::batch_extent(batch));
    if (!detail::kernel_row_sums<T, gendiv::detail::bernoulli_probs_fn>(
            exec, std::index_sequence<0, 1>{}, batch, length, o, m, t)) {
        detail::check_unit_interval(exec, fn, "mu", m, n.size, batch, length);  // one of these throws
        detail::check_unit_interval(exec, fn, "target", t, n.size, batch, length);
    }
}

template <class M, class Tg, class Out, detail::if_not_policy<M> = 0>
void log_likelihood_bernoulli(M&& mu, Tg&& target, std::size_t batch, std::size_t length, Out&& out) {
    log_likelihood_bernoulli(detail::system_of(mu, target, out), mu, target, batch, length, out);
}

/// g = u[b] · (t/μ − (1 − t)/(1 − μ)): see gendiv::log_likelihood_bernoulli_grad.
template <class Policy, class M, class Tg, class U, class G, detail::if_policy<Policy> = 0>
void log_likelihood_bernoulli_grad(const Policy& exec, M&& mu, Tg&& target, U&& upstream,
                                   std::size_t batch, std::size_t length, G&& g) {
    constexpr const char* fn = "device::log_likelihood_bernoulli_grad";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<G>;
    auto m = detail::range_begin(fn, "mu", mu, n);
    auto t = detail::range_begin(fn, "target", target, n);
    auto u = detail::range_begin(fn, "upstream", upstream, detail::batch_extent(batch));
    auto o = detail::range_begin(fn, "g", g, n);
    detail::check_unit_interval(exec, fn, "mu", m, n.size, batch, length);
    detail::check_unit_interval(exec, fn, "target", t, n.size, batch, length);
    detail::grad_rows<T, detail::scaled_by_upstream<gendiv::detail::bernoulli_probs_grad_fn>>(
        exec, batch, length, u, std::make_tuple(m, t), std::make_tuple(o));
}

template <class M, class Tg, class U, class G, detail::if_not_policy<M> = 0>
void log_likelihood_bernoulli_grad(M&& mu, Tg&& target, U&& upstream, std::size_t batch,
                                   std::size_t length, G&& g) {
    log_likelihood_bernoulli_grad(detail::system_of(mu, target, upstream, g), mu, target, upstream,
                                  batch, length, g);
}

/// out[b] = Σ_d log N(z; μ, e^{logvar}): see gendiv::log_likelihood_normal (all three inputs
/// (B × D); broadcast a prior with a constant_iterator).
template <class Policy, class M, class L, class Z, class Out, detail::if_policy<Policy> = 0>
void log_likelihood_normal(const Policy& exec, M&& mu, L&& logvar, Z&& z, std::size_t batch,
                           std::size_t length, Out&& out) {
    constexpr const char* fn = "device::log_likelihood_normal";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<Out>;
    detail::kernel_row_sums<T, gendiv::detail::normal_fn>(
        exec, std::index_sequence<>{}, batch, length,
        detail::range_begin(fn, "out", out, detail::batch_extent(batch)),
        detail::range_begin(fn, "mu", mu, n), detail::range_begin(fn, "logvar", logvar, n),
        detail::range_begin(fn, "z", z, n));
}

template <class M, class L, class Z, class Out, detail::if_not_policy<M> = 0>
void log_likelihood_normal(M&& mu, L&& logvar, Z&& z, std::size_t batch, std::size_t length,
                           Out&& out) {
    log_likelihood_normal(detail::system_of(mu, logvar, z, out), mu, logvar, z, batch, length, out);
}

/// Gradients of log_likelihood_normal, scaled by upstream[b], into three (B × D) ranges.
template <class Policy, class M, class L, class Z, class U, class GM, class GL, class GZ,
          detail::if_policy<Policy> = 0>
void log_likelihood_normal_grad(const Policy& exec, M&& mu, L&& logvar, Z&& z, U&& upstream,
                                std::size_t batch, std::size_t length, GM&& g_mu, GL&& g_logvar,
                                GZ&& g_z) {
    constexpr const char* fn = "device::log_likelihood_normal_grad";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<GM>;
    detail::grad_rows<T, gendiv::detail::normal_grad_fn>(
        exec, batch, length, detail::range_begin(fn, "upstream", upstream, detail::batch_extent(batch)),
        std::make_tuple(detail::range_begin(fn, "mu", mu, n), detail::range_begin(fn, "logvar", logvar, n),
                        detail::range_begin(fn, "z", z, n)),
        std::make_tuple(detail::range_begin(fn, "g_mu", g_mu, n),
                        detail::range_begin(fn, "g_logvar", g_logvar, n),
                        detail::range_begin(fn, "g_z", g_z, n)));
}

template <class M, class L, class Z, class U, class GM, class GL, class GZ,
          detail::if_not_policy<M> = 0>
void log_likelihood_normal_grad(M&& mu, L&& logvar, Z&& z, U&& upstream, std::size_t batch,
                                std::size_t length, GM&& g_mu, GL&& g_logvar, GZ&& g_z) {
    log_likelihood_normal_grad(detail::system_of(mu, logvar, z, upstream, g_mu), mu, logvar, z,
                               upstream, batch, length, g_mu, g_logvar, g_z);
}

}  // namespace gendiv::device

GENDIV_DIAGNOSTICS_POP

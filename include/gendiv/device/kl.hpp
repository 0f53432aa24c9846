// gendiv/device/kl.hpp: the Gaussian KL divergences of kl.hpp over Thrust ranges, analytic and
// Monte Carlo, with gradients, calling the host path's kernels (detail/kernels.hpp).
// Arguments, policies and containers: device/arguments.hpp. Shapes and accumulation:
// docs/device.md.
#pragma once

#include <cstddef>

#include "gendiv/detail/config.hpp"
#include "gendiv/device/rows.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device {
namespace detail {

/// One Monte Carlo term of the virtual (B × S·D) matrix whose row b holds sample s, coordinate d
/// at column s·D + d: kl_normal_mc_fn(mq[b,d], lq[b,d], mp[b,d], lp[b,d], eps[s,b,d]).
template <class T, class MQ, class LQ, class MP, class LP, class E>
struct kl_mc_term {
    MQ mq;
    LQ lq;
    MP mp;
    LP lp;
    E eps;
    std::size_t batch, length, samples;
    GENDIV_HD T operator()(std::size_t i) const {
        const std::size_t row = length * samples;
        const std::size_t b = i / row, r = i - b * row, s = r / length, d = r - s * length;
        const std::size_t p = b * length + d;
        return gendiv::detail::kl_normal_mc_fn{}(
            static_cast<T>(mq[p]), static_cast<T>(lq[p]), static_cast<T>(mp[p]),
            static_cast<T>(lp[p]), static_cast<T>(eps[(s * batch + b) * length + d]));
    }
};

/// Coordinate i = b·D + d of the pathwise Monte Carlo KL gradient: Σ_s kl_normal_mc_grad_fn
/// with upstream u[b]/S, summed in T in sample order (as the host path does).
template <class T, class MQ, class LQ, class MP, class LP, class E, class U, class G0, class G1,
          class G2, class G3>
struct kl_mc_grad_coord {
    MQ mq;
    LQ lq;
    MP mp;
    LP lp;
    E eps;
    U up;
    G0 g0;
    G1 g1;
    G2 g2;
    G3 g3;
    std::size_t batch, length, samples;
    GENDIV_HD void operator()(std::size_t i) const {
        const std::size_t b = i / length;
        const T inv_s = T(1) / static_cast<T>(samples);
        const T ub = static_cast<T>(up[b]) * inv_s;
        const T m_q = static_cast<T>(mq[i]), l_q = static_cast<T>(lq[i]), m_p = static_cast<T>(mp[i]),
                l_p = static_cast<T>(lp[i]);
        T s0(0), s1(0), s2(0), s3(0);
        const std::size_t stride = batch * length;
        for (std::size_t s = 0; s < samples; ++s) {
            T d0, d1, d2, d3;
            gendiv::detail::kl_normal_mc_grad_fn{}(ub, m_q, l_q, m_p, l_p,
                                                   static_cast<T>(eps[s * stride + i]), d0, d1, d2, d3);
            s0 += d0;
            s1 += d1;
            s2 += d2;
            s3 += d3;
        }
        g0[i] = s0;
        g1[i] = s1;
        g2[i] = s2;
        g3[i] = s3;
    }
};

inline void check_num_samples(const char* function, std::size_t num_samples) {
    if (num_samples == 0)
        gendiv::detail::fail(function, "argument 'num_samples' is 0; at least one sample is needed");
}

}  // namespace detail

/// out[b] = KL(N(mq, e^{lq}) ‖ N(mp, e^{lp})) summed over row b: see
/// gendiv::kl_gaussian_gaussian_analytic. All four inputs are (B × D) ranges (a standard-normal
/// prior is a pair of thrust::constant_iterator<T>(0)); out holds B values.
template <class Policy, class MQ, class LQ, class MP, class LP, class Out,
          detail::if_policy<Policy> = 0>
void kl_gaussian_gaussian_analytic(const Policy& exec, MQ&& mu_q, LQ&& logvar_q, MP&& mu_p,
                                   LP&& logvar_p, std::size_t batch, std::size_t length, Out&& out) {
    constexpr const char* fn = "device::kl_gaussian_gaussian_analytic";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<Out>;
    detail::kernel_row_sums<T, gendiv::detail::kl_normal_fn>(
        exec, std::index_sequence<>{}, batch, length,
        detail::range_begin(fn, "out", out, detail::batch_extent(batch)),
        detail::range_begin(fn, "mu_q", mu_q, n), detail::range_begin(fn, "logvar_q", logvar_q, n),
        detail::range_begin(fn, "mu_p", mu_p, n), detail::range_begin(fn, "logvar_p", logvar_p, n));
}

template <class MQ, class LQ, class MP, class LP, class Out, detail::if_not_policy<MQ> = 0>
void kl_gaussian_gaussian_analytic(MQ&& mu_q, LQ&& logvar_q, MP&& mu_p, LP&& logvar_p,
                                   std::size_t batch, std::size_t length, Out&& out) {
    kl_gaussian_gaussian_analytic(detail::system_of(mu_q, logvar_q, mu_p, logvar_p, out), mu_q,
                                  logvar_q, mu_p, logvar_p, batch, length, out);
}

/// Gradients of kl_gaussian_gaussian_analytic, scaled by upstream[b], into four (B × D) ranges.
template <class Policy, class MQ, class LQ, class MP, class LP, class U, class G0, class G1,
          class G2, class G3, detail::if_policy<Policy> = 0>
void kl_gaussian_gaussian_analytic_grad(const Policy& exec, MQ&& mu_q, LQ&& logvar_q, MP&& mu_p,
                                        LP&& logvar_p, U&& upstream, std::size_t batch,
                                        std::size_t length, G0&& g_mu_q, G1&& g_logvar_q,
                                        G2&& g_mu_p, G3&& g_logvar_p) {
    constexpr const char* fn = "device::kl_gaussian_gaussian_analytic_grad";
    const auto n = detail::rows_extent(fn, batch, length);
    using T = detail::value_of_t<G0>;
    detail::grad_rows<T, gendiv::detail::kl_normal_grad_fn>(
        exec, batch, length, detail::range_begin(fn, "upstream", upstream, detail::batch_extent(batch)),
        std::make_tuple(detail::range_begin(fn, "mu_q", mu_q, n),
                        detail::range_begin(fn, "logvar_q", logvar_q, n),
                        detail::range_begin(fn, "mu_p", mu_p, n),
                        detail::range_begin(fn, "logvar_p", logvar_p, n)),
        std::make_tuple(detail::range_begin(fn, "g_mu_q", g_mu_q, n),
                        detail::range_begin(fn, "g_logvar_q", g_logvar_q, n),
                        detail::range_begin(fn, "g_mu_p", g_mu_p, n),
                        detail::range_begin(fn, "g_logvar_p", g_logvar_p, n)));
}

template <class MQ, class LQ, class MP, class LP, class U, class G0, class G1, class G2, class G3,
          detail::if_not_policy<MQ> = 0>
void kl_gaussian_gaussian_analytic_grad(MQ&& mu_q, LQ&& logvar_q, MP&& mu_p, LP&& logvar_p,
                                        U&& upstream, std::size_t batch, std::size_t length,
                                        G0&& g_mu_q, G1&& g_logvar_q, G2&& g_mu_p,
                                        G3&& g_logvar_p) {
    kl_gaussian_gaussian_analytic_grad(
        detail::system_of(mu_q, logvar_q, mu_p, logvar_p, upstream, g_mu_q), mu_q, logvar_q, mu_p,
        logvar_p, upstream, batch, length, g_mu_q, g_logvar_q, g_mu_p, g_logvar_p);
}

/// Monte Carlo KL(q‖p) with given standard-normal noise: see gendiv::kl_gaussian_gaussian_mc.
/// out[b] = (1/S) Σ_s Σ_d [log q(z_sbd) - log p(z_sbd)], z = mq + e^{lq/2} eps.
/// @param mu_q, logvar_q, mu_p, logvar_p (B × D) ranges; @param eps an (S × B × D) range
/// (sample-major, as the host path's eps of shape (S, B, D)); @param out B values.
/// Each row's S·D terms are summed as one row (in double on the host backends, in T by
/// reduce_by_key under CUDA), then divided by S.
/// @throws gendiv::error when num_samples is 0 or a container's size disagrees.
template <class Policy, class MQ, class LQ, class MP, class LP, class E, class Out,
          detail::if_policy<Policy> = 0>
void kl_gaussian_gaussian_mc(const Policy& exec, MQ&& mu_q, LQ&& logvar_q, MP&& mu_p,
                             LP&& logvar_p, E&& eps, std::size_t num_samples, std::size_t batch,
                             std::size_t length, Out&& out) {
    constexpr const char* fn = "device::kl_gaussian_gaussian_mc";
    detail::check_num_samples(fn, num_samples);
    const auto n = detail::rows_extent(fn, batch, length);
    const detail::extent ne{detail::checked_product(fn, num_samples, n.size),
                            "num_samples·batch·length", num_samples, batch, length, 3};
    using T = detail::value_of_t<Out>;
    auto mq = detail::range_begin(fn, "mu_q", mu_q, n);
    auto lq = detail::range_begin(fn, "logvar_q", logvar_q, n);
    auto mp = detail::range_begin(fn, "mu_p", mu_p, n);
    auto lp = detail::range_begin(fn, "logvar_p", logvar_p, n);
    auto ep = detail::range_begin(fn, "eps", eps, ne);
    auto o = detail::range_begin(fn, "out", out, detail::batch_extent(batch));
    detail::kl_mc_term<T, decltype(mq), decltype(lq), decltype(mp), decltype(lp), decltype(ep)> term{
        mq, lq, mp, lp, ep, batch, length, num_samples};
    auto v = thrust::make_transform_iterator(thrust::counting_iterator<std::size_t>(0), term);
    detail::row_sums(exec, v, batch, length * num_samples,
                     thrust::make_transform_output_iterator(
                         o, detail::divide_by<T>{static_cast<T>(num_samples)}));
}

template <class MQ, class LQ, class MP, class LP, class E, class Out, detail::if_not_policy<MQ> = 0>
void kl_gaussian_gaussian_mc(MQ&& mu_q, LQ&& logvar_q, MP&& mu_p, LP&& logvar_p, E&& eps,
                             std::size_t num_samples, std::size_t batch, std::size_t length,
                             Out&& out) {
    kl_gaussian_gaussian_mc(detail::system_of(mu_q, logvar_q, mu_p, logvar_p, eps, out), mu_q,
                            logvar_q, mu_p, logvar_p, eps, num_samples, batch, length, out);
}

/// Pathwise gradient of kl_gaussian_gaussian_mc for the given eps, scaled by upstream[b] and
/// averaged over the S samples (see gendiv::kl_gaussian_gaussian_mc_grad), into four (B × D)
/// ranges. Each coordinate sums its S terms in T, in sample order, as the host path does.
template <class Policy, class MQ, class LQ, class MP, class LP, class E, class U, class G0,
          class G1, class G2, class G3, detail::if_policy<Policy> = 0>
void kl_gaussian_gaussian_mc_grad(const Policy& exec, MQ&& mu_q, LQ&& logvar_q, MP&& mu_p,
                                  LP&& logvar_p, E&& eps, U&& upstream, std::size_t num_samples,
                                  std::size_t batch, std::size_t length, G0&& g_mu_q,
                                  G1&& g_logvar_q, G2&& g_mu_p, G3&& g_logvar_p) {
    constexpr const char* fn = "device::kl_gaussian_gaussian_mc_grad";
    detail::check_num_samples(fn, num_samples);
    const auto n = detail::rows_extent(fn, batch, length);
    const detail::extent ne{detail::checked_product(fn, num_samples, n.size),
                            "num_samples·batch·length", num_samples, batch, length, 3};
    using T = detail::value_of_t<G0>;
    auto mq = detail::range_begin(fn, "mu_q", mu_q, n);
    auto lq = detail::range_begin(fn, "logvar_q", logvar_q, n);
    auto mp = detail::range_begin(fn, "mu_p", mu_p, n);
    auto lp = detail::range_begin(fn, "logvar_p", logvar_p, n);
    auto ep = detail::range_begin(fn, "eps", eps, ne);
    auto up = detail::range_begin(fn, "upstream", upstream, detail::batch_extent(batch));
    auto g0 = detail::range_begin(fn, "g_mu_q", g_mu_q, n);
    auto g1 = detail::range_begin(fn, "g_logvar_q", g_logvar_q, n);
    auto g2 = detail::range_begin(fn, "g_mu_p", g_mu_p, n);
    auto g3 = detail::range_begin(fn, "g_logvar_p", g_logvar_p, n);
    detail::kl_mc_grad_coord<T, decltype(mq), decltype(lq), decltype(mp), decltype(lp),
                             decltype(ep), decltype(up), decltype(g0), decltype(g1), decltype(g2),
                             decltype(g3)>
        coord{mq, lq, mp, lp, ep, up, g0, g1, g2, g3, batch, length, num_samples};
    thrust::for_each(exec, thrust::counting_iterator<std::size_t>(0),
                     thrust::counting_iterator<std::size_t>(n.size), coord);
}

template <class MQ, class LQ, class MP, class LP, class E, class U, class G0, class G1, class G2,
          class G3, detail::if_not_policy<MQ> = 0>
void kl_gaussian_gaussian_mc_grad(MQ&& mu_q, LQ&& logvar_q, MP&& mu_p, LP&& logvar_p, E&& eps,
                                  U&& upstream, std::size_t num_samples, std::size_t batch,
                                  std::size_t length, G0&& g_mu_q, G1&& g_logvar_q, G2&& g_mu_p,
                                  G3&& g_logvar_p) {
    kl_gaussian_gaussian_mc_grad(
        detail::system_of(mu_q, logvar_q, mu_p, logvar_p, eps, upstream, g_mu_q), mu_q, logvar_q,
        mu_p, logvar_p, eps, upstream, num_samples, batch, length, g_mu_q, g_logvar_q, g_mu_p,
        g_logvar_p);
}

}  // namespace gendiv::device

GENDIV_DIAGNOSTICS_POP

// gendiv/kl.hpp: KL(q‖p) between diagonal Gaussians, analytic and Monte Carlo, with gradients.
//
// For q = N(mu_q, diag e^{lv_q}) and p = N(mu_p, diag e^{lv_p}), per coordinate
//   KL = ½ [ lv_p - lv_q + e^{lv_q - lv_p} - 1 + (mu_q - mu_p)² e^{-lv_p} ]
// (Kingma and Welling 2014, appendix B, for p = N(0, I); the general case follows from
// E_q[(z - mu_p)²] = e^{lv_q} + (mu_q - mu_p)², docs/math.md §5). gendiv evaluates
// e^δ - 1 - δ (δ = lv_q - lv_p) without cancellation and scales the mean term by e^{-lv_p/2}
// before squaring: KL(q‖q) = 0 exactly, and log-variances anywhere in [-80, 80] give finite
// values in double. The seed's formula
// drops the e^{-lv_p} on the mean term and mixes up log var and log var². Derivations:
// docs/math.md, sections 5 (analytic) and 6 (Monte Carlo).
//
// The Monte Carlo estimator averages log q(z) - log p(z) over reparameterized samples
// z = mu_q + e^{lv_q/2} eps, eps ~ N(0, I); its gradient is the pathwise one for fixed eps.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// Gradient of a Gaussian KL; each member has its argument's shape (a broadcast parameter's
/// gradient is summed over the axes it was broadcast along).
template <class T>
struct kl_gaussian_gradient {
    xt::xarray<T> mu_q, logvar_q, mu_p, logvar_p;
};

namespace detail {

/// The four parameters of a Gaussian KL as flat buffers of mu_q's shape.
template <class T>
struct kl_args {
    flat<T> mq, lq, mp, lp;
    rows r;
};

template <class T, class EMQ, class ELQ, class EMP, class ELP>
kl_args<T> make_kl_args(const char* fn, const xt::xexpression<EMQ>& mu_q,
                        const xt::xexpression<ELQ>& logvar_q, const xt::xexpression<EMP>& mu_p,
                        const xt::xexpression<ELP>& logvar_p) {
    check_min_dim(fn, "mu_q", mu_q.derived_cast(), 1);
    check_same_shape(fn, "mu_q", mu_q.derived_cast(), "logvar_q", logvar_q.derived_cast());
    flat<T> mq(mu_q);
    flat<T> lq(logvar_q);
    flat<T> mp = flat_broadcast<T>(fn, "mu_p", "mu_q", mu_p, mq.shape());
    flat<T> lp = flat_broadcast<T>(fn, "logvar_p", "mu_q", logvar_p, mq.shape());
    const rows r = batch_rows(mq.shape());
    return {std::move(mq), std::move(lq), std::move(mp), std::move(lp), r};
}

template <class T, class EMQ, class ELQ, class EMP, class ELP, class U>
kl_gaussian_gradient<T> kl_analytic_grad_impl(const xt::xexpression<EMQ>& mu_q,
                                              const xt::xexpression<ELQ>& logvar_q,
                                              const xt::xexpression<EMP>& mu_p,
                                              const xt::xexpression<ELP>& logvar_p,
                                              const xt::xexpression<U>* upstream) {
    constexpr const char* fn = "kl_gaussian_gaussian_analytic_grad";
    auto a = make_kl_args<T>(fn, mu_q, logvar_q, mu_p, logvar_p);
    const auto u = upstream_or_ones<T>(fn, upstream, a.r.batch);
    const auto& shape = a.mq.shape();
    auto g_mq = empty_like_shape<T>(shape), g_lq = empty_like_shape<T>(shape),
         g_mp = empty_like_shape<T>(shape), g_lp = empty_like_shape<T>(shape);
    const T *mq = a.mq.data(), *lq = a.lq.data(), *mp = a.mp.data(), *lp = a.lp.data(),
            *up = u.data();
    T *o_mq = g_mq.data(), *o_lq = g_lq.data(), *o_mp = g_mp.data(), *o_lp = g_lp.data();
    rows_for<T>(a.r.batch, a.r.length, [&](std::size_t b, std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        V d_mq, d_lq, d_mp, d_lp;
        kl_normal_grad_fn{}(V(up[b]), load<V>(mq + i), load<V>(lq + i), load<V>(mp + i),
                            load<V>(lp + i), d_mq, d_lq, d_mp, d_lp);
        store(o_mq + i, d_mq);
        store(o_lq + i, d_lq);
        store(o_mp + i, d_mp);
        store(o_lp + i, d_lp);
    });
    return {std::move(g_mq), std::move(g_lq),
            unbroadcast(std::move(g_mp), mu_p.derived_cast().shape()),
            unbroadcast(std::move(g_lp), logvar_p.derived_cast().shape())};
}

/// Checks that eps has shape (S, <shape of mu_q>) with S ≥ 1 and returns S.
template <class T>
std::size_t check_eps(const char* fn, const flat<T>& eps, const std::vector<std::size_t>& shape) {
    const auto& es = eps.shape();
    bool ok = es.size() == shape.size() + 1;
    for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = es[i + 1] == shape[i];
    if (!ok)
        fail(fn, "argument 'eps' has shape ", shape_string(es), " but must have shape (num_samples, ",
             shape.size() == 1 ? std::to_string(shape[0]) + ")" : shape_string(shape).substr(1));
    if (es[0] == 0) fail(fn, "argument 'eps' has shape ", shape_string(es), ": num_samples is 0");
    return es[0];
}

template <class T, class EMQ, class ELQ, class EMP, class ELP, class EE>
xt::xtensor<T, 1> kl_mc_impl(const xt::xexpression<EMQ>& mu_q, const xt::xexpression<ELQ>& logvar_q,
                             const xt::xexpression<EMP>& mu_p, const xt::xexpression<ELP>& logvar_p,
                             const xt::xexpression<EE>& eps_expr) {
    constexpr const char* fn = "kl_gaussian_gaussian_mc";
    auto a = make_kl_args<T>(fn, mu_q, logvar_q, mu_p, logvar_p);
    flat<T> eps(eps_expr);
    const std::size_t S = check_eps(fn, eps, a.mq.shape());
    const std::size_t B = a.r.batch, D = a.r.length;
    xt::xtensor<T, 1> out = xt::zeros<T>({B});
    const T *mq = a.mq.data(), *lq = a.lq.data(), *mp = a.mp.data(), *lp = a.lp.data(),
            *ep = eps.data();
    T* op = out.data();
    parallel_for(static_cast<long>(B), static_cast<long>(S * B * D) >= parallel_threshold, [&](long bb) {
        const std::size_t off = static_cast<std::size_t>(bb) * D;
        double acc = 0;
        for (std::size_t s = 0; s < S; ++s) {
            const T* es = ep + s * B * D + off;
            acc += simd_sum<T>(D, [&](std::size_t i, auto tag) {
                using V = typename decltype(tag)::type;
                return kl_normal_mc_fn{}(load<V>(mq + off + i), load<V>(lq + off + i),
                                         load<V>(mp + off + i), load<V>(lp + off + i),
                                         load<V>(es + i));
            });
        }
        op[bb] = static_cast<T>(acc / static_cast<double>(S));
    });
    return out;
}

template <class T, class EMQ, class ELQ, class EMP, class ELP, class EE, class U>
kl_gaussian_gradient<T> kl_mc_grad_impl(const xt::xexpression<EMQ>& mu_q,
                                        const xt::xexpression<ELQ>& logvar_q,
                                        const xt::xexpression<EMP>& mu_p,
                                        const xt::xexpression<ELP>& logvar_p,
                                        const xt::xexpression<EE>& eps_expr,
                                        const xt::xexpression<U>* upstream) {
    constexpr const char* fn = "kl_gaussian_gaussian_mc_grad";
    auto a = make_kl_args<T>(fn, mu_q, logvar_q, mu_p, logvar_p);
    flat<T> eps(eps_expr);
    const std::size_t S = check_eps(fn, eps, a.mq.shape());
    const std::size_t B = a.r.batch, D = a.r.length;
    const auto u = upstream_or_ones<T>(fn, upstream, B);
    const auto& shape = a.mq.shape();
    auto g_mq = empty_like_shape<T>(shape), g_lq = empty_like_shape<T>(shape),
         g_mp = empty_like_shape<T>(shape), g_lp = empty_like_shape<T>(shape);
    const T *mq = a.mq.data(), *lq = a.lq.data(), *mp = a.mp.data(), *lp = a.lp.data(),
            *ep = eps.data(), *up = u.data();
    T *o_mq = g_mq.data(), *o_lq = g_lq.data(), *o_mp = g_mp.data(), *o_lp = g_lp.data();
    const T inv_s = T(1) / static_cast<T>(S);
    rows_for<T>(B, D, [&](std::size_t b, std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        const V m_q = load<V>(mq + i), l_q = load<V>(lq + i), m_p = load<V>(mp + i),
                l_p = load<V>(lp + i), ub = V(up[b] * inv_s);
        V s_mq(T(0)), s_lq(T(0)), s_mp(T(0)), s_lp(T(0));
        for (std::size_t s = 0; s < S; ++s) {
            V d_mq, d_lq, d_mp, d_lp;
            kl_normal_mc_grad_fn{}(ub, m_q, l_q, m_p, l_p, load<V>(ep + s * B * D + i), d_mq, d_lq,
                                   d_mp, d_lp);
            s_mq += d_mq;
            s_lq += d_lq;
            s_mp += d_mp;
            s_lp += d_lp;
        }
        store(o_mq + i, s_mq);
        store(o_lq + i, s_lq);
        store(o_mp + i, s_mp);
        store(o_lp + i, s_lp);
    });
    return {std::move(g_mq), std::move(g_lq),
            unbroadcast(std::move(g_mp), mu_p.derived_cast().shape()),
            unbroadcast(std::move(g_lp), logvar_p.derived_cast().shape())};
}

/// kl_normal_fn for batches with both exponentials on exp's fast path and no range test, for
/// |lp| < kl_fast_lp_bound (kl_analytic_rows checks): 1416 for double, where e^{-lp/2} then has
/// its argument inside (-708, 708) and ½φ(δ) keeps e^δ's argument in [-700, 708] itself; 174 for
/// float, inside (-87.3, 88.7) with ½φ's [-87, 88]. exp's range test guards an out-of-line call,
/// and around that call g++ 12 kept the loop's constants and accumulators in stack memory.
/// Batches on AVX-512 (half_phi_table) take ½φ(δ) from half_expm1_minus_x_table16, which also
/// needs |δ| < half_phi_table_bound (700 for double, 87 for float; checked too) and is then the
/// term's only formula: KL over 10^7 values, 2 threads, double 15.6 -> 12.5 ms, float 0.83 of
/// the time. Scalars (the row tails) take plain exp.
struct kl_normal_fast_fn {
    template <class V>
    GENDIV_ALWAYS_INLINE V operator()(const V& mq, const V& lq, const V& mp, const V& lp) const {
#if !defined(__CUDACC__)  // nvcc's translation units have no batches (simd_enabled)
        if constexpr (half_phi_table<V>) {
            const V w = select(mq == mp, V(0), (mq - mp) * exp_fast_range(V(-0.5) * lp));
            return fma(V(0.5) * w, w, half_expm1_minus_x_table16(lq - lp));
        } else if constexpr (!std::is_arithmetic_v<V>)
            return kl_normal_fn{}(mq, lq, mp, lp, [](const V& a) { return exp_fast_range(a); });
        else
#endif
            return kl_normal_fn{}(mq, lq, mp, lp);
    }
};

/// The bound on |lp| below which kl_normal_fast_fn's exponentials stay in exp's fast range.
template <class T>
inline constexpr T kl_fast_lp_bound = sizeof(T) == sizeof(float) ? T(174) : T(1416);

/// out[b] = Σ_j kl_normal_fn(row b, coordinate j) over (rows × n) row-major arrays. Rows go
/// through kl_normal_fast_fn while every |lp| < kl_fast_lp_bound, and where its batches take
/// half_expm1_minus_x_table16 every |lq - lp| < half_phi_table_bound (the check rides along in
/// the same pass); when some value is outside, infinite or NaN, every row is computed again with
/// kl_normal_fn, whose exp handles the whole range. (Float took this path too from 2026-12-02,
/// when its batches got exp_table16: 10^7 floats on 2 threads, see docs/benchmarks.md.) Rows of
/// at most detail::short_row values go through a buffer (rows_sum_buffered): one harness, 2
/// threads, (100000, 100) floats 0.87 and doubles 0.90 of the row-by-row time, (64, 100) floats
/// 0.77.
template <class T>
inline void kl_analytic_rows(std::size_t rows, std::size_t n, const T* mq, const T* lq,
                             const T* mp, const T* lp, T* out) {
    const auto exact = [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        return kl_normal_fn{}(load<V>(mq + i), load<V>(lq + i), load<V>(mp + i), load<V>(lp + i));
    };
    if constexpr (!simd_enabled) {  // nothing to gain
        rows_sum<T>(rows, n, out, exact);
        return;
    }
    const bool fast = rows_sum_checked_flat<T>(
        rows, n, out,
        [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            return kl_normal_fast_fn{}(load<V>(mq + i), load<V>(lq + i), load<V>(mp + i),
                                       load<V>(lp + i));
        },
        [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            const V p = load<V>(lp + i);
            const auto lp_ok = fabs(p) < V(kl_fast_lp_bound<T>);
#if !defined(__CUDACC__)
            if constexpr (half_phi_table<V>)
                return both(lp_ok, fabs(load<V>(lq + i) - p) < V(half_phi_table_bound<T>));
            else
#endif
                return lp_ok;
        });
    if (!fast) rows_sum_flat<T>(rows, n, out, exact);
}

}  // namespace detail

/// Analytic KL(q‖p) between diagonal Gaussians, summed over non-batch axes:
/// @f$ \tfrac12\sum_j [\varphi(lq_j - lp_j) + (mq_j - mp_j)^2 e^{-lp_j}] @f$ with
/// @f$ \varphi(\delta) = e^\delta - 1 - \delta @f$.
/// @param mu_q, logvar_q shape (B, ...); @param mu_p, logvar_p broadcast to that shape.
/// @returns shape (B,); exactly 0 where q = p.
template <class EMQ, class ELQ, class EMP, class ELP>
auto kl_gaussian_gaussian_analytic(const xt::xexpression<EMQ>& mu_q,
                                   const xt::xexpression<ELQ>& logvar_q,
                                   const xt::xexpression<EMP>& mu_p,
                                   const xt::xexpression<ELP>& logvar_p) {
    using T = typename detail::value_type_for<EMQ, ELQ, EMP, ELP>::type;
    auto a = detail::make_kl_args<T>("kl_gaussian_gaussian_analytic", mu_q, logvar_q, mu_p, logvar_p);
    xt::xtensor<T, 1> out = xt::xtensor<T, 1>::from_shape({a.r.batch});
    detail::kl_analytic_rows<T>(a.r.batch, a.r.length, a.mq.data(), a.lq.data(), a.mp.data(),
                                a.lp.data(), out.data());
    return out;
}

/// Gradient of kl_gaussian_gaussian_analytic, with @f$ w = (mq - mp)e^{-lp/2} @f$:
/// @f$ \partial_{mq} = u\,w e^{-lp/2} = -\partial_{mp},\ \partial_{lq} = \tfrac u2\,\mathrm{expm1}(lq - lp),
/// \ \partial_{lp} = -\tfrac u2[\mathrm{expm1}(lq - lp) + w^2] @f$.
template <class EMQ, class ELQ, class EMP, class ELP>
auto kl_gaussian_gaussian_analytic_grad(const xt::xexpression<EMQ>& mu_q,
                                        const xt::xexpression<ELQ>& logvar_q,
                                        const xt::xexpression<EMP>& mu_p,
                                        const xt::xexpression<ELP>& logvar_p) {
    using T = typename detail::value_type_for<EMQ, ELQ, EMP, ELP>::type;
    return detail::kl_analytic_grad_impl<T, EMQ, ELQ, EMP, ELP, EMQ>(mu_q, logvar_q, mu_p, logvar_p,
                                                                    nullptr);
}

template <class EMQ, class ELQ, class EMP, class ELP, class U>
auto kl_gaussian_gaussian_analytic_grad(const xt::xexpression<EMQ>& mu_q,
                                        const xt::xexpression<ELQ>& logvar_q,
                                        const xt::xexpression<EMP>& mu_p,
                                        const xt::xexpression<ELP>& logvar_p,
                                        const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<EMQ, ELQ, EMP, ELP>::type;
    return detail::kl_analytic_grad_impl<T>(mu_q, logvar_q, mu_p, logvar_p, &upstream);
}

/// Monte Carlo KL(q‖p) with given standard-normal noise eps of shape (S, B, ...):
/// @f$ \frac1S\sum_s\sum_j [\log q(z_{sj}) - \log p(z_{sj})] @f$, z = mu_q + e^{lv_q/2} eps.
/// Reproducible and differentiable (see kl_gaussian_gaussian_mc_grad).
template <class EMQ, class ELQ, class EMP, class ELP, class EE>
auto kl_gaussian_gaussian_mc(const xt::xexpression<EMQ>& mu_q, const xt::xexpression<ELQ>& logvar_q,
                             const xt::xexpression<EMP>& mu_p, const xt::xexpression<ELP>& logvar_p,
                             const xt::xexpression<EE>& eps) {
    using T = typename detail::value_type_for<EMQ, ELQ, EMP, ELP>::type;
    return detail::kl_mc_impl<T>(mu_q, logvar_q, mu_p, logvar_p, eps);
}

/// Monte Carlo KL(q‖p) from `num_samples` reparameterized samples drawn with `rng` (any
/// standard uniform random bit generator; std::normal_distribution turns it into N(0, 1)).
/// @throws gendiv::error when num_samples is 0.
template <class EMQ, class ELQ, class EMP, class ELP, class URBG,
          class = std::enable_if_t<!xt::is_xexpression<std::decay_t<URBG>>::value>>
auto kl_gaussian_gaussian_mc(const xt::xexpression<EMQ>& mu_q, const xt::xexpression<ELQ>& logvar_q,
                             const xt::xexpression<EMP>& mu_p, const xt::xexpression<ELP>& logvar_p,
                             std::size_t num_samples, URBG&& rng) {
    using T = typename detail::value_type_for<EMQ, ELQ, EMP, ELP>::type;
    constexpr const char* fn = "kl_gaussian_gaussian_mc";
    if (num_samples == 0) detail::fail(fn, "argument 'num_samples' is 0; at least one sample is needed");
    detail::check_min_dim(fn, "mu_q", mu_q.derived_cast(), 1);
    std::vector<std::size_t> shape{num_samples};
    for (auto s : mu_q.derived_cast().shape()) shape.push_back(s);
    auto eps = xt::xarray<T>::from_shape(shape);
    std::normal_distribution<T> normal(T(0), T(1));
    for (auto& e : eps) e = normal(rng);
    return detail::kl_mc_impl<T>(mu_q, logvar_q, mu_p, logvar_p, eps);
}

/// Pathwise gradient of kl_gaussian_gaussian_mc for the given eps, with
/// @f$ r = e^{(lq-lp)/2},\ w = (mq-mp)e^{-lp/2} + \epsilon r @f$, averaged over the S samples:
/// @f$ \partial_{mq} = u\,w e^{-lp/2} = -\partial_{mp},\ \partial_{lq} = \tfrac u2(w\epsilon r - 1),
/// \ \partial_{lp} = \tfrac u2(1 - w^2) @f$.
template <class EMQ, class ELQ, class EMP, class ELP, class EE>
auto kl_gaussian_gaussian_mc_grad(const xt::xexpression<EMQ>& mu_q,
                                  const xt::xexpression<ELQ>& logvar_q,
                                  const xt::xexpression<EMP>& mu_p,
                                  const xt::xexpression<ELP>& logvar_p,
                                  const xt::xexpression<EE>& eps) {
    using T = typename detail::value_type_for<EMQ, ELQ, EMP, ELP>::type;
    return detail::kl_mc_grad_impl<T, EMQ, ELQ, EMP, ELP, EE, EE>(mu_q, logvar_q, mu_p, logvar_p,
                                                                 eps, nullptr);
}

template <class EMQ, class ELQ, class EMP, class ELP, class EE, class U>
auto kl_gaussian_gaussian_mc_grad(const xt::xexpression<EMQ>& mu_q,
                                  const xt::xexpression<ELQ>& logvar_q,
                                  const xt::xexpression<EMP>& mu_p,
                                  const xt::xexpression<ELP>& logvar_p,
                                  const xt::xexpression<EE>& eps, const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<EMQ, ELQ, EMP, ELP>::type;
    return detail::kl_mc_grad_impl<T>(mu_q, logvar_q, mu_p, logvar_p, eps, &upstream);
}

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

// gendiv/likelihood.hpp: log-likelihoods of a batch under Bernoulli and diagonal-Gaussian
// observation models, each summed over all non-batch axes (result shape (B,)), with their
// hand-derived gradients. Formulas and derivations: docs/math.md, sections 2–4.
//
//   log_likelihood_bernoulli(mu, t)        = Σ t log mu + (1-t) log(1-mu)        (0 log 0 = 0)
//   log_likelihood_bernoulli_logits(x, t)  = Σ t x - softplus(x)  = -BCEWithLogits(x, t, sum)
//   log_likelihood_normal(mu, logvar, z)   = -½ Σ [log 2π + logvar + (z-mu)² e^{-logvar}]
//
// The seed's written Gaussian formula has σ where σ² belongs (log(2πσ) and a 2σ² under the
// square); its code is right. gendiv follows the density: log N(z; μ, σ²) with σ² = e^{logvar}
// (Bishop, PRML eq. 2.43).
#pragma once

#include <cstddef>
#include <type_traits>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/bernoulli_row.hpp"
#include "gendiv/detail/checks.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// Gradient of log_likelihood_bernoulli (targets are data and get none).
template <class T>
struct bernoulli_gradient {
    xt::xarray<T> mu;
};

/// Gradient of log_likelihood_bernoulli_logits.
template <class T>
struct bernoulli_logits_gradient {
    xt::xarray<T> logits;
};

/// Gradient of log_likelihood_normal; each member has its argument's shape (a broadcast
/// parameter's gradient is summed over the axes it was broadcast along).
template <class T>
struct normal_gradient {
    xt::xarray<T> mu, logvar, z;
};

namespace detail {

inline constexpr const char* target_rule =
    "Bernoulli targets must lie in [0, 1] (binarized data is 0 or 1)";

template <class T, class K, class EA, class ET>
xt::xtensor<T, 1> bernoulli_impl(const char* function, const char* pname,
                                 const xt::xexpression<EA>& param, const xt::xexpression<ET>& target,
                                 bool param_is_probability) {
    check_min_dim(function, pname, param.derived_cast(), 1);
    check_same_shape(function, pname, param.derived_cast(), "target", target.derived_cast());
    flat<T> p(param), t(target);
    const auto r = batch_rows(p.shape());
    xt::xtensor<T, 1> out = xt::xtensor<T, 1>::from_shape({r.batch});
    const T* pp = p.data();
    const T* tp = t.data();
    // The [0, 1] checks run inside the row pass (one read of memory); only when one fails are
    // the arguments scanned again, to name the argument and the index in the error.
    bool ok = true;
    if constexpr (std::is_same_v<K, bernoulli_logits_fn>) {
        // one log1p per chunk of values instead of a softplus per value (bernoulli_row.hpp)
        ok = rows_map_checked<T>(r.batch, r.length, out.data(), [&](std::size_t off, bool& row_ok) {
            return bernoulli_logits_row(pp + off, tp + off, r.length, row_ok);
        });
    } else {
        ok = rows_sum_checked<T>(
            r.batch, r.length, out.data(),
            [&](std::size_t i, auto tag) {
                using V = typename decltype(tag)::type;
                return K{}(load<V>(pp + i), load<V>(tp + i));
            },
            [&](std::size_t i, auto tag) {
                using V = typename decltype(tag)::type;
                const auto t_ok = in_unit_interval_fn{}(load<V>(tp + i));
                return param_is_probability ? both(t_ok, in_unit_interval_fn{}(load<V>(pp + i)))
                                            : t_ok;
            });
    }
    if (!ok) {
        if (param_is_probability)
            check_unit_interval(function, pname, p, "probabilities must lie in [0, 1]");
        check_unit_interval(function, "target", t, target_rule);
    }
    return out;
}

template <class T, class K, class EA, class ET, class U>
xt::xarray<T> bernoulli_grad_impl(const char* function, const char* pname,
                                  const xt::xexpression<EA>& param,
                                  const xt::xexpression<ET>& target,
                                  const xt::xexpression<U>* upstream, bool param_is_probability) {
    check_min_dim(function, pname, param.derived_cast(), 1);
    check_same_shape(function, pname, param.derived_cast(), "target", target.derived_cast());
    flat<T> p(param), t(target);
    if (param_is_probability)
        check_unit_interval(function, pname, p, "probabilities must lie in [0, 1]");
    check_unit_interval(function, "target", t, target_rule);
    const auto r = batch_rows(p.shape());
    const auto u = upstream_or_ones<T>(function, upstream, r.batch);
    auto g = empty_like_shape<T>(p.shape());
    const T *pp = p.data(), *tp = t.data(), *up = u.data();
    T* gp = g.data();
    rows_for<T>(r.batch, r.length, [&](std::size_t b, std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        store(gp + i, V(up[b]) * K{}(load<V>(pp + i), load<V>(tp + i)));
    });
    return g;
}

template <class T, class EM, class EL, class EZ, class U>
normal_gradient<T> normal_grad_impl(const xt::xexpression<EM>& mu, const xt::xexpression<EL>& lv,
                                    const xt::xexpression<EZ>& z,
                                    const xt::xexpression<U>* upstream) {
    constexpr const char* fn = "log_likelihood_normal_grad";
    const auto& ze = z.derived_cast();
    check_min_dim(fn, "z", ze, 1);
    flat<T> zf(z);
    flat<T> mf = flat_broadcast<T>(fn, "mu", "z", mu, zf.shape());
    flat<T> lf = flat_broadcast<T>(fn, "logvar", "z", lv, zf.shape());
    const auto r = batch_rows(zf.shape());
    const auto u = upstream_or_ones<T>(fn, upstream, r.batch);
    auto gm = empty_like_shape<T>(zf.shape());
    auto gl = empty_like_shape<T>(zf.shape());
    auto gz = empty_like_shape<T>(zf.shape());
    const T *mp = mf.data(), *lp = lf.data(), *zp = zf.data(), *up = u.data();
    T *gmp = gm.data(), *glp = gl.data(), *gzp = gz.data();
    rows_for<T>(r.batch, r.length, [&](std::size_t b, std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        V dm, dl, dz;
        normal_grad_fn{}(V(up[b]), load<V>(mp + i), load<V>(lp + i), load<V>(zp + i), dm, dl, dz);
        store(gmp + i, dm);
        store(glp + i, dl);
        store(gzp + i, dz);
    });
    return {unbroadcast(std::move(gm), mu.derived_cast().shape()),
            unbroadcast(std::move(gl), lv.derived_cast().shape()), std::move(gz)};
}

}  // namespace detail

/// Bernoulli log-likelihood from probabilities, summed over non-batch axes:
/// @f$ \sum_j t_j\log\mu_j + (1-t_j)\log(1-\mu_j) @f$, with 0·log 0 = 0. Exact at mu ∈ {0, 1}:
/// 0 where the target agrees, -inf where it does not (no clamp to a finite value).
/// @param mu probabilities in [0, 1], shape (B, ...); @param target same shape, values in [0, 1].
/// @returns shape (B,). @throws gendiv::error on a shape mismatch or a value outside [0, 1].
template <class EM, class ET>
auto log_likelihood_bernoulli(const xt::xexpression<EM>& mu, const xt::xexpression<ET>& target) {
    using T = typename detail::value_type_for<EM, ET>::type;
    return detail::bernoulli_impl<T, detail::bernoulli_probs_fn>("log_likelihood_bernoulli", "mu",
                                                                 mu, target, true);
}

/// Gradient of log_likelihood_bernoulli: @f$ u_b\,[t/\mu - (1-t)/(1-\mu)] @f$ (each term 0 where
/// its weight t or 1-t is 0; ±inf where the value is -inf).
template <class EM, class ET>
auto log_likelihood_bernoulli_grad(const xt::xexpression<EM>& mu, const xt::xexpression<ET>& target) {
    using T = typename detail::value_type_for<EM, ET>::type;
    return bernoulli_gradient<T>{detail::bernoulli_grad_impl<T, detail::bernoulli_probs_grad_fn, EM,
                                                             ET, EM>(
        "log_likelihood_bernoulli_grad", "mu", mu, target, nullptr, true)};
}

template <class EM, class ET, class U>
auto log_likelihood_bernoulli_grad(const xt::xexpression<EM>& mu, const xt::xexpression<ET>& target,
                                   const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<EM, ET>::type;
    return bernoulli_gradient<T>{detail::bernoulli_grad_impl<T, detail::bernoulli_probs_grad_fn>(
        "log_likelihood_bernoulli_grad", "mu", mu, target, &upstream, true)};
}

/// Bernoulli log-likelihood from logits, summed over non-batch axes:
/// @f$ \sum_j t_j x_j - \mathrm{softplus}(x_j) @f$ = minus the summed BCE-with-logits, stable for
/// any |x| (including ±inf, which give the exact limits 0 or -inf).
template <class EX, class ET>
auto log_likelihood_bernoulli_logits(const xt::xexpression<EX>& logits,
                                     const xt::xexpression<ET>& target) {
    using T = typename detail::value_type_for<EX, ET>::type;
    return detail::bernoulli_impl<T, detail::bernoulli_logits_fn>(
        "log_likelihood_bernoulli_logits", "logits", logits, target, false);
}

/// Gradient of log_likelihood_bernoulli_logits: @f$ u_b\,(t - \sigma(x)) @f$, finite for every x.
template <class EX, class ET>
auto log_likelihood_bernoulli_logits_grad(const xt::xexpression<EX>& logits,
                                          const xt::xexpression<ET>& target) {
    using T = typename detail::value_type_for<EX, ET>::type;
    return bernoulli_logits_gradient<T>{
        detail::bernoulli_grad_impl<T, detail::bernoulli_logits_grad_fn, EX, ET, EX>(
            "log_likelihood_bernoulli_logits_grad", "logits", logits, target, nullptr, false)};
}

template <class EX, class ET, class U>
auto log_likelihood_bernoulli_logits_grad(const xt::xexpression<EX>& logits,
                                          const xt::xexpression<ET>& target,
                                          const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<EX, ET>::type;
    return bernoulli_logits_gradient<T>{detail::bernoulli_grad_impl<T, detail::bernoulli_logits_grad_fn>(
        "log_likelihood_bernoulli_logits_grad", "logits", logits, target, &upstream, false)};
}

/// Diagonal-Gaussian log-density of z under N(mu, diag(e^{logvar})), summed over non-batch axes:
/// @f$ -\tfrac12\sum_j[\log 2\pi + lv_j + (z_j-\mu_j)^2 e^{-lv_j}] @f$.
/// @param z shape (B, ...); @param mu, logvar broadcast to z's shape (zeros give N(0, I)).
template <class EM, class EL, class EZ>
auto log_likelihood_normal(const xt::xexpression<EM>& mu, const xt::xexpression<EL>& logvar,
                           const xt::xexpression<EZ>& z) {
    using T = typename detail::value_type_for<EM, EL, EZ>::type;
    constexpr const char* fn = "log_likelihood_normal";
    detail::check_min_dim(fn, "z", z.derived_cast(), 1);
    detail::flat<T> zf(z);
    auto mf = detail::flat_broadcast<T>(fn, "mu", "z", mu, zf.shape());
    auto lf = detail::flat_broadcast<T>(fn, "logvar", "z", logvar, zf.shape());
    const auto r = detail::batch_rows(zf.shape());
    xt::xtensor<T, 1> out = xt::xtensor<T, 1>::from_shape({r.batch});
    const T *mp = mf.data(), *lp = lf.data(), *zp = zf.data();
    const auto term = [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        return detail::normal_fn{}(detail::load<V>(mp + i), detail::load<V>(lp + i),
                                   detail::load<V>(zp + i));
    };
    // Short rows through a buffer where the arguments fit in cache (one thread): (64, 100) floats
    // 4.5 -> 3.5 µs. Beyond, the kernel is memory-bound, and the buffer's pauses cost (100000,
    // 100) doubles up to 1.14 times the row-by-row time (detail/simd.hpp, short_rows_chunk).
    if (r.batch * r.length < static_cast<std::size_t>(detail::parallel_threshold))
        detail::rows_sum_flat<T>(r.batch, r.length, out.data(), term);
    else
        detail::rows_sum<T>(r.batch, r.length, out.data(), term);
    return out;
}

/// Gradient of log_likelihood_normal, with @f$ w = (z-\mu)e^{-lv/2} @f$:
/// @f$ \partial_\mu = u\,w e^{-lv/2} = -\partial_z,\ \partial_{lv} = \tfrac u2 (w^2 - 1) @f$.
template <class EM, class EL, class EZ>
auto log_likelihood_normal_grad(const xt::xexpression<EM>& mu, const xt::xexpression<EL>& logvar,
                                const xt::xexpression<EZ>& z) {
    using T = typename detail::value_type_for<EM, EL, EZ>::type;
    return detail::normal_grad_impl<T, EM, EL, EZ, EZ>(mu, logvar, z, nullptr);
}

template <class EM, class EL, class EZ, class U>
auto log_likelihood_normal_grad(const xt::xexpression<EM>& mu, const xt::xexpression<EL>& logvar,
                                const xt::xexpression<EZ>& z, const xt::xexpression<U>& upstream) {
    using T = typename detail::value_type_for<EM, EL, EZ>::type;
    return detail::normal_grad_impl<T>(mu, logvar, z, &upstream);
}

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

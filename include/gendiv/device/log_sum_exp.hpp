// gendiv/device/log_sum_exp.hpp: log-sum-exp and log-mean-exp of each row of a device range.
//
// One pass over memory: each element becomes a (max, scaled sum) pair and pairs combine as
//   (m1, s1) ⊕ (m2, s2) = (m, s1·e^{m1−m} + s2·e^{m2−m}),  m = max(m1, m2),
// an associative operation that a GPU reduces in one read of the data (the host xtensor path
// reads the row twice, which is faster on a CPU: see log_sum_exp.hpp). The same conventions as
// the host path: all −inf gives −inf, +inf gives +inf, NaN propagates.
#pragma once

#include <cstddef>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/math.hpp"
#include "gendiv/device/rows.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device {
namespace detail {

template <class T>
struct max_sum {
    T m, s;
};

template <class T>
struct to_max_sum {
    template <class X>
    GENDIV_HD max_sum<T> operator()(X x) const {
        return {static_cast<T>(x), T(1)};
    }
};

template <class T>
struct combine_max_sum {
    GENDIV_HD max_sum<T> operator()(const max_sum<T>& a, const max_sum<T>& b) const {
        using gendiv::detail::exp;
        if (a.m != a.m || b.m != b.m) return {gendiv::detail::quiet_nan<T>(), T(1)};
        if (a.m == b.m) return {a.m, a.s + b.s};  // also ±inf with ±inf: no inf − inf
        if (a.m > b.m) return {a.m, a.s + b.s * exp(b.m - a.m)};
        return {b.m, b.s + a.s * exp(a.m - b.m)};
    }
};

/// A row's (max, Σ e^{x - max}) in two sequential passes (host backends).
template <class T, class In>
struct row_max_sum {
    In x;
    std::size_t n;
    GENDIV_HD max_sum<T> operator()(std::size_t r) const {
        using gendiv::detail::exp;
        const std::size_t lo = r * n;
        T m = -gendiv::detail::infinity<T>();
        for (std::size_t i = lo; i < lo + n; ++i) {
            const T v = static_cast<T>(x[i]);
            if (v != v) return {v, T(1)};
            m = v > m ? v : m;
        }
        if (m == gendiv::detail::infinity<T>() || m == -gendiv::detail::infinity<T>()) return {m, T(1)};
        double s = 0;
        for (std::size_t i = lo; i < lo + n; ++i) s += static_cast<double>(exp(static_cast<T>(x[i]) - m));
        return {m, static_cast<T>(s)};
    }
};

/// m + log(s / count): count 1 for log-sum-exp, n for log-mean-exp. As the host's lse_row: a
/// constant row has s = n exactly, so its log-mean-exp is the constant bit for bit (m + (log s -
/// log n) missed it, e.g. a float row of 1579 values of 0.3).
template <class T>
struct finish_lse {
    T count;
    GENDIV_HD T operator()(const max_sum<T>& p) const {
        using gendiv::detail::log;
        if (p.m != p.m) return p.m;
        if (p.m == gendiv::detail::infinity<T>() || p.m == -gendiv::detail::infinity<T>()) return p.m;
        return p.m + log(p.s / count);
    }
};

template <class Policy, class In, class Out>
void lse_rows(const Policy& exec, In x, std::size_t rows, std::size_t n, Out out, bool mean) {
    using T = typename thrust::iterator_traits<Out>::value_type;
    if (mean && n == 0)  // also with no rows, as the host's log_mean_exp of shape (0, 0)
        gendiv::detail::fail("device::log_mean_exp", "argument 'n' is 0 (", rows,
                             " rows of length 0): the mean over empty rows is undefined");
    if (rows == 0) return;
    if (n == 0) {
        thrust::fill_n(exec, out, rows, -gendiv::detail::infinity<T>());
        return;
    }
    auto finish = thrust::make_transform_output_iterator(out, finish_lse<T>{mean ? static_cast<T>(n) : T(1)});
#if !defined(__CUDACC__)
    if constexpr (host_simd_rows<T, In>)
        simd_lse_rows<T>(exec, x, rows, n, out, mean);  // the xtensor path's own row loop
    else
#endif
    if constexpr (segmented_by_key) {
        auto keys = row_keys(n);
        auto pairs = thrust::make_transform_iterator(x, to_max_sum<T>{});
        thrust::reduce_by_key(exec, keys, keys + rows * n, pairs, thrust::make_discard_iterator(),
                              finish, thrust::equal_to<std::size_t>(), combine_max_sum<T>{});
    } else {  // host backends: a task per row, max then the shifted sum (as the xtensor path)
        thrust::transform(exec, thrust::counting_iterator<std::size_t>(0),
                          thrust::counting_iterator<std::size_t>(rows), finish,
                          row_max_sum<T, In>{x, n});
    }
}

}  // namespace detail

/// out[r] = log Σ_i exp(x[r·n + i]) for each of `rows` contiguous rows of length n.
/// x: (rows × n); out: rows values. An empty row (n = 0) gives −inf.
template <class Policy, class In, class Out, detail::if_policy<Policy> = 0>
void log_sum_exp(const Policy& exec, In&& x, std::size_t rows, std::size_t n, Out&& out) {
    constexpr const char* fn = "device::log_sum_exp";
    detail::lse_rows(exec, detail::range_begin(fn, "x", x, detail::rows_extent(fn, rows, n)), rows, n,
                     detail::range_begin(fn, "out", out, detail::batch_extent(rows)), false);
}

template <class In, class Out, detail::if_not_policy<In> = 0>
void log_sum_exp(In&& x, std::size_t rows, std::size_t n, Out&& out) {
    log_sum_exp(detail::system_of(x, out), x, rows, n, out);
}

/// out[r] = log (1/n) Σ_i exp(x[r·n + i]). @throws gendiv::error when n = 0.
template <class Policy, class In, class Out, detail::if_policy<Policy> = 0>
void log_mean_exp(const Policy& exec, In&& x, std::size_t rows, std::size_t n, Out&& out) {
    constexpr const char* fn = "device::log_mean_exp";
    detail::lse_rows(exec, detail::range_begin(fn, "x", x, detail::rows_extent(fn, rows, n)), rows, n,
                     detail::range_begin(fn, "out", out, detail::batch_extent(rows)), true);
}

template <class In, class Out, detail::if_not_policy<In> = 0>
void log_mean_exp(In&& x, std::size_t rows, std::size_t n, Out&& out) {
    log_mean_exp(detail::system_of(x, out), x, rows, n, out);
}

namespace detail {

template <class T>
struct softmax_weight {
    // (x, lse, u) ↦ u·e^{x − lse}, with the host path's conventions at ±inf and NaN.
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        using gendiv::detail::exp;
        const T x = thrust::get<0>(a), l = thrust::get<1>(a), u = thrust::get<2>(a);
        const T k = thrust::get<3>(a);  // number of +inf entries in the row
        if (l != l) return l;
        if (l == -gendiv::detail::infinity<T>()) return T(0);
        if (l == gendiv::detail::infinity<T>()) return x == l ? u / k : T(0);
        return u * exp(x - l);
    }
};

template <class T>
struct is_pos_inf {
    template <class X>
    GENDIV_HD T operator()(X x) const {
        return static_cast<T>(x) == gendiv::detail::infinity<T>() ? T(1) : T(0);
    }
};

template <class T>
struct plus_constant {
    T c;
    template <class X>
    GENDIV_HD T operator()(X x) const {
        return static_cast<T>(x) + c;
    }
};

/// g = u[r]·softmax(row r) from the rows' log-sum-exp values lse[r] (shifted by `shift`), with
/// `count` scratch for the number of +inf entries per row.
template <class Policy, class In, class L, class U, class W, class Out>
void lse_grad_rows(const Policy& exec, In x, L lse, U upstream, std::size_t rows, std::size_t n,
                   W count, Out g) {
    using T = typename thrust::iterator_traits<Out>::value_type;
    if (rows == 0 || n == 0) return;
    row_sums(exec, thrust::make_transform_iterator(x, is_pos_inf<T>{}), rows, n, count);
    auto args = thrust::make_zip_iterator(thrust::make_tuple(
        x, per_element(lse, n), per_element(upstream, n), per_element(count, n)));
    thrust::transform(exec, args, args + rows * n, g, softmax_weight<T>{});
}

}  // namespace detail

/// g[r·n + i] = u[r] · softmax(row r)_i: the gradient of log_sum_exp (see
/// gendiv::log_sum_exp_grad). x: (rows × n); `lse` the rows' log-sum-exp values (from
/// log_sum_exp); `upstream` one weight per row; `workspace` at least `rows` values of scratch
/// (the count of +inf entries per row); g: (rows × n). Without a workspace the call borrows
/// `rows` values of T from the policy's system.
template <class Policy, class In, class L, class U, class W, class Out, detail::if_policy<Policy> = 0>
void log_sum_exp_grad(const Policy& exec, In&& x, L&& lse, U&& upstream, std::size_t rows,
                      std::size_t n, W&& workspace, Out&& g) {
    constexpr const char* fn = "device::log_sum_exp_grad";
    const auto e = detail::rows_extent(fn, rows, n);
    const auto r = detail::batch_extent(rows);
    detail::lse_grad_rows(exec, detail::range_begin(fn, "x", x, e), detail::range_begin(fn, "lse", lse, r),
                          detail::range_begin(fn, "upstream", upstream, r), rows, n,
                          detail::range_begin(fn, "workspace", workspace, r, true),
                          detail::range_begin(fn, "g", g, e));
}

template <class Policy, class In, class L, class U, class Out, detail::if_policy<Policy> = 0>
void log_sum_exp_grad(const Policy& exec, In&& x, L&& lse, U&& upstream, std::size_t rows,
                      std::size_t n, Out&& g) {
    detail::temporary_buffer<detail::value_of_t<Out>, Policy> work(exec, rows);
    log_sum_exp_grad(exec, x, lse, upstream, rows, n, work.begin(), g);
}

template <class In, class L, class U, class W, class Out, detail::if_not_policy<In> = 0>
void log_sum_exp_grad(In&& x, L&& lse, U&& upstream, std::size_t rows, std::size_t n,
                      W&& workspace, Out&& g) {
    log_sum_exp_grad(detail::system_of(x, lse, upstream, g), x, lse, upstream, rows, n, workspace, g);
}

template <class In, class L, class U, class Out, detail::if_not_policy<In> = 0>
void log_sum_exp_grad(In&& x, L&& lse, U&& upstream, std::size_t rows, std::size_t n, Out&& g) {
    log_sum_exp_grad(detail::system_of(x, lse, upstream, g), x, lse, upstream, rows, n, g);
}

/// g[r·n + i] = u[r] · softmax(row r)_i: the gradient of log_mean_exp (the −log n is a
/// constant), from the rows' log-mean-exp values `lme` (from log_mean_exp): the softmax is
/// e^{x − lme − log n}. Arguments as log_sum_exp_grad. @throws gendiv::error when n = 0.
namespace detail {
/// log_mean_exp_grad's body, its errors naming `fn`, `x_name` and `lme_name` (iwae_bound_grad
/// passes its own: log_weights and bound).
template <class Policy, class In, class L, class U, class W, class Out>
void lme_grad(const Policy& exec, const char* fn, const char* x_name, const char* lme_name, In&& x,
              L&& lme, U&& upstream, std::size_t rows, std::size_t n, W&& workspace, Out&& g) {
    using T = value_of_t<Out>;
    if (n == 0)
        gendiv::detail::fail(fn, "argument 'n' is 0 (", rows,
                             " rows of length 0): the mean over empty rows is undefined");
    const auto e = rows_extent(fn, rows, n);
    const auto r = batch_extent(rows);
    const T log_n = static_cast<T>(::log(static_cast<double>(n)));
    lse_grad_rows(exec, range_begin(fn, x_name, x, e),
                  thrust::make_transform_iterator(range_begin(fn, lme_name, lme, r), plus_constant<T>{log_n}),
                  range_begin(fn, "upstream", upstream, r), rows, n, range_begin(fn, "workspace", workspace, r, true),
                  range_begin(fn, "g", g, e));
}
}  // namespace detail

template <class Policy, class In, class L, class U, class W, class Out, detail::if_policy<Policy> = 0>
void log_mean_exp_grad(const Policy& exec, In&& x, L&& lme, U&& upstream, std::size_t rows,
                       std::size_t n, W&& workspace, Out&& g) {
    detail::lme_grad(exec, "device::log_mean_exp_grad", "x", "lme", x, lme, upstream, rows, n, workspace, g);
}

template <class Policy, class In, class L, class U, class Out, detail::if_policy<Policy> = 0>
void log_mean_exp_grad(const Policy& exec, In&& x, L&& lme, U&& upstream, std::size_t rows,
                       std::size_t n, Out&& g) {
    detail::temporary_buffer<detail::value_of_t<Out>, Policy> work(exec, rows);
    log_mean_exp_grad(exec, x, lme, upstream, rows, n, work.begin(), g);
}

template <class In, class L, class U, class W, class Out, detail::if_not_policy<In> = 0>
void log_mean_exp_grad(In&& x, L&& lme, U&& upstream, std::size_t rows, std::size_t n,
                       W&& workspace, Out&& g) {
    log_mean_exp_grad(detail::system_of(x, lme, upstream, g), x, lme, upstream, rows, n, workspace, g);
}

template <class In, class L, class U, class Out, detail::if_not_policy<In> = 0>
void log_mean_exp_grad(In&& x, L&& lme, U&& upstream, std::size_t rows, std::size_t n, Out&& g) {
    log_mean_exp_grad(detail::system_of(x, lme, upstream, g), x, lme, upstream, rows, n, g);
}

}  // namespace gendiv::device

GENDIV_DIAGNOSTICS_POP

// gendiv/log_sum_exp.hpp: stable log-sum-exp and log-mean-exp along an axis, with gradients.
//
//   log_sum_exp(x, axis)  = m + log Σ_i exp(x_i - m),          m = max_i x_i
//   log_mean_exp(x, axis) = log_sum_exp(x, axis) - log n
//   gradient              = upstream · softmax(x) along the axis
//
// Rows of all -inf give -inf (the log of an empty sum) with a zero gradient; rows holding +inf
// give +inf with the gradient shared among the +inf entries; NaN propagates. The shift by the
// row maximum keeps every exp in [0, 1], so no finite input overflows (Blanchard, Higham and
// Higham, "Accurately computing the log-sum-exp and softmax functions", IMA J. Numer. Anal. 2021).
//
// On a CPU a row of at most 1024 values is read twice (max, then the sum of exp, with the next
// row's max taken in the same pass): it sits in L1 after the first pass, and the two-pass loop
// vectorizes with one exp per element, where a one-pass (max, sum) update needs two
// (TOOLCHAIN.md, pitfall 6). A longer row is read once, in
// blocks of 1024: each block's sum of exp(x - c) with a fixed shift c (the first 64 values' maximum)
// and its maximum in the same pass, and a block that climbs more than 4 above c summed again
// with a new shift; the sum is brought back to the true maximum in double at the end
// (detail/lse_row.hpp). The Thrust path in device/log_sum_exp.hpp uses the one-pass form, which
// saves a read of GPU memory.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/lse_row.hpp"
#include "gendiv/detail/math.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

namespace detail {

/// out[b] = lse of row b of a (rows × n) row-major block. The rows' parts (m, s) come first, in
/// chunks of about lse_chunk values (lse_rows_parts); the logarithms m + log(s) then run over
/// all rows at once in SIMD batches (lse_finish), where one libm log per row took a tenth of a
/// (64, 200) float call (perf).
template <class T>
inline void lse_rows(const T* x, std::size_t rows, std::size_t n, T* out, bool mean) {
    std::vector<T> s(rows);
    const std::size_t chunk = n == 0 || n >= lse_chunk ? 1 : lse_chunk / n;
    const std::size_t chunks = (rows + chunk - 1) / chunk;
    parallel_for(static_cast<long>(chunks), static_cast<long>(rows * n) >= parallel_threshold, [&](long c) {
        const std::size_t lo = static_cast<std::size_t>(c) * chunk;
        const std::size_t len = rows - lo < chunk ? rows - lo : chunk;
        lse_rows_parts(x + lo * n, len, n, out + lo, s.data() + lo);
    });
    lse_finish(out, s.data(), rows, n, mean);
}

/// g = u[b] · softmax(row b) for every row of a (rows × n) row-major block (u = 1 when null).
/// The softmax is e^{x_i - m} · (u / s) with the row's own m and s, not e^{x_i - lse}: x_i - m is
/// exact when x_i is within a factor 2 of m (Sterbenz), whereas x_i - lse inherits the rounding
/// error of lse, which is ulp(lse) and costs a relative error of |lse|·ε in every weight (1e-3
/// in float for entries near 1e4).
template <class T>
inline void lse_grad_rows(const T* x, const T* u, std::size_t rows, std::size_t n, T* g) {
    parallel_for(static_cast<long>(rows), static_cast<long>(rows * n) >= parallel_threshold, [&](long bb) {
        const std::size_t b = static_cast<std::size_t>(bb);
        const T* p = x + b * n;
        T* q = g + b * n;
        const T ub = u ? u[b] : T(1);
        const lse_parts<T> r = lse_row_parts(p, n);
        if (r.m != r.m) {  // NaN row
            for (std::size_t i = 0; i < n; ++i) q[i] = quiet_nan<T>();
        } else if (r.m == -infinity<T>()) {  // empty sum: no entry can move the value
            for (std::size_t i = 0; i < n; ++i) q[i] = T(0);
        } else if (r.m == infinity<T>()) {  // the +inf entries share the weight
            std::size_t k = 0;
            for (std::size_t i = 0; i < n; ++i) k += (p[i] == infinity<T>());
            for (std::size_t i = 0; i < n; ++i)
                q[i] = p[i] == infinity<T>() ? ub / static_cast<T>(k) : T(0);
        } else {
            const T m = r.m, scale = ub / r.s;
            simd_for<T>(n, [&](std::size_t i, auto tag) {
                using V = typename decltype(tag)::type;
                store(q + i, exp(load<V>(p + i) - V(m)) * V(scale));
            });
        }
    });
}

/// The permutation that moves `axis` to the end, keeping the other axes in order.
inline std::vector<std::size_t> axis_to_back(std::size_t axis, std::size_t dim) {
    std::vector<std::size_t> perm;
    for (std::size_t i = 0; i < dim; ++i)
        if (i != axis) perm.push_back(i);
    perm.push_back(axis);
    return perm;
}

/// An input seen as (rows × n) row-major rows along the reduced axis: the checked axis, the
/// result's shape (the input's without that axis) and the values with that axis moved last
/// (no copy when it already is last and the input is a row-major container of T).
template <class T>
struct axis_rows {
    std::size_t axis = 0, n = 0, rows = 0;
    bool last = true;
    std::vector<std::size_t> out_shape;
    flat<T> x;
};

template <class T, class E>
axis_rows<T> make_axis_rows(const char* function, const xt::xexpression<E>& expr,
                            std::ptrdiff_t axis, bool mean) {
    const auto& e = expr.derived_cast();
    check_min_dim(function, "x", e, 1);
    const std::size_t ax = normalize_axis(function, "x", axis, e.shape());
    const std::size_t n = e.shape()[ax];
    if (mean && n == 0)
        fail(function, "argument 'x' has shape ", shape_string(e.shape()),
             ": the mean over an empty axis ", ax, " is undefined");
    std::vector<std::size_t> out_shape;
    std::size_t rows = 1;
    for (std::size_t i = 0; i < e.dimension(); ++i)
        if (i != ax) {
            out_shape.push_back(e.shape()[i]);
            rows *= e.shape()[i];
        }
    const bool last = ax + 1 == e.dimension();
    flat<T> x = last ? flat<T>(expr) : [&] {
        const xt::xarray<T> cast = xt::cast<T>(e);
        return flat<T>(xt::xarray<T>(xt::transpose(cast, axis_to_back(ax, e.dimension()))));
    }();
    return {ax, n, rows, last, std::move(out_shape), std::move(x)};
}

template <class T, class E>
xt::xarray<T> lse_impl(const char* function, const xt::xexpression<E>& expr, std::ptrdiff_t axis,
                       bool mean) {
    const axis_rows<T> a = make_axis_rows<T>(function, expr, axis, mean);
    auto out = xt::xarray<T>::from_shape(a.out_shape);
    lse_rows(a.x.data(), a.rows, a.n, out.data(), mean);
    return out;
}

template <class T, class E, class U>
xt::xarray<T> lse_grad_impl(const char* function, const xt::xexpression<E>& expr,
                            const xt::xexpression<U>* upstream, std::ptrdiff_t axis, bool mean) {
    const axis_rows<T> a = make_axis_rows<T>(function, expr, axis, mean);
    const T* u = nullptr;
    xt::xarray<T> ubuf;
    if (upstream) {
        const auto& ue = upstream->derived_cast();
        if (!shapes_equal(ue.shape(), a.out_shape))
            fail(function, "argument 'upstream' has shape ", shape_string(ue.shape()),
                 " but must have the shape of the result, ", shape_string(a.out_shape));
        ubuf = xt::cast<T>(ue);
        u = ubuf.data();
    }
    auto g = empty_like_shape<T>(a.x.shape());
    lse_grad_rows(a.x.data(), u, a.rows, a.n, g.data());
    if (a.last) return g;
    const auto perm = axis_to_back(a.axis, a.x.dimension());
    std::vector<std::size_t> inverse(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
    return xt::xarray<T>(xt::transpose(g, inverse));
}

}  // namespace detail

/// Gradient of log_sum_exp / log_mean_exp: member `x` has the shape of the input.
template <class T>
struct log_sum_exp_gradient {
    xt::xarray<T> x;
};

/// @f$ \log\sum_i e^{x_i} @f$ along `axis` (default: the last), computed as
/// @f$ m + \log\sum_i e^{x_i - m} @f$ with m the maximum. The result drops that axis.
/// @throws gendiv::error for a 0-d input or an axis out of range.
template <class E>
auto log_sum_exp(const xt::xexpression<E>& x, std::ptrdiff_t axis = -1) {
    using T = typename detail::value_type_for<E>::type;
    return detail::lse_impl<T>("log_sum_exp", x, axis, false);
}

/// @f$ \log\frac1n\sum_i e^{x_i} @f$ along `axis`; a constant row gives that constant exactly.
/// @throws gendiv::error also when the axis is empty (the mean of nothing is undefined).
template <class E>
auto log_mean_exp(const xt::xexpression<E>& x, std::ptrdiff_t axis = -1) {
    using T = typename detail::value_type_for<E>::type;
    return detail::lse_impl<T>("log_mean_exp", x, axis, true);
}

/// Vector–Jacobian product of log_sum_exp: @f$ \partial/\partial x_i = u\,e^{x_i - \mathrm{lse}(x)} @f$,
/// the softmax along the axis times the upstream weight u (shape of the result; default 1).
template <class E>
auto log_sum_exp_grad(const xt::xexpression<E>& x, std::ptrdiff_t axis = -1) {
    using T = typename detail::value_type_for<E>::type;
    return log_sum_exp_gradient<T>{
        detail::lse_grad_impl<T, E, E>("log_sum_exp_grad", x, nullptr, axis, false)};
}

template <class E, class U>
auto log_sum_exp_grad(const xt::xexpression<E>& x, const xt::xexpression<U>& upstream,
                      std::ptrdiff_t axis = -1) {
    using T = typename detail::value_type_for<E>::type;
    return log_sum_exp_gradient<T>{
        detail::lse_grad_impl<T>("log_sum_exp_grad", x, &upstream, axis, false)};
}

/// Vector–Jacobian product of log_mean_exp: the same softmax as log_sum_exp_grad (the -log n
/// is a constant). @throws gendiv::error, as log_mean_exp does, when the axis is empty.
template <class E>
auto log_mean_exp_grad(const xt::xexpression<E>& x, std::ptrdiff_t axis = -1) {
    using T = typename detail::value_type_for<E>::type;
    return log_sum_exp_gradient<T>{
        detail::lse_grad_impl<T, E, E>("log_mean_exp_grad", x, nullptr, axis, true)};
}

template <class E, class U>
auto log_mean_exp_grad(const xt::xexpression<E>& x, const xt::xexpression<U>& upstream,
                       std::ptrdiff_t axis = -1) {
    using T = typename detail::value_type_for<E>::type;
    return log_sum_exp_gradient<T>{
        detail::lse_grad_impl<T>("log_mean_exp_grad", x, &upstream, axis, true)};
}

/// A floating-point number where the axis goes (an upstream weight of 1.7 written as a scalar,
/// say) is a compile-time error: it would otherwise convert to axis 1 without a word.
template <class E, class F, std::enable_if_t<std::is_floating_point_v<F>, int> = 0>
auto log_sum_exp(const xt::xexpression<E>&, F) = delete;
template <class E, class F, std::enable_if_t<std::is_floating_point_v<F>, int> = 0>
auto log_mean_exp(const xt::xexpression<E>&, F) = delete;
template <class E, class F, std::enable_if_t<std::is_floating_point_v<F>, int> = 0>
auto log_sum_exp_grad(const xt::xexpression<E>&, F) = delete;
template <class E, class F, std::enable_if_t<std::is_floating_point_v<F>, int> = 0>
auto log_mean_exp_grad(const xt::xexpression<E>&, F) = delete;

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

// gendiv/device/penalty.hpp: the gradient penalties and interpolates of penalty.hpp over Thrust
// ranges, with gradients, calling the host path's kernels (detail/penalty_kernels.hpp).
//
//   gradient_penalty(grad, B, D, λ)   = λ/B Σ_b (‖g_b‖₂ - 1)²          two-sided (WGAN-GP)
//   lipschitz_penalty(grad, B, D, λ)  = λ/B Σ_b max(0, ‖g_b‖₂ - 1)²    one-sided (WGAN-LP)
//   interpolate(x_r, x_f, t, B, D)    = t_b x_r + (1 - t_b) x_f          one t_b per example
//
// The penalties first write each row's norm, as a power-of-two scale 2^k and the scaled norm
// ‖g_b·2^k‖₂, into a workspace of 2·B values of T (workspace[b] = 2^k, workspace[B + b] = the
// scaled norm); the value is then a transform_reduce over the B rows in double, the gradient an
// element-wise transform. Pass a workspace to avoid the temporary allocation. On the host
// backends each row's norm is one task (max |g|, then Σ(g·2^k)² in double); under CUDA two
// segmented reduce_by_key passes (max |g|, then Σ(g·2^k)² in T). Conventions (zero rows,
// non-finite entries) as the host path: see penalty.hpp. Arguments: device/arguments.hpp.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/penalty_kernels.hpp"
#include "gendiv/device/rows.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device {
namespace detail {

/// One task per row (host backends): scale and scaled norm of row b of a (B × D) range.
template <class T, class G, class W>
struct row_norm_task {
    G g;
    W ws;
    std::size_t batch, length;
    GENDIV_HD void operator()(std::size_t b) const {
        using gendiv::detail::fabs;
        const std::size_t lo = b * length, hi = lo + length;
        T a(0);
        bool nan = false;
        for (std::size_t i = lo; i < hi; ++i) {
            const T v = fabs(static_cast<T>(g[i]));
            nan = nan || (v != v);
            a = v > a ? v : a;
        }
        if (nan) a = gendiv::detail::quiet_nan<T>();
        T scale(1), scaled(0);
        if (a == T(0)) {
            scaled = T(0);
        } else if (!(a < gendiv::detail::infinity<T>())) {  // +∞ or NaN entries
            scaled = a;
        } else {
            scale = gendiv::detail::ldexp(T(1), gendiv::detail::norm_scale_exponent(a));
            double ss = 0;
            for (std::size_t i = lo; i < hi; ++i) {
                const T x = static_cast<T>(g[i]) * scale;
                ss += static_cast<double>(x * x);
            }
            scaled = gendiv::detail::sqrt(static_cast<T>(ss));
        }
        ws[b] = scale;
        ws[batch + b] = scaled;
    }
};

template <class T>
struct abs_fn {
    template <class X>
    GENDIV_HD T operator()(X x) const {
        return gendiv::detail::fabs(static_cast<T>(x));
    }
};

/// max that propagates NaN (thrust::maximum would drop it depending on the order).
template <class T>
struct max_nan {
    GENDIV_HD T operator()(T a, T b) const {
        if (a != a) return a;
        if (b != b) return b;
        return a > b ? a : b;
    }
};

/// max |g| ↦ the row's scale 2^k (1 for a zero or non-finite row, whose squares then sum to 0,
/// +∞ or NaN: the scaled norm the host path reports).
template <class T>
struct scale_of_max {
    GENDIV_HD T operator()(T a) const {
        if (a == T(0) || !(a < gendiv::detail::infinity<T>())) return T(1);
        return gendiv::detail::ldexp(T(1), gendiv::detail::norm_scale_exponent(a));
    }
};

template <class T>
struct scaled_square {
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        const T x = static_cast<T>(thrust::get<0>(a)) * static_cast<T>(thrust::get<1>(a));
        return x * x;
    }
};

template <class T>
struct sqrt_fn {
    GENDIV_HD T operator()(T x) const { return gendiv::detail::sqrt(x); }
};

/// Row norms by one task per row: ws[b] = 2^k, ws[B + b] = ‖g_b·2^k‖₂.
template <class T, class Policy, class G, class W>
void row_norms_by_task(const Policy& exec, G g, std::size_t batch, std::size_t length, W ws) {
    thrust::for_each(exec, thrust::counting_iterator<std::size_t>(0),
                     thrust::counting_iterator<std::size_t>(batch),
                     row_norm_task<T, G, W>{g, ws, batch, length});
}

/// The same by two segmented reductions (coalesced reads on a GPU; the squares sum in T).
template <class T, class Policy, class G, class W>
void row_norms_by_key(const Policy& exec, G g, std::size_t batch, std::size_t length, W ws) {
    if (length == 0) {
        thrust::fill_n(exec, ws, batch, T(1));
        thrust::fill_n(exec, ws + batch, batch, T(0));
        return;
    }
    auto keys = row_keys(length);
    const std::size_t n = batch * length;
    thrust::reduce_by_key(exec, keys, keys + n, thrust::make_transform_iterator(g, abs_fn<T>{}),
                          thrust::make_discard_iterator(), ws, thrust::equal_to<std::size_t>(),
                          max_nan<T>());
    thrust::transform(exec, ws, ws + batch, ws, scale_of_max<T>{});
    auto squares = thrust::make_transform_iterator(
        thrust::make_zip_iterator(thrust::make_tuple(g, per_element(ws, length))), scaled_square<T>{});
    thrust::reduce_by_key(exec, keys, keys + n, squares, thrust::make_discard_iterator(), ws + batch,
                          thrust::equal_to<std::size_t>(), thrust::plus<T>());
    thrust::transform(exec, ws + batch, ws + 2 * batch, ws + batch, sqrt_fn<T>{});
}

template <class T, class Policy, class G, class W>
void row_norms(const Policy& exec, G g, std::size_t batch, std::size_t length, W ws) {
    if constexpr (segmented_by_key)
        row_norms_by_key<T>(exec, g, batch, length, ws);
    else
        row_norms_by_task<T>(exec, g, batch, length, ws);
}

/// Row b's share of the penalty from the workspace (norm = scaled / 2^k, exact).
template <class T, class W>
struct penalty_row {
    W ws;
    std::size_t batch;
    double c;
    bool one_sided;
    GENDIV_HD double operator()(std::size_t b) const {
        const T norm = static_cast<T>(ws[batch + b]) / static_cast<T>(ws[b]);
        return gendiv::detail::penalty_row_term(c, norm, one_sided);
    }
};

template <class T, class G, class W>
struct penalty_grad_elem {
    G g;
    W ws;
    std::size_t batch, length;
    double two_lambda_over_b;
    bool one_sided;
    GENDIV_HD T operator()(std::size_t i) const {
        const std::size_t b = i / length;
        const T scale = static_cast<T>(ws[b]), scaled = static_cast<T>(ws[batch + b]);
        if (scaled == T(0)) return T(0);  // the minimum-norm subgradient at a zero row
        const T h = gendiv::detail::penalty_grad_half_factor(two_lambda_over_b, scaled / scale, scaled, one_sided);
        return gendiv::detail::penalty_grad_fn{}(static_cast<T>(g[i]), scale, h);
    }
};

inline void check_penalty_batch(const char* function, std::size_t batch, std::size_t length) {
    if (batch == 0)
        gendiv::detail::fail(function, "argument 'grad' has batch = 0 rows (of length ", length,
                             "): the mean over an empty batch is undefined");
}

/// The penalties' workspace holds each row's power-of-two scale and scaled norm, in T: another
/// type may not hold them (a float workspace for double rows of 1e100 gave +inf).
template <class T, class W>
constexpr void check_workspace_type() {
    static_assert(std::is_same_v<value_of_t<W>, T>,
                  "gendiv::device: the penalty workspace must hold values of the gradients' type T "
                  "(it stores each row's power-of-two scale, which another type may not hold)");
}

template <class T, class Policy, class G, class W>
T penalty_value(const Policy& exec, const char* fn, G&& grad, std::size_t batch, std::size_t length,
                double lambda, W&& workspace, bool one_sided) {
    check_workspace_type<T, W>();
    gendiv::detail::check_lambda(fn, lambda);
    check_penalty_batch(fn, batch, length);
    auto g = range_begin(fn, "grad", grad, rows_extent(fn, batch, length));
    auto ws = range_begin(fn, "workspace", workspace, extent{2 * batch, "2·batch", 2, batch, 0, 2}, true);
    row_norms<T>(exec, g, batch, length, ws);
    const double c = std::sqrt(lambda / static_cast<double>(batch));
    const double sum = thrust::transform_reduce(
        exec, thrust::counting_iterator<std::size_t>(0), thrust::counting_iterator<std::size_t>(batch),
        penalty_row<T, decltype(ws)>{ws, batch, c, one_sided}, 0.0, thrust::plus<double>());
    return static_cast<T>(sum);
}

template <class Policy, class G, class W, class Out>
void penalty_gradient(const Policy& exec, const char* fn, G&& grad, std::size_t batch,
                      std::size_t length, double lambda, W&& workspace, Out&& out, bool one_sided) {
    using T = value_of_t<Out>;
    check_workspace_type<T, W>();
    gendiv::detail::check_lambda(fn, lambda);
    check_penalty_batch(fn, batch, length);
    const auto n = rows_extent(fn, batch, length);
    auto g = range_begin(fn, "grad", grad, n);
    auto o = range_begin(fn, "out", out, n);
    auto ws = range_begin(fn, "workspace", workspace, extent{2 * batch, "2·batch", 2, batch, 0, 2}, true);
    row_norms<T>(exec, g, batch, length, ws);
    const double two_lambda_over_b = 2.0 * lambda / static_cast<double>(batch);
    thrust::transform(exec, thrust::counting_iterator<std::size_t>(0),
                      thrust::counting_iterator<std::size_t>(n.size), o,
                      penalty_grad_elem<T, decltype(g), decltype(ws)>{g, ws, batch, length,
                                                                      two_lambda_over_b, one_sided});
}

template <class T>
struct interpolate_tuple {
    // (t, x_real, x_fake) ↦ t·x_real + (1 − t)·x_fake
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        return gendiv::detail::interpolate_fn{}(static_cast<T>(thrust::get<0>(a)),
                                                static_cast<T>(thrust::get<1>(a)),
                                                static_cast<T>(thrust::get<2>(a)));
    }
};

template <class T>
struct interpolate_grad_tuple {
    // (t, u, d_real&, d_fake&)
    template <class Tuple>
    GENDIV_HD void operator()(Tuple a) const {
        T dr, df;
        gendiv::detail::interpolate_grad_fn{}(static_cast<T>(thrust::get<0>(a)),
                                              static_cast<T>(thrust::get<1>(a)), dr, df);
        thrust::get<2>(a) = dr;
        thrust::get<3>(a) = df;
    }
};

template <class T>
struct interpolate_t_term {
    // (u, x_real, x_fake) ↦ u·(x_real − x_fake)
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        return gendiv::detail::interpolate_grad_fn{}.t_term(static_cast<T>(thrust::get<0>(a)),
                                                            static_cast<T>(thrust::get<1>(a)),
                                                            static_cast<T>(thrust::get<2>(a)));
    }
};

}  // namespace detail

/// The workspace the penalties need: 2·batch values of T.
inline std::size_t penalty_workspace_size(std::size_t batch) { return 2 * batch; }

/// Two-sided gradient penalty of WGAN-GP: @f$ \frac{\lambda}{B}\sum_b (\|g_b\|_2 - 1)^2 @f$ (see
/// gendiv::gradient_penalty). @param grad the critic's input gradients, a (B × D) range, B ≥ 1;
/// @param workspace at least penalty_workspace_size(B) values of T (optional).
/// @returns the penalty as T (the value type of grad), accumulated in double.
/// @throws gendiv::error for B = 0, a negative, infinite or NaN lambda, or a size mismatch.
template <class Policy, class G, class W, detail::if_policy<Policy> = 0>
auto gradient_penalty(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                      double lambda, W&& workspace) {
    using T = detail::value_of_t<G>;
    return detail::penalty_value<T>(exec, "device::gradient_penalty", grad, batch, length, lambda,
                                    workspace, false);
}

template <class Policy, class G, detail::if_policy<Policy> = 0>
auto gradient_penalty(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                      double lambda) {
    detail::temporary_buffer<detail::value_of_t<G>, Policy> ws(exec, penalty_workspace_size(batch));
    return gradient_penalty(exec, grad, batch, length, lambda, ws.begin());
}

template <class G, class W, detail::if_not_policy<G> = 0>
auto gradient_penalty(G&& grad, std::size_t batch, std::size_t length, double lambda, W&& workspace) {
    return gradient_penalty(detail::system_of(grad, workspace), grad, batch, length, lambda, workspace);
}

template <class G, detail::if_not_policy<G> = 0>
auto gradient_penalty(G&& grad, std::size_t batch, std::size_t length, double lambda) {
    return gradient_penalty(detail::system_of(grad), grad, batch, length, lambda);
}

/// Gradient of gradient_penalty with respect to grad into the (B × D) range `out`:
/// @f$ \frac{2\lambda}{B}(\|g_b\| - 1)\frac{g_b}{\|g_b\|} @f$, 0 for a zero row.
template <class Policy, class G, class W, class Out, detail::if_policy<Policy> = 0>
void gradient_penalty_grad(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                           double lambda, W&& workspace, Out&& out) {
    detail::penalty_gradient(exec, "device::gradient_penalty_grad", grad, batch, length, lambda,
                             workspace, out, false);
}

template <class Policy, class G, class Out, detail::if_policy<Policy> = 0>
void gradient_penalty_grad(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                           double lambda, Out&& out) {
    detail::temporary_buffer<detail::value_of_t<Out>, Policy> ws(exec, penalty_workspace_size(batch));
    gradient_penalty_grad(exec, grad, batch, length, lambda, ws.begin(), out);
}

template <class G, class W, class Out, detail::if_not_policy<G> = 0>
void gradient_penalty_grad(G&& grad, std::size_t batch, std::size_t length, double lambda,
                           W&& workspace, Out&& out) {
    gradient_penalty_grad(detail::system_of(grad, workspace, out), grad, batch, length, lambda,
                          workspace, out);
}

template <class G, class Out, detail::if_not_policy<G> = 0>
void gradient_penalty_grad(G&& grad, std::size_t batch, std::size_t length, double lambda, Out&& out) {
    gradient_penalty_grad(detail::system_of(grad, out), grad, batch, length, lambda, out);
}

/// One-sided Lipschitz penalty of WGAN-LP: @f$ \frac{\lambda}{B}\sum_b \max(0, \|g_b\|_2 - 1)^2 @f$
/// (see gendiv::lipschitz_penalty). Arguments as gradient_penalty.
template <class Policy, class G, class W, detail::if_policy<Policy> = 0>
auto lipschitz_penalty(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                       double lambda, W&& workspace) {
    using T = detail::value_of_t<G>;
    return detail::penalty_value<T>(exec, "device::lipschitz_penalty", grad, batch, length, lambda,
                                    workspace, true);
}

template <class Policy, class G, detail::if_policy<Policy> = 0>
auto lipschitz_penalty(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                       double lambda) {
    detail::temporary_buffer<detail::value_of_t<G>, Policy> ws(exec, penalty_workspace_size(batch));
    return lipschitz_penalty(exec, grad, batch, length, lambda, ws.begin());
}

template <class G, class W, detail::if_not_policy<G> = 0>
auto lipschitz_penalty(G&& grad, std::size_t batch, std::size_t length, double lambda, W&& workspace) {
    return lipschitz_penalty(detail::system_of(grad, workspace), grad, batch, length, lambda, workspace);
}

template <class G, detail::if_not_policy<G> = 0>
auto lipschitz_penalty(G&& grad, std::size_t batch, std::size_t length, double lambda) {
    return lipschitz_penalty(detail::system_of(grad), grad, batch, length, lambda);
}

/// Gradient of lipschitz_penalty: @f$ \frac{2\lambda}{B}\max(0, \|g_b\| - 1)\frac{g_b}{\|g_b\|} @f$.
template <class Policy, class G, class W, class Out, detail::if_policy<Policy> = 0>
void lipschitz_penalty_grad(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                            double lambda, W&& workspace, Out&& out) {
    detail::penalty_gradient(exec, "device::lipschitz_penalty_grad", grad, batch, length, lambda,
                             workspace, out, true);
}

template <class Policy, class G, class Out, detail::if_policy<Policy> = 0>
void lipschitz_penalty_grad(const Policy& exec, G&& grad, std::size_t batch, std::size_t length,
                            double lambda, Out&& out) {
    detail::temporary_buffer<detail::value_of_t<Out>, Policy> ws(exec, penalty_workspace_size(batch));
    lipschitz_penalty_grad(exec, grad, batch, length, lambda, ws.begin(), out);
}

template <class G, class W, class Out, detail::if_not_policy<G> = 0>
void lipschitz_penalty_grad(G&& grad, std::size_t batch, std::size_t length, double lambda,
                            W&& workspace, Out&& out) {
    lipschitz_penalty_grad(detail::system_of(grad, workspace, out), grad, batch, length, lambda,
                           workspace, out);
}

template <class G, class Out, detail::if_not_policy<G> = 0>
void lipschitz_penalty_grad(G&& grad, std::size_t batch, std::size_t length, double lambda, Out&& out) {
    lipschitz_penalty_grad(detail::system_of(grad, out), grad, batch, length, lambda, out);
}

/// x̂_b = t_b·x_real_b + (1 − t_b)·x_fake_b (see gendiv::interpolate). x_real, x_fake, out:
/// (B × D) ranges; t: B values in [0, 1].
/// @throws gendiv::error when a t_b lies outside [0, 1] (or is NaN) or a size disagrees.
template <class Policy, class XR, class XF, class Tt, class Out, detail::if_policy<Policy> = 0>
void interpolate(const Policy& exec, XR&& x_real, XF&& x_fake, Tt&& t, std::size_t batch,
                 std::size_t length, Out&& out) {
    constexpr const char* fn = "device::interpolate";
    using T = detail::value_of_t<Out>;
    const auto n = detail::rows_extent(fn, batch, length);
    auto tb = detail::range_begin(fn, "t", t, detail::batch_extent(batch));
    detail::check_unit_interval(exec, fn, "t", tb, batch, batch, 1);
    auto args = thrust::make_zip_iterator(thrust::make_tuple(
        detail::per_element(tb, length), detail::range_begin(fn, "x_real", x_real, n),
        detail::range_begin(fn, "x_fake", x_fake, n)));
    thrust::transform(exec, args, args + n.size, detail::range_begin(fn, "out", out, n),
                      detail::interpolate_tuple<T>{});
}

template <class XR, class XF, class Tt, class Out, detail::if_not_policy<XR> = 0>
void interpolate(XR&& x_real, XF&& x_fake, Tt&& t, std::size_t batch, std::size_t length, Out&& out) {
    interpolate(detail::system_of(x_real, x_fake, t, out), x_real, x_fake, t, batch, length, out);
}

/// Gradient of interpolate for upstream = ∂L/∂x̂ (B × D): g_x_real = t_b·u, g_x_fake =
/// (1 − t_b)·u (both (B × D)) and g_t[b] = Σ_j u_bj (x_real_bj − x_fake_bj) (B values; a row
/// reduction, in double on the host backends).
template <class Policy, class XR, class XF, class Tt, class U, class GR, class GF, class GT,
          detail::if_policy<Policy> = 0>
void interpolate_grad(const Policy& exec, XR&& x_real, XF&& x_fake, Tt&& t, U&& upstream,
                      std::size_t batch, std::size_t length, GR&& g_x_real, GF&& g_x_fake,
                      GT&& g_t) {
    constexpr const char* fn = "device::interpolate_grad";
    using T = detail::value_of_t<GR>;
    const auto n = detail::rows_extent(fn, batch, length);
    const auto nb = detail::batch_extent(batch);
    auto tb = detail::range_begin(fn, "t", t, nb);
    detail::check_unit_interval(exec, fn, "t", tb, batch, batch, 1);
    auto xr = detail::range_begin(fn, "x_real", x_real, n);
    auto xf = detail::range_begin(fn, "x_fake", x_fake, n);
    auto u = detail::range_begin(fn, "upstream", upstream, n);
    auto args = thrust::make_zip_iterator(thrust::make_tuple(
        detail::per_element(tb, length), u, detail::range_begin(fn, "g_x_real", g_x_real, n),
        detail::range_begin(fn, "g_x_fake", g_x_fake, n)));
    thrust::for_each(exec, args, args + n.size, detail::interpolate_grad_tuple<T>{});
    auto terms = thrust::make_transform_iterator(
        thrust::make_zip_iterator(thrust::make_tuple(u, xr, xf)), detail::interpolate_t_term<T>{});
    detail::row_sums(exec, terms, batch, length, detail::range_begin(fn, "g_t", g_t, nb));
}

template <class XR, class XF, class Tt, class U, class GR, class GF, class GT,
          detail::if_not_policy<XR> = 0>
void interpolate_grad(XR&& x_real, XF&& x_fake, Tt&& t, U&& upstream, std::size_t batch,
                      std::size_t length, GR&& g_x_real, GF&& g_x_fake, GT&& g_t) {
    interpolate_grad(detail::system_of(x_real, x_fake, t, upstream, g_x_real), x_real, x_fake, t,
                     upstream, batch, length, g_x_real, g_x_fake, g_t);
}

}  // namespace gendiv::device

GENDIV_DIAGNOSTICS_POP

// tests/test_device_objectives.cpp: the Thrust device paths of the critic objectives and the
// gradient penalties (device/f_divergence.hpp, device/penalty.hpp) against the host xtensor
// path (f_divergence.hpp, penalty.hpp, themselves tested against closed forms, mpmath values
// and central differences in test_f_divergence.cpp and test_penalty.cpp). Built once per
// Thrust backend (OMP and CPP; CUDA through test_device_cuda.cu).
//
// Every bound is stated next to its check: means and row norms are sums taken in another order
// than on the host (reordered-summation bound (n − 1)·ε·Σ|terms|, used as 2nε·Σ|terms| or
// 4nε·Σ|terms|), element-wise results call the same kernel on the same inputs (4 ulp, or 8ε of
// the array's scale after a cancellation), and NaN/inf patterns must match exactly.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>

#include "gendiv/device/f_divergence.hpp"
#include "gendiv/device/log_sum_exp.hpp"
#include "gendiv/device/penalty.hpp"
#include "gendiv/f_divergence.hpp"
#include "gendiv/penalty.hpp"
#include "support/device.hpp"
#include "support/numeric.hpp"

namespace {

using gendiv::test::check_close_scaled;
using gendiv::test::check_elementwise;
using gendiv::test::message_has;
using gendiv::test::row_tol;
using gendiv::test::same_non_finite;
using gendiv::test::same_values;
using gendiv::test::to_device;
using gendiv::test::to_host;

using divergences = std::tuple<gendiv::kullback_leibler, gendiv::reverse_kl, gendiv::pearson_chi2,
                               gendiv::neyman_chi2, gendiv::squared_hellinger,
                               gendiv::jensen_shannon, gendiv::gan, gendiv::total_variation>;

/// Critic outputs: uniform in [lo, hi), with the extremes ±1e3 and 0 in the first entries
/// when asked (where f*(g_f(±1e3)) or g_f(±1e3) overflows, the objective is ±inf or NaN on
/// both paths: the patterns must match).
template <class T>
xt::xarray<T> critic_outputs(std::size_t n, double lo, double hi, std::uint64_t seed, bool extremes) {
    xt::xarray<T> v = gendiv::test::uniform<T>({n}, lo, hi, seed);
    if (extremes) {
        v(0) = T(1e3);
        v(1) = T(-1e3);
        v(2) = T(0);
    }
    return v;
}

/// Scalars: |device − host| ≤ rel·scale, or the same non-finite value.
void check_scalar(double d, double h, double rel, double scale, const char* what) {
    BOOST_TEST_MESSAGE(what << ": device " << d << " host " << h << " |diff| " << std::abs(d - h)
                            << " bound " << rel * scale);
    if (!std::isfinite(h)) {
        BOOST_CHECK_MESSAGE(same_non_finite(d, h), what << ": device " << d << " host " << h);
        return;
    }
    BOOST_CHECK_MESSAGE(std::abs(d - h) <= rel * scale,
                        what << ": device " << d << " host " << h << " bound " << rel * scale);
}

template <class D, class T>
void check_f_gan(bool real_extremes, bool fake_extremes) {
    const std::size_t n = 1000, m = 700;  // different batch sizes for P and Q
    const auto r = critic_outputs<T>(n, -5, 5, 81, real_extremes);
    const auto f = critic_outputs<T>(m, -5, 5, 82, fake_extremes);
    auto dr = to_device(r), df = to_device(f);
    const T dev = gendiv::device::f_gan_objective<D>(thrust::device, dr.begin(), df.begin(), n, m);
    const T host = gendiv::f_gan_objective<D>(r, f);
    // Bound: each mean sums n (or m) terms in another order (the host path in SIMD lanes of T,
    // folded into double; the device path in double): |Δ| ≤ 2·max(n, m)·ε·(mean|g_f(V_real)| +
    // mean|f*(g_f(V_fake))|).
    double scale = 0;
    for (std::size_t i = 0; i < n; ++i) scale += std::abs(static_cast<double>(D::activation(r(i)))) / n;
    for (std::size_t j = 0; j < m; ++j)
        scale += std::abs(static_cast<double>(D::conjugate_of_activation(f(j)))) / m;
    check_scalar(dev, host, 2.0 * n * std::numeric_limits<T>::epsilon(), scale, D::name);
    // The no-policy overload on containers: the same bits.
    const T dev2 = gendiv::device::f_gan_objective<D>(dr, df, n, m);
    BOOST_CHECK(same_non_finite(dev2, dev));

    thrust::device_vector<T> gr(n), gf(m);
    gendiv::device::f_gan_objective_grad<D>(thrust::device, dr.begin(), df.begin(), n, m, gr.begin(),
                                            gf.begin());
    const auto hg = gendiv::f_gan_objective_grad<D>(r, f);
    check_elementwise(to_host(gr), hg.critic_real);
    check_elementwise(to_host(gf), hg.critic_fake);
    thrust::device_vector<T> gr2(n), gf2(m);
    gendiv::device::f_gan_objective_grad<D>(dr, df, n, m, gr2, gf2);
    BOOST_CHECK(same_values(to_host(gr2), to_host(gr)));
    BOOST_CHECK(same_values(to_host(gf2), to_host(gf)));
}

}  // namespace

using real_types = std::tuple<float, double>;

BOOST_AUTO_TEST_CASE_TEMPLATE(f_gan_objective_matches_host_float, D, divergences) {
    check_f_gan<D, float>(false, false);
    check_f_gan<D, float>(true, false);
    check_f_gan<D, float>(false, true);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(f_gan_objective_matches_host_double, D, divergences) {
    check_f_gan<D, double>(false, false);
    check_f_gan<D, double>(true, false);
    check_f_gan<D, double>(false, true);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(wasserstein_objective_matches_host, T, real_types) {
    const std::size_t n = 513, m = 64;
    const auto r = critic_outputs<T>(n, -5, 5, 91, true);
    const auto f = critic_outputs<T>(m, -5, 5, 92, true);
    auto dr = to_device(r), df = to_device(f);
    const T dev = gendiv::device::wasserstein_objective(thrust::device, dr.begin(), df.begin(), n, m);
    const T host = gendiv::wasserstein_objective(r, f);
    // Bound as for f-GAN: 2·max(n, m)·ε·(mean|V_real| + mean|V_fake|).
    const double scale = static_cast<double>(xt::mean(xt::abs(r))()) + static_cast<double>(xt::mean(xt::abs(f))());
    check_scalar(dev, host, 2.0 * n * std::numeric_limits<T>::epsilon(), scale, "wasserstein");
    BOOST_CHECK_EQUAL(gendiv::device::wasserstein_objective(dr, df, n, m), dev);

    thrust::device_vector<T> gr(n), gf(m);
    gendiv::device::wasserstein_objective_grad(dr, df, n, m, gr, gf);
    const auto hg = gendiv::wasserstein_objective_grad(r, f);
    // 1/n and −1/m: exact.
    const auto dgr = to_host(gr), dgf = to_host(gf);
    for (std::size_t i = 0; i < n; ++i) BOOST_CHECK_EQUAL(dgr[i], hg.critic_real(i));
    for (std::size_t j = 0; j < m; ++j) BOOST_CHECK_EQUAL(dgf[j], hg.critic_fake(j));
}

BOOST_AUTO_TEST_CASE(critic_objective_errors) {
    thrust::device_vector<double> r(4, 0.0), f(3, 0.0), g(4), h(3);
    BOOST_CHECK_EXCEPTION(
        gendiv::device::f_gan_objective<gendiv::gan>(thrust::device, r.begin(), f.begin(), 0, 3),
        gendiv::error, (message_has{"device::f_gan_objective", "'critic_real'", "empty batch"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::wasserstein_objective(r, f, 4, 0), gendiv::error,
                          (message_has{"device::wasserstein_objective", "'critic_fake'", "0"}));
    // Sizes of containers against n and m.
    BOOST_CHECK_EXCEPTION(gendiv::device::f_gan_objective<gendiv::gan>(r, f, 4, 4), gendiv::error,
                          (message_has{"device::f_gan_objective", "'critic_fake'", "holds 3", "n_fake = 4"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::f_gan_objective_grad<gendiv::gan>(r, f, 4, 3, h, h), gendiv::error,
                          (message_has{"device::f_gan_objective_grad", "'g_real'", "n_real = 4"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::wasserstein_objective_grad(r, f, 4, 3, g, g), gendiv::error,
                          (message_has{"device::wasserstein_objective_grad", "'g_fake'", "n_fake = 3"}));
}

// ---- penalties ---------------------------------------------------------------------------------

namespace {

/// Input gradients with the rows that matter: random, zero, norm exactly 1 (two-sided value
/// 0), tiny (squares underflow), huge (squares overflow), +inf, NaN, and one below norm 1
/// (where the one-sided penalty is flat).
template <class T>
xt::xarray<T> penalty_rows(std::size_t B, std::size_t D) {
    xt::xarray<T> g = gendiv::test::uniform<T>({B, D}, -0.2, 0.2, 101);
    const T tiny = std::is_same_v<T, float> ? T(1e-30) : T(1e-200);
    const T huge = std::is_same_v<T, float> ? T(1e30) : T(1e200);
    for (std::size_t d = 0; d < D; ++d) {
        g(1, d) = T(0);
        g(2, d) = T(0);
        g(3, d) *= tiny;
        g(4, d) *= huge;
        g(7, d) *= T(0.01);
    }
    g(2, 5) = T(1);
    g(5, 7) = std::numeric_limits<T>::infinity();
    g(6, 9) = std::numeric_limits<T>::quiet_NaN();
    return g;
}

/// ‖g_b‖ in long double (independent of gendiv's scaled norm; fine for the bounds below).
template <class T>
std::vector<double> reference_norms(const xt::xarray<T>& g) {
    const std::size_t B = g.shape()[0], D = g.shape()[1];
    std::vector<double> out(B);
    for (std::size_t b = 0; b < B; ++b) {
        long double s = 0;
        for (std::size_t d = 0; d < D; ++d) s += static_cast<long double>(g(b, d)) * g(b, d);
        out[b] = static_cast<double>(std::sqrt(s));
    }
    return out;
}

template <class T>
void check_penalty(bool one_sided) {
    const std::size_t B = 8, D = 300;
    const double lambda = 10;
    xt::xarray<T> g = penalty_rows<T>(B, D);
    // Two variants: with the huge and non-finite rows (the value overflows to +inf or is NaN;
    // the gradient stays finite on the huge row), and with those rows replaced by moderate
    // ones (a finite value to compare).
    for (int variant = 0; variant < 2; ++variant) {
        if (variant == 1)
            for (std::size_t d = 0; d < D; ++d) g(4, d) = g(5, d) = g(6, d) = T(0.05) * T(d % 7);
        auto dg = to_device(g);
        thrust::device_vector<T> ws(gendiv::device::penalty_workspace_size(B));
        const T dev = one_sided
                          ? gendiv::device::lipschitz_penalty(thrust::device, dg.begin(), B, D, lambda, ws.begin())
                          : gendiv::device::gradient_penalty(thrust::device, dg.begin(), B, D, lambda, ws.begin());
        const T host = one_sided ? gendiv::lipschitz_penalty(g, lambda) : gendiv::gradient_penalty(g, lambda);
        // Bound: a row norm is a sum of D squares in another order (host: SIMD lanes of T;
        // device: double), relative error ≤ 2Dε, which moves the row's term (λ/B)w² by at
        // most (λ/B)·2|w|·2Dε·‖g_b‖ (+ the terms' own rounding).
        const auto norms = reference_norms(g);
        double scale = 0;
        for (std::size_t b = 0; b < B; ++b)
            if (std::isfinite(norms[b]))
                scale += lambda / B * (2 * (std::abs(norms[b] - 1) + 1) * norms[b] + (norms[b] - 1) * (norms[b] - 1));
        check_scalar(dev, host, 2.0 * D * std::numeric_limits<T>::epsilon(), scale,
                     one_sided ? "lipschitz_penalty" : "gradient_penalty");
        // Without a workspace, and without a policy on a container: the same bits.
        const T dev2 = one_sided ? gendiv::device::lipschitz_penalty(thrust::device, dg.begin(), B, D, lambda)
                                 : gendiv::device::gradient_penalty(thrust::device, dg.begin(), B, D, lambda);
        const T dev3 = one_sided ? gendiv::device::lipschitz_penalty(dg, B, D, lambda)
                                 : gendiv::device::gradient_penalty(dg, B, D, lambda, ws);
        BOOST_CHECK(same_non_finite(dev2, dev));
        BOOST_CHECK(same_non_finite(dev3, dev));

        thrust::device_vector<T> out(B * D), out2(B * D);
        if (one_sided)
            gendiv::device::lipschitz_penalty_grad(thrust::device, dg.begin(), B, D, lambda, ws.begin(),
                                                   out.begin());
        else
            gendiv::device::gradient_penalty_grad(thrust::device, dg.begin(), B, D, lambda, ws.begin(),
                                                  out.begin());
        const auto hg = one_sided ? gendiv::lipschitz_penalty_grad(g, lambda).grad
                                  : gendiv::gradient_penalty_grad(g, lambda).grad;
        // Bound per entry: (2λ/B)·|w_b|·g/‖g‖ with ‖g_b‖ (hence w_b and the direction) off by
        // 2Dε relative: |Δ| ≤ (2λ/B)·(|w_b| + ‖g_b‖ + 1)·(|g_bj|/‖g_b‖)·4Dε, plus 4 ulp.
        const auto d = to_host(out);
        const double eps = std::numeric_limits<T>::epsilon();
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t j = 0; j < D; ++j) {
                const std::size_t i = b * D + j;
                const double h = hg(b, j), v = d[i];
                if (!std::isfinite(h) || !std::isfinite(norms[b]) || norms[b] == 0) {
                    BOOST_CHECK_MESSAGE(same_non_finite(v, h), "row " << b << " entry " << j << ": device "
                                                                    << v << " host " << h);
                    continue;
                }
                const double dir = std::abs(static_cast<double>(g(b, j))) / norms[b];
                const double bound = 2 * lambda / B * (std::abs(norms[b] - 1) + norms[b] + 1) * dir * 4 * D * eps;
                BOOST_CHECK_MESSAGE(std::abs(v - h) <= bound ||
                                        gendiv::test::ulp_distance(d[i], static_cast<T>(h)) <= 4,
                                    "row " << b << " entry " << j << ": device " << v << " host " << h);
            }
        if (one_sided)
            gendiv::device::lipschitz_penalty_grad(dg, B, D, lambda, out2);
        else
            gendiv::device::gradient_penalty_grad(dg, B, D, lambda, out2);
        BOOST_CHECK(same_values(to_host(out2), d));
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(gradient_penalty_matches_host, T, real_types) { check_penalty<T>(false); }

BOOST_AUTO_TEST_CASE_TEMPLATE(lipschitz_penalty_matches_host, T, real_types) { check_penalty<T>(true); }

// A float row whose gradient (2λ/B)(‖g‖ - 1) g/‖g‖ = 2e38 fits below FLT_MAX although its factor
// (2λ/B)(‖g‖ - 1) = 2e39 does not: 100 entries of 1e37 (‖g‖ = 1e38), λ = 10, B = 1. Both paths
// used to form that factor in float and returned +inf.
BOOST_AUTO_TEST_CASE(float_penalty_gradient_near_the_top_of_the_range) {
    const xt::xarray<float> g = xt::ones<float>({1, 100}) * 1e37f;
    const double expected = 2 * 10.0 * (1e38 - 1) * 0.1;
    auto dg = to_device(g);
    thrust::device_vector<float> out(100);
    gendiv::device::gradient_penalty_grad(dg, 1, 100, 10.0, out);
    const auto host = gendiv::gradient_penalty_grad(g, 10.0).grad;
    const auto dev = to_host(out);
    for (std::size_t j = 0; j < 100; ++j) {
        BOOST_CHECK_CLOSE(static_cast<double>(dev[j]), expected, 1e-4);  // percent: 1e-6 relative
        BOOST_CHECK_CLOSE(static_cast<double>(host(0, j)), expected, 1e-4);
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(segmented_row_norms_match_row_tasks, T, real_types) {
    // The CUDA build reduces row norms with two segmented reduce_by_key passes; run that code
    // on this backend too and compare with the per-row tasks the host backends use: the scales
    // are identical, the scaled norms agree to 4Dε relative (the sums differ in order and in
    // their accumulation type).
    const std::size_t B = 8, D = 300;
    const auto g = penalty_rows<T>(B, D);
    auto dg = to_device(g);
    thrust::device_vector<T> a(2 * B), b(2 * B);
    gendiv::device::detail::row_norms_by_task<T>(thrust::device, dg.begin(), B, D, a.begin());
    gendiv::device::detail::row_norms_by_key<T>(thrust::device, dg.begin(), B, D, b.begin());
    const auto ha = to_host(a), hb = to_host(b);
    for (std::size_t r = 0; r < B; ++r) {
        BOOST_CHECK_EQUAL(ha[r], hb[r]);
        const double x = ha[B + r], y = hb[B + r];
        if (!std::isfinite(x)) {
            BOOST_CHECK_MESSAGE(same_non_finite(x, y), "row " << r << ": " << x << " vs " << y);
            continue;
        }
        BOOST_CHECK_MESSAGE(std::abs(x - y) <= row_tol<T>(D) * x, "row " << r << ": " << x << " vs " << y);
    }
}

BOOST_AUTO_TEST_CASE(penalty_errors) {
    thrust::device_vector<double> g(12, 0.5), out(12), small_ws(3), wrong(11);
    BOOST_CHECK_EXCEPTION(gendiv::device::gradient_penalty(g, 3, 4, -1.0), gendiv::error,
                          (message_has{"device::gradient_penalty", "'lambda'", "-1"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::lipschitz_penalty(thrust::device, g.begin(), 0, 4, 10.0),
                          gendiv::error,
                          (message_has{"device::lipschitz_penalty", "'grad'", "batch = 0", "empty batch"}));
    BOOST_CHECK_EXCEPTION(
        gendiv::device::gradient_penalty(g, 3, 4, 10.0, small_ws), gendiv::error,
        (message_has{"device::gradient_penalty", "'workspace'", "holds 3", "at least 2·batch = 2·3 = 6"}));
    BOOST_CHECK_EXCEPTION(
        gendiv::device::gradient_penalty_grad(g, 3, 4, 10.0, wrong), gendiv::error,
        (message_has{"device::gradient_penalty_grad", "'out'", "holds 11", "batch·length = 3·4 = 12"}));
    BOOST_CHECK_EXCEPTION(
        gendiv::device::lipschitz_penalty_grad(g, 3, 4, std::numeric_limits<double>::quiet_NaN(), out),
        gendiv::error, (message_has{"device::lipschitz_penalty_grad", "'lambda'"}));
}

// ---- interpolates ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE_TEMPLATE(interpolate_matches_host, T, real_types) {
    const std::size_t B = 6, D = 200;
    xt::xarray<T> xr = gendiv::test::uniform<T>({B, D}, -1, 1, 111);
    xt::xarray<T> xf = gendiv::test::uniform<T>({B, D}, -1, 1, 112);
    xt::xarray<T> t = gendiv::test::uniform<T>({B}, 0, 1, 113);
    t(0) = T(0);  // x̂ = x_fake exactly
    t(1) = T(1);  // x̂ = x_real exactly
    xr(2, 0) = T(1e30);
    xf(3, 1) = -std::numeric_limits<T>::infinity();
    auto dr = to_device(xr), df = to_device(xf), dt = to_device(t);
    thrust::device_vector<T> out(B * D);
    gendiv::device::interpolate(thrust::device, dr.begin(), df.begin(), dt.begin(), B, D, out.begin());
    const auto host = gendiv::interpolate(xr, xf, t);
    const auto d = to_host(out);
    check_elementwise(d, host);
    for (std::size_t j = 0; j < D; ++j) {
        BOOST_CHECK_EQUAL(d[j], xf(0, j));
        BOOST_CHECK_EQUAL(d[D + j], xr(1, j));
    }
    thrust::device_vector<T> out2(B * D);
    gendiv::device::interpolate(dr, df, dt, B, D, out2);
    BOOST_CHECK(same_values(to_host(out2), d));

    xt::xarray<T> u = gendiv::test::uniform<T>({B, D}, -1, 1, 114);
    auto du = to_device(u);
    thrust::device_vector<T> gr(B * D), gf(B * D), gt(B);
    gendiv::device::interpolate_grad(thrust::device, dr.begin(), df.begin(), dt.begin(), du.begin(), B,
                                     D, gr.begin(), gf.begin(), gt.begin());
    const auto hg = gendiv::interpolate_grad(xr, xf, t, u);
    check_elementwise(to_host(gr), hg.x_real);
    check_elementwise(to_host(gf), hg.x_fake);
    // g_t sums D terms u·(x_real − x_fake) in another order: 4Dε·Σ|terms|.
    std::vector<double> scale(B, 0.0);
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < D; ++j)
            scale[b] += std::abs(static_cast<double>(u(b, j)) * (static_cast<double>(xr(b, j)) - xf(b, j)));
    check_close_scaled(to_host(gt), hg.t, scale, row_tol<T>(D));
}

BOOST_AUTO_TEST_CASE(interpolate_errors) {
    thrust::device_vector<double> x(12, 0.0), y(12, 0.0), t(3, 0.5), out(12), u(12, 1.0), gt(3);
    t[1] = 1.5;
    BOOST_CHECK_EXCEPTION(gendiv::device::interpolate(x, y, t, 3, 4, out), gendiv::error,
                          (message_has{"device::interpolate", "'t'", "[0, 1]"}));
    t[1] = 0.5;
    thrust::device_vector<double> t4(4, 0.5);
    BOOST_CHECK_EXCEPTION(gendiv::device::interpolate(x, y, t4, 3, 4, out), gendiv::error,
                          (message_has{"device::interpolate", "'t'", "holds 4", "batch = 3"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::interpolate_grad(x, y, t, u, 3, 4, out, out, out), gendiv::error,
                          (message_has{"device::interpolate_grad", "'g_t'", "holds 12", "batch = 3"}));
}

// ---- workspaces and allocation -------------------------------------------------------------------

#if !defined(__CUDACC__)  // the allocator below hands out host memory
namespace {

/// A Thrust temporary-storage allocator (the interface of Thrust's custom_temporary_allocation
/// example) that counts its allocations: passed as thrust::device(alloc), it receives every
/// temporary that Thrust or gendiv take from the policy.
struct counting_allocator {
    using value_type = char;
    std::size_t* count;
    char* allocate(std::ptrdiff_t n) {
        ++*count;
        return static_cast<char*>(::operator new(static_cast<std::size_t>(n)));
    }
    void deallocate(char* p, std::size_t) { ::operator delete(p); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(workspace_overloads_take_no_temporaries) {
    const std::size_t B = 4, D = 64;
    const auto g = gendiv::test::uniform<double>({B, D}, -1, 1, 121);
    auto dg = to_device(g);
    thrust::device_vector<double> ws(gendiv::device::penalty_workspace_size(B)), out(B * D), lse(B),
        u(B, 1.0), w(B);
    std::size_t count = 0;
    counting_allocator alloc{&count};
    // With a workspace, the penalty gradient (row norms, then a transform) and the
    // log-sum-exp gradient take no temporary storage at all.
    gendiv::device::gradient_penalty_grad(thrust::device(alloc), dg, B, D, 10.0, ws, out);
    gendiv::device::log_sum_exp(thrust::device(alloc), dg, B, D, lse);
    gendiv::device::log_sum_exp_grad(thrust::device(alloc), dg, lse, u, B, D, w, out);
    BOOST_CHECK_EQUAL(count, 0u);
    // Without one, the scratch is borrowed once per call from the policy's allocator (a caching
    // allocator then makes repeated calls allocation-free too).
    gendiv::device::gradient_penalty_grad(thrust::device(alloc), dg, B, D, 10.0, out);
    BOOST_CHECK_EQUAL(count, 1u);
    gendiv::device::log_sum_exp_grad(thrust::device(alloc), dg, lse, u, B, D, out);
    BOOST_CHECK_EQUAL(count, 2u);
}
#endif

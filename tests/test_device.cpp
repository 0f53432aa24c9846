// tests/test_device.cpp: the Thrust device paths of the numerics core (device/log_sum_exp.hpp,
// likelihood.hpp, kl.hpp, estimators.hpp) against the host xtensor path.
// Built once per Thrust backend (OMP and CPP here; CUDA when GENDIV_CUDA is on and a GPU runs
// it). The device path reduces in a different order (reduce_by_key, one-pass log-sum-exp), so
// row sums agree to a relative error bound that grows with the row length, not bit for bit;
// element-wise gradients call the same kernel on the same inputs and must agree to a few ulp
// (the compiler may contract a*b+c into an FMA differently in the two loops).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/host_vector.h>
#include <thrust/iterator/constant_iterator.h>

#include "gendiv/device/estimators.hpp"
#include "gendiv/device/kl.hpp"
#include "gendiv/device/likelihood.hpp"
#include "gendiv/device/log_sum_exp.hpp"
#include "gendiv/estimators.hpp"
#include "gendiv/kl.hpp"
#include "gendiv/likelihood.hpp"
#include "gendiv/log_sum_exp.hpp"
#include "support/device.hpp"
#include "support/numeric.hpp"

namespace {

using gendiv::test::check_close;
using gendiv::test::check_close_scaled;
using gendiv::test::check_elementwise;
using gendiv::test::message_has;
using gendiv::test::row_tol;
using gendiv::test::same_values;
using gendiv::test::to_device;
using gendiv::test::to_host;

}  // namespace

using types = std::tuple<float, double>;

BOOST_AUTO_TEST_CASE_TEMPLATE(log_sum_exp_matches_host, T, types) {
    const std::size_t B = 7, K = 200;
    xt::xarray<T> x = gendiv::test::uniform<T>({B, K}, -30, 30, 11);
    x(1, 3) = -std::numeric_limits<T>::infinity();
    for (std::size_t k = 0; k < K; ++k) x(2, k) = -std::numeric_limits<T>::infinity();
    x(3, 10) = std::numeric_limits<T>::infinity();
    x(4, 5) = std::numeric_limits<T>::quiet_NaN();
    auto dx = to_device(x);
    thrust::device_vector<T> out(B), out_mean(B);
    gendiv::device::log_sum_exp(thrust::device, dx.begin(), B, K, out.begin());
    gendiv::device::log_mean_exp(thrust::device, dx.begin(), B, K, out_mean.begin());
    check_close(to_host(out), gendiv::log_sum_exp(x), row_tol<T>(K));
    check_close(to_host(out_mean), gendiv::log_mean_exp(x), row_tol<T>(K));

    xt::xarray<T> u = gendiv::test::uniform<T>({B}, 0.5, 2, 12);
    auto du = to_device(u);
    thrust::device_vector<T> g(B * K), work(B);
    gendiv::device::log_sum_exp_grad(thrust::device, dx.begin(), out.begin(), du.begin(), B, K,
                                     work.begin(), g.begin());
    const auto host = gendiv::log_sum_exp_grad(x, u).x;
    // The lse values feeding exp(x − lse) differ by the reduction order, so the gradient
    // inherits their relative error: compare with the row tolerance, not in ulps.
    const auto gd = to_host(g);
    for (std::size_t i = 0; i < gd.size(); ++i) {
        const double d = gd[i], h = host.flat(i);
        if (std::isnan(h)) {
            BOOST_CHECK(std::isnan(d));
            continue;
        }
        BOOST_CHECK_MESSAGE(std::abs(d - h) <= row_tol<T>(K) * std::max(std::abs(h), 1e-30) * 30,
                            "entry " << i << ": device " << d << " host " << h);
    }
}

BOOST_AUTO_TEST_CASE(log_mean_exp_of_constant_row_is_the_constant) {
    const std::size_t n = 1000000;
    thrust::device_vector<double> x(n, -3.25);
    thrust::device_vector<double> out(1);
    gendiv::device::log_mean_exp(thrust::device, x.begin(), 1, n, out.begin());
    BOOST_CHECK_EQUAL(static_cast<double>(out[0]), -3.25);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_matches_host, T, types) {
    const std::size_t B = 5, D = 784;
    xt::xarray<T> logits = gendiv::test::uniform<T>({B, D}, -20, 20, 21);
    logits(0, 0) = T(1e4);
    logits(0, 1) = T(-1e4);
    xt::xarray<T> t = xt::cast<T>(gendiv::test::uniform<double>({B, D}, 0, 1, 22) > 0.5);
    auto dl = to_device(logits), dt = to_device(t);
    thrust::device_vector<T> out(B);
    gendiv::device::log_likelihood_bernoulli_logits(thrust::device, dl.begin(), dt.begin(), B, D,
                                                    out.begin());
    check_close(to_host(out), gendiv::log_likelihood_bernoulli_logits(logits, t), row_tol<T>(D));

    xt::xarray<T> u = gendiv::test::uniform<T>({B}, -2, 2, 23);
    auto du = to_device(u);
    thrust::device_vector<T> g(B * D);
    gendiv::device::log_likelihood_bernoulli_logits_grad(thrust::device, dl.begin(), dt.begin(),
                                                         du.begin(), B, D, g.begin());
    check_elementwise(to_host(g), gendiv::log_likelihood_bernoulli_logits_grad(logits, t, u).logits);

    xt::xarray<T> mu = gendiv::test::uniform<T>({B, D}, 0, 1, 24);
    mu(1, 0) = 0;
    mu(1, 1) = 1;
    t(1, 0) = 0;
    t(1, 1) = 1;
    auto dm = to_device(mu);
    dt = to_device(t);
    gendiv::device::log_likelihood_bernoulli(thrust::device, dm.begin(), dt.begin(), B, D,
                                             out.begin());
    check_close(to_host(out), gendiv::log_likelihood_bernoulli(mu, t), row_tol<T>(D));
    gendiv::device::log_likelihood_bernoulli_grad(thrust::device, dm.begin(), dt.begin(),
                                                  du.begin(), B, D, g.begin());
    check_elementwise(to_host(g), gendiv::log_likelihood_bernoulli_grad(mu, t, u).mu);
}

BOOST_AUTO_TEST_CASE(bernoulli_rejects_bad_targets) {
    thrust::device_vector<double> x(4, 0.5), t(4, 0.0), out(2);
    t[3] = 2.0;
    BOOST_CHECK_EXCEPTION(gendiv::device::log_likelihood_bernoulli_logits(thrust::device, x.begin(),
                                                                          t.begin(), 2, 2, out.begin()),
                          gendiv::error, (message_has{"device::log_likelihood_bernoulli_logits", "target"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(normal_and_kl_match_host, T, types) {
    const std::size_t B = 6, D = 100;
    xt::xarray<T> mu = gendiv::test::uniform<T>({B, D}, -3, 3, 31);
    xt::xarray<T> lv = gendiv::test::uniform<T>({B, D}, -6, 6, 32);
    xt::xarray<T> z = gendiv::test::uniform<T>({B, D}, -3, 3, 33);
    xt::xarray<T> mp = gendiv::test::uniform<T>({B, D}, -1, 1, 34);
    xt::xarray<T> lp = gendiv::test::uniform<T>({B, D}, -2, 2, 35);
    lv(0, 0) = T(-80);
    lv(0, 1) = T(80);
    auto dm = to_device(mu), dl = to_device(lv), dz = to_device(z), dmp = to_device(mp),
         dlp = to_device(lp);
    thrust::device_vector<T> out(B);
    gendiv::device::log_likelihood_normal(thrust::device, dm.begin(), dl.begin(), dz.begin(), B, D,
                                          out.begin());
    check_close(to_host(out), gendiv::log_likelihood_normal(mu, lv, z), row_tol<T>(D));

    xt::xarray<T> u = gendiv::test::uniform<T>({B}, 0.1, 1, 36);
    auto du = to_device(u);
    thrust::device_vector<T> g0(B * D), g1(B * D), g2(B * D), g3(B * D);
    gendiv::device::log_likelihood_normal_grad(thrust::device, dm.begin(), dl.begin(), dz.begin(),
                                               du.begin(), B, D, g0.begin(), g1.begin(), g2.begin());
    const auto hn = gendiv::log_likelihood_normal_grad(mu, lv, z, u);
    check_elementwise(to_host(g0), hn.mu);
    check_elementwise(to_host(g1), hn.logvar);
    check_elementwise(to_host(g2), hn.z);

    gendiv::device::kl_gaussian_gaussian_analytic(thrust::device, dm.begin(), dl.begin(),
                                                  dmp.begin(), dlp.begin(), B, D, out.begin());
    check_close(to_host(out), gendiv::kl_gaussian_gaussian_analytic(mu, lv, mp, lp), row_tol<T>(D));

    // A standard-normal prior as constant iterators, against the host's broadcast zeros.
    thrust::constant_iterator<T> zero(T(0));
    gendiv::device::kl_gaussian_gaussian_analytic(thrust::device, dm.begin(), dl.begin(), zero,
                                                  zero, B, D, out.begin());
    const xt::xarray<T> zeros = xt::zeros<T>({D});
    check_close(to_host(out), gendiv::kl_gaussian_gaussian_analytic(mu, lv, zeros, zeros),
                row_tol<T>(D));

    gendiv::device::kl_gaussian_gaussian_analytic_grad(thrust::device, dm.begin(), dl.begin(),
                                                       dmp.begin(), dlp.begin(), du.begin(), B, D,
                                                       g0.begin(), g1.begin(), g2.begin(),
                                                       g3.begin());
    const auto hk = gendiv::kl_gaussian_gaussian_analytic_grad(mu, lv, mp, lp, u);
    check_elementwise(to_host(g0), hk.mu_q);
    check_elementwise(to_host(g1), hk.logvar_q);
    check_elementwise(to_host(g2), hk.mu_p);
    check_elementwise(to_host(g3), hk.logvar_p);
}

// ---- the two row loops of the host backends (device/host_rows.hpp) ---------------------------

// On a host backend, contiguous ranges of the output's type (and constant_iterators) take the
// SIMD row loops of host_rows.hpp; other iterators take the scalar loop of rows.hpp. Wrapping a
// range in a transform_iterator forces the scalar loop on the same values, so each row sum can
// be checked between the two loops, at row lengths below, at and above the SIMD width.

namespace {

template <class T>
struct same_value {
    GENDIV_HD T operator()(T v) const { return v; }
};

/// The same values as `it`, through an iterator that is not contiguous.
template <class It>
auto opaque(It it) {
    using T = typename thrust::iterator_traits<It>::value_type;
    return thrust::make_transform_iterator(it, same_value<T>{});
}

}  // namespace

// A constant row through the scalar loop: m + log(s/n), as the host; m + (log s - log n) missed
// a float row of 1579 values of 0.3.
BOOST_AUTO_TEST_CASE(log_mean_exp_of_constant_row_is_the_constant_on_the_scalar_loop) {
    for (const std::size_t len : {std::size_t(1579), std::size_t(3000)}) {
        thrust::device_vector<float> c(len, 0.3f), o(1);
        gendiv::device::log_mean_exp(thrust::device, opaque(c.begin()), 1, len, o.begin());
        BOOST_CHECK_EQUAL(static_cast<float>(o[0]), 0.3f);
    }
}

#if !defined(__CUDACC__)
static_assert(gendiv::device::detail::host_simd_writable<float, thrust::device_vector<float>::iterator>);
static_assert(!gendiv::device::detail::host_simd_writable<float, const float*>);
static_assert(gendiv::device::detail::host_simd_rows<float, thrust::device_vector<float>::iterator,
                                                     thrust::constant_iterator<float>, const float*>);
static_assert(!gendiv::device::detail::host_simd_rows<
              float, decltype(opaque(thrust::device_vector<float>().begin()))>);
static_assert(!gendiv::device::detail::host_simd_rows<float, const double*>);
#endif

BOOST_AUTO_TEST_CASE_TEMPLATE(simd_and_scalar_row_loops_agree, T, types) {
    for (const std::size_t D : {std::size_t(1), std::size_t(3), std::size_t(8), std::size_t(37)}) {
        BOOST_TEST_CONTEXT("D = " << D) {
            const std::size_t B = 5;
            xt::xarray<T> x = gendiv::test::uniform<T>({B, D}, -30, 30, 41);
            x(1, D - 1) = -std::numeric_limits<T>::infinity();
            x(2, 0) = std::numeric_limits<T>::infinity();
            x(3, D / 2) = std::numeric_limits<T>::quiet_NaN();
            const xt::xarray<T> t = xt::cast<T>(gendiv::test::uniform<double>({B, D}, 0, 1, 42) > 0.5);
            const xt::xarray<T> mu = gendiv::test::uniform<T>({B, D}, 0, 1, 43);
            const xt::xarray<T> lv = gendiv::test::uniform<T>({B, D}, -6, 6, 44);
            auto dx = to_device(x), dt = to_device(t), dm = to_device(mu), dl = to_device(lv);
            thrust::device_vector<T> simd(B), scalar(B);
            const auto agree = [&](const char* what) {
                BOOST_TEST_CONTEXT(what) {
                    const auto a = to_host(simd), b = to_host(scalar);
                    for (std::size_t i = 0; i < B; ++i) {
                        if (!std::isfinite(static_cast<double>(b[i]))) {
                            BOOST_CHECK_MESSAGE(gendiv::test::same_non_finite(a[i], b[i]),
                                                "row " << i << ": " << a[i] << " vs " << b[i]);
                            continue;
                        }
                        BOOST_CHECK_MESSAGE(std::abs(double(a[i]) - double(b[i])) <=
                                                row_tol<T>(D) * std::max(1.0, std::abs(double(b[i]))),
                                            "row " << i << ": " << a[i] << " vs " << b[i]);
                    }
                }
            };
            gendiv::device::log_mean_exp(thrust::device, dx.begin(), B, D, simd.begin());
            gendiv::device::log_mean_exp(thrust::device, opaque(dx.begin()), B, D, scalar.begin());
            agree("log_mean_exp");
            gendiv::device::log_sum_exp(thrust::device, dx.begin(), B, D, simd.begin());
            gendiv::device::log_sum_exp(thrust::device, opaque(dx.begin()), B, D, scalar.begin());
            agree("log_sum_exp");
            gendiv::device::log_likelihood_bernoulli_logits(thrust::device, dx.begin(), dt.begin(), B,
                                                            D, simd.begin());
            gendiv::device::log_likelihood_bernoulli_logits(thrust::device, opaque(dx.begin()),
                                                            dt.begin(), B, D, scalar.begin());
            agree("bernoulli_logits");
            gendiv::device::log_likelihood_bernoulli(thrust::device, dm.begin(), dt.begin(), B, D,
                                                     simd.begin());
            gendiv::device::log_likelihood_bernoulli(thrust::device, dm.begin(), opaque(dt.begin()), B,
                                                     D, scalar.begin());
            agree("bernoulli");
            gendiv::device::log_likelihood_normal(thrust::device, dx.begin(), dl.begin(), dm.begin(), B,
                                                  D, simd.begin());
            gendiv::device::log_likelihood_normal(thrust::device, dx.begin(), opaque(dl.begin()),
                                                  dm.begin(), B, D, scalar.begin());
            agree("normal");
            thrust::constant_iterator<T> zero(T(0));
            gendiv::device::kl_gaussian_gaussian_analytic(thrust::device, dx.begin(), dl.begin(), zero,
                                                          zero, B, D, simd.begin());
            gendiv::device::kl_gaussian_gaussian_analytic(thrust::device, dx.begin(), dl.begin(),
                                                          opaque(zero), zero, B, D, scalar.begin());
            agree("kl");

            // Element-wise gradients: contiguous arguments take the SIMD row loop, an opaque
            // upstream forces the scalar for_each; the same kernel on the same values, so they
            // must agree to check_elementwise's few ulp.
            xt::xarray<T> u = gendiv::test::uniform<T>({B}, -2, 2, 45);
            auto du = to_device(u);
            thrust::device_vector<T> g0(B * D), g1(B * D), g2(B * D), g3(B * D);
            thrust::device_vector<T> h0(B * D), h1(B * D), h2(B * D), h3(B * D);
            const auto as_host = [](const thrust::device_vector<T>& v) {
                const auto h = to_host(v);
                return xt::xarray<T>(xt::adapt(h, {h.size()}));
            };
            gendiv::device::log_likelihood_bernoulli_logits_grad(thrust::device, dx.begin(), dt.begin(),
                                                                 du.begin(), B, D, g0.begin());
            gendiv::device::log_likelihood_bernoulli_logits_grad(thrust::device, dx.begin(), dt.begin(),
                                                                 opaque(du.begin()), B, D, h0.begin());
            check_elementwise(to_host(g0), as_host(h0));
            gendiv::device::log_likelihood_bernoulli_grad(thrust::device, dm.begin(), dt.begin(),
                                                          du.begin(), B, D, g0.begin());
            gendiv::device::log_likelihood_bernoulli_grad(thrust::device, dm.begin(), dt.begin(),
                                                          opaque(du.begin()), B, D, h0.begin());
            check_elementwise(to_host(g0), as_host(h0));
            gendiv::device::log_likelihood_normal_grad(thrust::device, dx.begin(), dl.begin(), dm.begin(),
                                                       du.begin(), B, D, g0.begin(), g1.begin(), g2.begin());
            gendiv::device::log_likelihood_normal_grad(thrust::device, dx.begin(), dl.begin(), dm.begin(),
                                                       opaque(du.begin()), B, D, h0.begin(), h1.begin(),
                                                       h2.begin());
            check_elementwise(to_host(g0), as_host(h0));
            check_elementwise(to_host(g1), as_host(h1));
            check_elementwise(to_host(g2), as_host(h2));
            gendiv::device::kl_gaussian_gaussian_analytic_grad(thrust::device, dx.begin(), dl.begin(), zero,
                                                               zero, du.begin(), B, D, g0.begin(),
                                                               g1.begin(), g2.begin(), g3.begin());
            gendiv::device::kl_gaussian_gaussian_analytic_grad(thrust::device, dx.begin(), dl.begin(), zero,
                                                               zero, opaque(du.begin()), B, D, h0.begin(),
                                                               h1.begin(), h2.begin(), h3.begin());
            check_elementwise(to_host(g0), as_host(h0));
            check_elementwise(to_host(g1), as_host(h1));
            check_elementwise(to_host(g2), as_host(h2));
            check_elementwise(to_host(g3), as_host(h3));
        }
    }
}

// The target check runs inside the SIMD row pass: a bad value is found wherever it sits (the
// first element, a lane of a full batch, the scalar tail), in either row loop, and the error
// names the argument that holds it.
BOOST_AUTO_TEST_CASE(bernoulli_bad_values_are_found_in_every_lane) {
    const std::size_t B = 3, D = 21;
    const auto names = [](const char* fn, const char* arg) { return message_has{fn, arg}; };
    for (const std::size_t at : {std::size_t(0), std::size_t(B * D / 2), std::size_t(B * D - 1)}) {
        for (const double bad : {-0.25, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
            BOOST_TEST_CONTEXT("index " << at << ", value " << bad) {
                thrust::device_vector<double> x(B * D, 0.5), t(B * D, 1.0), out(B);
                t[at] = bad;
                BOOST_CHECK_EXCEPTION(gendiv::device::log_likelihood_bernoulli_logits(
                                          thrust::device, x.begin(), t.begin(), B, D, out.begin()),
                                      gendiv::error,
                                      names("device::log_likelihood_bernoulli_logits", "'target'"));
                BOOST_CHECK_EXCEPTION(gendiv::device::log_likelihood_bernoulli_logits(
                                          thrust::device, opaque(x.begin()), t.begin(), B, D,
                                          out.begin()),
                                      gendiv::error,
                                      names("device::log_likelihood_bernoulli_logits", "'target'"));
                BOOST_CHECK_EXCEPTION(gendiv::device::log_likelihood_bernoulli(
                                          thrust::device, x.begin(), t.begin(), B, D, out.begin()),
                                      gendiv::error, names("device::log_likelihood_bernoulli", "'target'"));
                BOOST_CHECK_EXCEPTION(gendiv::device::log_likelihood_bernoulli(
                                          thrust::device, t.begin(), x.begin(), B, D, out.begin()),
                                      gendiv::error, names("device::log_likelihood_bernoulli", "'mu'"));
                BOOST_CHECK_EXCEPTION(gendiv::device::log_likelihood_bernoulli(
                                          thrust::device, opaque(t.begin()), x.begin(), B, D,
                                          out.begin()),
                                      gendiv::error, names("device::log_likelihood_bernoulli", "'mu'"));
            }
        }
    }
}

// ---- Monte Carlo KL (device/kl.hpp) ----------------------------------------------------------

// Bounds: the value of row b sums S·D terms in another order than the host path (which sums
// each sample's D terms in SIMD lanes of T, then the S partial sums in double), so
// |device − host| ≤ 4·S·D·ε·A_b with A_b = (1/S)·Σ_{s,d} |term| (the reordered-summation
// bound). The gradient sums its S terms per coordinate in T in the same order as the host
// path: 4 ulp (FMA contraction) or 8ε of the array's scale.
BOOST_AUTO_TEST_CASE_TEMPLATE(kl_mc_matches_host, T, types) {
    const std::size_t S = 7, B = 5, D = 40;
    xt::xarray<T> mq = gendiv::test::uniform<T>({B, D}, -3, 3, 41);
    xt::xarray<T> lq = gendiv::test::uniform<T>({B, D}, -6, 6, 42);
    xt::xarray<T> mp = gendiv::test::uniform<T>({B, D}, -1, 1, 43);
    xt::xarray<T> lp = gendiv::test::uniform<T>({B, D}, -2, 2, 44);
    xt::xarray<T> eps = gendiv::test::uniform<T>({S, B, D}, -3, 3, 45);
    // Extremes: log-variances at ±80 (e^{±80} overflows float), and q = p exactly in row 4.
    lq(0, 0) = T(80);
    lp(0, 0) = T(-80);
    lq(1, 1) = T(-80);
    lp(1, 2) = T(80);
    for (std::size_t d = 0; d < D; ++d) {
        mp(4, d) = mq(4, d);
        lp(4, d) = lq(4, d);
    }
    auto dmq = to_device(mq), dlq = to_device(lq), dmp = to_device(mp), dlp = to_device(lp),
         deps = to_device(eps);
    thrust::device_vector<T> out(B);
    gendiv::device::kl_gaussian_gaussian_mc(thrust::device, dmq.begin(), dlq.begin(), dmp.begin(),
                                            dlp.begin(), deps.begin(), S, B, D, out.begin());
    const auto host = gendiv::kl_gaussian_gaussian_mc(mq, lq, mp, lp, eps);
    std::vector<double> scale(B, 0.0);
    for (std::size_t b = 0; b < B; ++b) {
        for (std::size_t s = 0; s < S; ++s)
            for (std::size_t d = 0; d < D; ++d)
                scale[b] += std::abs(static_cast<double>(gendiv::detail::kl_normal_mc_fn{}(
                    mq(b, d), lq(b, d), mp(b, d), lp(b, d), eps(s, b, d))));
        scale[b] /= static_cast<double>(S);
    }
    const auto dev = to_host(out);
    check_close_scaled(dev, host, scale, row_tol<T>(S * D));
    BOOST_CHECK_EQUAL(dev[4], T(0));  // KL(q‖q) = 0 exactly, sample by sample

    xt::xarray<T> u = gendiv::test::uniform<T>({B}, -2, 2, 46);
    auto du = to_device(u);
    thrust::device_vector<T> g0(B * D), g1(B * D), g2(B * D), g3(B * D);
    gendiv::device::kl_gaussian_gaussian_mc_grad(thrust::device, dmq.begin(), dlq.begin(), dmp.begin(),
                                                 dlp.begin(), deps.begin(), du.begin(), S, B, D,
                                                 g0.begin(), g1.begin(), g2.begin(), g3.begin());
    const auto hg = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, mp, lp, eps, u);
    check_elementwise(to_host(g0), hg.mu_q);
    check_elementwise(to_host(g1), hg.logvar_q);
    check_elementwise(to_host(g2), hg.mu_p);
    check_elementwise(to_host(g3), hg.logvar_p);

    // No-policy overloads on containers (sizes checked) give the same bits.
    thrust::device_vector<T> out2(B), h0(B * D), h1(B * D), h2(B * D), h3(B * D);
    gendiv::device::kl_gaussian_gaussian_mc(dmq, dlq, dmp, dlp, deps, S, B, D, out2);
    BOOST_CHECK(same_values(to_host(out2), dev));
    gendiv::device::kl_gaussian_gaussian_mc_grad(dmq, dlq, dmp, dlp, deps, du, S, B, D, h0, h1, h2, h3);
    BOOST_CHECK(same_values(to_host(h0), to_host(g0)));
    BOOST_CHECK(same_values(to_host(h3), to_host(g3)));
}

BOOST_AUTO_TEST_CASE(kl_mc_converges_to_analytic) {
    // Identity: the MC estimate with S = 4000 samples is within 5 standard errors of the
    // analytic KL (standard error estimated from the per-sample values).
    const std::size_t S = 4000, B = 2, D = 3;
    xt::xarray<double> mq = gendiv::test::uniform<double>({B, D}, -1, 1, 51);
    xt::xarray<double> lq = gendiv::test::uniform<double>({B, D}, -1, 1, 52);
    xt::xarray<double> mp = xt::zeros<double>({B, D}), lp = xt::zeros<double>({B, D});
    std::mt19937_64 rng(53);
    std::normal_distribution<double> normal;
    xt::xarray<double> eps = xt::xarray<double>::from_shape({S, B, D});
    for (auto& e : eps) e = normal(rng);
    auto dmq = to_device(mq), dlq = to_device(lq), dmp = to_device(mp), dlp = to_device(lp),
         deps = to_device(eps);
    thrust::device_vector<double> mc(B), exact(B), one(B);
    gendiv::device::kl_gaussian_gaussian_mc(dmq, dlq, dmp, dlp, deps, S, B, D, mc);
    gendiv::device::kl_gaussian_gaussian_analytic(dmq, dlq, dmp, dlp, B, D, exact);
    for (std::size_t b = 0; b < B; ++b) {
        double s1 = 0, s2 = 0;
        for (std::size_t s = 0; s < S; ++s) {
            double v = 0;
            for (std::size_t d = 0; d < D; ++d)
                v += gendiv::detail::kl_normal_mc_fn{}(mq(b, d), lq(b, d), mp(b, d), lp(b, d),
                                                       eps(s, b, d));
            s1 += v;
            s2 += v * v;
        }
        const double var = s2 / S - (s1 / S) * (s1 / S);
        const double se = std::sqrt(var / S);
        BOOST_CHECK_LE(std::abs(static_cast<double>(mc[b]) - static_cast<double>(exact[b])), 5 * se);
    }
}

// ---- log_mean_exp_grad (device/log_sum_exp.hpp) ------------------------------------------------

// Bound: the weights e^{x − lme − log n} inherit the relative error of the row's log-mean-exp
// (4nε, a different summation order) times |x − lse| ≤ 2e4 here, so the test allows
// 30·4nε·|g| plus 16 times the smallest normal number (the host's SIMD exp flushes results
// near the underflow threshold to 0); −inf rows give 0 and NaN rows NaN, exactly.
BOOST_AUTO_TEST_CASE_TEMPLATE(log_mean_exp_grad_matches_host, T, types) {
    const std::size_t B = 6, K = 200;
    xt::xarray<T> x = gendiv::test::uniform<T>({B, K}, -30, 30, 61);
    for (std::size_t k = 0; k < K; ++k) x(0, k) = -std::numeric_limits<T>::infinity();
    x(1, 0) = T(1e4);
    x(1, 1) = T(-1e4);
    x(2, 7) = std::numeric_limits<T>::infinity();
    x(3, 9) = std::numeric_limits<T>::quiet_NaN();
    x(4, 3) = T(-1e4);
    xt::xarray<T> u = gendiv::test::uniform<T>({B}, 0.5, 2, 62);
    auto dx = to_device(x), du = to_device(u);
    thrust::device_vector<T> lme(B), g(B * K), g2(B * K), work(B);
    gendiv::device::log_mean_exp(thrust::device, dx.begin(), B, K, lme.begin());
    check_close(to_host(lme), gendiv::log_mean_exp(x), row_tol<T>(K));
    gendiv::device::log_mean_exp_grad(thrust::device, dx.begin(), lme.begin(), du.begin(), B, K,
                                      work.begin(), g.begin());
    const auto host = gendiv::log_mean_exp_grad(x, u).x;
    const auto gd = to_host(g);
    for (std::size_t i = 0; i < gd.size(); ++i) {
        const double d = gd[i], h = host.flat(i);
        if (!std::isfinite(h)) {
            BOOST_CHECK_MESSAGE(gendiv::test::same_non_finite(d, h), "entry " << i << ": " << d << " vs " << h);
            continue;
        }
        BOOST_CHECK_MESSAGE(std::abs(d - h) <= 30 * row_tol<T>(K) * std::abs(h) +
                                                   16 * std::numeric_limits<T>::min(),
                            "entry " << i << ": device " << d << " host " << h);
    }
    // Without a workspace (a temporary buffer) and without a policy: the same bits.
    gendiv::device::log_mean_exp_grad(thrust::device, dx.begin(), lme.begin(), du.begin(), B, K,
                                      g2.begin());
    BOOST_CHECK(same_values(to_host(g2), gd));
    thrust::fill(g2.begin(), g2.end(), T(0));
    gendiv::device::log_mean_exp_grad(dx, lme, du, B, K, g2);
    BOOST_CHECK(same_values(to_host(g2), gd));
}

// ---- no-policy overloads and argument checks -----------------------------------------------------

BOOST_AUTO_TEST_CASE(no_policy_overloads_match_policy_overloads) {
    const std::size_t B = 3, D = 50;
    xt::xarray<double> mu = gendiv::test::uniform<double>({B, D}, -2, 2, 71);
    xt::xarray<double> lv = gendiv::test::uniform<double>({B, D}, -2, 2, 72);
    xt::xarray<double> z = gendiv::test::uniform<double>({B, D}, -2, 2, 73);
    auto dm = to_device(mu), dl = to_device(lv), dz = to_device(z);
    thrust::device_vector<double> a(B), b(B), c(B);
    gendiv::device::log_likelihood_normal(thrust::device, dm.begin(), dl.begin(), dz.begin(), B, D,
                                          a.begin());
    gendiv::device::log_likelihood_normal(dm.begin(), dl.begin(), dz.begin(), B, D, b.begin());
    gendiv::device::log_likelihood_normal(dm, dl, dz, B, D, c);
    BOOST_CHECK(to_host(a) == to_host(b));
    BOOST_CHECK(to_host(a) == to_host(c));
    // A constant iterator first has no system: the next range decides.
    thrust::constant_iterator<double> zero(0.0);
    gendiv::device::kl_gaussian_gaussian_analytic(thrust::device, dm.begin(), dl.begin(), zero, zero,
                                                  B, D, a.begin());
    gendiv::device::kl_gaussian_gaussian_analytic(zero, zero, dm, dl, B, D, b);
    gendiv::device::kl_gaussian_gaussian_analytic(dm, dl, zero, zero, B, D, c);
    BOOST_CHECK(to_host(a) == to_host(c));
    BOOST_CHECK(to_host(b)[0] >= 0.0);
    // Host containers work too (thrust::host through their iterators' system).
    std::vector<double> hm(mu.begin(), mu.end()), hl(lv.begin(), lv.end()), hz(z.begin(), z.end()),
        ho(B);
    gendiv::device::log_likelihood_normal(hm, hl, hz, B, D, ho);
    const auto expect = gendiv::log_likelihood_normal(mu, lv, z);
    for (std::size_t i = 0; i < B; ++i)
        BOOST_CHECK_LE(std::abs(ho[i] - expect(i)), row_tol<double>(D) * std::abs(expect(i)));
}

BOOST_AUTO_TEST_CASE(device_argument_errors_name_function_argument_and_sizes) {
    thrust::device_vector<double> x(12, 0.5), y(12, 0.5), small(11, 0.5), out(3), g(12);
    // A container whose size is not batch·length.
    BOOST_CHECK_EXCEPTION(
        gendiv::device::log_likelihood_normal(x, small, y, 3, 4, out), gendiv::error,
        (message_has{"device::log_likelihood_normal", "'logvar'", "11", "batch·length = 3·4 = 12"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::log_sum_exp(thrust::device, x, 3, 4, small), gendiv::error,
                          (message_has{"device::log_sum_exp", "'out'", "11", "batch = 3"}));
    // num_samples = 0 and a wrong eps size.
    thrust::device_vector<double> eps(24, 0.0);
    BOOST_CHECK_EXCEPTION(gendiv::device::kl_gaussian_gaussian_mc(x, y, x, y, eps, 0, 3, 4, out),
                          gendiv::error,
                          (message_has{"device::kl_gaussian_gaussian_mc", "'num_samples' is 0"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::kl_gaussian_gaussian_mc(x, y, x, y, eps, 3, 3, 4, out),
                          gendiv::error,
                          (message_has{"device::kl_gaussian_gaussian_mc", "'eps'", "24",
                                       "num_samples·batch·length = 3·3·4 = 36"}));
    BOOST_CHECK_EXCEPTION(
        gendiv::device::kl_gaussian_gaussian_mc_grad(x, y, x, y, eps, out, 0, 3, 4, g, g, g, g),
        gendiv::error, (message_has{"device::kl_gaussian_gaussian_mc_grad", "'num_samples' is 0"}));
    // log_mean_exp over empty rows, a workspace that is too small, an overflowing B·D.
    BOOST_CHECK_EXCEPTION(gendiv::device::log_mean_exp(thrust::device, x.begin(), 3, 0, out.begin()),
                          gendiv::error, (message_has{"device::log_mean_exp", "'n' is 0"}));
    thrust::device_vector<double> lse(3, 0.0), u(3, 1.0), work(2);
    BOOST_CHECK_EXCEPTION(
        gendiv::device::log_sum_exp_grad(thrust::device, x, lse, u, 3, 4, work, g), gendiv::error,
        (message_has{"device::log_sum_exp_grad", "'workspace'", "2", "at least batch = 3"}));
    BOOST_CHECK_EXCEPTION(
        gendiv::device::log_mean_exp_grad(thrust::device, x.begin(), lse.begin(), u.begin(), 3, 0, g.begin()),
        gendiv::error, (message_has{"device::log_mean_exp_grad", "'n' is 0"}));
    const std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;
    BOOST_CHECK_EXCEPTION(gendiv::device::log_sum_exp(thrust::device, x.begin(), huge, 3, out.begin()),
                          gendiv::error, (message_has{"device::log_sum_exp", "overflows"}));
    // Bernoulli probabilities outside [0, 1], named.
    thrust::device_vector<double> bad(12, 0.5);
    bad[5] = 1.5;
    BOOST_CHECK_EXCEPTION(gendiv::device::log_likelihood_bernoulli_grad(bad, y, u, 3, 4, g), gendiv::error,
                          (message_has{"device::log_likelihood_bernoulli_grad", "'mu'", "[0, 1]"}));
}

// ---- estimators (device/estimators.hpp) ----------------------------------------------------------

// Bounds: log-weights and the gradients (u, u, −u), (u, −u), u/K are element-wise (4 ulp);
// iwae_bound is log_mean_exp (4Kε relative, as above); elbo sums K terms in another order
// (4Kε·Σ|log w|/K); the iwae gradient as log_mean_exp_grad (30·4Kε relative).
BOOST_AUTO_TEST_CASE_TEMPLATE(estimators_match_host, T, types) {
    const std::size_t B = 5, K = 200;
    xt::xarray<T> lpx = gendiv::test::uniform<T>({B, K}, -600, -50, 131);
    xt::xarray<T> lpz = gendiv::test::uniform<T>({B, K}, -150, -100, 132);
    xt::xarray<T> lqz = gendiv::test::uniform<T>({B, K}, -20, 60, 133);
    for (std::size_t k = 0; k < K; ++k) lpx(0, k) = -std::numeric_limits<T>::infinity();  // −inf row
    lpx(1, 3) = T(-1e4);
    auto da = to_device(lpx), dp = to_device(lpz), dq = to_device(lqz);
    thrust::device_vector<T> w(B * K), bound(B), el(B), g(B * K), g2(B * K), g3(B * K);
    gendiv::device::importance_log_weights(thrust::device, da.begin(), dp.begin(), dq.begin(), B, K,
                                           w.begin());
    const xt::xarray<T> hw = gendiv::importance_log_weights(lpx, lpz, lqz);
    check_elementwise(to_host(w), hw);
    gendiv::device::iwae_bound(thrust::device, w.begin(), B, K, bound.begin());
    check_close(to_host(bound), gendiv::iwae_bound(hw), row_tol<T>(K));
    gendiv::device::elbo(w, B, K, el);
    std::vector<double> scale(B, 0.0);
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t k = 0; k < K; ++k) scale[b] += std::abs(static_cast<double>(hw(b, k))) / K;
    check_close_scaled(to_host(el), gendiv::elbo(hw), scale, row_tol<T>(K));

    xt::xarray<T> u = gendiv::test::uniform<T>({B}, 0.5, 2, 134);
    auto du = to_device(u);
    gendiv::device::iwae_bound_grad(thrust::device, w.begin(), bound.begin(), du.begin(), B, K, g.begin());
    const auto hi = gendiv::iwae_bound_grad(hw, u).log_weights;
    const auto gi = to_host(g);
    for (std::size_t i = 0; i < gi.size(); ++i) {
        const double d = gi[i], h = hi.flat(i);
        if (!std::isfinite(h)) {
            BOOST_CHECK(gendiv::test::same_non_finite(d, h));
            continue;
        }
        // + 16·(smallest normal): weights near the underflow threshold, which the host's SIMD
        // exp flushes to 0 where the scalar exp returns a small normal or subnormal value.
        BOOST_CHECK_MESSAGE(std::abs(d - h) <= 30 * row_tol<T>(K) * std::abs(h) + 16 * std::numeric_limits<T>::min(),
                            "entry " << i << ": device " << d << " host " << h);
    }
    gendiv::device::elbo_grad(du, B, K, g);
    check_elementwise(to_host(g), gendiv::elbo_grad(hw, u).log_weights);

    xt::xarray<T> uk = gendiv::test::uniform<T>({B, K}, -1, 1, 135);
    auto duk = to_device(uk);
    gendiv::device::importance_log_weights_grad(thrust::device, duk.begin(), B, K, g.begin(), g2.begin(),
                                                g3.begin());
    const auto hg = gendiv::importance_log_weights_grad(lpx, lpz, lqz, uk);
    check_elementwise(to_host(g), hg.log_px_given_z);
    check_elementwise(to_host(g2), hg.log_pz);
    check_elementwise(to_host(g3), hg.log_qz_given_x);

    // The analytic-KL ELBO over B examples.
    xt::xarray<T> a = gendiv::test::uniform<T>({B}, -600, -50, 136), kl = gendiv::test::uniform<T>({B}, 0, 40, 137);
    auto dav = to_device(a), dkl = to_device(kl);
    thrust::device_vector<T> ea(B), ga(B), gk(B);
    gendiv::device::elbo_analytic(dav, dkl, B, ea);
    check_elementwise(to_host(ea), gendiv::elbo_analytic(a, kl));
    gendiv::device::elbo_analytic_grad(du, B, ga, gk);
    const auto hea = gendiv::elbo_analytic_grad(a, kl, u);
    check_elementwise(to_host(ga), hea.log_px_given_z);
    check_elementwise(to_host(gk), hea.kl);
}

BOOST_AUTO_TEST_CASE(estimator_errors) {
    thrust::device_vector<double> w(12, 0.0), out(3), small(2);
    BOOST_CHECK_EXCEPTION(gendiv::device::iwae_bound(w, 3, 0, out), gendiv::error,
                          (message_has{"device::iwae_bound", "'k' is 0"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::elbo(thrust::device, w.begin(), 3, 0, out.begin()), gendiv::error,
                          (message_has{"device::elbo", "'k' is 0"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::elbo(w, 3, 4, small), gendiv::error,
                          (message_has{"device::elbo", "'out'", "holds 2", "batch = 3"}));
    BOOST_CHECK_EXCEPTION(
        gendiv::device::importance_log_weights(w, w, small, 3, 4, w), gendiv::error,
        (message_has{"device::importance_log_weights", "'log_qz_given_x'", "batch·length = 3·4 = 12"}));
    // iwae_bound_grad names itself and its own arguments (it used to report log_mean_exp_grad's
    // 'lme' and 'x').
    thrust::device_vector<double> u(3, 1.0), g(12);
    BOOST_CHECK_EXCEPTION(gendiv::device::iwae_bound_grad(w, small, u, 3, 4, g), gendiv::error,
                          (message_has{"device::iwae_bound_grad", "'bound'", "holds 2", "batch = 3"}));
    BOOST_CHECK_EXCEPTION(gendiv::device::iwae_bound_grad(small, out, u, 3, 4, g), gendiv::error,
                          (message_has{"device::iwae_bound_grad", "'log_weights'", "3·4 = 12"}));
    // log_mean_exp over no rows of length 0 throws as with rows (and as the host's shape (0, 0)).
    thrust::device_vector<double> none;
    BOOST_CHECK_EXCEPTION(gendiv::device::log_mean_exp(thrust::device, none.begin(), 0, 0, none.begin()),
                          gendiv::error, (message_has{"device::log_mean_exp", "'n' is 0"}));
}

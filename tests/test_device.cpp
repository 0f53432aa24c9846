// tests/test_device.cpp: the Thrust device paths (device/*.hpp) against the host xtensor path.
// Built once per Thrust backend (OMP and CPP here; CUDA when GENDIV_CUDA is on and a GPU runs
// it). The device path reduces in a different order (reduce_by_key, one-pass log-sum-exp), so
// row sums agree to a relative error bound that grows with the row length, not bit for bit;
// element-wise gradients call the same kernel on the same inputs and must agree to a few ulp
// (the compiler may contract a*b+c into an FMA differently in the two loops).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/host_vector.h>
#include <thrust/iterator/constant_iterator.h>

#include "gendiv/device/kl.hpp"
#include "gendiv/device/likelihood.hpp"
#include "gendiv/device/log_sum_exp.hpp"
#include "gendiv/kl.hpp"
#include "gendiv/likelihood.hpp"
#include "gendiv/log_sum_exp.hpp"
#include "support/numeric.hpp"

namespace {

using gendiv::test::ulp_distance;

template <class T>
thrust::device_vector<T> to_device(const xt::xarray<T>& a) {
    return thrust::device_vector<T>(a.begin(), a.end());
}

template <class T>
std::vector<T> to_host(const thrust::device_vector<T>& d) {
    thrust::host_vector<T> h = d;
    return std::vector<T>(h.begin(), h.end());
}

/// Row sums: |device − host| ≤ tol·(Σ|terms| scale); NaN/inf patterns must match exactly.
template <class T, class A>
void check_close(const std::vector<T>& dev, const A& host, double rel) {
    BOOST_REQUIRE_EQUAL(dev.size(), host.size());
    for (std::size_t i = 0; i < dev.size(); ++i) {
        const double d = dev[i], h = host(i);
        if (std::isnan(h) || std::isinf(h)) {
            BOOST_CHECK_MESSAGE((std::isnan(d) && std::isnan(h)) || d == h,
                                "row " << i << ": device " << d << " host " << h);
            continue;
        }
        BOOST_CHECK_MESSAGE(std::abs(d - h) <= rel * std::max(1.0, std::abs(h)),
                            "row " << i << ": device " << d << " host " << h);
    }
}

/// Element-wise results of the same kernel on the same inputs: equal up to how the compiler
/// contracted a·b + c into FMAs in the scalar (device) and SIMD (host) loops, i.e. a few ulp of
/// the result, or a few ulp of the array's scale where the result comes from a cancellation.
template <class T, class A>
void check_elementwise(const std::vector<T>& dev, const A& host) {
    BOOST_REQUIRE_EQUAL(dev.size(), host.size());
    double scale = 0;
    for (std::size_t i = 0; i < dev.size(); ++i)
        if (std::isfinite(static_cast<double>(host.flat(i))))
            scale = std::max(scale, std::abs(static_cast<double>(host.flat(i))));
    const double eps = std::numeric_limits<T>::epsilon();
    for (std::size_t i = 0; i < dev.size(); ++i) {
        const double d = dev[i], h = host.flat(i);
        if (!std::isfinite(h)) {
            BOOST_CHECK_MESSAGE((std::isnan(d) && std::isnan(h)) || d == h,
                                "entry " << i << ": device " << d << " host " << h);
            continue;
        }
        BOOST_CHECK_MESSAGE(ulp_distance(dev[i], static_cast<T>(host.flat(i))) <= 4 ||
                                std::abs(d - h) <= 8 * eps * scale,
                            "entry " << i << ": device " << d << " host " << h);
    }
}

template <class T>
double row_tol(std::size_t n) {
    return 4.0 * static_cast<double>(n) * std::numeric_limits<T>::epsilon();
}

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
    BOOST_CHECK_EXCEPTION(
        gendiv::device::log_likelihood_bernoulli_logits(thrust::device, x.begin(), t.begin(), 2, 2,
                                                        out.begin()),
        gendiv::error, [](const gendiv::error& e) {
            const std::string m = e.what();
            return m.find("device::log_likelihood_bernoulli_logits") != std::string::npos &&
                   m.find("target") != std::string::npos;
        });
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

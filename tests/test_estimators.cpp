// tests/test_estimators.cpp: estimators.hpp against mpmath reference values
// (tests/reference/core_reference.py, 60-digit working precision), identities (the IWAE bound on
// a conjugate Gaussian model equals log p(x) for every K when q is the true posterior; it is
// ≥ the ELBO and non-decreasing in K on average, Burda et al. 2016, Theorem 1), finite-difference
// gradients (alone and chained through likelihood.hpp to an encoder mean) and every error path.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xview.hpp>

#include "gendiv/estimators.hpp"
#include "gendiv/kl.hpp"
#include "gendiv/likelihood.hpp"
#include "reference/compare.hpp"
#include "reference/core_reference.hpp"
#include "support/numeric.hpp"

namespace {

using float_types = std::tuple<float, double>;
using gendiv::test::array_of;
using gendiv::test::check_close;
using gendiv::test::eps_of;
using gendiv::test::relative_error;
using gendiv::test::uniform;
namespace ref = gendiv::test::ref;

using gendiv::detail::log_two_pi;

/// The toy model p(z) = N(0, I_D), p(x|z) = N(z, I_D), whose posterior is N(x/2, ½I) and whose
/// evidence is p(x) = N(0, 2I), with an encoder q(z|x) = N(qm, e^{qlv}) (all (B, D)). Given noise
/// eps of shape (B, K, D), the samples are z = qm + e^{qlv/2} eps and the log-weights are built
/// with gendiv's own log_likelihood_normal, over B·K rows.
template <class T>
struct toy {
    std::size_t B, K, D;
    xt::xarray<T> z, x_rep, qm_rep, qlv_rep, zeros;

    toy(const xt::xarray<T>& x, const xt::xarray<T>& qm, const xt::xarray<T>& qlv, const xt::xarray<T>& eps)
        : B(eps.shape()[0]), K(eps.shape()[1]), D(eps.shape()[2]), zeros(xt::zeros<T>({eps.shape()[2]})) {
        x_rep = xt::xarray<T>::from_shape({B * K, D});
        qm_rep = x_rep;
        qlv_rep = x_rep;
        z = x_rep;
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t k = 0; k < K; ++k)
                for (std::size_t d = 0; d < D; ++d) {
                    const std::size_t r = b * K + k;
                    x_rep(r, d) = x(b, d);
                    qm_rep(r, d) = qm(b, d);
                    qlv_rep(r, d) = qlv(b, d);
                    z(r, d) = qm(b, d) + std::exp(qlv(b, d) / 2) * eps(b, k, d);
                }
    }

    xt::xarray<T> reshaped(xt::xarray<T> v) const {
        v.reshape({B, K});
        return v;
    }
    xt::xarray<T> log_px_given_z() const { return reshaped(gendiv::log_likelihood_normal(z, zeros, x_rep)); }
    xt::xarray<T> log_pz() const { return reshaped(gendiv::log_likelihood_normal(zeros, zeros, z)); }
    xt::xarray<T> log_qz_given_x() const { return reshaped(gendiv::log_likelihood_normal(qm_rep, qlv_rep, z)); }
    xt::xarray<T> log_weights() const {
        return gendiv::importance_log_weights(log_px_given_z(), log_pz(), log_qz_given_x());
    }
};

/// log p(x) = log N(x; 0, 2I) per row of x (B, D), in double.
template <class T>
std::vector<double> log_evidence(const xt::xarray<T>& x) {
    std::vector<double> out(x.shape()[0]);
    for (std::size_t b = 0; b < out.size(); ++b) {
        double s = 0;
        for (std::size_t d = 0; d < x.shape()[1]; ++d) s += -0.5 * (log_two_pi + std::log(2.0) + x(b, d) * double(x(b, d)) / 2);
        out[b] = s;
    }
    return out;
}

template <class T>
xt::xarray<T> normal_noise(const std::vector<std::size_t>& shape, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n;
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    for (auto& v : a) v = static_cast<T>(n(rng));
    return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reference)

// The log-weights are sums of quarter-integers (exact in float); the ELBO is their mean (a sum of
// four quarter-integers and a division by 4: exact). The bound and its gradient have the budgets
// of log_mean_exp (test_log_sum_exp.cpp): 4ε relative and 6ε per softmax weight.
BOOST_AUTO_TEST_CASE_TEMPLATE(reference_values, T, float_types) {
    const std::vector<std::size_t> shape = {ref::est_B, ref::est_K};
    const auto a = array_of<T>(ref::est_log_px_given_z, shape), b = array_of<T>(ref::est_log_pz, shape),
               c = array_of<T>(ref::est_log_qz_given_x, shape);
    const auto lw = gendiv::importance_log_weights(a, b, c);
    BOOST_TEST(lw == array_of<T>(ref::est_log_weights, shape), boost::test_tools::per_element());
    const auto iw = gendiv::iwae_bound(lw);
    const auto el = gendiv::elbo(lw);
    const auto g = gendiv::iwae_bound_grad(lw).log_weights;
    for (std::size_t i = 0; i < ref::est_B; ++i) {
        check_close<T>(iw(i), ref::est_iwae[i], 4 * eps_of<T>(), "iwae_bound");
        BOOST_TEST(el(i) == static_cast<T>(ref::est_elbo[i]));
    }
    gendiv::test::check_all_close(g, ref::est_iwae_grad, 6 * eps_of<T>(), "iwae_bound_grad");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(identities)

// When q is the true posterior N(x/2, ½I), every log-weight equals log p(x) = log N(x; 0, 2I),
// so L_K = ELBO = log p(x) for every K, sample by sample. Each log-weight is a sum of three
// log-densities, each within 4ε of Σ its terms' magnitudes; the bound and the mean of values
// within δ of log p(x) are within δ of it.
BOOST_AUTO_TEST_CASE_TEMPLATE(true_posterior_gives_log_evidence_for_every_k, T, float_types) {
    const std::size_t B = 6, D = 4;
    const xt::xarray<T> x = uniform<T>({B, D}, -3, 3, 1);
    const xt::xarray<T> qm = x / T(2);
    xt::xarray<T> qlv = xt::xarray<T>::from_shape({B, D});
    qlv.fill(static_cast<T>(std::log(0.5)));
    const auto want = log_evidence(x);
    for (std::size_t K : {1u, 2u, 10u, 200u}) {
        const toy<T> m(x, qm, qlv, normal_noise<T>({B, K, D}, 100 + K));
        const auto lpx = m.log_px_given_z(), lpz = m.log_pz(), lq = m.log_qz_given_x();
        const auto lw = gendiv::importance_log_weights(lpx, lpz, lq);
        const auto iw = gendiv::iwae_bound(lw);
        const auto el = gendiv::elbo(lw);
        for (std::size_t b = 0; b < B; ++b) {
            double budget = 0;
            for (std::size_t k = 0; k < K; ++k)
                budget = std::max(budget, 8 * eps_of<T>() * (std::abs(lpx(b, k)) + std::abs(lpz(b, k)) + std::abs(lq(b, k))));
            BOOST_TEST(std::abs(iw(b) - want[b]) <= budget, "K = " << K << ": " << iw(b) << " vs " << want[b]);
            BOOST_TEST(std::abs(el(b) - want[b]) <= budget, "K = " << K << ": " << el(b) << " vs " << want[b]);
        }
    }
}

// log (1/K) Σ e^{l_k} ≥ (1/K) Σ l_k (Jensen), with equality only for constant rows: on rows
// spread over 10 nats the gap is ≥ 0.1, far above rounding; K = 1 gives the same bits.
BOOST_AUTO_TEST_CASE_TEMPLATE(iwae_bound_is_at_least_the_elbo, T, float_types) {
    const xt::xarray<T> lw = uniform<T>({50, 16}, -110, -100, 2);
    const auto iw = gendiv::iwae_bound(lw);
    const auto el = gendiv::elbo(lw);
    for (std::size_t b = 0; b < 50; ++b) BOOST_TEST(iw(b) > el(b) + T(0.1));
    const xt::xarray<T> one = xt::view(lw, xt::all(), xt::range(0, 1));
    BOOST_TEST(gendiv::iwae_bound(one) == gendiv::elbo(one), boost::test_tools::per_element());
    BOOST_TEST(gendiv::iwae_bound_grad(one).log_weights == gendiv::elbo_grad(one).log_weights,
               boost::test_tools::per_element());
    // weights of -inf (a sample the model rules out) are allowed: they drop out of the bound
    // and pull the ELBO to -inf
    xt::xarray<T> w = lw;
    w(0, 3) = -std::numeric_limits<T>::infinity();
    BOOST_TEST(std::isfinite(gendiv::iwae_bound(w)(0)));
    BOOST_TEST(gendiv::elbo(w)(0) == -std::numeric_limits<T>::infinity());
    BOOST_TEST(gendiv::iwae_bound_grad(w).log_weights(0, 3) == T(0));
}

// Burda et al. (2016), Theorem 1: E[L_1] ≤ E[L_2] ≤ ... ≤ log p(x). Toy model with the prior as
// the encoder (a poor proposal, so the gaps are wide), x = (1.5, -0.5), R = 4000 seeded replicate
// rows of 100 samples; L_K uses the first K samples of a row. Each step in K must raise the mean
// bound by more than 3 standard errors of the mean difference, every mean must stay below
// log p(x) + 3 standard errors, and the mean ELBO must match its closed form
// E_q[log p(x|z)] = Σ_d -½(log 2π + x_d² + 1) within 4 standard errors.
BOOST_AUTO_TEST_CASE(iwae_bound_increases_with_k_on_average) {
    const std::size_t R = 4000, K = 100, D = 2;
    xt::xarray<double> x = xt::xarray<double>::from_shape({R, D});
    for (std::size_t r = 0; r < R; ++r) {
        x(r, 0) = 1.5;
        x(r, 1) = -0.5;
    }
    const xt::xarray<double> prior = xt::zeros<double>({R, D});
    const toy<double> m(x, prior, prior, normal_noise<double>({R, K, D}, 7));
    const auto lw = m.log_weights();
    const double log_px = log_evidence(x)[0];
    const std::vector<std::size_t> ks = {1, 2, 5, 20, 100};
    std::vector<xt::xarray<double>> bounds;
    for (std::size_t k : ks) bounds.push_back(gendiv::iwae_bound(xt::view(lw, xt::all(), xt::range(0, k))));
    auto mean_se = [&](const xt::xarray<double>& v) {
        const double mean = xt::mean(v)();
        const double var = xt::mean(xt::square(v - mean))();
        return std::make_pair(mean, std::sqrt(var / static_cast<double>(v.size())));
    };
    for (std::size_t i = 0; i < ks.size(); ++i) {
        const auto [mean, se] = mean_se(bounds[i]);
        BOOST_TEST_MESSAGE("K = " << ks[i] << ": mean L_K = " << mean << " ± " << se << " (log p(x) = " << log_px << ")");
        BOOST_TEST(mean <= log_px + 3 * se);
        if (i > 0) {
            const auto [gain, gain_se] = mean_se(xt::eval(bounds[i] - bounds[i - 1]));
            BOOST_TEST(gain > 3 * gain_se, "K " << ks[i - 1] << " -> " << ks[i] << ": gain " << gain << " ± " << gain_se);
        }
    }
    const auto [elbo_mean, elbo_se] = mean_se(gendiv::elbo(lw));
    const double elbo_exact = -0.5 * (2 * log_two_pi + 1.5 * 1.5 + 0.5 * 0.5 + 2);
    BOOST_TEST(std::abs(elbo_mean - elbo_exact) <= 4 * elbo_se,
               elbo_mean << " vs " << elbo_exact);
    // the bound closes most of the gap: at K = 100 it is within 0.05 nats of log p(x)
    BOOST_TEST(mean_se(bounds.back()).first > log_px - 0.05);
}

BOOST_AUTO_TEST_CASE(float_and_double_agree_and_any_xexpression) {
    const xt::xarray<double> lw = uniform<double>({8, 30}, -150, -80, 3);
    const xt::xarray<float> lwf = xt::cast<float>(lw);
    const xt::xarray<double> lwfd = xt::cast<double>(lwf);
    const auto a = gendiv::iwae_bound(lwf);
    const auto b = gendiv::iwae_bound(lwfd);
    const auto c = gendiv::elbo(lwf);
    const auto d = gendiv::elbo(lwfd);
    for (std::size_t i = 0; i < 8; ++i) {
        check_close<float>(a(i), b(i), 4 * eps_of<float>(), "float IWAE vs double");
        // a mean of 30 same-sign values: ≤ 30 roundings of ε/2 each, relative
        check_close<float>(c(i), d(i), 16 * eps_of<float>(), "float ELBO vs double");
    }
    const auto want = gendiv::iwae_bound(lw);
    xt::xarray<double, xt::layout_type::column_major> cm = lw;
    BOOST_TEST(gendiv::iwae_bound(cm) == want, boost::test_tools::per_element());
    BOOST_TEST(gendiv::iwae_bound(lw + 0.0) == want, boost::test_tools::per_element());
    std::vector<double> storage(lw.begin(), lw.end());
    BOOST_TEST(gendiv::iwae_bound(xt::adapt(storage, std::vector<std::size_t>{8, 30})) == want,
               boost::test_tools::per_element());
    xt::xarray<double> big = xt::zeros<double>({8, 60});
    xt::view(big, xt::all(), xt::range(0, 60, 2)) = lw;
    BOOST_TEST(gendiv::elbo(xt::view(big, xt::all(), xt::range(0, 60, 2))) == gendiv::elbo(lw),
               boost::test_tools::per_element());
    BOOST_TEST(gendiv::iwae_bound_grad(cm).log_weights == gendiv::iwae_bound_grad(lw).log_weights,
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

BOOST_AUTO_TEST_CASE(bounds_finite_differences) {
    const xt::xarray<double> lw = uniform<double>({3, 6}, -12, -2, 4);
    const xt::xarray<double> u = uniform<double>({3}, -2, 2, 5);
    auto fi = [&](const xt::xarray<double>& w) { return xt::sum(gendiv::iwae_bound(w) * u)(); };
    auto fe = [&](const xt::xarray<double>& w) { return xt::sum(gendiv::elbo(w) * u)(); };
    BOOST_TEST(relative_error(gendiv::iwae_bound_grad(lw, u).log_weights, gendiv::test::numeric_gradient(fi, lw)) < 1e-8);
    BOOST_TEST(relative_error(gendiv::elbo_grad(lw, u).log_weights, gendiv::test::numeric_gradient(fe, lw)) < 1e-8);
    auto fi1 = [&](const xt::xarray<double>& w) { return xt::sum(gendiv::iwae_bound(w))(); };
    BOOST_TEST(relative_error(gendiv::iwae_bound_grad(lw).log_weights, gendiv::test::numeric_gradient(fi1, lw)) < 1e-8);
    auto fe1 = [&](const xt::xarray<double>& w) { return xt::sum(gendiv::elbo(w))(); };
    BOOST_TEST(relative_error(gendiv::elbo_grad(lw).log_weights, gendiv::test::numeric_gradient(fe1, lw)) < 1e-8);
    // the IWAE gradient is the self-normalized importance weights: each row sums to u_b
    const auto g = gendiv::iwae_bound_grad(lw, u).log_weights;
    for (std::size_t b = 0; b < 3; ++b)
        BOOST_TEST(xt::sum(xt::view(g, b))() == u(b), boost::test_tools::tolerance(1e-14));
}

// f(a, b, c) = Σ_b u_b L_K(importance_log_weights(a, b, c)): the chained gradient against
// finite differences in each of the three log-densities.
BOOST_AUTO_TEST_CASE(chained_through_the_log_weights) {
    const auto a = uniform<double>({3, 5}, -100, -90, 6), b = uniform<double>({3, 5}, -8, -2, 7),
               c = uniform<double>({3, 5}, -9, -1, 8);
    const auto u = uniform<double>({3}, 0.5, 2, 9);
    const auto lw = gendiv::importance_log_weights(a, b, c);
    const auto g = gendiv::importance_log_weights_grad(a, b, c, gendiv::iwae_bound_grad(lw, u).log_weights);
    using A = const xt::xarray<double>&;
    auto f = [&](A x, A y, A z) { return xt::sum(gendiv::iwae_bound(gendiv::importance_log_weights(x, y, z)) * u)(); };
    BOOST_TEST(relative_error(g.log_px_given_z, gendiv::test::numeric_gradient([&](A x) { return f(x, b, c); }, a)) < 1e-8);
    BOOST_TEST(relative_error(g.log_pz, gendiv::test::numeric_gradient([&](A x) { return f(a, x, c); }, b)) < 1e-8);
    BOOST_TEST(relative_error(g.log_qz_given_x, gendiv::test::numeric_gradient([&](A x) { return f(a, b, x); }, c)) < 1e-8);
    // the analytic-KL ELBO
    const auto k = uniform<double>({3}, 0, 20, 10), l = uniform<double>({3}, -120, -80, 11);
    const auto ge = gendiv::elbo_analytic_grad(l, k, u);
    auto fa = [&](A x, A y) { return xt::sum(gendiv::elbo_analytic(x, y) * u)(); };
    BOOST_TEST(relative_error(ge.log_px_given_z, gendiv::test::numeric_gradient([&](A x) { return fa(x, k); }, l)) < 1e-8);
    BOOST_TEST(relative_error(ge.kl, gendiv::test::numeric_gradient([&](A x) { return fa(l, x); }, k)) < 1e-8);
    const auto ge1 = gendiv::elbo_analytic_grad(l, k);
    BOOST_TEST(ge1.log_px_given_z == xt::xarray<double>(xt::ones<double>({3})), boost::test_tools::per_element());
    BOOST_TEST(ge1.kl == xt::xarray<double>(-xt::ones<double>({3})), boost::test_tools::per_element());
    // and the value itself: log p(x|z) - KL
    BOOST_TEST(gendiv::elbo_analytic(l, k) == xt::xarray<double>(l - k), boost::test_tools::per_element());
}

// End to end: the gradient of Σ_b L_K with respect to the encoder mean qm of the toy model, with
// reparameterized samples z = qm + e^{qlv/2} ε. By the chain rule, with w̃ = iwae_bound_grad,
// ∂/∂qm = Σ_k w̃_k [∂_z log p(x|z) + ∂_z log p(z) - ∂_z log q(z) - ∂_qm log q(z)], each term from
// log_likelihood_normal_grad with the weights w̃ as its upstream.
BOOST_AUTO_TEST_CASE(reparameterized_gradient_through_likelihood) {
    const std::size_t B = 3, K = 7, D = 2;
    const auto x = uniform<double>({B, D}, -2, 2, 12), qm0 = uniform<double>({B, D}, -1, 1, 13);
    const auto qlv = uniform<double>({B, D}, -1, 0.5, 14);
    const auto eps = normal_noise<double>({B, K, D}, 15);
    auto f = [&](const xt::xarray<double>& qm) { return xt::sum(gendiv::iwae_bound(toy<double>(x, qm, qlv, eps).log_weights()))(); };
    const toy<double> m(x, qm0, qlv, eps);
    xt::xarray<double> wt = gendiv::iwae_bound_grad(m.log_weights()).log_weights;
    wt.reshape({B * K});
    const auto gx = gendiv::log_likelihood_normal_grad(m.z, m.zeros, m.x_rep, wt);         // mu = z
    const auto gz = gendiv::log_likelihood_normal_grad(m.zeros, m.zeros, m.z, wt);         // z = z
    const auto gq = gendiv::log_likelihood_normal_grad(m.qm_rep, m.qlv_rep, m.z, wt);      // z and qm
    xt::xarray<double> g = xt::zeros<double>({B, D});
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t d = 0; d < D; ++d) {
                const std::size_t r = b * K + k;
                g(b, d) += gx.mu(r, d) + gz.z(r, d) - gq.z(r, d) - gq.mu(r, d);  // dz/dqm = 1
            }
    BOOST_TEST(relative_error(g, gendiv::test::numeric_gradient(f, qm0)) < 1e-7);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(error_paths) {
    const xt::xarray<double> w = xt::zeros<double>({2, 3}), w4 = xt::zeros<double>({2, 4});
    const xt::xarray<double> v = xt::zeros<double>({2}), v3 = xt::zeros<double>({3});
    const xt::xarray<double> cube = xt::zeros<double>({2, 3, 1}), empty = xt::zeros<double>({2, 0});
    GENDIV_CHECK_ERROR(gendiv::importance_log_weights(w, w4, w), "gendiv::importance_log_weights", "'log_pz'",
                       "(2, 4)", "'log_px_given_z'", "(2, 3)");
    GENDIV_CHECK_ERROR(gendiv::importance_log_weights(w, w, w4), "gendiv::importance_log_weights",
                       "'log_qz_given_x'", "(2, 4)");
    GENDIV_CHECK_ERROR(gendiv::importance_log_weights(v, v, v), "gendiv::importance_log_weights",
                       "'log_px_given_z'", "(2,)", "(B, K)");
    GENDIV_CHECK_ERROR(gendiv::importance_log_weights(empty, empty, empty), "gendiv::importance_log_weights",
                       "(2, 0)", "K = 0");
    GENDIV_CHECK_ERROR(gendiv::importance_log_weights_grad(w, w, w, w4), "gendiv::importance_log_weights_grad",
                       "'upstream'", "(2, 4)");
    GENDIV_CHECK_ERROR(gendiv::iwae_bound(v), "gendiv::iwae_bound", "'log_weights'", "(2,)", "(B, K)");
    GENDIV_CHECK_ERROR(gendiv::iwae_bound(cube), "gendiv::iwae_bound", "'log_weights'", "(2, 3, 1)");
    GENDIV_CHECK_ERROR(gendiv::iwae_bound(empty), "gendiv::iwae_bound", "(2, 0)", "K = 0");
    GENDIV_CHECK_ERROR(gendiv::iwae_bound_grad(v), "gendiv::iwae_bound_grad", "'log_weights'");
    GENDIV_CHECK_ERROR(gendiv::iwae_bound_grad(w, v3), "gendiv::iwae_bound_grad", "'upstream'", "(3,)", "(2,)");
    GENDIV_CHECK_ERROR(gendiv::elbo(v), "gendiv::elbo", "'log_weights'", "(2,)");
    GENDIV_CHECK_ERROR(gendiv::elbo(empty), "gendiv::elbo", "K = 0");
    GENDIV_CHECK_ERROR(gendiv::elbo_grad(cube), "gendiv::elbo_grad", "'log_weights'", "(2, 3, 1)");
    GENDIV_CHECK_ERROR(gendiv::elbo_grad(w, v3), "gendiv::elbo_grad", "'upstream'", "(3,)", "(2,)");
    GENDIV_CHECK_ERROR(gendiv::elbo_analytic(v, v3), "gendiv::elbo_analytic", "'kl'", "(3,)", "'log_px_given_z'", "(2,)");
    GENDIV_CHECK_ERROR(gendiv::elbo_analytic(w, w), "gendiv::elbo_analytic", "'log_px_given_z'", "(2, 3)", "(B,)");
    GENDIV_CHECK_ERROR(gendiv::elbo_analytic_grad(v, v3), "gendiv::elbo_analytic_grad", "'kl'");
    GENDIV_CHECK_ERROR(gendiv::elbo_analytic_grad(v, v, v3), "gendiv::elbo_analytic_grad", "'upstream'", "(3,)");
}

BOOST_AUTO_TEST_SUITE_END()

// tests/test_penalty.cpp: gendiv/penalty.hpp — WGAN-GP and WGAN-LP penalties with their
// gradients, per-example interpolation and its gradient, interpolation weights.
//
// Closed forms (rows of norm 1 give 0, rows of norm 2 give λ; the one- and two-sided penalties
// differ exactly on rows with ‖g‖ < 1), extremes (tiny, subnormal and huge rows, where a naive
// Σ g² underflows or overflows), the subgradient at ‖g‖ = 0, and central differences of every
// gradient (with steps relative to each entry, so that they also work at 1e-200 and 1e100).
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "gendiv/penalty.hpp"
#include "support/errors.hpp"
#include "support/numeric.hpp"

using gendiv::test::message_has;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

bool close(double a, double b, double rel, double abs = 0) {
    if (std::isnan(a) || std::isnan(b)) return false;
    if (std::isinf(a) || std::isinf(b)) return a == b;
    return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)) + abs;
}

/// Central differences with step h·|x_i| (h where x_i = 0): unlike a step of h·max(1, |x_i|),
/// it resolves functions of entries of order 1e-200 or 1e100.
template <class F>
xt::xarray<double> relative_step_gradient(F&& f, xt::xarray<double> x, double h = 1e-6) {
    xt::xarray<double> g = xt::zeros<double>(x.shape());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double x0 = x.flat(i);
        const double step = x0 == 0 ? h : h * std::abs(x0);
        x.flat(i) = x0 + step;
        const double fp = f(x);
        x.flat(i) = x0 - step;
        const double fm = f(x);
        x.flat(i) = x0;
        g.flat(i) = (fp - fm) / (2 * step);
    }
    return g;
}

/// Rows of shape (B, 3, 2) with prescribed Euclidean norms.
xt::xarray<double> rows_with_norms(const std::vector<double>& norms, std::uint64_t seed) {
    xt::xarray<double> g = gendiv::test::uniform({norms.size(), 3, 2}, -1, 1, seed);
    for (std::size_t b = 0; b < norms.size(); ++b) {
        auto row = xt::view(g, b, xt::all(), xt::all());
        double s = 0;
        for (double v : row) s += v * v;
        row *= norms[b] / std::sqrt(s);
    }
    return g;
}

/// ‖g_b‖ in long double (x86's 64-bit-mantissa format reaches 1e±4931, so no square here
/// underflows or overflows for double entries): an independent reference for the scaled norm.
double row_norm(const xt::xarray<double>& g, std::size_t b) {
    const std::size_t d = g.size() / g.shape()[0];
    long double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += static_cast<long double>(g.flat(b * d + j)) * g.flat(b * d + j);
    return static_cast<double>(std::sqrt(s));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(penalties)

BOOST_AUTO_TEST_CASE(closed_forms) {
    const double lambda = 10;
    // Rows of norm exactly 1 ((0.6, 0.8) and unit vectors): no penalty, no gradient.
    const xt::xarray<double> unit = {{0.6, 0.8}, {1.0, 0.0}, {0.0, -1.0}};
    BOOST_TEST(gendiv::gradient_penalty(unit, lambda) == 0.0);
    BOOST_TEST(gendiv::lipschitz_penalty(unit, lambda) == 0.0);
    for (double v : gendiv::gradient_penalty_grad(unit, lambda).grad) BOOST_TEST(v == 0.0);
    // Rows of norm 2: (2 - 1)² = 1 each, so the mean is 1 and the penalty λ.
    const xt::xarray<double> two = {{1.2, 1.6}, {0.0, -2.0}, {2.0, 0.0}};
    BOOST_TEST(close(gendiv::gradient_penalty(two, lambda), lambda, 1e-15));
    BOOST_TEST(close(gendiv::lipschitz_penalty(two, lambda), lambda, 1e-15));
    // Norms 0.5, 2 and 3: two-sided λ/3 (0.25 + 1 + 4), one-sided λ/3 (0 + 1 + 4).
    const xt::xarray<double> mixed = rows_with_norms({0.5, 2.0, 3.0}, 1);
    BOOST_TEST(close(gendiv::gradient_penalty(mixed, lambda), lambda * 5.25 / 3, 1e-14));
    BOOST_TEST(close(gendiv::lipschitz_penalty(mixed, lambda), lambda * 5.0 / 3, 1e-14));
    // λ scales linearly; λ = 0 switches the penalty off.
    BOOST_TEST(close(gendiv::gradient_penalty(mixed, 2.5), 2.5 * 5.25 / 3, 1e-14));
    BOOST_TEST(gendiv::gradient_penalty(mixed, 0.0) == 0.0);
    // The gradient of row b is (2λ/B)(‖g_b‖ - 1) g_b/‖g_b‖: at norm 3 that is (2λ/3)·2·g_b/3.
    const auto gg = gendiv::gradient_penalty_grad(mixed, lambda).grad;
    for (std::size_t j = 0; j < 6; ++j) {
        BOOST_TEST(close(gg(2, j / 2, j % 2), 2 * lambda / 3 * 2 * mixed(2, j / 2, j % 2) / 3, 1e-14));
        BOOST_TEST(close(gg(0, j / 2, j % 2), 2 * lambda / 3 * -0.5 * mixed(0, j / 2, j % 2) / 0.5, 1e-14));
    }
    // A (B,) input is B examples with one input coordinate each.
    const xt::xtensor<double, 1> scalars = {0.5, -2.0, 0.0};
    BOOST_TEST(close(gendiv::gradient_penalty(scalars, 3.0), 3.0 / 3 * (0.25 + 1 + 1), 1e-15));
    const auto gs = gendiv::gradient_penalty_grad(scalars, 3.0).grad;
    BOOST_TEST(close(gs(0), 2.0 * (0.5 - 1), 1e-15));
    BOOST_TEST(close(gs(1), -2.0 * (2 - 1), 1e-15));
    BOOST_TEST(gs(2) == 0.0);
}

BOOST_AUTO_TEST_CASE(one_sided_and_two_sided_differ_only_below_norm_one) {
    const double lambda = 7;
    std::vector<double> norms;
    for (int i = 0; i < 40; ++i) norms.push_back(0.05 + 0.075 * i);  // 0.05 … 2.975
    for (double n : {0.999, 1.000001, 1.001, 1.005}) norms.push_back(n);  // either side of the kink
    const xt::xarray<double> g = rows_with_norms(norms, 2);
    double below = 0;
    for (std::size_t b = 0; b < norms.size(); ++b) {
        const xt::xarray<double> row = xt::view(g, xt::range(b, b + 1), xt::all(), xt::all());
        const double gp = gendiv::gradient_penalty(row, lambda), lp = gendiv::lipschitz_penalty(row, lambda);
        const auto ggp = gendiv::gradient_penalty_grad(row, lambda).grad;
        const auto glp = gendiv::lipschitz_penalty_grad(row, lambda).grad;
        if (norms[b] >= 1) {
            BOOST_TEST(gp == lp, "norm " << norms[b]);
            BOOST_TEST(gendiv::test::relative_error(ggp, glp) == 0.0, "norm " << norms[b]);
        } else {
            BOOST_TEST(lp == 0.0, "norm " << norms[b]);
            BOOST_TEST(close(gp, lambda * (norms[b] - 1) * (norms[b] - 1), 1e-10), "norm " << norms[b]);
            for (double v : glp) BOOST_TEST(v == 0.0);
            below += (norms[b] - 1) * (norms[b] - 1);
        }
    }
    const double diff = gendiv::gradient_penalty(g, lambda) - gendiv::lipschitz_penalty(g, lambda);
    BOOST_TEST(close(diff, lambda * below / norms.size(), 1e-12));
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
    const double lambda = 10;
    const xt::xarray<double> g = rows_with_norms({0.3, 0.9, 1.1, 2.5, 0.7}, 3);
    for (bool one_sided : {false, true}) {
        auto value = [&](const xt::xarray<double>& x) {
            return one_sided ? gendiv::lipschitz_penalty(x, lambda) : gendiv::gradient_penalty(x, lambda);
        };
        const auto an = one_sided ? gendiv::lipschitz_penalty_grad(g, lambda).grad
                                  : gendiv::gradient_penalty_grad(g, lambda).grad;
        BOOST_TEST(gendiv::detail::shapes_equal(an.shape(), g.shape()));
        const auto fd = gendiv::test::numeric_gradient(value, g);
        BOOST_TEST(gendiv::test::relative_error(an, fd) < 1e-8, (one_sided ? "one-sided" : "two-sided"));
    }
    // float computes the same to float precision.
    const xt::xarray<float> gf = xt::cast<float>(g);
    static_assert(std::is_same_v<decltype(gendiv::gradient_penalty(gf, 1.0)), float>);
    BOOST_TEST(close(gendiv::gradient_penalty(gf, lambda), gendiv::gradient_penalty(g, lambda), 1e-6));
    BOOST_TEST(gendiv::test::relative_error(gendiv::gradient_penalty_grad(gf, lambda).grad,
                                            gendiv::gradient_penalty_grad(g, lambda).grad) < 1e-6);
}

BOOST_AUTO_TEST_CASE(extreme_norms) {
    const double lambda = 10;
    // Small (1e-4), tiny (1e-30, 1e-200) and huge (1e100) rows. At 1e-30 and below, the two-sided
    // gradient -(2λ/B)(1 - ‖g‖) g/‖g‖ is a unit-scale vector while the value 1 - 2‖g‖ + ‖g‖²
    // rounds to 1 under any step, so there it is checked against the closed form only.
    for (double scale : {1e-200, 1e-30, 1e-4, 1e100}) {
        const xt::xarray<double> g = rows_with_norms({1.0, 2.0, 0.5}, 4) * scale;
        for (bool one_sided : {false, true}) {
            if (!one_sided && scale < 1e-20) continue;
            auto value = [&](const xt::xarray<double>& x) {
                return one_sided ? gendiv::lipschitz_penalty(x, lambda) : gendiv::gradient_penalty(x, lambda);
            };
            const auto an = one_sided ? gendiv::lipschitz_penalty_grad(g, lambda).grad
                                      : gendiv::gradient_penalty_grad(g, lambda).grad;
            for (double v : an) BOOST_TEST(std::isfinite(v));
            const auto fd = relative_step_gradient(value, g);
            BOOST_TEST(gendiv::test::relative_error(an, fd) < (scale == 1e-4 ? 1e-5 : 1e-7),
                       "scale " << scale << (one_sided ? " one-sided" : " two-sided"));
        }
        for (std::size_t b = 0; b < 3; ++b) {
            const double n = row_norm(g, b);
            const double expected = 2 * lambda / 3 * (n - 1) * g(b, 0, 0) / n;
            BOOST_TEST(close(gendiv::gradient_penalty_grad(g, lambda).grad(b, 0, 0), expected, 1e-13));
        }
    }
    // Entries 1e155: Σ g² = 4e310 overflows, the norm 2e155 does not, nor does λ/B (‖g‖-1)²
    // for λ = 1e-10 (= 2e300).
    const xt::xarray<double> big = xt::ones<double>({1, 4}) * 1e155;
    BOOST_TEST(close(gendiv::gradient_penalty(big, 1e-10), 4e300, 1e-13));
    const auto gb = gendiv::gradient_penalty_grad(big, lambda).grad;
    for (double v : gb) BOOST_TEST(close(v, 2 * lambda * 2e155 * 0.5, 1e-13));
    // Subnormal entries: the power-of-two scale is clamped to stay finite.
    const double dmin = std::numeric_limits<double>::denorm_min();
    const xt::xarray<double> sub = {{dmin, dmin, dmin, dmin}, {-dmin, 0.0, 0.0, 0.0}};
    const auto gsub = gendiv::gradient_penalty_grad(sub, lambda).grad;
    for (std::size_t j = 0; j < 4; ++j) BOOST_TEST(close(gsub(0, j), -lambda * 0.5, 1e-12));
    BOOST_TEST(close(gsub(1, 0), lambda, 1e-12));
    BOOST_TEST(close(gendiv::gradient_penalty(sub, lambda), lambda, 1e-15));

    // float: 1e30 squared overflows float and 1e-30 squared underflows it; the scaled norm
    // does neither, so the gradients are finite and exact to float precision.
    const xt::xarray<float> fbig = xt::ones<float>({2, 4}) * 1e30f;
    for (float v : gendiv::gradient_penalty_grad(fbig, lambda).grad)
        BOOST_TEST(close(v, 2 * lambda / 2 * (2e30 - 1) * 0.5, 1e-6));
    BOOST_TEST(std::isinf(gendiv::gradient_penalty(fbig, lambda)));  // 5·4e60 exceeds float
    // A gradient of 2e38 < FLT_MAX whose factor (2λ/B)(‖g‖ - 1) = 2e39 is not a float: 100 entries
    // of 1e37 (‖g‖ = 1e38), B = 1. It used to come out +inf; now exact to float precision.
    const xt::xarray<float> ftop = xt::ones<float>({1, 100}) * 1e37f;
    for (float v : gendiv::gradient_penalty_grad(ftop, lambda).grad)
        BOOST_TEST(close(v, 2 * lambda * (1e38 - 1) * 0.1, 1e-6), "got " << v);
    const xt::xarray<float> ftiny = xt::ones<float>({2, 4}) * 1e-30f;
    for (float v : gendiv::gradient_penalty_grad(ftiny, lambda).grad)
        BOOST_TEST(close(v, 2 * lambda / 2 * (2e-30 - 1) * 0.5, 1e-6));
    for (float v : gendiv::lipschitz_penalty_grad(ftiny, lambda).grad) BOOST_TEST(v == 0.0f);
    BOOST_TEST(close(gendiv::gradient_penalty(ftiny, lambda), lambda, 1e-6));
}

BOOST_AUTO_TEST_CASE(zero_norm_uses_the_zero_subgradient) {
    const double lambda = 4;
    xt::xarray<double> g = rows_with_norms({0.0, 1.5}, 5);
    xt::view(g, 0, xt::all(), xt::all()) = 0.0;
    const auto gp = gendiv::gradient_penalty_grad(g, lambda).grad;
    const auto lp = gendiv::lipschitz_penalty_grad(g, lambda).grad;
    for (double v : gp) BOOST_TEST(std::isfinite(v));
    for (std::size_t j = 0; j < 6; ++j) {
        BOOST_TEST(gp(0, j / 2, j % 2) == 0.0);
        BOOST_TEST(lp(0, j / 2, j % 2) == 0.0);
    }
    // The other row is unaffected: (2λ/B)(1.5 - 1) g/1.5.
    BOOST_TEST(close(gp(1, 1, 1), lambda * 0.5 * g(1, 1, 1) / 1.5, 1e-14));
    // Value: λ/B [(0 - 1)² + (1.5 - 1)²].
    BOOST_TEST(close(gendiv::gradient_penalty(g, lambda), lambda / 2 * 1.25, 1e-15));
    // The subgradient 0 lies in the generalized gradient at 0: every directional difference
    // quotient of the cone 1 - 2‖g‖ + ‖g‖² at 0 is ≥ -(2λ/B)·‖direction‖, and 0 is the
    // minimum-norm element; check that a small step from 0 decreases the penalty at rate 2λ/B.
    xt::xarray<double> step = g;
    xt::view(step, 0, xt::all(), xt::all()) = 1e-9 / std::sqrt(6.0);
    const double rate = (gendiv::gradient_penalty(step, lambda) - gendiv::gradient_penalty(g, lambda)) / 1e-9;
    BOOST_TEST(close(rate, -2 * lambda / 2, 1e-6));
}

BOOST_AUTO_TEST_CASE(large_batch_runs_in_parallel_and_agrees) {
    // 512 × 512 entries exceed the parallel threshold (2^17).
    const std::size_t B = 512, D = 512;
    xt::xarray<double> g = gendiv::test::uniform({B, D}, -0.1, 0.1, 6);
    double expected = 0;
    std::vector<double> norms(B);
    for (std::size_t b = 0; b < B; ++b) {
        norms[b] = row_norm(g, b);
        expected += (norms[b] - 1) * (norms[b] - 1);
    }
    expected *= 10.0 / B;
    BOOST_TEST(close(gendiv::gradient_penalty(g, 10.0), expected, 1e-12));
    const auto gr = gendiv::gradient_penalty_grad(g, 10.0).grad;
    double worst = 0;
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < D; j += 37) {
            const double e = 20.0 / B * (norms[b] - 1) * g(b, j) / norms[b];
            worst = std::max(worst, std::abs(gr(b, j) - e) / std::abs(e));
        }
    BOOST_TEST(worst < 1e-12);
}

BOOST_AUTO_TEST_CASE(penalty_errors) {
    using gendiv::error;
    const xt::xarray<double> g = xt::ones<double>({2, 3});
    const xt::xarray<double> empty = xt::zeros<double>({0, 3});
    const xt::xarray<double> scalar = 1.0;
    BOOST_CHECK_EXCEPTION(gendiv::gradient_penalty(empty, 1.0), error,
                          (message_has{"gradient_penalty", "'grad'", "(0, 3)", "empty"}));
    BOOST_CHECK_EXCEPTION(gendiv::lipschitz_penalty_grad(scalar, 1.0), error,
                          (message_has{"lipschitz_penalty_grad", "'grad'", "()"}));
    BOOST_CHECK_EXCEPTION(gendiv::gradient_penalty_grad(g, -1.0), error,
                          (message_has{"gradient_penalty_grad", "'lambda'", "-1"}));
    BOOST_CHECK_EXCEPTION(gendiv::lipschitz_penalty(g, std::nan("")), error,
                          (message_has{"lipschitz_penalty", "'lambda'", "nan"}));
    BOOST_CHECK_EXCEPTION(gendiv::lipschitz_penalty(g, inf), error,
                          (message_has{"lipschitz_penalty", "'lambda'", "inf"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(interpolation)

BOOST_AUTO_TEST_CASE(endpoints_are_exact) {
    const xt::xarray<double> real = gendiv::test::uniform({3, 2, 2}, -5, 5, 7);
    const xt::xarray<double> fake = gendiv::test::uniform({3, 2, 2}, -5, 5, 8);
    const xt::xtensor<double, 1> zeros = xt::zeros<double>({3}), ones = xt::ones<double>({3});
    BOOST_TEST((gendiv::interpolate(real, fake, zeros) == fake));
    BOOST_TEST((gendiv::interpolate(real, fake, ones) == real));
}

BOOST_AUTO_TEST_CASE(one_weight_per_example) {
    const xt::xarray<double> real = {{1.0, 2.0, 3.0}, {1.0, 2.0, 3.0}, {1.0, 2.0, 3.0}, {1.0, 2.0, 3.0}};
    const xt::xarray<double> fake = {{-1.0, 0.0, 5.0}, {-1.0, 0.0, 5.0}, {-1.0, 0.0, 5.0}, {-1.0, 0.0, 5.0}};
    const xt::xtensor<double, 1> t = {0.0, 0.25, 0.5, 1.0};
    const auto x = gendiv::interpolate(real, fake, t);
    BOOST_TEST(gendiv::detail::shapes_equal(x.shape(), real.shape()));
    for (std::size_t b = 0; b < 4; ++b)
        for (std::size_t j = 0; j < 3; ++j)
            BOOST_TEST(x(b, j) == t(b) * real(b, j) + (1 - t(b)) * fake(b, j), "row " << b << " col " << j);
    // Equal rows with different weights land at different points: the second row is a quarter of
    // the way from fake to real, the third half-way (one t for the batch would make them equal).
    BOOST_TEST(x(1, 0) == -0.5);
    BOOST_TEST(x(2, 0) == 0.0);
    BOOST_TEST(x(1, 2) == 4.5);
    BOOST_TEST(x(2, 2) == 4.0);
    // float inputs with double weights compute in double (the common type).
    const xt::xarray<float> rf = xt::cast<float>(real);
    static_assert(std::is_same_v<decltype(gendiv::interpolate(rf, rf, t))::value_type, double>);
}

BOOST_AUTO_TEST_CASE(interpolate_gradient_matches_finite_differences) {
    const xt::xarray<double> real = gendiv::test::uniform({4, 3, 2}, -2, 2, 9);
    const xt::xarray<double> fake = gendiv::test::uniform({4, 3, 2}, -2, 2, 10);
    const xt::xarray<double> t = gendiv::test::uniform({4}, 0.1, 0.9, 11);
    const xt::xarray<double> up = gendiv::test::uniform({4, 3, 2}, -1, 1, 12);
    auto loss = [&](const xt::xarray<double>& r, const xt::xarray<double>& f, const xt::xarray<double>& w) {
        const auto x = gendiv::interpolate(r, f, w);
        double s = 0;
        for (std::size_t i = 0; i < x.size(); ++i) s += up.flat(i) * x.flat(i);
        return s;
    };
    const auto g = gendiv::interpolate_grad(real, fake, t, up);
    const auto fr = gendiv::test::numeric_gradient([&](const xt::xarray<double>& r) { return loss(r, fake, t); }, real);
    const auto ff = gendiv::test::numeric_gradient([&](const xt::xarray<double>& f) { return loss(real, f, t); }, fake);
    const auto ft = gendiv::test::numeric_gradient([&](const xt::xarray<double>& w) { return loss(real, fake, w); }, t);
    BOOST_TEST(gendiv::test::relative_error(g.x_real, fr) < 1e-9);
    BOOST_TEST(gendiv::test::relative_error(g.x_fake, ff) < 1e-9);
    BOOST_TEST(gendiv::test::relative_error(g.t, ft) < 1e-9);
    BOOST_TEST(g.t.dimension() == 1u);
    BOOST_TEST(g.t.shape()[0] == 4u);
    // x_real and x_fake gradients add up to the upstream gradient.
    BOOST_TEST(gendiv::test::relative_error(g.x_real + g.x_fake, up) < 1e-15);
}

BOOST_AUTO_TEST_CASE(weights_are_uniform_per_example_and_reproducible) {
    std::mt19937_64 a(42), b(42);
    const auto t1 = gendiv::sample_interpolation_weights(10000, a);
    const auto t2 = gendiv::sample_interpolation_weights(10000, b);
    BOOST_TEST(t1.size() == 10000u);
    BOOST_TEST((t1 == t2));
    double mean = 0, var = 0;
    for (double v : t1) {
        BOOST_TEST((v >= 0.0 && v < 1.0));
        mean += v / 10000;
    }
    for (double v : t1) var += (v - mean) * (v - mean) / 10000;
    // U[0, 1]: mean 1/2 (standard error 0.0029), variance 1/12.
    BOOST_TEST(std::abs(mean - 0.5) < 0.012);
    BOOST_TEST(std::abs(var - 1.0 / 12) < 0.005);
    // Different examples get different weights, and the next call continues the stream.
    BOOST_TEST(t1(0) != t1(1));
    const auto t3 = gendiv::sample_interpolation_weights(5, a);
    BOOST_TEST(t3(0) != t1(0));
    std::minstd_rand small(1);
    const auto tf = gendiv::sample_interpolation_weights<float>(3, small);
    static_assert(std::is_same_v<decltype(tf)::value_type, float>);
    for (float v : tf) BOOST_TEST((v >= 0.0f && v <= 1.0f));
    BOOST_TEST(gendiv::sample_interpolation_weights(0, small).size() == 0u);
}

BOOST_AUTO_TEST_CASE(interpolation_errors_name_the_shapes) {
    using gendiv::error;
    const xt::xarray<double> real = xt::zeros<double>({4, 3});
    const xt::xarray<double> fake = xt::zeros<double>({4, 2});
    const xt::xarray<double> t4 = xt::zeros<double>({4});
    const xt::xarray<double> t3 = xt::zeros<double>({3});
    const xt::xarray<double> t41 = xt::zeros<double>({4, 1});
    const xt::xarray<double> bad_t = {0.1, 1.5, 0.2, 0.3};
    BOOST_CHECK_EXCEPTION(gendiv::interpolate(real, fake, t4), error,
                          (message_has{"interpolate", "'x_fake'", "(4, 2)", "(4, 3)"}));
    BOOST_CHECK_EXCEPTION(gendiv::interpolate(real, real, t3), error,
                          (message_has{"interpolate", "'t'", "(3,)", "(4,)", "(4, 3)"}));
    BOOST_CHECK_EXCEPTION(gendiv::interpolate(real, real, t41), error,
                          (message_has{"interpolate", "'t'", "(4, 1)", "(4,)"}));
    BOOST_CHECK_EXCEPTION(gendiv::interpolate(real, real, bad_t), error,
                          (message_has{"interpolate", "'t'", "1.5", "[0, 1]"}));
    BOOST_CHECK_EXCEPTION(gendiv::interpolate_grad(real, real, t4, fake), error,
                          (message_has{"interpolate_grad", "'upstream'", "(4, 2)", "(4, 3)"}));
    BOOST_CHECK_EXCEPTION(gendiv::interpolate_grad(real, fake, t4, real), error,
                          (message_has{"interpolate_grad", "'x_fake'", "(4, 2)"}));
    const xt::xarray<double> scalar = 0.0;
    BOOST_CHECK_EXCEPTION(gendiv::interpolate(scalar, scalar, t4), error,
                          (message_has{"interpolate", "'x_real'", "()"}));
}

BOOST_AUTO_TEST_SUITE_END()

// Tests for examples/common/frechet.hpp against closed forms:
//  * commuting covariances (diagonal, and the same diagonals rotated by one orthogonal Q):
//    d² = ‖μ₁ − μ₂‖² + Σ_i (√a_i − √b_i)²;
//  * non-commuting 2×2 covariances: for a 2×2 PSD M, Tr M^{1/2} = √(Tr M + 2√det M), so
//    Tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2} = √(Tr Σ₁Σ₂ + 2√(det Σ₁ det Σ₂));
//  * singular covariances (a zero eigenvalue), identical sets (0), a shifted copy of a set
//    (exactly ‖shift‖²: same covariance), symmetry, and the moments of a small set by hand.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "common/frechet.hpp"

namespace {

xt::xtensor<double, 2> diag(const std::vector<double>& v) {
    xt::xtensor<double, 2> m = xt::zeros<double>({v.size(), v.size()});
    for (std::size_t i = 0; i < v.size(); ++i) m(i, i) = v[i];
    return m;
}

/// A random orthogonal d × d matrix: a product of Givens rotations with random angles.
xt::xtensor<double, 2> random_orthogonal(std::size_t d, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    xt::xtensor<double, 2> q = diag(std::vector<double>(d, 1.0));
    for (int sweep = 0; sweep < 3; ++sweep)
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t j = i + 1; j < d; ++j) {
                const double a = static_cast<double>(rng() >> 11) * 0x1.0p-53 * 6.283185307179586;
                const double c = std::cos(a), s = std::sin(a);
                for (std::size_t k = 0; k < d; ++k) {
                    const double qi = q(k, i), qj = q(k, j);
                    q(k, i) = c * qi - s * qj;
                    q(k, j) = s * qi + c * qj;
                }
            }
    return q;
}

double closed_form_commuting(const std::vector<double>& m1, const std::vector<double>& m2,
                             const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        s += (m1[i] - m2[i]) * (m1[i] - m2[i]);
        const double r = std::sqrt(a[i]) - std::sqrt(b[i]);
        s += r * r;
    }
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(diagonal_and_rotated_commuting_covariances) {
    const std::size_t d = 12;
    std::vector<double> m1(d), m2(d), a(d), b(d);
    for (std::size_t i = 0; i < d; ++i) {
        m1[i] = 0.1 * static_cast<double>(i);
        m2[i] = 1.0 - 0.3 * static_cast<double>(i);
        a[i] = 0.5 + static_cast<double>(i);
        b[i] = 4.0 / (1.0 + static_cast<double>(i));
    }
    const double expected = closed_form_commuting(m1, m2, a, b);
    const double got = examples::frechet_distance(examples::make_moments(m1, diag(a)),
                                                  examples::make_moments(m2, diag(b)));
    BOOST_TEST(got == expected, boost::test_tools::tolerance(1e-12));

    const auto q = random_orthogonal(d, 3);
    const xt::xtensor<double, 2> ra = xt::linalg::dot(q, xt::linalg::dot(diag(a), xt::transpose(q)));
    const xt::xtensor<double, 2> rb = xt::linalg::dot(q, xt::linalg::dot(diag(b), xt::transpose(q)));
    const double rotated = examples::frechet_distance(examples::make_moments(m1, ra),
                                                      examples::make_moments(m2, rb));
    BOOST_TEST(rotated == expected, boost::test_tools::tolerance(1e-10));
}

BOOST_AUTO_TEST_CASE(non_commuting_two_by_two) {
    // Σ₁Σ₂ ≠ Σ₂Σ₁ for these: the closed form above is the only shortcut.
    xt::xtensor<double, 2> s1 = {{2.0, 0.7}, {0.7, 1.0}};
    xt::xtensor<double, 2> s2 = {{0.5, -0.2}, {-0.2, 3.0}};
    const std::vector<double> m1 = {1.0, -2.0}, m2 = {0.5, 0.25};
    const double tr12 = s1(0, 0) * s2(0, 0) + s1(0, 1) * s2(1, 0) + s1(1, 0) * s2(0, 1) + s1(1, 1) * s2(1, 1);
    const double det1 = s1(0, 0) * s1(1, 1) - s1(0, 1) * s1(1, 0);
    const double det2 = s2(0, 0) * s2(1, 1) - s2(0, 1) * s2(1, 0);
    const double mean_term = 0.5 * 0.5 + 2.25 * 2.25;
    const double expected = mean_term + (s1(0, 0) + s1(1, 1)) + (s2(0, 0) + s2(1, 1)) -
                            2.0 * std::sqrt(tr12 + 2.0 * std::sqrt(det1 * det2));
    const auto a = examples::make_moments(m1, s1), b = examples::make_moments(m2, s2);
    BOOST_TEST(examples::frechet_distance(a, b) == expected, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(examples::frechet_distance(b, a) == expected, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(examples::frechet_distance(a, a) == 0.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(singular_covariances) {
    // N(0, diag(1, 0)) and N(0, diag(0, 1)): d² = (1 − 0)² + (0 − 1)² = 2, no NaN from √(−0).
    const auto a = examples::make_moments({0.0, 0.0}, diag({1.0, 0.0}));
    const auto b = examples::make_moments({0.0, 0.0}, diag({0.0, 1.0}));
    BOOST_TEST(examples::frechet_distance(a, b) == 2.0, boost::test_tools::tolerance(1e-12));
    const auto z = examples::make_moments({0.0, 3.0}, diag({0.0, 0.0}));
    BOOST_TEST(examples::frechet_distance(z, z) == 0.0);
    BOOST_TEST(examples::frechet_distance(a, z) == 1.0 + 9.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(moments_of_feature_sets) {
    // Three 2-d rows by hand: mean (2, 1), unbiased covariance [[1, -1], [-1, 1]].
    const std::vector<float> x = {1, 2, 2, 1, 3, 0};
    const auto m = examples::feature_moments(x.data(), 3, 2);
    BOOST_TEST(m.count == 3u);
    BOOST_TEST(m.mean[0] == 2.0);
    BOOST_TEST(m.mean[1] == 1.0);
    BOOST_TEST(m.cov(0, 0) == 1.0, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(m.cov(0, 1) == -1.0, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(m.cov(1, 0) == -1.0, boost::test_tools::tolerance(1e-15));
    BOOST_TEST(m.cov(1, 1) == 1.0, boost::test_tools::tolerance(1e-15));
    BOOST_CHECK_THROW(examples::feature_moments(x.data(), 1, 2), std::invalid_argument);

    // 2000 correlated 16-d rows (more rows than dimensions, a full-rank covariance): the set
    // against itself gives 0, against a shifted copy exactly ‖shift‖² (the covariance is the same).
    const std::size_t n = 2000, d = 16;
    std::mt19937_64 rng(11);
    std::normal_distribution<double> nd;
    std::vector<double> f(n * d), g(n * d);
    for (std::size_t i = 0; i < n; ++i) {
        double prev = 0;
        for (std::size_t j = 0; j < d; ++j) {
            prev = 0.6 * prev + nd(rng);
            f[i * d + j] = prev;
        }
    }
    double shift2 = 0;
    for (std::size_t j = 0; j < d; ++j) shift2 += (0.25 * static_cast<double>(j)) * (0.25 * static_cast<double>(j));
    for (std::size_t i = 0; i < n * d; ++i) g[i] = f[i] + 0.25 * static_cast<double>(i % d);
    const auto mf = examples::feature_moments(f.data(), n, d), mg = examples::feature_moments(g.data(), n, d);
    double scale = 0;
    for (std::size_t j = 0; j < d; ++j) scale += mf.cov(j, j);
    BOOST_TEST(std::abs(examples::frechet_distance(mf, mf)) < 1e-9 * scale);
    BOOST_TEST(examples::frechet_distance(mf, mg) == shift2, boost::test_tools::tolerance(1e-8));
    BOOST_CHECK_THROW(examples::frechet_distance(mf, examples::make_moments({0.0}, diag({1.0}))),
                      std::invalid_argument);
}

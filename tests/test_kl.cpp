// tests/test_kl.cpp: kl.hpp against mpmath reference values (tests/reference/core_reference.py,
// 60-digit working precision), identities (KL(q‖q) = 0, KL ≥ 0, the broadcast prior, Monte Carlo
// convergence at rate 1/√N, float against double, any xexpression), finite-difference gradients
// and every error path.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xview.hpp>

#include "gendiv/kl.hpp"
#include "reference/compare.hpp"
#include "reference/core_reference.hpp"
#include "support/numeric.hpp"

namespace {

using float_types = std::tuple<float, double>;
using gendiv::test::array_of;
using gendiv::test::check_abs;
using gendiv::test::check_close;
using gendiv::test::eps_of;
using gendiv::test::relative_error;
using gendiv::test::row_of;
using gendiv::test::uniform;
namespace ref = gendiv::test::ref;

/// Σ_j of the magnitudes gendiv adds to form the KL of one row: ½φ(d) itself where the series
/// is used (|d| < 1), ½|expm1 d| + ½|d| where it subtracts, and ½w². A rounding error of kε in
/// each piece moves the sum by at most kε times this scale.
double kl_scale(const ref::kl_row& r) {
    double s = 0;
    for (std::size_t j = 0; j < r.mu_q.size(); ++j) {
        const double d = r.logvar_q[j] - r.logvar_p[j];
        s += std::abs(d) < 1 ? 0.5 * (std::expm1(d) - d) : 0.5 * (std::abs(std::expm1(d)) + std::abs(d));
        s += 0.5 * std::pow(r.mu_q[j] - r.mu_p[j], 2) * std::exp(-r.logvar_p[j]);
    }
    return s;
}

/// The reference rows checked in T: value, and all four gradients.
//
// Budgets (ε = 2u, u the unit roundoff): every piece above carries ≤ 4ε (½expm1(d) as
// (½h)(h + 2), h = expm1(d/2): ~2.5u; the series and the products ~1u each; the square doubles
// w's error), so the value is within 4ε·scale. d_mq = -d_mp = (mq - mp)e^{-lp} is two roundings
// and an exp: 4ε. d_lq = ½ expm1(d): 2ε. d_lp = -(½ expm1(d) + ½w²) may cancel
// (expm1 < 0 < w²), so its budget is absolute: 4ε(|½ expm1| + ½w²).
template <class T>
void check_kl_row(const ref::kl_row& r) {
    const double eps = eps_of<T>();
    const auto mq = row_of<T>(r.mu_q), lq = row_of<T>(r.logvar_q), mp = row_of<T>(r.mu_p),
               lp = row_of<T>(r.logvar_p);
    const std::string name = r.name;
    check_close<T>(gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp)(0), r.value,
                   4 * eps * kl_scale(r) / r.value, name + " value");
    const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, lp);
    for (std::size_t j = 0; j < r.mu_q.size(); ++j) {
        const std::string at = name + " [" + std::to_string(j) + "]";
        check_close<T>(g.mu_q(0, j), r.d_mu_q[j], 4 * eps, at + " d_mu_q");
        check_close<T>(g.mu_p(0, j), r.d_mu_p[j], 4 * eps, at + " d_mu_p");
        check_close<T>(g.logvar_q(0, j), r.d_logvar_q[j], 2 * eps, at + " d_logvar_q");
        const double half_w2 = -r.d_logvar_p[j] - r.d_logvar_q[j];
        check_abs<T>(g.logvar_p(0, j), r.d_logvar_p[j], 4 * eps * (std::abs(r.d_logvar_q[j]) + half_w2),
                     at + " d_logvar_p");
    }
}

/// Per-sample Monte Carlo KL values: the S samples become S examples of one sample each.
xt::xarray<double> per_sample_kl(const xt::xarray<double>& mq, const xt::xarray<double>& lq,
                                 const xt::xarray<double>& mp, const xt::xarray<double>& lp,
                                 const xt::xarray<double>& eps_sd) {
    const std::size_t S = eps_sd.shape()[0], D = eps_sd.shape()[1];
    const xt::xarray<double> rep_mq = xt::broadcast(mq, {S, D}), rep_lq = xt::broadcast(lq, {S, D});
    xt::xarray<double> e = eps_sd;
    e.reshape({1, S, D});
    return gendiv::kl_gaussian_gaussian_mc(rep_mq, rep_lq, mp, lp, e);
}

/// The KL of (B, D) rows whose row r is replaced by q = N(0, 1) and p = N(j mod 2, 1), except at
/// j = 3, where lq = a and lp = b: every other row keeps its value in `base` (within 4ε), and row
/// r is ½ per odd j ≠ 3 plus ½φ(a - b) + ½(1 - 0)² e^{-b} at j = 3 (long double), +inf where that
/// overflows T, NaN where a or b is NaN.
template <class T>
void check_one_extreme_row(const xt::xarray<T>& mq, const xt::xarray<T>& lq, const xt::xarray<T>& mp,
                           const xt::xarray<T>& lp, const xt::xarray<T>& base, std::size_t r, T a, T b) {
    const std::size_t B = mq.shape()[0], D = mq.shape()[1];
    xt::xarray<T> mq2 = mq, lq2 = lq, mp2 = mp, lp2 = lp;
    for (std::size_t j = 0; j < D; ++j) {
        mq2(r, j) = 0;
        lq2(r, j) = j == 3 ? a : 0;
        mp2(r, j) = static_cast<T>(j % 2);
        lp2(r, j) = j == 3 ? b : 0;
    }
    const auto got = gendiv::kl_gaussian_gaussian_analytic(mq2, lq2, mp2, lp2);
    for (std::size_t k = 0; k < B; ++k)
        if (k != r) check_close(got(k), base(k), 4 * eps_of<T>(), "row " + std::to_string(k));
    const std::string at = "a = " + std::to_string(a) + ", b = " + std::to_string(b);
    if (std::isnan(a) || std::isnan(b)) {
        BOOST_TEST(std::isnan(got(r)), at);
        return;
    }
    const long double la = static_cast<long double>(a), lb = static_cast<long double>(b);
    const long double want = 0.5L * static_cast<long double>((D - 1) / 2 - 1) +
                             0.5L * (expm1l(la - lb) - (la - lb)) + 0.5L * expl(-lb);
    if (!std::isfinite(static_cast<T>(want)))
        BOOST_TEST(got(r) == std::numeric_limits<T>::infinity(), at);
    else
        check_close(got(r), static_cast<T>(want), 4 * eps_of<T>(), at);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reference)

BOOST_AUTO_TEST_CASE_TEMPLATE(analytic_rows, T, float_types) {
    for (const auto& r : ref::kl_rows) check_kl_row<T>(r);
}

// Log-variances that differ by 1e-10 (φ(d) ≈ d²/2 = 5e-21 must not be lost to e^d - 1 - d) and
// log-variance differences of ±160 (e^160 = 3e69, beyond float).
BOOST_AUTO_TEST_CASE(analytic_rows_double_only) {
    for (const auto& r : ref::kl_rows_double) check_kl_row<double>(r);
}

// Float near its overflow threshold: the log-variance term ½(e^d - 1 - d) is below FLT_MAX up to
// d = 89.42 although e^d (and expm1(d)) overflow float from d = 88.72. Across that window the
// KL must be finite while the truth (long double) is below FLT_MAX, +inf beyond, and within 8ε
// of the truth (float forms it as (½E)E - ½ - ½d with E = e^{d/2}: ~3u, the subtractions ~0; the
// gradient's ½expm1 as (½h)(h + 2): ~2.5u).
BOOST_AUTO_TEST_CASE(float_log_variance_term_near_overflow) {
    std::vector<double> d;
    for (double x = 88.0; x <= 89.6; x += 1.0 / 64) d.push_back(x);
    xt::xarray<float> lq = xt::xarray<float>::from_shape({d.size(), 1});
    for (std::size_t i = 0; i < d.size(); ++i) lq(i, 0) = static_cast<float>(d[i]);
    const xt::xarray<float> mq = xt::zeros<float>({d.size(), std::size_t(1)}), zero = xt::zeros<float>({1});
    const auto k = gendiv::kl_gaussian_gaussian_analytic(mq, lq, zero, zero);
    const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, zero, zero);
    const long double big = std::numeric_limits<float>::max();
    std::size_t finite = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
        const long double x = lq(i, 0), truth = 0.5L * (std::expm1(x) - x), dlq = 0.5L * std::expm1(x);
        if (truth < big * (1 - 1e-6L)) {
            ++finite;
            BOOST_TEST(std::fabs(k(i) - truth) <= 8 * eps_of<float>() * truth, "d = " << d[i] << ": " << k(i));
        } else if (truth > big * (1 + 1e-6L)) {
            BOOST_TEST(k(i) == std::numeric_limits<float>::infinity(), "d = " << d[i]);
        }
        if (dlq < big * (1 - 1e-6L))
            BOOST_TEST(std::fabs(g.logvar_q(i, 0) - dlq) <= 8 * eps_of<float>() * dlq, "d = " << d[i]);
    }
    BOOST_TEST(finite >= 90u);  // 88 ≤ d ≤ 89.42 in steps of 1/64
}

// The gradient's ½expm1(d) = (½h)(h + 2), h = expm1(d/2) (detail::half_expm1_fn), scalar and
// batch, against ½expm1l(d) in long double over [-8, 8] in steps of 10⁻⁵ and out to where it
// overflows. Measured maximum (g++ 12 -O2, AVX-512): 2.73 ulp (float, at d = 6.24), 2.63 ulp
// (double, at d = 75.45). Bound: 3.5 ulp.
BOOST_AUTO_TEST_CASE_TEMPLATE(half_expm1_is_within_three_and_a_half_ulp, T, float_types) {
    using B = xsimd::batch<T>;
    namespace dt = gendiv::detail;
    std::vector<T> ds;
    for (long i = -800000; i <= 800000; ++i) ds.push_back(static_cast<T>(1e-5 * static_cast<double>(i)));
    const T top = std::is_same_v<T, float> ? T(89.5) : T(710.5);
    for (T d = T(-750); d < top; d += T(0.0137)) ds.push_back(d);
    while (ds.size() % B::size) ds.push_back(T(0));
    double worst = 0, at = 0;
    const auto check = [&](T d, T got) {
        const long double ref = 0.5L * expm1l(static_cast<long double>(d));
        if (!(ref < static_cast<long double>(std::numeric_limits<T>::max()))) {
            BOOST_TEST(got == std::numeric_limits<T>::infinity(), "d = " << d);
            return;
        }
        const double err = ref == 0 ? (got == 0 ? 0.0 : 1e9) : gendiv::test::ulp_error(ref, got);
        if (err > worst) worst = err, at = static_cast<double>(d);
    };
    for (std::size_t i = 0; i < ds.size(); i += B::size) {
        alignas(64) T lanes[B::size];
        dt::half_expm1_fn{}(B::load_unaligned(&ds[i])).store_aligned(lanes);
        for (std::size_t k = 0; k < B::size; ++k) {
            check(ds[i + k], lanes[k]);
            check(ds[i + k], dt::half_expm1_fn{}(ds[i + k]));
        }
    }
    BOOST_TEST_MESSAGE("half_expm1_fn<" << (std::is_same_v<T, float> ? "float" : "double") << ">: at most " << worst
                                        << " ulp, at d = " << at);
    BOOST_TEST(worst <= 3.5, "at most " << worst << " ulp, at d = " << at);
}

// The log-variance term ½φ(d) = ½(e^d - 1 - d) (detail::half_expm1_minus_x_fn), scalar and
// batch, against long double: the Taylor series (40 terms) for |d| < 1, ½(expm1l(d) - d) beyond
// (where the subtraction costs at most 1.3 bits of long double's 64). Dense over [-8, 8] in
// steps of 10⁻⁵, across the switches at |d| = 1 (double) and 1.5 (float) ulp by ulp, and coarse
// out to where ½φ overflows, ulp by ulp again around d = 708 (double) and 88 (float), where the
// beyond form changes from e^d to e^{d/2}·e^{d/2}. Measured maximum: 3.34 ulp (float, at
// d = 0.237), 4.11 ulp (double, at d = 1.013); through the fast KL kernel, whose batches take
// half_expm1_minus_x_table16 on AVX-512, 3.01 ulp (float, d = -0.719) and 3.54 ulp (double,
// d = -ln 2 / 32). Bound: 6 ulp.
BOOST_AUTO_TEST_CASE_TEMPLATE(log_variance_term_is_within_six_ulp, T, float_types) {
    using B = xsimd::batch<T>;
    const auto truth = [](long double d) {
        if (std::fabs(d) >= 1) return 0.5L * (expm1l(d) - d);
        long double terms[40], inv = 1;  // terms[k] = 1/(k+2)!
        for (int k = 0; k < 40; ++k) terms[k] = (inv /= (k + 2));
        long double p = 0;  // Σ_{k<40} d^k/(k+2)!, Horner
        for (int k = 39; k >= 0; --k) p = p * d + terms[k];
        return 0.5L * d * d * p;
    };
    struct worst_seen {
        double ulp = 0, at = 0;
    } term, fast;  // half_expm1_minus_x_fn; kl_normal_fast_fn
    const auto check = [&](T d, T got, worst_seen& w) {
        const long double ref = truth(static_cast<long double>(d));
        if (!(ref < static_cast<long double>(std::numeric_limits<T>::max()))) return;
        const double err = ref == 0 ? (got == 0 ? 0.0 : 1e9) : gendiv::test::ulp_error(ref, got);
        if (err > w.ulp) w = {err, static_cast<double>(d)};
    };
    std::vector<T> ds;
    for (long i = -800000; i <= 800000; ++i) ds.push_back(static_cast<T>(1e-5 * static_cast<double>(i)));
    // Ulp by ulp across the switches of half_expm1_minus_x_fn (|d| = 1, 1.5) and of the table form:
    // k = 0 / ±1 and ±1 / ±2 (|d| = L/2, 3L/2 with L = ln 2 / 16, where the leading terms cancel
    // most), s = 2^(k/16) below 1/2 (d = -0.72), and the end of exact (s - 1) - k c_hi (|d| = 1.25).
    for (const T s : {T(1), T(1.5), T(2), T(0.0216608494), T(0.0649825482), T(0.72), T(1.25)})
        for (const T sign : {T(1), T(-1)}) {
            T d = sign * s;
            for (int k = 0; k < 2000; ++k) d = std::nextafter(d, T(0));
            for (int k = 0; k < 4000; ++k, d = std::nextafter(d, sign * T(3))) ds.push_back(d);
        }
    const T top = std::is_same_v<T, float> ? T(89.5) : T(710.5);
    for (T d = T(-750); d < top; d += T(0.0137)) ds.push_back(d);
    for (T d = T(-700); d < T(-699); d += T(0.001)) ds.push_back(d);  // the table form's ends
    for (T d = T(699); d < T(700); d += T(0.001)) ds.push_back(d);
    // Where the beyond form changes from e^d to e^{d/2}·e^{d/2} (d = 708 in double, 88 in float).
    if constexpr (std::is_same_v<T, double>)
        for (double d = 707.9; d < 708.1; d += 1e-4) ds.push_back(d);
    else
        for (float d = 87.9f; d < 88.1f; d = std::nextafter(d, 89.0f)) ds.push_back(d);
    while (ds.size() % B::size) ds.push_back(T(0));
    // The term alone, and through the host KL kernel (mq = mp, lp = 0: KL = ½φ(lq)), whose
    // batches take e^δ on exp's fast path with the argument clamped at 708, or (on AVX-512)
    // half_expm1_minus_x_table16, defined for |δ| < 700 (float 87) only (kl_analytic_rows checks).
    namespace dt = gendiv::detail;
    const B zero(T(0));
    const auto in_fast_domain = [](T d) {
        return !dt::half_phi_table<B> || std::fabs(d) < dt::half_phi_table_bound<T>;
    };
    for (std::size_t i = 0; i < ds.size(); i += B::size) {
        alignas(64) T lanes[B::size], kl[B::size];
        const B d = B::load_unaligned(&ds[i]);
        dt::half_expm1_minus_x_fn{}(d).store_aligned(lanes);
        dt::kl_normal_fast_fn{}(zero, d, zero, zero).store_aligned(kl);
        for (std::size_t k = 0; k < B::size; ++k) {
            check(ds[i + k], lanes[k], term);
            if (in_fast_domain(ds[i + k])) check(ds[i + k], kl[k], fast);
            check(ds[i + k], dt::half_expm1_minus_x_fn{}(ds[i + k]), term);
        }
    }
    // Where ½φ overflows: +inf from the term, and from the KL of a row of W such δ (one batch, the
    // row's check sending it to the general kernel where the fast one does not hold).
    const T inf = std::numeric_limits<T>::infinity();
    const auto kl_row_of = [](T d) {
        const xt::xtensor<T, 2> zeros = xt::zeros<T>({std::size_t(1), B::size}), lq = xt::full_like(zeros, d);
        return gendiv::kl_gaussian_gaussian_analytic(zeros, lq, zeros, zeros)(0);
    };
    for (const T d : {T(89.5), T(711), T(1415.9), T(1416), T(1416.1), T(3000), T(1e30), inf}) {
        if (std::is_same_v<T, double> && d < T(711)) continue;  // finite in double
        BOOST_TEST(dt::half_expm1_minus_x_fn{}(B(d)).get(0) == inf, "d = " << d);
        BOOST_TEST(kl_row_of(d) == inf, "d = " << d);
        if (in_fast_domain(d))
            BOOST_TEST(dt::kl_normal_fast_fn{}(zero, B(d), zero, zero).get(0) == inf, "d = " << d);
    }
    BOOST_TEST(std::isnan(kl_row_of(std::numeric_limits<T>::quiet_NaN())));
    BOOST_TEST_MESSAGE("½φ(d): max " << term.ulp << " ulp at d = " << term.at << "; in the fast KL kernel "
                                     << fast.ulp << " ulp at d = " << fast.at);
    BOOST_TEST(term.ulp <= 6.0, "max error " << term.ulp << " ulp at d = " << term.at);
    BOOST_TEST(fast.ulp <= 6.0, "fast KL kernel: max error " << fast.ulp << " ulp at d = " << fast.at);
}

// The host path takes a kernel without exp's range test while every |lp| < 1416 (174 in float)
// and computes all rows again with the general kernel otherwise: one row with a huge, infinite
// or NaN log-variance of p must leave the other rows' values as they were, and get its own right.
BOOST_AUTO_TEST_CASE_TEMPLATE(analytic_rows_beside_a_huge_prior_log_variance, T, float_types) {
    const std::size_t B = 40, D = 37;
    const xt::xarray<T> mq = uniform<T>({B, D}, -3, 3, 61), mp = uniform<T>({B, D}, -3, 3, 62);
    const xt::xarray<T> lq = uniform<T>({B, D}, -30, 30, 63), lp = uniform<T>({B, D}, -30, 30, 64);
    const xt::xarray<T> base = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp);
    constexpr T inf = std::numeric_limits<T>::infinity();
    const T edge = gendiv::detail::kl_fast_lp_bound<T>;
    BOOST_TEST(edge == (std::is_same_v<T, float> ? T(174) : T(1416)));
    for (const T big : {edge - 1, -(edge - 1), edge, -edge, edge + 1, T(2) * edge, -T(3) * edge, inf, -inf,
                        std::numeric_limits<T>::quiet_NaN()})
        check_one_extreme_row(mq, lq, mp, lp, base, 17, T(0), big);
}

// Batches on AVX-512 take ½φ(lq - lp) from half_expm1_minus_x_table16, which holds for
// |lq - lp| < 700 (double) or 87 (float) only; kl_analytic_rows checks that beside |lp|
// (rows_sum_checked_flat) and computes every row again with the general kernel otherwise. One
// row with such a difference just inside, at or beyond the bound must get its own value, and
// leave the others as they were. (Other architectures take no such bound; the same rows must
// come out right there.)
BOOST_AUTO_TEST_CASE_TEMPLATE(analytic_rows_beside_a_huge_log_variance_difference, T, float_types) {
    const std::size_t B = 40, D = 37;
    const xt::xarray<T> mq = uniform<T>({B, D}, -3, 3, 71), mp = uniform<T>({B, D}, -3, 3, 72);
    const xt::xarray<T> lq = uniform<T>({B, D}, -30, 30, 73), lp = uniform<T>({B, D}, -30, 30, 74);
    const xt::xarray<T> base = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp);
    const T edge = gendiv::detail::half_phi_table_bound<T>;
    BOOST_TEST(edge == (std::is_same_v<T, float> ? T(87) : T(700)));
    for (const T big : {edge - T(0.5), -(edge - T(0.5)), edge, -edge, edge + 1, -(edge + 1), T(705), T(-750)})
        check_one_extreme_row(mq, lq, mp, lp, base, 17, big, T(0));
}

// Rows of W to detail::short_row values are summed through a buffer, in chunks of about
// detail::short_rows_chunk values (detail/simd.hpp, rows_sum_buffered). For lengths about the
// batch width W, a row count per chunk that leaves a partial last chunk, the ends of short_row,
// and batches from one row to past the parallel threshold: every row equals the row-by-row sum of
// the same kernel (detail::rows_sum) bit for bit, and a long double evaluation within 4ε of the
// row's scale (as kl_scale; the reference takes the kernel's rounded lq - lp).
BOOST_AUTO_TEST_CASE_TEMPLATE(short_rows_through_the_buffer, T, float_types) {
    namespace dt = gendiv::detail;
    constexpr std::size_t W = dt::batch_t<T>::size, S = dt::short_row;
    std::vector<std::array<std::size_t, 2>> shapes;
    for (std::size_t D : {std::size_t(1), W - 1, W, W + 1, 2 * W + 3, std::size_t(100), S - 1, S, S + 1})
        for (std::size_t B : {1, 2, 11, 23, 64}) shapes.push_back({B, D});
    shapes.push_back({1400, 100});  // 140 000 values: the chunks run on the OpenMP team
    static_assert(1400 * 100 >= dt::parallel_threshold);
    std::uint64_t seed = 700;
    for (const auto& [B, D] : shapes) {
        const xt::xarray<T> mq = uniform<T>({B, D}, -2, 2, ++seed), mp = uniform<T>({B, D}, -2, 2, ++seed);
        const xt::xarray<T> lq = uniform<T>({B, D}, -3, 3, ++seed), lp = uniform<T>({B, D}, -3, 3, ++seed);
        const auto got = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp);
        std::vector<T> by_row(B);
        dt::rows_sum<T>(B, D, by_row.data(), [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            return dt::kl_normal_fast_fn{}(dt::load<V>(mq.data() + i), dt::load<V>(lq.data() + i),
                                           dt::load<V>(mp.data() + i), dt::load<V>(lp.data() + i));
        });
        const std::string shape = "(" + std::to_string(B) + ", " + std::to_string(D) + ")";
        for (std::size_t b = 0; b < B; ++b) {
            BOOST_TEST(got(b) == by_row[b], shape << " row " << b);
            long double want = 0, scale = 0;
            for (std::size_t j = 0; j < D; ++j) {
                const long double d = static_cast<T>(lq(b, j) - lp(b, j));  // the kernel's difference
                const long double w2 = std::pow(static_cast<long double>(mq(b, j)) - mp(b, j), 2) * expl(-static_cast<long double>(lp(b, j)));
                want += 0.5L * (expm1l(d) - d) + 0.5L * w2;
                scale += 0.5L * (std::fabs(expm1l(d)) + std::fabs(d)) + 0.5L * w2;
            }
            BOOST_TEST(std::fabs(static_cast<long double>(got(b)) - want) <= 4 * eps_of<T>() * scale,
                       shape << " row " << b << ": " << got(b) << " against " << static_cast<double>(want));
        }
    }
}

// Gradients run row by row with each row's tail as one batch overlapping the last full one
// (detail::rows_for, simd_for_overlapping): for lengths about the batch width W and beyond, every
// element of every row, the tail's included, against the closed forms in long double
// (∂mq = u(mq - mp)e^{-lp} = -∂mp, ∂lq = ½u expm1(δ), ∂lp = -½u(expm1(δ) + w²)), with the budgets
// of check_kl_row (δ the kernel's rounded lq - lp).
BOOST_AUTO_TEST_CASE_TEMPLATE(analytic_gradient_rows_of_every_length, T, float_types) {
    constexpr std::size_t W = gendiv::detail::batch_t<T>::size;
    const double eps = eps_of<T>();
    std::uint64_t seed = 900;
    for (std::size_t D : {std::size_t(1), W - 1, W, W + 1, 2 * W - 1, 2 * W + 3, std::size_t(100)})
        for (std::size_t B : {1, 3, 17}) {
            const xt::xarray<T> mq = uniform<T>({B, D}, -2, 2, ++seed), mp = uniform<T>({B, D}, -2, 2, ++seed);
            const xt::xarray<T> lq = uniform<T>({B, D}, -3, 3, ++seed), lp = uniform<T>({B, D}, -3, 3, ++seed);
            const xt::xarray<T> u = uniform<T>({B}, 0.5, 2, ++seed);
            const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, lp, u);
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t j = 0; j < D; ++j) {
                    const std::string at = "(" + std::to_string(B) + ", " + std::to_string(D) + ") [" +
                                           std::to_string(b) + ", " + std::to_string(j) + "]";
                    const long double ub = u(b), gap = static_cast<long double>(mq(b, j)) - mp(b, j);
                    const long double e = expl(-static_cast<long double>(lp(b, j)));
                    const long double em1 = expm1l(static_cast<T>(lq(b, j) - lp(b, j)));
                    const long double half_w2 = 0.5L * gap * gap * e;
                    check_close<T>(g.mu_q(b, j), static_cast<double>(ub * gap * e), 4 * eps, at + " d_mu_q");
                    check_close<T>(g.mu_p(b, j), static_cast<double>(-ub * gap * e), 4 * eps, at + " d_mu_p");
                    check_close<T>(g.logvar_q(b, j), static_cast<double>(0.5L * ub * em1), 2 * eps, at + " d_logvar_q");
                    check_abs<T>(g.logvar_p(b, j), static_cast<double>(-ub * (0.5L * em1 + half_w2)),
                                 4 * eps * static_cast<double>(ub * (std::fabs(0.5L * em1) + half_w2)), at + " d_logvar_p");
                }
        }
}

// A variance of 0 (log-variance -inf) makes the KL +inf, never NaN: q a point mass (lq = -inf)
// or p a point mass (lp = -inf), at the same or another mean; both point masses give 0 or +inf.
BOOST_AUTO_TEST_CASE_TEMPLATE(zero_variance_gives_infinity, T, float_types) {
    const T inf = std::numeric_limits<T>::infinity();
    const xt::xarray<T> mq = {{0.5, 0.5, 0.5, 0.5}}, mp = {{0.5, 1.5, 0.5, 1.5}};
    const xt::xarray<T> lq = {{-inf, -inf, 0, 0}}, lp = {{0, 0, -inf, -inf}};
    for (std::size_t j = 0; j < 4; ++j) {
        const xt::xarray<T> a = xt::view(mq, xt::all(), xt::range(j, j + 1)), b = xt::view(lq, xt::all(), xt::range(j, j + 1)),
                            c = xt::view(mp, xt::all(), xt::range(j, j + 1)), e = xt::view(lp, xt::all(), xt::range(j, j + 1));
        BOOST_TEST(gendiv::kl_gaussian_gaussian_analytic(a, b, c, e)(0) == inf, "coordinate " << j);
    }
    // Two point masses (lq = lp = -inf): 0 at the same mean, +inf apart; in a row long enough for
    // the SIMD kernels too (37 coordinates, the pair at the end).
    for (const std::size_t n : {std::size_t(1), std::size_t(37)}) {
        for (const bool same : {true, false}) {
            xt::xarray<T> a = xt::zeros<T>({std::size_t(1), n}), b = xt::zeros<T>({std::size_t(1), n});
            xt::xarray<T> c = a, e = b;
            b(0, n - 1) = e(0, n - 1) = -inf;
            a(0, n - 1) = T(0.5);
            c(0, n - 1) = same ? T(0.5) : T(1.5);
            BOOST_TEST(gendiv::kl_gaussian_gaussian_analytic(a, b, c, e)(0) == (same ? T(0) : inf),
                       "n = " << n << (same ? ", same mean" : ", other mean"));
        }
    }
    // and ∂/∂lq at lq = -inf is ½ expm1(-inf) = -½
    BOOST_TEST(gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, xt::xarray<T>(xt::zeros<T>({1, 4}))).logvar_q(0, 0) ==
               T(-0.5));
}

// Monte Carlo KL with given noise against the mean over samples of log q(z) - log p(z) evaluated
// from z itself at 60 digits. Budgets (absolute, from the size of the pieces, computed below):
// w = (mq - mp)e^{-lp/2} + eps e^{(lq-lp)/2} carries 3ε(|a| + |b|) with a, b its two terms, so
// ½(w - eps)(w + eps) carries ~4ε(|a| + |b|)(|a| + |b| + |eps|) and the gradients
// d_mq = w e^{-lp/2}, d_lq = ½(w eps r - 1), d_lp = ½ - ½w² carry the corresponding products.
BOOST_AUTO_TEST_CASE_TEMPLATE(monte_carlo_with_given_noise, T, float_types) {
    const double eps = eps_of<T>();
    const std::size_t S = ref::mc_S, B = ref::mc_B, D = ref::mc_D;
    const auto mq = array_of<T>(ref::mc_mq, {B, D}), lq = array_of<T>(ref::mc_lq, {B, D}),
               mp = array_of<T>(ref::mc_mp, {B, D}), lp = array_of<T>(ref::mc_lp, {B, D});
    const auto e = array_of<T>(ref::mc_eps, {S, B, D});
    const auto v = gendiv::kl_gaussian_gaussian_mc(mq, lq, mp, lp, e);
    const auto g = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, mp, lp, e);
    for (std::size_t b = 0; b < B; ++b) {
        double v_budget = 0;
        for (std::size_t j = 0; j < D; ++j) {
            const std::size_t i = b * D + j;
            const double s = std::exp(-0.5 * ref::mc_lp[i]), r = std::exp(0.5 * (ref::mc_lq[i] - ref::mc_lp[i]));
            double gm = 0, gq = 0, gp = 0;
            for (std::size_t k = 0; k < S; ++k) {
                const double ek = ref::mc_eps[k * B * D + i];
                const double mag = std::abs((ref::mc_mq[i] - ref::mc_mp[i]) * s) + std::abs(ek * r);
                v_budget += (4 * eps * mag * (mag + std::abs(ek)) + 2 * eps * std::abs(ref::mc_lp[i] - ref::mc_lq[i])) / S;
                gm += 4 * eps * mag * s / S;
                gq += 4 * eps * (0.5 * mag * std::abs(ek * r) + 0.5) / S;
                gp += 4 * eps * (0.5 * mag * mag + 0.5) / S;
            }
            const std::string at = "mc [" + std::to_string(b) + ", " + std::to_string(j) + "]";
            check_abs<T>(g.mu_q(b, j), ref::mc_d_mq[i], gm, at + " d_mu_q");
            check_abs<T>(g.mu_p(b, j), ref::mc_d_mp[i], gm, at + " d_mu_p");
            check_abs<T>(g.logvar_q(b, j), ref::mc_d_lq[i], gq, at + " d_logvar_q");
            check_abs<T>(g.logvar_p(b, j), ref::mc_d_lp[i], gp, at + " d_logvar_p");
        }
        check_abs<T>(v(b), ref::mc_value[b], v_budget, "mc value [" + std::to_string(b) + "]");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(identities)

// KL(q‖q) = 0 exactly, analytic and Monte Carlo (any noise), and every gradient is 0 (but the
// log-variances', which are ½ expm1(0) = 0 and ∓½ for the MC estimator, see below).
BOOST_AUTO_TEST_CASE_TEMPLATE(kl_of_q_and_q_is_exactly_zero, T, float_types) {
    for (double scale : {1.0, 80.0}) {
        const xt::xarray<T> m = uniform<T>({6, 11}, -1e3, 1e3, 1), l = uniform<T>({6, 11}, -scale, scale, 2);
        const auto k = gendiv::kl_gaussian_gaussian_analytic(m, l, m, l);
        for (auto v : k) BOOST_TEST(v == T(0));
        const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(m, l, m, l);
        for (const auto* a : {&g.mu_q, &g.logvar_q, &g.mu_p, &g.logvar_p})
            for (auto v : *a) BOOST_TEST(v == T(0));
        const xt::xarray<T> e = uniform<T>({3, 6, 11}, -4, 4, 3);
        for (auto v : gendiv::kl_gaussian_gaussian_mc(m, l, m, l, e)) BOOST_TEST(v == T(0));
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(analytic_kl_is_non_negative, T, float_types) {
    for (double scale : {0.5, 5.0, 80.0}) {
        const xt::xarray<T> mq = uniform<T>({50, 20}, -3, 3, 4), mp = uniform<T>({50, 20}, -3, 3, 5);
        const xt::xarray<T> lq = uniform<T>({50, 20}, -scale, scale, 6), lp = uniform<T>({50, 20}, -scale, scale, 7);
        for (auto v : gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp)) BOOST_TEST(v >= T(0));
        // each coordinate separately, including those with log-variances 1e-7 apart
        const xt::xarray<T> near = lq + T(1e-7) * lq;
        xt::xarray<T> a = mq, c = lq, d = near, pm = mp, pl = lp;
        for (auto* x : {&a, &c, &d, &pm, &pl}) x->reshape({1000, 1});  // one coordinate a row
        for (auto v : gendiv::kl_gaussian_gaussian_analytic(a, c, a, d)) BOOST_TEST(v >= T(0));
        for (auto v : gendiv::kl_gaussian_gaussian_analytic(a, c, pm, pl)) BOOST_TEST(v >= T(0));
    }
}

// Zeros of shape (D,), (1,), (1, D) or 0-d for the prior give the bits the full (B, D) zeros
// give, and the prior's gradients are the full gradients summed over the broadcast axes.
BOOST_AUTO_TEST_CASE_TEMPLATE(broadcast_prior, T, float_types) {
    const std::size_t B = 6, D = 9;
    const xt::xarray<T> mq = uniform<T>({B, D}, -2, 2, 8), lq = uniform<T>({B, D}, -3, 3, 9);
    const xt::xarray<T> zf = xt::zeros<T>({B, D});
    const auto want = gendiv::kl_gaussian_gaussian_analytic(mq, lq, zf, zf);
    const auto gw = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, zf, zf);
    const xt::xarray<T> e = uniform<T>({4, B, D}, -3, 3, 10);
    const auto want_mc = gendiv::kl_gaussian_gaussian_mc(mq, lq, zf, zf, e);
    const xt::xarray<T> u = uniform<T>({B}, 0.5, 2, 11);
    const auto gw_mc = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, zf, zf, e, u);
    for (const auto& shape : std::vector<std::vector<std::size_t>>{{D}, {1}, {1, D}, {}}) {
        const xt::xarray<T> z = xt::zeros<T>(shape);
        BOOST_TEST(gendiv::kl_gaussian_gaussian_analytic(mq, lq, z, z) == want, boost::test_tools::per_element());
        BOOST_TEST(gendiv::kl_gaussian_gaussian_mc(mq, lq, z, z, e) == want_mc, boost::test_tools::per_element());
        const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, z, z);
        BOOST_TEST(g.mu_q == gw.mu_q, boost::test_tools::per_element());
        BOOST_TEST(g.logvar_q == gw.logvar_q, boost::test_tools::per_element());
        const auto gm = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, z, z, e, u);
        BOOST_TEST(gm.mu_q == gw_mc.mu_q, boost::test_tools::per_element());
        for (const auto& pair : {std::make_pair(&g.mu_p, &gw.mu_p), std::make_pair(&g.logvar_p, &gw.logvar_p),
                                 std::make_pair(&gm.mu_p, &gw_mc.mu_p), std::make_pair(&gm.logvar_p, &gw_mc.logvar_p)}) {
            BOOST_TEST(pair.first->shape() == z.shape(), boost::test_tools::per_element());
            const double got = xt::sum(xt::cast<double>(*pair.first))();
            const double full = xt::sum(xt::cast<double>(*pair.second))();
            const double l1 = xt::sum(xt::abs(xt::cast<double>(*pair.second)))();
            BOOST_TEST(std::abs(got - full) <= B * D * eps_of<T>() * l1);
        }
    }
    // the closed form for the standard normal prior: ½ Σ (e^lq - 1 - lq + mq²)
    for (std::size_t b = 0; b < B; ++b) {
        double k = 0;
        for (std::size_t j = 0; j < D; ++j)
            k += 0.5 * (std::expm1(double(lq(b, j))) - lq(b, j) + double(mq(b, j)) * mq(b, j));
        check_close<T>(want(b), k, 8 * eps_of<T>(), "KL to N(0, I)");
    }
}

// The Monte Carlo estimator converges to the analytic KL with error σ/√N. With R = 200 seeded
// replicates of N = 100 and 100N = 10^4 samples, the RMS error over replicates estimates σ/√N
// with a relative standard deviation of 1/√(2R) = 5%; we allow 4 of those (20%) on each RMS and
// 40% on their ratio, predicted to be √100 = 10. σ is the sample standard deviation of the
// per-sample values, so nothing here is tuned to the seed.
BOOST_AUTO_TEST_CASE(monte_carlo_converges_at_rate_one_over_sqrt_n) {
    const xt::xarray<double> mq = {{0.5, -1.0, 0.25, 2.0, 0.0}}, lq = {{0.0, -0.5, 0.75, -1.0, 0.5}};
    const xt::xarray<double> mp = {{0.0, 0.5, 0.0, 1.0, -0.5}}, lp = {{0.25, 0.0, 0.0, 0.5, 0.0}};
    const double kl = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp)(0);
    const std::size_t R = 200, N = 100, D = 5;
    std::mt19937_64 rng(20240601);
    std::normal_distribution<double> normal;
    double se_small = 0, se_big = 0, sum = 0, sum2 = 0, bias = 0;
    for (std::size_t r = 0; r < R; ++r) {
        xt::xarray<double> e = xt::xarray<double>::from_shape({100 * N, D});
        for (auto& v : e) v = normal(rng);
        const auto vals = per_sample_kl(mq, lq, mp, lp, e);
        double s_small = 0, s_big = 0;
        for (std::size_t k = 0; k < 100 * N; ++k) {
            (k < N ? s_small : s_big) += vals(k);
            sum += vals(k);
            sum2 += vals(k) * vals(k);
        }
        s_big += s_small;
        se_small += std::pow(s_small / N - kl, 2);
        se_big += std::pow(s_big / (100 * N) - kl, 2);
        bias += s_big / (100 * N) - kl;
        if (r == 0) {
            // the per-sample trick and the (S, B, D) API agree
            xt::xarray<double> e3 = e;
            e3.reshape({100 * N, 1, D});
            BOOST_TEST(gendiv::kl_gaussian_gaussian_mc(mq, lq, mp, lp, e3)(0) == s_big / (100 * N),
                       boost::test_tools::tolerance(1e-12));
        }
    }
    const double n_all = static_cast<double>(R * 100 * N);
    const double sigma = std::sqrt(sum2 / n_all - std::pow(sum / n_all, 2));
    const double rms_small = std::sqrt(se_small / R), rms_big = std::sqrt(se_big / R);
    BOOST_TEST_MESSAGE("KL = " << kl << ", sigma = " << sigma << ", RMS error at N = " << rms_small
                               << " (predicted " << sigma / std::sqrt(double(N)) << "), at 100N = " << rms_big
                               << " (predicted " << sigma / std::sqrt(100.0 * N) << ")");
    BOOST_TEST(std::abs(sum / n_all - kl) <= 4 * sigma / std::sqrt(n_all));  // unbiased
    BOOST_TEST(std::abs(bias / R) <= 4 * sigma / std::sqrt(n_all));
    BOOST_TEST(std::abs(rms_small / (sigma / std::sqrt(double(N))) - 1) <= 0.2);
    BOOST_TEST(std::abs(rms_big / (sigma / std::sqrt(100.0 * N)) - 1) <= 0.2);
    BOOST_TEST(std::abs(rms_small / rms_big / 10 - 1) <= 0.4);
}

// The overload that draws its own noise uses `rng` through std::normal_distribution<T> in the
// row-major order of eps: a fixed seed reproduces it exactly, and it equals the given-noise form.
BOOST_AUTO_TEST_CASE_TEMPLATE(seeded_monte_carlo_is_reproducible, T, float_types) {
    const xt::xarray<T> mq = uniform<T>({3, 4}, -1, 1, 12), lq = uniform<T>({3, 4}, -1, 1, 13);
    const xt::xarray<T> zero = xt::zeros<T>({4});
    std::mt19937 a(7), b(7), c(7);
    const auto k1 = gendiv::kl_gaussian_gaussian_mc(mq, lq, zero, zero, 5, a);
    const auto k2 = gendiv::kl_gaussian_gaussian_mc(mq, lq, zero, zero, 5, b);
    BOOST_TEST(k1 == k2, boost::test_tools::per_element());
    xt::xarray<T> e = xt::xarray<T>::from_shape({5, 3, 4});
    std::normal_distribution<T> normal(T(0), T(1));
    for (auto& v : e) v = normal(c);
    BOOST_TEST(k1 == gendiv::kl_gaussian_gaussian_mc(mq, lq, zero, zero, e), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(float_and_double_agree) {
    const xt::xarray<float> mq = uniform<float>({16, 100}, -3, 3, 14), lq = uniform<float>({16, 100}, -8, 8, 15);
    const xt::xarray<float> mp = uniform<float>({16, 100}, -3, 3, 16), lp = uniform<float>({16, 100}, -8, 8, 17);
    const xt::xarray<double> mqd = mq, lqd = lq, mpd = mp, lpd = lp;
    const auto kf = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp);
    const auto kd = gendiv::kl_gaussian_gaussian_analytic(mqd, lqd, mpd, lpd);
    const auto gf = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, lp);
    const auto gd = gendiv::kl_gaussian_gaussian_analytic_grad(mqd, lqd, mpd, lpd);
    // Unlike the reference rows, d = lq - lp and mq - mp are rounded in float here (the double
    // path forms them exactly): that moves e^d by |d|ε/2 relative and the mean term by ε, on top
    // of the 4ε of the pieces (see check_kl_row). Budgets are per coordinate, summed per row.
    const double eps = eps_of<float>();
    for (std::size_t b = 0; b < 16; ++b) {
        double budget = 0;
        for (std::size_t j = 0; j < 100; ++j) {
            const double d = lqd(b, j) - lpd(b, j), e = std::expm1(d);
            const double w2 = std::pow(mqd(b, j) - mpd(b, j), 2) * std::exp(-lpd(b, j));
            budget += 0.5 * (4 * eps * (std::abs(e) + std::abs(d)) + std::abs(d) * eps / 2 * (e + 1)) + 0.5 * w2 * 6 * eps;
        }
        check_abs<float>(kf(b), kd(b), budget, "float KL vs double");
    }
    for (std::size_t i = 0; i < gf.mu_q.size(); ++i) {
        const double d = lqd.flat(i) - lpd.flat(i);
        const double half_e = gd.logvar_q.flat(i), half_w2 = -gd.logvar_p.flat(i) - half_e;
        const double d_err = std::abs(d) * eps / 2 * (half_e + 0.5);  // from rounding d, on ½ expm1(d)
        check_close<float>(gf.mu_q.flat(i), gd.mu_q.flat(i), 5 * eps, "d_mu_q");
        check_abs<float>(gf.logvar_q.flat(i), half_e, 2 * eps * std::abs(half_e) + d_err, "d_logvar_q");
        check_abs<float>(gf.logvar_p.flat(i), gd.logvar_p.flat(i), 4 * eps * (std::abs(half_e) + half_w2) + d_err,
                         "d_logvar_p");
    }
}

BOOST_AUTO_TEST_CASE(any_xexpression) {
    const xt::xarray<double> mq = uniform<double>({5, 8}, -2, 2, 18), lq = uniform<double>({5, 8}, -2, 2, 19);
    const xt::xarray<double> mp = uniform<double>({5, 8}, -2, 2, 20), lp = uniform<double>({5, 8}, -2, 2, 21);
    const auto want = gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, lp);
    const auto gw = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, lp);
    xt::xarray<double, xt::layout_type::column_major> lqc = lq;
    std::vector<double> mps(mp.begin(), mp.end());
    xt::xarray<double> big = xt::zeros<double>({10, 8});
    xt::view(big, xt::range(1, 10, 2), xt::all()) = lp;
    const auto lpv = xt::view(big, xt::range(1, 10, 2), xt::all());
    const auto mpa = xt::adapt(mps, std::vector<std::size_t>{5, 8});
    BOOST_TEST(gendiv::kl_gaussian_gaussian_analytic(mq + 0.0, lqc, mpa, lpv) == want, boost::test_tools::per_element());
    const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq * 1.0, lqc, mpa, lpv);
    BOOST_TEST(g.logvar_q == gw.logvar_q, boost::test_tools::per_element());
    BOOST_TEST(g.logvar_p == gw.logvar_p, boost::test_tools::per_element());
    const xt::xarray<double> e = uniform<double>({2, 5, 8}, -2, 2, 22);
    xt::xarray<double, xt::layout_type::column_major> ec = e;
    BOOST_TEST(gendiv::kl_gaussian_gaussian_mc(mq, lqc, mpa, lpv, ec) == gendiv::kl_gaussian_gaussian_mc(mq, lq, mp, lp, e),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

BOOST_AUTO_TEST_CASE(analytic_finite_differences) {
    const std::size_t B = 4, D = 5;
    const auto u = uniform<double>({B}, -2, 2, 30);
    for (double scale : {2.0, 6.0}) {
        const auto mq = uniform<double>({B, D}, -3, 3, 31), mp = uniform<double>({B, D}, -3, 3, 32);
        const auto lq = uniform<double>({B, D}, -scale, scale, 33), lp = uniform<double>({B, D}, -scale, scale, 34);
        const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, lp, u);
        auto k = [&](const auto& a, const auto& b, const auto& c, const auto& d) {
            return xt::sum(gendiv::kl_gaussian_gaussian_analytic(a, b, c, d) * u)();
        };
        using A = const xt::xarray<double>&;
        BOOST_TEST(relative_error(g.mu_q, gendiv::test::numeric_gradient([&](A x) { return k(x, lq, mp, lp); }, mq)) < 1e-7);
        BOOST_TEST(relative_error(g.logvar_q, gendiv::test::numeric_gradient([&](A x) { return k(mq, x, mp, lp); }, lq)) < 1e-7);
        BOOST_TEST(relative_error(g.mu_p, gendiv::test::numeric_gradient([&](A x) { return k(mq, lq, x, lp); }, mp)) < 1e-7);
        BOOST_TEST(relative_error(g.logvar_p, gendiv::test::numeric_gradient([&](A x) { return k(mq, lq, mp, x); }, lp)) < 1e-7);
    }
    // log-variances 1e-10 apart: the gradient in them is ±½ expm1(1e-10) ≈ ±5e-11. The value is
    // ≈ d²/4, so central differences with step s err by s²/12 absolute (s = 1e-9: 1e-19, i.e.
    // 2e-9 relative) and by ε·KL/s from rounding (KL ≈ 2.5e-19: negligible)
    const xt::xarray<double> mq = {{0.5, -0.5}}, lq = {{0.3, -2.0}}, lp = {{0.3 + 1e-10, -2.0 - 1e-10}};
    const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mq, lp);
    auto fl = [&](const xt::xarray<double>& x) { return gendiv::kl_gaussian_gaussian_analytic(mq, x, mq, lp)(0); };
    BOOST_TEST(relative_error(g.logvar_q, gendiv::test::numeric_gradient(fl, lq, 1e-9)) < 1e-6);
    BOOST_TEST(g.logvar_q(0, 0) < 0);
    BOOST_TEST(g.logvar_q(0, 1) > 0);
}

// Gradients of a broadcast prior over an empty batch, or over an empty middle axis, are zeros of
// the prior's shape: xtensor 0.24's immediate sum over an axis of length 0 crashed the process
// (SIGSEGV) when unbroadcast summed them.
BOOST_AUTO_TEST_CASE_TEMPLATE(empty_batches_with_a_broadcast_prior, T, float_types) {
    for (const auto& shapes : {std::pair<std::vector<std::size_t>, std::vector<std::size_t>>{{0, 5}, {5}},
                               {{0, 5}, {1, 5}}, {{2, 0, 3}, {1, 1, 3}}}) {
        const xt::xarray<T> q = xt::zeros<T>(shapes.first), p = xt::zeros<T>(shapes.second);
        const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(q, q, p, p);
        BOOST_TEST((g.mu_p.shape() == p.shape()));
        BOOST_TEST((g.logvar_p == p));
        std::vector<std::size_t> es = shapes.first;
        es.insert(es.begin(), 3);
        const xt::xarray<T> eps = xt::zeros<T>(es);
        const auto gm = gendiv::kl_gaussian_gaussian_mc_grad(q, q, p, p, eps);
        BOOST_TEST((gm.mu_p == p));
        BOOST_TEST((gm.logvar_p.shape() == p.shape()));
    }
}

BOOST_AUTO_TEST_CASE(broadcast_prior_finite_differences) {
    const std::size_t B = 4, D = 5;
    const auto mq = uniform<double>({B, D}, -3, 3, 35), lq = uniform<double>({B, D}, -2, 2, 36);
    const auto u = uniform<double>({B}, -2, 2, 37);
    const auto mp = uniform<double>({D}, -1, 1, 38);
    const xt::xarray<double> lp = {0.3};
    const xt::xarray<double> e = uniform<double>({3, B, D}, -2, 2, 39);
    using A = const xt::xarray<double>&;
    const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, lp, u);
    BOOST_TEST(relative_error(g.mu_p, gendiv::test::numeric_gradient(
                                          [&](A x) { return xt::sum(gendiv::kl_gaussian_gaussian_analytic(mq, lq, x, lp) * u)(); }, mp)) < 1e-8);
    BOOST_TEST(relative_error(g.logvar_p, gendiv::test::numeric_gradient(
                                              [&](A x) { return xt::sum(gendiv::kl_gaussian_gaussian_analytic(mq, lq, mp, x) * u)(); }, lp)) < 1e-8);
    const auto gm = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, mp, lp, e, u);
    BOOST_TEST(relative_error(gm.mu_p, gendiv::test::numeric_gradient(
                                           [&](A x) { return xt::sum(gendiv::kl_gaussian_gaussian_mc(mq, lq, x, lp, e) * u)(); }, mp)) < 1e-8);
    BOOST_TEST(relative_error(gm.logvar_p, gendiv::test::numeric_gradient(
                                               [&](A x) { return xt::sum(gendiv::kl_gaussian_gaussian_mc(mq, lq, mp, x, e) * u)(); }, lp)) < 1e-8);
}

// The pathwise gradient of the Monte Carlo estimator for fixed noise is the derivative of the
// estimate as a function of the parameters: finite differences with eps held fixed.
BOOST_AUTO_TEST_CASE(monte_carlo_finite_differences) {
    const std::size_t S = 3, B = 4, D = 5;
    const auto u = uniform<double>({B}, -2, 2, 40);
    const xt::xarray<double> e = uniform<double>({S, B, D}, -2.5, 2.5, 41);
    for (double scale : {2.0, 6.0}) {
        const auto mq = uniform<double>({B, D}, -3, 3, 42), mp = uniform<double>({B, D}, -3, 3, 43);
        const auto lq = uniform<double>({B, D}, -scale, scale, 44), lp = uniform<double>({B, D}, -scale, scale, 45);
        const auto g = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, mp, lp, e, u);
        auto k = [&](const auto& a, const auto& b, const auto& c, const auto& d) {
            return xt::sum(gendiv::kl_gaussian_gaussian_mc(a, b, c, d, e) * u)();
        };
        using A = const xt::xarray<double>&;
        BOOST_TEST(relative_error(g.mu_q, gendiv::test::numeric_gradient([&](A x) { return k(x, lq, mp, lp); }, mq)) < 1e-7);
        BOOST_TEST(relative_error(g.logvar_q, gendiv::test::numeric_gradient([&](A x) { return k(mq, x, mp, lp); }, lq)) < 1e-7);
        BOOST_TEST(relative_error(g.mu_p, gendiv::test::numeric_gradient([&](A x) { return k(mq, lq, x, lp); }, mp)) < 1e-7);
        BOOST_TEST(relative_error(g.logvar_p, gendiv::test::numeric_gradient([&](A x) { return k(mq, lq, mp, x); }, lp)) < 1e-7);
    }
    // without upstream: u = 1
    const auto mq = uniform<double>({B, D}, -1, 1, 46), lq = uniform<double>({B, D}, -1, 1, 47);
    const xt::xarray<double> z = xt::zeros<double>({D});
    const auto g = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, z, z, e);
    auto f = [&](const xt::xarray<double>& x) { return xt::sum(gendiv::kl_gaussian_gaussian_mc(mq, x, z, z, e))(); };
    BOOST_TEST(relative_error(g.logvar_q, gendiv::test::numeric_gradient(f, lq)) < 1e-8);
    const auto ga = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, z, z);
    auto fa = [&](const xt::xarray<double>& x) { return xt::sum(gendiv::kl_gaussian_gaussian_analytic(x, lq, z, z))(); };
    BOOST_TEST(relative_error(ga.mu_q, gendiv::test::numeric_gradient(fa, mq)) < 1e-8);
}

// Extreme inputs: log-variances in {±80, ±40, 0} and mean gaps up to 100, one coordinate a row,
// so that terms of 1e-35 and 1e69 never share a finite-difference quotient. Each coordinate's
// gradient is compared with central differences of that coordinate alone, within the
// differences' own error: truncation s²|f⁽³⁾|/6, where every piece of f (½e^{d}, ½w², ½|d|, ½ε²,
// all times u) is an exponential of rate ≤ 1 or a polynomial of degree ≤ 2 in each parameter, so
// |f⁽³⁾| ≤ 6·(sum of the pieces' magnitudes) =: 6P; plus rounding 2ε(|f| + κP)/s, where
// κ = 1 + |lq| + |lp| is the condition number of the exponentials in their rounded arguments
// (e^{lq - lp} carries |lq - lp|·ε/2 however it is computed). The Monte Carlo estimator is
// checked the same way with fixed noise.
BOOST_AUTO_TEST_CASE(extreme_inputs_coordinate_by_coordinate) {
    std::vector<std::array<double, 4>> cases;
    for (double lq : {-80.0, -40.0, 0.0, 40.0, 80.0})
        for (double lp : {-80.0, -40.0, 0.0, 40.0, 80.0})
            for (double gap : {0.0, 1e-3, 1.0, 100.0}) cases.push_back({0.5 + gap, lq, 0.5, lp});
    const std::size_t N = cases.size();
    xt::xarray<double> mq = xt::xarray<double>::from_shape({N, 1}), lq = mq, mp = mq, lp = mq;
    for (std::size_t i = 0; i < N; ++i) {
        mq(i, 0) = cases[i][0];
        lq(i, 0) = cases[i][1];
        mp(i, 0) = cases[i][2];
        lp(i, 0) = cases[i][3];
    }
    const xt::xarray<double> u = uniform<double>({N}, 0.5, 2, 48);
    const xt::xarray<double> e = uniform<double>({2, N, 1}, -2, 2, 49);
    const auto ga = gendiv::kl_gaussian_gaussian_analytic_grad(mq, lq, mp, lp, u);
    const auto gm = gendiv::kl_gaussian_gaussian_mc_grad(mq, lq, mp, lp, e, u);
    constexpr double eps = std::numeric_limits<double>::epsilon();
    for (std::size_t i = 0; i < N; ++i) {
        const xt::xarray<double> ei = xt::view(e, xt::all(), xt::range(i, i + 1), xt::all());
        for (bool mc : {false, true}) {
            auto f = [&](std::array<double, 4> a) {
                const auto x0 = row_of<double>({a[0]}), x1 = row_of<double>({a[1]}),
                           x2 = row_of<double>({a[2]}), x3 = row_of<double>({a[3]});
                return u(i) * (mc ? gendiv::kl_gaussian_gaussian_mc(x0, x1, x2, x3, ei)(0)
                                  : gendiv::kl_gaussian_gaussian_analytic(x0, x1, x2, x3)(0));
            };
            const auto& c = cases[i];
            const double d = c[1] - c[3], dm2 = std::pow((c[0] - c[2]) * std::exp(-0.5 * c[3]), 2);
            double pieces = 0.5 * (std::exp(d) + 1 + std::abs(d) + dm2);
            if (mc)
                for (std::size_t k = 0; k < 2; ++k)
                    pieces += 0.5 * (std::pow(std::sqrt(dm2) + std::abs(ei(k, 0, 0)) * std::exp(0.5 * d), 2) +
                                     ei(k, 0, 0) * ei(k, 0, 0));
            pieces *= u(i);
            const auto& g = mc ? gm : ga;
            const double got[4] = {g.mu_q(i, 0), g.logvar_q(i, 0), g.mu_p(i, 0), g.logvar_p(i, 0)};
            for (std::size_t k = 0; k < 4; ++k) {
                auto a = cases[i];
                // a power-of-two step, so that x ± s is exact for these dyadic inputs: with a
                // rounded step, f at its minimum in mq (f ∝ (mq - mp)², mq = mp) would see two
                // different |mq - mp| and report a slope of ~1e-11 f/s where there is none
                const double s = std::ldexp(1.0, std::ilogb(1e-6 * std::max(1.0, std::abs(a[k]))));
                const double xp = a[k] + s, xm = a[k] - s;
                a[k] = xp;
                const double fp = f(a);
                a[k] = xm;
                const double fm = f(a);
                const double fd = (fp - fm) / (xp - xm);
                const double cond = 1 + std::abs(c[1]) + std::abs(c[3]);  // of the exps' arguments
                const double tol = s * s * pieces + 2 * eps * (std::max(std::abs(fp), std::abs(fm)) + cond * pieces) / s;
                BOOST_CHECK_MESSAGE(std::isfinite(got[k]) && std::abs(got[k] - fd) <= tol,
                                    (mc ? "MC" : "analytic") << " case (" << cases[i][0] << ", " << cases[i][1] << ", "
                                                            << cases[i][2] << ", " << cases[i][3] << "), parameter " << k
                                                            << ": gradient " << got[k] << ", differences " << fd);
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(error_paths) {
    const xt::xarray<double> a = xt::zeros<double>({2, 3}), b = xt::zeros<double>({2, 4});
    const xt::xarray<double> p4 = xt::zeros<double>({4}), s = 0.0;
    std::mt19937 rng(1);
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_analytic(a, b, a, a), "gendiv::kl_gaussian_gaussian_analytic",
                       "'logvar_q'", "(2, 4)", "'mu_q'", "(2, 3)");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_analytic(a, a, p4, a), "gendiv::kl_gaussian_gaussian_analytic",
                       "'mu_p'", "(4,)", "does not broadcast", "(2, 3)");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_analytic(a, a, a, b), "'logvar_p'", "(2, 4)");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_analytic(s, s, s, s), "gendiv::kl_gaussian_gaussian_analytic",
                       "'mu_q'", "()", "at least 1");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_analytic_grad(a, b, a, a),
                       "gendiv::kl_gaussian_gaussian_analytic_grad", "'logvar_q'");
    const xt::xarray<double> u3 = xt::ones<double>({3});
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_analytic_grad(a, a, a, a, u3),
                       "gendiv::kl_gaussian_gaussian_analytic_grad", "'upstream'", "(3,)", "(2,)");
    // Monte Carlo: eps of the wrong shape, no samples, num_samples = 0
    const xt::xarray<double> e_bad = xt::zeros<double>({5, 2, 4}), e_flat = xt::zeros<double>({2, 3});
    const xt::xarray<double> e_none = xt::zeros<double>({0, 2, 3}), e_ok = xt::zeros<double>({5, 2, 3});
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc(a, a, a, a, e_bad), "gendiv::kl_gaussian_gaussian_mc",
                       "'eps'", "(5, 2, 4)", "(num_samples, 2, 3)");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc(a, a, a, a, e_flat), "gendiv::kl_gaussian_gaussian_mc",
                       "'eps'", "(2, 3)");
    const xt::xarray<double> a1 = xt::zeros<double>({5});  // a batch of 5 scalars
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc(a1, a1, a1, a1, e_flat), "gendiv::kl_gaussian_gaussian_mc",
                       "must have shape (num_samples, 5)");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc(a, a, a, a, e_none), "gendiv::kl_gaussian_gaussian_mc",
                       "'eps'", "(0, 2, 3)", "num_samples is 0");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc(a, a, a, a, std::size_t(0), rng),
                       "gendiv::kl_gaussian_gaussian_mc", "'num_samples'", "0");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc(s, s, s, s, std::size_t(3), rng),
                       "gendiv::kl_gaussian_gaussian_mc", "'mu_q'", "()");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc(a, b, a, a, e_ok), "gendiv::kl_gaussian_gaussian_mc",
                       "'logvar_q'");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc_grad(a, a, a, a, e_bad), "gendiv::kl_gaussian_gaussian_mc_grad",
                       "'eps'", "(5, 2, 4)");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc_grad(a, a, p4, a, e_ok), "gendiv::kl_gaussian_gaussian_mc_grad",
                       "'mu_p'", "(4,)");
    GENDIV_CHECK_ERROR(gendiv::kl_gaussian_gaussian_mc_grad(a, a, a, a, e_ok, u3),
                       "gendiv::kl_gaussian_gaussian_mc_grad", "'upstream'", "(3,)", "(2,)");
}

BOOST_AUTO_TEST_SUITE_END()

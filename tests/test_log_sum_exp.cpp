// tests/test_log_sum_exp.cpp: log_sum_exp.hpp against mpmath reference values
// (tests/reference/core_reference.py, 60-digit working precision), identities (a constant row,
// axis transposition, float against double, any xexpression) and finite-difference gradients.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include "gendiv/log_sum_exp.hpp"
#include "reference/compare.hpp"
#include "reference/core_reference.hpp"
#include "support/numeric.hpp"

namespace {

using float_types = std::tuple<float, double>;
using gendiv::test::check_all_close;
using gendiv::test::check_close;
using gendiv::test::eps_of;
using gendiv::test::relative_error;
using gendiv::test::row_of;
namespace ref = gendiv::test::ref;

constexpr double inf = std::numeric_limits<double>::infinity();

/// All reference rows (they share D = 5) stacked into one (B, 5) array.
template <class T>
xt::xarray<T> all_rows() {
    const std::size_t B = ref::lse_rows.size(), D = ref::lse_rows[0].x.size();
    xt::xarray<T> x = xt::xarray<T>::from_shape({B, D});
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t i = 0; i < D; ++i) x(b, i) = static_cast<T>(ref::lse_rows[b].x[i]);
    return x;
}

/// The long reference row x_i = ((i * 7919) mod 4096) / 256 - 8 (exact in float and double).
template <class T>
xt::xarray<T> long_row() {
    xt::xarray<T> x = xt::xarray<T>::from_shape({ref::long_row_size});
    for (std::size_t i = 0; i < x.size(); ++i)
        x(i) = static_cast<T>(static_cast<double>((i * 7919) % 4096) / 256.0 - 8.0);
    return x;
}

/// log Σ exp of a row in long double, two passes (the maximum, then the shifted sum): the
/// reference for the long-row tests.
template <class T>
double lse_long_double(const std::vector<T>& row) {
    long double m = -INFINITY;
    for (T v : row) m = std::max(m, static_cast<long double>(v));
    long double s = 0;
    for (T v : row) s += expl(static_cast<long double>(v) - m);
    return static_cast<double>(m + logl(s));
}

/// log_sum_exp's value l(r) for row r of the 2-d array x against lse_long_double of that row, to
/// the summation bound: m is exact and each of the n terms within ~1 ulp, so log s carries 4nε
/// absolute (relative where |lse| > 1).
template <class X, class L>
void check_row_against_long_double(const X& x, const L& l, std::size_t r) {
    using T = typename X::value_type;
    const std::size_t n = x.shape()[1];
    std::vector<T> row(n);
    for (std::size_t i = 0; i < n; ++i) row[i] = x(r, i);
    const double want = lse_long_double(row);
    BOOST_TEST(std::abs(static_cast<double>(l(r)) - want) <= 4.0 * n * eps_of<T>() * (1 + std::abs(want)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reference)

// Error budget: the row maximum m is exact, x_i - m is exact here (Sterbenz, or both operands
// are small multiples of 1/4), each e^{x_i - m} is within ~1 ulp (xsimd's exp), and the sum of
// five terms in [0, 1] adds ~2 ulp to s ≥ 1. So log s carries an absolute error of ~3ε and
// m + log s a relative error of ≤ 0.5ε + 3ε/|lse| ≤ 4ε for these rows (|lse| ≥ 1.7); log-mean-exp
// adds the division s/n and one rounding: ≤ 6ε (|lme| ≥ 0.15 in the mixed -inf row: 8ε/0.15
// would be loose, so that row is judged with the absolute budget below). The softmax weights
// e^{x_i - m}·(1/s) carry ~1 ulp (exp) + ~2 ulp (s) + 1 ulp (the scale and product): ≤ 6ε.
BOOST_AUTO_TEST_CASE_TEMPLATE(rows_match_reference, T, float_types) {
    const double eps = eps_of<T>();
    for (const auto& r : ref::lse_rows) {
        const auto x = row_of<T>(r.x);
        const std::string name = r.name;
        check_close<T>(gendiv::log_sum_exp(x)(0), r.lse, 4 * eps, name + " log_sum_exp");
        // log-mean-exp: absolute error ≤ 6ε·max(1, |lme|), written as a relative bound
        const double lme_tol = 6 * eps * std::max(1.0, std::abs(r.lme)) / std::abs(r.lme);
        check_close<T>(gendiv::log_mean_exp(x)(0), r.lme, lme_tol, name + " log_mean_exp");
        check_all_close(gendiv::log_sum_exp_grad(x).x, r.softmax, 6 * eps, name + " softmax");
        check_all_close(gendiv::log_mean_exp_grad(x).x, r.softmax, 6 * eps, name + " lme grad");
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stacked_rows_and_axis_zero_match_reference, T, float_types) {
    const double eps = eps_of<T>();
    const auto x = all_rows<T>();
    const auto xt_ = xt::xarray<T>(xt::transpose(x));
    const auto by_row = gendiv::log_sum_exp(x, 1);
    const auto by_col = gendiv::log_sum_exp(xt_, 0);
    const auto g_row = gendiv::log_sum_exp_grad(x, -1).x;
    const auto g_col = gendiv::log_sum_exp_grad(xt_, 0).x;
    BOOST_TEST_REQUIRE(by_row.dimension() == 1u);
    BOOST_TEST_REQUIRE(g_col.shape()[0] == x.shape()[1]);
    for (std::size_t b = 0; b < ref::lse_rows.size(); ++b) {
        const auto& r = ref::lse_rows[b];
        check_close<T>(by_row(b), r.lse, 4 * eps, std::string(r.name) + " stacked, axis 1");
        check_close<T>(by_col(b), r.lse, 4 * eps, std::string(r.name) + " transposed, axis 0");
        for (std::size_t i = 0; i < r.x.size(); ++i) {
            check_close<T>(g_row(b, i), r.softmax[i], 6 * eps, std::string(r.name) + " softmax");
            check_close<T>(g_col(i, b), r.softmax[i], 6 * eps, std::string(r.name) + " softmax^T");
        }
    }
}

// A row of 10^6 entries. simd_sum adds each lane's share of a 4096-entry block in T (4096/(2W)
// additions of terms in [0, 1] per lane, W the SIMD width) and folds the blocks into a double
// (245 more additions, which count in double only). The worst-case bound N·ε for N chained
// additions is far from what rounding does; the usual estimate is ~√N·ε (Higham, "Accuracy and
// Stability of Numerical Algorithms", 2nd ed., §4.2), and we allow 4√N·ε for s. log s turns
// that into the same absolute error on an lse of 19.0 (and on an lme of 5.2); the softmax
// weights inherit it in full plus ~3 ulp of their own.
BOOST_AUTO_TEST_CASE_TEMPLATE(long_row_matches_reference, T, float_types) {
    const double eps = eps_of<T>();
    constexpr std::size_t W = gendiv::detail::batch_t<T>::size;
    const double chain = 4096.0 / (2 * W) + (std::is_same_v<T, double> ? 245.0 : 0.0);
    const double sum_tol = 4 * std::sqrt(chain) * eps;
    const auto x = long_row<T>();
    const double e1 = check_close<T>(gendiv::log_sum_exp(x)(), ref::long_row_lse,
                                     sum_tol / 19 + 2 * eps, "long row log_sum_exp");
    const double e2 = check_close<T>(gendiv::log_mean_exp(x)(), ref::long_row_lme,
                                     sum_tol / 5.2 + 2 * eps, "long row log_mean_exp");
    BOOST_TEST_MESSAGE("long row, T = " << (sizeof(T) == 4 ? "float" : "double") << ": lse error "
                                        << e1 / eps << " eps, lme " << e2 / eps << " eps");
    const auto g = gendiv::log_mean_exp_grad(x).x;
    for (std::size_t k = 0; k < ref::long_row_probes.size(); ++k) {
        const double e = check_close<T>(g(ref::long_row_probes[k]), ref::long_row_softmax[k],
                                        sum_tol + 4 * eps,
                                        "long row softmax at " + std::to_string(ref::long_row_probes[k]));
        BOOST_TEST_MESSAGE("  softmax error " << e / eps << " eps");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(identities)

// log((1/n)·Σ e^c) = c: s = n exactly (a sum of ones), s/n = 1 and log 1 = 0, so m + 0 = c
// bit for bit, up to n = 10^6 in float as well (every partial sum is an integer below 2^24).
BOOST_AUTO_TEST_CASE_TEMPLATE(log_mean_exp_of_constant_row_is_exact, T, float_types) {
    for (std::size_t n : {1u, 2u, 3u, 7u, 17u, 1000u, 4097u, 65537u, 1000000u})
        for (double c : {0.0, -3.7, 0.1, 1e4, -1e4, 88.5, -1e30, 1e30}) {
            const T cv = static_cast<T>(c);
            const xt::xarray<T> x = xt::xarray<T>::from_shape({2, n});
            xt::xarray<T> y = x;
            y.fill(cv);
            const auto r = gendiv::log_mean_exp(y);
            BOOST_CHECK_MESSAGE(r(0) == cv && r(1) == cv,
                                "n = " << n << ", c = " << c << ": got " << r(0));
            // and the mean of its gradient is the uniform weight 1/n, to rounding
            const auto g = gendiv::log_mean_exp_grad(y).x;
            BOOST_CHECK_CLOSE(static_cast<double>(g(1, n - 1)), 1.0 / static_cast<double>(n),
                              100 * eps_of<T>());
        }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(log_sum_exp_of_constant_row, T, float_types) {
    for (std::size_t n : {1u, 5u, 1000u})
        for (double c : {0.0, -3.7, 1e4}) {
            xt::xarray<T> y = xt::xarray<T>::from_shape({n});
            y.fill(static_cast<T>(c));
            const double want = static_cast<double>(static_cast<T>(c)) + std::log(double(n));
            check_close<T>(gendiv::log_sum_exp(y)(), want, 2 * eps_of<T>(), "constant row lse");
        }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(infinities_and_nan, T, float_types) {
    const T i = std::numeric_limits<T>::infinity();
    const xt::xarray<T> x = {{-i, -i, -i}, {1, i, i}, {1, static_cast<T>(NAN), 2}, {-i, 3, -i}};
    const auto l = gendiv::log_sum_exp(x);
    const auto m = gendiv::log_mean_exp(x);
    BOOST_TEST(l(0) == -i);  // log of an empty sum
    BOOST_TEST(m(0) == -i);
    BOOST_TEST(l(1) == i);
    BOOST_TEST(std::isnan(l(2)));
    BOOST_TEST(l(3) == T(3));  // -inf entries contribute nothing
    BOOST_TEST(m(3) == static_cast<T>(T(3) - std::log(T(3))), boost::test_tools::tolerance(T(4) * std::numeric_limits<T>::epsilon()));
    const xt::xarray<T> u = {2, 4, 1, 3};
    const auto g = gendiv::log_sum_exp_grad(x, u).x;
    // an all -inf row: no entry can move the value; +inf entries share the upstream weight;
    // NaN propagates; a single finite entry among -inf takes all the weight (PyTorch issue
    // #31829 gives NaN for the first and the last of these)
    const xt::xarray<T> want = {{0, 0, 0}, {0, 2, 2}, {0, 0, 0}, {0, 3, 0}};
    for (std::size_t r : {0u, 1u, 3u})
        for (std::size_t k = 0; k < 3; ++k) BOOST_TEST(g(r, k) == want(r, k));
    for (std::size_t k = 0; k < 3; ++k) BOOST_TEST(std::isnan(g(2, k)));
}

// Rows longer than detail::lse_block (1024) run block by block with a running maximum: the
// special values must give the same results wherever they sit (first block, a middle block, the
// last, partial block), the maximum may appear only in a late block (rescaling the sum), and
// every result must match a long double two-pass reference to the summation bound 4nε.
BOOST_AUTO_TEST_CASE_TEMPLATE(blocked_long_rows, T, float_types) {
    const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    const std::size_t n = 3 * gendiv::detail::lse_block + 77;
    std::mt19937_64 gen(7);
    std::uniform_real_distribution<double> d(-40, 0);
    for (const std::size_t at : {std::size_t(0), std::size_t(2500), n - 1}) {
        BOOST_TEST_CONTEXT("special value at " << at) {
            std::vector<T> base(n);
            for (auto& v : base) v = static_cast<T>(d(gen));
            auto row = base;
            row[at] = T(30);  // the maximum, in the first, a middle or the last block
            const double want = lse_long_double(row);
            const double got = gendiv::log_sum_exp(xt::adapt(row, {n}))();
            BOOST_TEST(std::abs(got - want) <= 4.0 * n * eps_of<T>() * std::abs(want),
                       "got " << got << " want " << want);
            const double mean_want = want - std::log(static_cast<double>(n));
            const double mean_got = gendiv::log_mean_exp(xt::adapt(row, {n}))();
            BOOST_TEST(std::abs(mean_got - mean_want) <= 4.0 * n * eps_of<T>() * std::abs(want));
            // the gradient's weights are e^{x - m}/s with the blocked (m, s): they sum to 1 and
            // the maximum's weight is e^{30 - lse}
            const auto g = gendiv::log_sum_exp_grad(xt::adapt(row, {n})).x;
            BOOST_TEST(std::abs(xt::sum(xt::cast<double>(g))() - 1.0) <= 4.0 * n * eps_of<T>());
            BOOST_TEST(std::abs(static_cast<double>(g(at)) - std::exp(30.0 - want)) <=
                       4.0 * n * eps_of<T>());
            auto with_nan = base;  // a NaN among finite values, in whichever block
            with_nan[n - 1 - at / 2] = nan;
            BOOST_TEST(std::isnan(gendiv::log_sum_exp(xt::adapt(with_nan, {n}))()));
            with_nan[n - 1 - at / 2] = base[n - 1 - at / 2];
            with_nan[at / 3 + 1] = nan;
            BOOST_TEST(std::isnan(gendiv::log_mean_exp(xt::adapt(with_nan, {n}))()));
            row[at] = inf;
            BOOST_TEST(gendiv::log_sum_exp(xt::adapt(row, {n}))() == inf);
            row[n - 1 - at / 2] = nan;  // NaN after (or before) the +inf still gives NaN
            BOOST_TEST(std::isnan(gendiv::log_sum_exp(xt::adapt(row, {n}))()));
            std::vector<T> empty(n, -inf);
            empty[at] = T(-5);  // one finite value among -inf, in any block
            BOOST_TEST(gendiv::log_sum_exp(xt::adapt(empty, {n}))() == T(-5));
            empty[at] = -inf;
            BOOST_TEST(gendiv::log_sum_exp(xt::adapt(empty, {n}))() == -inf);
        }
    }
}

// A long row is summed in one pass with a fixed shift c (the maximum of its first lse_first
// values, or of its first block when those are all -inf) while each block's maximum is taken alongside; a
// block climbing more than detail::lse_margin above c is summed again with its own maximum.
// Rows that climb steadily (a new shift every few blocks), that fall, that start with -inf
// padding, or whose first block is all -inf, against a long double two-pass reference; their
// softmax weights sum to 1 and the constant row still gives n exactly. And the accuracy that the margin exists for: a row whose first block lies 35
// below its maximum 0.3 (log-sum-exp 0.3 + 1e-5) keeps the max-shifted form's absolute error of
// a few ε (with a margin of 60, the maximum's term e^{0.3 - c} came from a rounded 35.3 and the
// float result was 17 ε off).
BOOST_AUTO_TEST_CASE_TEMPLATE(long_rows_shift_and_climb, T, float_types) {
    const T inf = std::numeric_limits<T>::infinity();
    const std::size_t n = 6 * gendiv::detail::lse_block + 5;
    std::mt19937_64 gen(11);
    std::uniform_real_distribution<double> d(-3, 3);
    std::vector<T> climb(n), fall(n), padded(n), late(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / static_cast<double>(n);
        climb[i] = static_cast<T>(400.0 * t + d(gen));  // climbs 400 over the row: c moves ~6 times
        fall[i] = static_cast<T>(-400.0 * t + d(gen));
        padded[i] = i < gendiv::detail::lse_first + 6 ? -inf : static_cast<T>(d(gen) - 100);  // the first lse_first values all -inf
        late[i] = i < gendiv::detail::lse_block + 3 ? -inf : static_cast<T>(d(gen) + 70);  // first block too
    }
    for (const auto* row : {&climb, &fall, &padded, &late}) {
        const double want = lse_long_double(*row);
        const double got = gendiv::log_sum_exp(xt::adapt(*row, {n}))();
        BOOST_TEST(std::abs(got - want) <= 4.0 * n * eps_of<T>() * std::abs(want), "got " << got << " want " << want);
        const auto g = gendiv::log_sum_exp_grad(xt::adapt(*row, {n})).x;
        BOOST_TEST(std::abs(xt::sum(xt::cast<double>(g))() - 1.0) <= 4.0 * n * eps_of<T>());
    }
    const std::vector<T> constant(n, T(-2.5));
    BOOST_TEST(gendiv::log_mean_exp(xt::adapt(constant, {n}))() == T(-2.5));
    std::uniform_real_distribution<double> low(-45, -35), mid(-30, -20);
    std::vector<T> far_first(n);
    for (std::size_t i = 0; i < n; ++i)
        far_first[i] = static_cast<T>(i < gendiv::detail::lse_block ? low(gen) : mid(gen));
    far_first[2500] = T(0.3);
    const double want = lse_long_double(far_first);
    const double got = gendiv::log_sum_exp(xt::adapt(far_first, {n}))();
    BOOST_TEST(std::abs(want - 0.3) < 1e-4);
    BOOST_TEST(std::abs(got - want) <= 4.0 * eps_of<T>(), "got " << got << " want " << want);
}

// Rows of at most lse_block values take their maxima without NaN checks (four batch
// accumulators, a tail batch overlapping the last full one, a tree over the lanes), all maxima
// of a chunk of rows before their sums. For every length around the batch sizes and every
// position: the maximum is found wherever it sits; a NaN anywhere gives NaN, also when it
// shares a lane and an accumulator with a later, larger value (x86's max drops a NaN held in
// its first operand), beside +inf and among -inf; and a row's special values do not leak into its neighbours in the chunk.
BOOST_AUTO_TEST_CASE_TEMPLATE(short_rows_every_position, T, float_types) {
    const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    const std::size_t W = xsimd::batch<T>::size;
    std::mt19937_64 gen(3);
    std::uniform_real_distribution<double> d(-20, 0);
    for (const std::size_t n : {std::size_t(1), std::size_t(3), W - 1, W, W + 1, 2 * W + 3, 4 * W,
                                4 * W + 5, std::size_t(200), gendiv::detail::lse_block}) {
        for (std::size_t k = 0; k < n; k += (n > 64 ? 7 : 1)) {
            BOOST_TEST_CONTEXT("n = " << n << ", position " << k) {
                // rows: 0 the maximum at k, 1 a NaN at k and a larger value after it in the same
                // lane, 2 a NaN at k beside a +inf, 3 a NaN at k among -inf, 4 plain random
                xt::xarray<T> x = xt::xarray<T>::from_shape({5, n});
                for (auto& v : x) v = static_cast<T>(d(gen));
                x(0, k) = T(7);
                x(1, k) = nan;
                for (const std::size_t later : {k + W, k + 4 * W})  // same lane, same accumulator
                    if (later < n) x(1, later) = T(50);
                x(2, k) = nan;
                x(2, (k + 1) % n) = n > 1 ? inf : nan;
                for (std::size_t i = 0; i < n; ++i) x(3, i) = -inf;
                x(3, k) = nan;
                const auto l = gendiv::log_sum_exp(x);
                long double s0 = 0, s4 = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    s0 += expl(static_cast<long double>(x(0, i)) - 7.0L);
                    s4 += expl(static_cast<long double>(x(4, i)));
                }
                check_close<T>(l(0), static_cast<double>(7.0L + logl(s0)), 8 * eps_of<T>(), "max at k");
                const double want4 = static_cast<double>(logl(s4));  // may be near 0: absolute test
                BOOST_TEST(std::abs(static_cast<double>(l(4)) - want4) <= 4.0 * n * eps_of<T>() * (1 + std::abs(want4)));
                BOOST_TEST(std::isnan(l(1)));
                BOOST_TEST(std::isnan(l(2)));
                BOOST_TEST(std::isnan(l(3)));
            }
        }
    }
}

// Short rows run as a pipeline (detail::lse_rows_parts): row b + 1's maximum is taken in the pass
// of row b's sum, and rows whose maximum is not finite leave the pipeline for the careful path and
// rejoin it. Every row must still get its own maximum and its own value: here each row's maximum
// sits at a different position and height, special rows (NaN, +inf, all -inf, one value far above
// the rest) stand between ordinary ones, first and last, and for rows of lse_block values the 20
// rows span two of lse_rows' chunks.
BOOST_AUTO_TEST_CASE_TEMPLATE(pipelined_rows_take_their_own_maxima, T, float_types) {
    const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    const std::size_t W = xsimd::batch<T>::size, R = 20;
    std::mt19937_64 gen(11);
    std::uniform_real_distribution<double> d(-20, 0);
    for (const std::size_t n : {std::size_t(1), std::size_t(3), W - 1, W, W + 1, 2 * W + 3, std::size_t(200),
                                gendiv::detail::lse_block}) {
        BOOST_TEST_CONTEXT("n = " << n) {
            xt::xarray<T> x = xt::xarray<T>::from_shape({R, n});
            for (auto& v : x) v = static_cast<T>(d(gen));
            for (std::size_t r = 0; r < R; ++r) x(r, (r * 37 + 3) % n) = static_cast<T>(r % 7) - T(3);
            for (std::size_t i = 0; i < n; ++i) x(6, i) = -inf;  // all -inf: -inf
            x(0, (5 * n) / 7) = nan;                              // NaN first
            x(9, n / 2) = nan;                                    // NaN in the middle
            x(10, n - 1) = inf;                                   // +inf after a NaN row
            x(13, (3 * n) / 4) = T(60);                           // far above the other rows
            x(R - 1, n / 3) = nan;                                // NaN last
            const auto l = gendiv::log_sum_exp(x);
            const auto lm = gendiv::log_mean_exp(x);
            for (std::size_t r = 0; r < R; ++r) {
                BOOST_TEST_CONTEXT("row " << r) {
                    if (r == 0 || r == 9 || r == R - 1) {
                        BOOST_TEST(std::isnan(l(r)));
                        BOOST_TEST(std::isnan(lm(r)));
                    } else if (r == 10) {
                        BOOST_TEST(l(r) == inf);
                    } else if (r == 6) {
                        BOOST_TEST(l(r) == -inf);
                        BOOST_TEST(lm(r) == -inf);
                    } else {
                        check_row_against_long_double(x, l, r);
                    }
                }
            }
        }
    }
}

// At and above detail::parallel_threshold the chunks of short rows (lse_chunk values each) run on
// the OpenMP team, each chunk its own pipeline: rows on both sides of every chunk boundary, special
// ones included, must keep their own values.
BOOST_AUTO_TEST_CASE_TEMPLATE(pipelined_rows_across_chunks_and_threads, T, float_types) {
    const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    const std::size_t R = 700, n = 200, chunk = gendiv::detail::lse_chunk / n;
    static_assert(700 * 200 >= gendiv::detail::parallel_threshold);
    BOOST_TEST_REQUIRE(R / chunk >= 3);
    std::mt19937_64 gen(12);
    std::uniform_real_distribution<double> d(-30, 5);
    xt::xarray<T> x = xt::xarray<T>::from_shape({R, n});
    for (auto& v : x) v = static_cast<T>(d(gen));
    for (std::size_t c = chunk; c < R; c += chunk) {  // around each boundary: NaN | +inf, far | -inf
        x(c - 2, 17) = nan;
        x(c - 1, n - 1) = inf;
        x(c, 0) = T(80);
        for (std::size_t i = 0; i < n; ++i) x(c + 1, i) = -inf;
    }
    const auto l = gendiv::log_sum_exp(x);
    for (std::size_t r = 0; r < R; ++r) {
        BOOST_TEST_CONTEXT("row " << r) {
            const auto boundary = [&](std::size_t c) { return c >= chunk && c < R && c % chunk == 0; };
            if (boundary(r + 2)) {
                BOOST_TEST(std::isnan(l(r)));
            } else if (boundary(r + 1)) {
                BOOST_TEST(l(r) == inf);
            } else if (r >= 1 && boundary(r - 1)) {
                BOOST_TEST(l(r) == -inf);
            } else {
                check_row_against_long_double(x, l, r);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(terms_far_below_the_maximum_add_nothing, T, float_types) {
    // Terms e^{x - m} that underflow (x - m below -708 in double, -104 in float, -inf) add nothing
    // to a sum ≥ 1: the double path evaluates them as e^-708 (exp_raised_below), which must not
    // show. Rows of every length class: one batch, short rows, long (blocked) rows; the far
    // values at every position, the maximum first, in the middle and last.
    const T inf = std::numeric_limits<T>::infinity();
    const T far[] = {T(-709), T(-745.5), T(-1e4), -std::numeric_limits<T>::max(), -inf};
    for (std::size_t n : {std::size_t(9), std::size_t(200), 2 * gendiv::detail::lse_block + 13}) {
        for (std::size_t at : {std::size_t(0), n / 2, n - 1}) {
            xt::xarray<T> x = xt::zeros<T>({std::size_t(1), n});
            for (std::size_t i = 0; i < n; ++i) x(0, i) = far[i % 5];
            x(0, at) = T(3);
            x(0, (at + 1) % n) = T(2);  // e^{-1}: the only other term that counts
            const long double want = 3.0L + std::log1p(std::exp(-1.0L));
            BOOST_TEST(static_cast<long double>(gendiv::log_sum_exp(x)(0)) == want,
                       boost::test_tools::tolerance(static_cast<long double>(4 * eps_of<T>())));
            const long double want_mean = want - std::log(static_cast<long double>(n));
            BOOST_TEST(static_cast<long double>(gendiv::log_mean_exp(x)(0)) == want_mean,
                       boost::test_tools::tolerance(static_cast<long double>(4 * eps_of<T>())));
        }
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bounds_and_shift, T, float_types) {
    // max ≤ lse ≤ max + log n and lse(x + c) = lse(x) + c, on random rows
    const auto x = gendiv::test::uniform<T>({16, 37}, -30, 30, 11);
    const auto l = gendiv::log_sum_exp(x);
    const auto shifted = gendiv::log_sum_exp(xt::eval(x + T(5)));
    for (std::size_t b = 0; b < 16; ++b) {
        const T mx = xt::amax(xt::view(x, b))();
        BOOST_TEST(l(b) >= mx);
        BOOST_TEST(l(b) <= mx + std::log(T(37)) * (1 + 4 * std::numeric_limits<T>::epsilon()));
        BOOST_TEST(static_cast<double>(shifted(b)) ==
                       static_cast<double>(l(b)) + 5,
                   boost::test_tools::tolerance(40 * eps_of<T>()));
    }
    // the softmax of each row sums to the upstream weight
    const auto u = gendiv::test::uniform<T>({16}, 0.5, 2, 12);
    const auto g = gendiv::log_sum_exp_grad(x, u).x;
    const xt::xarray<double> sums = xt::sum(xt::cast<double>(g), {1});
    for (std::size_t b = 0; b < 16; ++b)
        BOOST_TEST(sums(b) == static_cast<double>(u(b)), boost::test_tools::tolerance(40 * eps_of<T>()));
}

BOOST_AUTO_TEST_CASE(axis_zero_equals_last_axis_of_transpose_3d) {
    const auto x = gendiv::test::uniform<double>({4, 6, 5}, -20, 20, 3);
    for (std::ptrdiff_t ax : {0, 1, 2, -1, -2, -3}) {
        const std::size_t a = static_cast<std::size_t>(ax < 0 ? ax + 3 : ax);
        std::vector<std::size_t> perm;
        for (std::size_t i = 0; i < 3; ++i)
            if (i != a) perm.push_back(i);
        perm.push_back(a);
        const xt::xarray<double> moved = xt::transpose(x, perm);
        const auto direct = gendiv::log_sum_exp(x, ax);
        const auto via = gendiv::log_sum_exp(moved, -1);
        BOOST_TEST(direct.shape() == via.shape(), boost::test_tools::per_element());
        BOOST_TEST(direct == via, boost::test_tools::per_element());  // same rows, same order
        const xt::xarray<double> u = gendiv::test::uniform<double>(
            std::vector<std::size_t>(direct.shape().begin(), direct.shape().end()), 0.5, 2, 4);
        const auto g = gendiv::log_mean_exp_grad(x, u, ax).x;
        const xt::xarray<double> g_moved = xt::transpose(g, perm);
        BOOST_TEST(g_moved == gendiv::log_mean_exp_grad(moved, u, -1).x, boost::test_tools::per_element());
    }
}

// The same float inputs in float and in double. The row value agrees to the lse budget above;
// a softmax weight e^{x_i - m}/s is ill-conditioned in x_i - m, which float rounds to within
// ε|x_i - m|/2 (these rows span 100), so its budget is (|x_i - m|/2 + 6)·ε.
BOOST_AUTO_TEST_CASE(float_and_double_agree) {
    const auto xd = gendiv::test::uniform<double>({32, 200}, -50, 50, 5);
    const xt::xarray<float> xf = xt::cast<float>(xd);
    const xt::xarray<double> xfd = xt::cast<double>(xf);  // the same inputs in double
    const auto lf = gendiv::log_mean_exp(xf);
    const auto ld = gendiv::log_mean_exp(xfd);
    const auto gf = gendiv::log_mean_exp_grad(xf).x;
    const auto gd = gendiv::log_mean_exp_grad(xfd).x;
    const double eps = eps_of<float>();
    for (std::size_t b = 0; b < 32; ++b) {
        check_close<float>(lf(b), ld(b), 6 * eps, "float lme vs double");
        const double m = xt::amax(xt::view(xfd, b))();
        for (std::size_t i = 0; i < 200; ++i)
            check_close<float>(gf(b, i), gd(b, i), (std::abs(xfd(b, i) - m) / 2 + 6) * eps,
                               "float softmax vs double");
    }
}

// Any xexpression: a lazy expression, a strided view, a column-major array and a std::vector
// adapted in place all give the bits the row-major container gives (the same rows are reduced
// in the same order once flattened).
BOOST_AUTO_TEST_CASE(any_xexpression) {
    const auto base = gendiv::test::uniform<double>({6, 9}, -5, 5, 8);
    const auto want = gendiv::log_sum_exp(base);
    const auto want_g = gendiv::log_sum_exp_grad(base).x;
    // lazy: base + 0.0 is the same values
    BOOST_TEST(gendiv::log_sum_exp(base + 0.0) == want, boost::test_tools::per_element());
    BOOST_TEST(gendiv::log_sum_exp_grad(base * 1.0).x == want_g, boost::test_tools::per_element());
    // column-major copy
    xt::xarray<double, xt::layout_type::column_major> cm = base;
    BOOST_TEST(gendiv::log_sum_exp(cm) == want, boost::test_tools::per_element());
    BOOST_TEST(gendiv::log_sum_exp_grad(cm).x == want_g, boost::test_tools::per_element());
    // a view: every other row of a bigger array holding base
    xt::xarray<double> big = xt::zeros<double>({12, 9});
    xt::view(big, xt::range(0, 12, 2), xt::all()) = base;
    const auto v = xt::view(big, xt::range(0, 12, 2), xt::all());
    BOOST_TEST(gendiv::log_sum_exp(v) == want, boost::test_tools::per_element());
    BOOST_TEST(gendiv::log_mean_exp_grad(v).x == want_g, boost::test_tools::per_element());
    // std::vector adapted without a copy
    std::vector<double> storage(base.begin(), base.end());
    const auto adapted = xt::adapt(storage, std::vector<std::size_t>{6, 9});
    BOOST_TEST(gendiv::log_sum_exp(adapted) == want, boost::test_tools::per_element());
    // a float expression is computed in float
    const xt::xarray<float> f = xt::cast<float>(base);
    static_assert(std::is_same_v<decltype(gendiv::log_sum_exp(f + 1.0f))::value_type, float>);
}

// detail::lane_max, which reduces the row maxima (in registers on AVX-512), with the largest
// value in every lane position: a finite maximum among distinct values, +inf, a row of -inf, and
// a NaN (NaN or one of the lanes, as its callers allow); and row_max_unchecked, which calls it,
// over rows of W to 4W + 3 values (its four accumulators and the overlapping tail batch) with the
// maximum at every position. A reduction that skipped a lane or a level fails here.
BOOST_AUTO_TEST_CASE_TEMPLATE(row_maxima_find_every_position, T, float_types) {
    namespace dt = gendiv::detail;
    using B = dt::batch_t<T>;
    constexpr std::size_t W = B::size;
    constexpr T t_inf = std::numeric_limits<T>::infinity();
    for (std::size_t p = 0; p < W; ++p) {
        alignas(64) T l[W];
        for (std::size_t k = 0; k < W; ++k) l[k] = -static_cast<T>(k) - T(1.5);
        l[p] = T(3);
        BOOST_TEST(dt::lane_max(B::load_aligned(l)) == T(3), "position " << p);
        l[p] = t_inf;
        BOOST_TEST(dt::lane_max(B::load_aligned(l)) == t_inf, "position " << p);
        l[p] = std::numeric_limits<T>::quiet_NaN();
        const T m = dt::lane_max(B::load_aligned(l));
        bool one_of_them = std::isnan(m);
        for (std::size_t k = 0; k < W; ++k) one_of_them = one_of_them || m == l[k];
        BOOST_TEST(one_of_them, "position " << p << ": " << m);
    }
    alignas(64) T all_minus_inf[W];
    for (auto& v : all_minus_inf) v = -t_inf;
    BOOST_TEST(dt::lane_max(B::load_aligned(all_minus_inf)) == -t_inf);
    for (std::size_t n = W; n <= 4 * W + 3; ++n) {
        std::vector<T> row(n);
        for (std::size_t p = 0; p < n; ++p) {
            for (std::size_t k = 0; k < n; ++k) row[k] = -static_cast<T>((k * 7) % 13) - T(0.25);
            row[p] = T(2);
            BOOST_TEST(dt::row_max_unchecked(row.data(), n) == T(2), "n = " << n << ", position " << p);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

// f(x) = Σ_b u_b·lse(x_b) (or lme); its gradient is the VJP with upstream u.
BOOST_AUTO_TEST_CASE(finite_differences_random) {
    for (std::ptrdiff_t axis : {-1, 0, 1}) {
        const auto x = gendiv::test::uniform<double>({4, 7}, -6, 6, 20 + axis);
        const std::size_t nout = x.shape()[axis == 0 ? 1 : 0];
        const auto u = gendiv::test::uniform<double>({nout}, -2, 2, 30 + axis);
        for (bool mean : {false, true}) {
            auto f = [&](const xt::xarray<double>& y) {
                const auto r = mean ? gendiv::log_mean_exp(y, axis) : gendiv::log_sum_exp(y, axis);
                return xt::sum(r * u)();
            };
            const auto g = mean ? gendiv::log_mean_exp_grad(x, u, axis).x
                                : gendiv::log_sum_exp_grad(x, u, axis).x;
            const auto fd = gendiv::test::numeric_gradient(f, x);
            BOOST_TEST(relative_error(g, fd) < 1e-8, "axis " << axis << " mean " << mean << ": "
                                                             << relative_error(g, fd));
        }
        // no upstream means u = 1
        auto f1 = [&](const xt::xarray<double>& y) { return xt::sum(gendiv::log_sum_exp(y, axis))(); };
        BOOST_TEST(relative_error(gendiv::log_sum_exp_grad(x, axis).x,
                                  gendiv::test::numeric_gradient(f1, x)) < 1e-8);
    }
    // a 3-d input reduced along its middle axis, with a (4, 5) upstream
    const auto x3 = gendiv::test::uniform<double>({4, 3, 5}, -4, 4, 40);
    const auto u3 = gendiv::test::uniform<double>({4, 5}, -1, 1, 41);
    auto f3 = [&](const xt::xarray<double>& y) { return xt::sum(gendiv::log_sum_exp(y, 1) * u3)(); };
    BOOST_TEST(relative_error(gendiv::log_sum_exp_grad(x3, u3, 1).x,
                              gendiv::test::numeric_gradient(f3, x3)) < 1e-8);
}

BOOST_AUTO_TEST_CASE(finite_differences_extreme) {
    // offsets of ±1e4 and a spread of 1e3: the step h·|x| = 1e-2 is small against the
    // curvature scale 1 of the softmax only relative to |x|, so use h = 1e-9 (step 1e-5)
    const xt::xarray<double> x = {{1e4, 1e4 + 1, 1e4 - 3, 1e4 + 0.5},
                                  {-1e4, -1e4 - 0.5, -1e4 + 2, -1e4},
                                  {-500, 250.5, 499.75, 500}};
    const xt::xarray<double> u = {1.5, -0.5, 2};
    auto f = [&](const xt::xarray<double>& y) { return xt::sum(gendiv::log_mean_exp(y) * u)(); };
    const auto fd = gendiv::test::numeric_gradient(f, x, 1e-9);
    BOOST_TEST(relative_error(gendiv::log_mean_exp_grad(x, u).x, fd) < 1e-6);

    // -inf entries: their gradient is exactly 0 and the rest match finite differences taken
    // over the finite entries only
    const xt::xarray<double> xi = {{-inf, 1.5, -inf, 0.25}, {-inf, -inf, -inf, -2}};
    const auto g = gendiv::log_sum_exp_grad(xi).x;
    BOOST_TEST(g(0, 0) == 0.0);
    BOOST_TEST(g(0, 2) == 0.0);
    BOOST_TEST(g(1, 3) == 1.0);
    xt::xarray<double> finite = {1.5, 0.25};
    auto f2 = [&](const xt::xarray<double>& y) {
        xt::xarray<double> full = xi;
        full(0, 1) = y(0);
        full(0, 3) = y(1);
        return gendiv::log_sum_exp(full)(0);
    };
    const auto fd2 = gendiv::test::numeric_gradient(f2, finite);
    BOOST_TEST(relative_error(xt::xarray<double>{g(0, 1), g(0, 3)}, fd2) < 1e-8);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

// An axis must be an integer: a floating-point scalar (an upstream weight meant as a number)
// does not compile, where it used to convert to an axis.
template <class A, class = void>
struct grad_takes_as_axis : std::false_type {};
template <class A>
struct grad_takes_as_axis<A, std::void_t<decltype(gendiv::log_sum_exp_grad(std::declval<const xt::xarray<double>&>(),
                                                                             std::declval<A>()))>> : std::true_type {};
template <class A, class = void>
struct lme_takes_as_axis : std::false_type {};
template <class A>
struct lme_takes_as_axis<A, std::void_t<decltype(gendiv::log_mean_exp(std::declval<const xt::xarray<double>&>(),
                                                                       std::declval<A>()))>> : std::true_type {};
static_assert(grad_takes_as_axis<int>::value && grad_takes_as_axis<std::ptrdiff_t>::value);
static_assert(!grad_takes_as_axis<double>::value && !grad_takes_as_axis<float>::value);
static_assert(lme_takes_as_axis<long>::value && !lme_takes_as_axis<double>::value);

BOOST_AUTO_TEST_CASE(error_paths) {
    const xt::xarray<double> x = xt::ones<double>({2, 3});
    const xt::xarray<double> scalar = 1.0;
    GENDIV_CHECK_ERROR(gendiv::log_sum_exp(scalar), "gendiv::log_sum_exp", "'x'", "()", "at least 1");
    GENDIV_CHECK_ERROR(gendiv::log_sum_exp(x, 2), "gendiv::log_sum_exp", "axis 2", "'x'", "-2 to 1",
                       "of shape " + gendiv::detail::shape_string(x.shape()));
    GENDIV_CHECK_ERROR(gendiv::log_mean_exp(x, -3), "gendiv::log_mean_exp", "axis -3", "'x'");
    GENDIV_CHECK_ERROR(gendiv::log_sum_exp_grad(x, 5), "gendiv::log_sum_exp_grad", "axis 5");
    GENDIV_CHECK_ERROR(gendiv::log_mean_exp_grad(scalar), "gendiv::log_mean_exp_grad", "'x'");
    const xt::xarray<double> empty = xt::zeros<double>({3, 0});
    GENDIV_CHECK_ERROR(gendiv::log_mean_exp(empty), "gendiv::log_mean_exp", "'x'", "(3, 0)", "empty axis 1");
    GENDIV_CHECK_ERROR(gendiv::log_mean_exp_grad(empty), "gendiv::log_mean_exp_grad", "(3, 0)", "empty axis");
    // an empty sum is fine: log 0 = -inf
    const auto e = gendiv::log_sum_exp(empty);
    BOOST_TEST(e.size() == 3u);
    BOOST_TEST(e(0) == -inf);
    const xt::xarray<double> u_bad = xt::ones<double>({3});
    GENDIV_CHECK_ERROR(gendiv::log_sum_exp_grad(x, u_bad), "gendiv::log_sum_exp_grad", "'upstream'",
                       "(3,)", "(2,)");
    const xt::xarray<double> u_two = xt::ones<double>({2});
    GENDIV_CHECK_ERROR(gendiv::log_mean_exp_grad(x, u_two, 0), "gendiv::log_mean_exp_grad",
                       "'upstream'", "(2,)", "(3,)");  // axis 0 leaves shape (3,)
    BOOST_TEST(gendiv::log_mean_exp_grad(x, u_bad, 0).x.shape()[1] == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

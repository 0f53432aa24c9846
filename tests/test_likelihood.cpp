// tests/test_likelihood.cpp: likelihood.hpp against mpmath reference values
// (tests/reference/core_reference.py, 60-digit working precision), identities (probabilities
// against logits, broadcast parameters, float against double, any xexpression), finite-difference
// gradients and every error path.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xview.hpp>

#include "gendiv/likelihood.hpp"
#include "reference/compare.hpp"
#include "reference/core_reference.hpp"
#include "support/numeric.hpp"

namespace {

using float_types = std::tuple<float, double>;
using gendiv::test::check_close;
using gendiv::test::eps_of;
using gendiv::test::relative_error;
using gendiv::test::row_of;
using gendiv::test::uniform;
namespace ref = gendiv::test::ref;

using gendiv::detail::log_two_pi;

/// Targets in {0, 1} with a few fractional ones, from a fixed seed.
xt::xarray<double> targets(const std::vector<std::size_t>& shape, std::uint64_t seed) {
    auto t = uniform<double>(shape, 0, 1, seed);
    for (std::size_t i = 0; i < t.size(); ++i)
        t.flat(i) = i % 7 == 3 ? std::round(t.flat(i) * 4) / 4 : std::round(t.flat(i));
    return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reference)

// Bernoulli from probabilities: every term t log mu + (1-t) log(1-mu) is ≤ 0, so the row sum has
// no cancellation; each term carries ~1 ulp from log/log1p and ~1 from the product, the sum of
// five ~2 more: 4ε. The gradient t/mu - (1-t)/(1-mu) has one division per term (1 - mu is exact
// for mu ≥ 1/2, Sterbenz) and at most a mild cancellation in these rows: 4ε.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_probs_rows, T, float_types) {
    const double eps = eps_of<T>();
    for (const auto& r : ref::bernoulli_probs_rows) {
        const auto mu = row_of<T>(r.param);
        const auto t = row_of<T>(r.target);
        check_close<T>(gendiv::log_likelihood_bernoulli(mu, t)(0), r.value, 4 * eps,
                       std::string(r.name) + " value");
        gendiv::test::check_all_close(gendiv::log_likelihood_bernoulli_grad(mu, t).mu, r.grad, 4 * eps,
                                      std::string(r.name) + " grad");
    }
}

// Bernoulli from logits: -[log1p(e^{-|x|}) + t max(-x, 0) + (1-t) max(x, 0)], three terms ≥ 0,
// ~3 ulp each (exp then log1p, products), no cancellation in the sum: 4ε. The gradient
// t σ(-x) - (1-t) σ(x) has ~3 ulp per sigmoid (exp, 1 + e, division) and, for fractional t,
// a cancellation of at most a factor 2 in these rows: 6ε. The rows reach |x| = 1e6 and 2^120.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_logits_rows, T, float_types) {
    const double eps = eps_of<T>();
    for (const auto& r : ref::bernoulli_logits_rows) {
        const auto x = row_of<T>(r.param);
        const auto t = row_of<T>(r.target);
        check_close<T>(gendiv::log_likelihood_bernoulli_logits(x, t)(0), r.value, 4 * eps,
                       std::string(r.name) + " value");
        gendiv::test::check_all_close(gendiv::log_likelihood_bernoulli_logits_grad(x, t).logits,
                                      r.grad, 6 * eps, std::string(r.name) + " grad");
    }
}

// Normal: each term -½(log 2π + lv) - ½w² with w = (z - mu)e^{-lv/2}; w carries ~2 ulp (exp,
// product; z - mu is exact in these rows), w² ~4, and the terms have both signs, so the budget is
// 4ε times the condition number Σ|terms| / |Σ terms| computed from the inputs. The gradient in mu
// and z is w e^{-lv/2} (~4 ulp); in logvar, ½w² - ½, with an absolute budget of 4ε(½w² + ½).
// The softplus tail log(1 + e^{-|x|}) of the Bernoulli-from-logits term (and of softplus) is a
// polynomial in e^{-|x|} (detail::log1p_exp_neg_abs_fn, tests/reference/softplus_poly.py).
// Dense sweep of |x| in [0, 100] (2·10^6 points, then the subnormal tail) against the long
// double composition log1pl(expl(-x)), whose own error (about 1e-19 relative: 64-bit
// significand, libm's long double functions within a few of its ulps) is negligible here. Both
// the scalar kernel and the xsimd batch kernel are checked. Measured maximum: 2.08 ulp (float),
// 2.02 ulp (double), about what libm's log1p(exp(-x)) gives (1.46 and 1.48 ulp): most of it is
// the rounding of e^{-|x|} itself. Bound: 3 ulp. Where the result is subnormal (|x| > 87.3 in
// float, 708.4 in double) xsimd's exp flushes e^{-|x|} to 0 (as it did under the former
// log1p(exp(-|x|)) too): there the bound is an absolute error below the smallest normal number.
BOOST_AUTO_TEST_CASE_TEMPLATE(softplus_tail_is_within_three_ulp, T, float_types) {
    using B = xsimd::batch<T>;
    double worst = 0, at = 0;
    const auto check = [&](T x, T got) {
        const long double ref = log1pl(expl(-std::fabs(static_cast<long double>(x))));
        if (ref < std::numeric_limits<T>::min()) {  // subnormal result: xsimd's exp flushes to 0
            BOOST_TEST(std::fabs(static_cast<long double>(got) - ref) <= std::numeric_limits<T>::min());
            return;
        }
        const double err = gendiv::test::ulp_error(ref, got);
        if (err > worst) {
            worst = err;
            at = x;
        }
    };
    std::vector<T> xs;
    for (long i = 0; i <= 2000000; ++i) xs.push_back(static_cast<T>((i % 2 ? -5e-5 : 5e-5) * i));
    for (T x = T(100); x < std::numeric_limits<T>::max_exponent * T(0.75); x += T(0.37)) xs.push_back(x);
    while (xs.size() % B::size) xs.push_back(T(0));
    for (std::size_t i = 0; i < xs.size(); i += B::size) {
        const B got = gendiv::detail::log1p_exp_neg_abs_fn{}(B::load_unaligned(&xs[i]));
        alignas(64) T lanes[B::size];
        got.store_aligned(lanes);
        for (std::size_t k = 0; k < B::size; ++k) {
            check(xs[i + k], lanes[k]);
            check(xs[i + k], gendiv::detail::log1p_exp_neg_abs_fn{}(xs[i + k]));
        }
    }
    BOOST_TEST_MESSAGE("softplus tail: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= 3.0, "max error " << worst << " ulp at x = " << at);
    // The ends: exactly log 2 at 0 (to the ulp), 0 at ±inf, NaN for NaN.
    BOOST_TEST(std::abs(gendiv::detail::log1p_exp_neg_abs_fn{}(T(0)) - T(0.69314718055994530942)) <=
               std::numeric_limits<T>::epsilon());
    BOOST_TEST(gendiv::detail::log1p_exp_neg_abs_fn{}(std::numeric_limits<T>::infinity()) == T(0));
    BOOST_TEST(gendiv::detail::log1p_exp_neg_abs_fn{}(-std::numeric_limits<T>::infinity()) == T(0));
    BOOST_TEST(std::isnan(gendiv::detail::log1p_exp_neg_abs_fn{}(std::numeric_limits<T>::quiet_NaN())));
}

// Rows of a batch or more take detail::bernoulli_logits_row: Σ max(x,0) - t x plus one log1p per
// chunk of 16 values per lane of the product q = Π(1 + e^{-|x|}) - 1 (docs/math.md §3). Against
// the long double sum of t x - max(x,0) - log1pl(expl(-|x|)) over the same T-rounded inputs, at
// lengths around the batch width, the chunk and the 4096-value fold (masked tails, partial
// chunks), for logits near 0 (every q grows to 2^16 - 1), spread over [-20, 20], and large with
// agreeing targets (every term is -e^{-|x|} ≈ -1e-13 .. -1e-44: the value is the sum of the tails
// alone, which q keeps to full relative precision where 1 + e would have rounded e away).
// Every term is ≤ 0, so the bound is relative: 4ε, as for the per-value kernel (the error is
// that of summing a few hundred positive terms; q's own, at most 2·16u, is damped by
// q / ((1 + q) log1p q) ≤ 1), plus half the least subnormal per term where terms are subnormal.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_logits_long_rows, T, float_types) {
    const double eps = eps_of<T>();
    constexpr std::size_t W = xsimd::batch<T>::size;
    const std::vector<std::size_t> lengths = {W, W + 1, 2 * W - 1, 16 * W, 16 * W + 3, 33 * W - 1,
                                              100, 784, 4095, 4096, 4097, 10007};
    struct kind {
        const char* name;
        double lo, hi;
    };
    // The last kind straddles the row kernel's fast range (|x| < 87.3 in float, 708 in double,
    // detail::bernoulli_fast_abs_logit): rows holding a logit beyond it are summed again with
    // exp's range test, and their e^{-|x|} reach the subnormals (float: e^-103 ≈ 1.4e-45).
    const double edge = static_cast<double>(gendiv::detail::bernoulli_fast_abs_logit<T>);
    const kind kinds[] = {{"near 0", -1, 1},
                          {"spread", -20, 20},
                          {"large, agreeing", 30, 100},
                          {"about exp's fast range, agreeing", edge - 8, edge + 16}};
    double worst = 0;
    std::uint64_t seed = 100;
    for (const auto& k : kinds)
        for (const std::size_t n : lengths) {
            xt::xarray<T> x = uniform<T>({1, n}, k.lo, k.hi, ++seed);
            xt::xarray<T> t = xt::cast<T>(targets({1, n}, ++seed));
            if (k.lo >= 30) {  // agreeing targets: x > 0 with t = 1, x < 0 with t = 0
                for (std::size_t j = 0; j < n; ++j) {
                    if (j % 2) x(0, j) = -x(0, j);
                    t(0, j) = x(0, j) > 0 ? T(1) : T(0);
                }
            }
            long double want = 0;
            for (std::size_t j = 0; j < n; ++j) {
                const long double xv = x(0, j), tv = t(0, j);
                want += tv * xv - (xv > 0 ? xv : 0) - log1pl(expl(-fabsl(xv)));
            }
            const double got = gendiv::log_likelihood_bernoulli_logits(x, t)(0);
            const double rel = static_cast<double>(fabsl((got - want) / want));
            worst = std::max(worst, rel / eps);
            // a subnormal term is rounded to a multiple of the least subnormal, whatever its
            // relative size: half of one per term (SSE2's double rows of 3 values about
            // -2.9e-310 came out 0.7 of one, 53 ε, off)
            const long double subnormal_slack = 0.5L * n * std::numeric_limits<T>::denorm_min();
            BOOST_TEST(fabsl(got - want) <= 4 * eps * fabsl(want) + subnormal_slack, k.name << ", n = " << n << ": relative error " << rel / eps
                                              << " eps (" << got << " vs " << static_cast<double>(want) << ")");
        }
    BOOST_TEST_MESSAGE("bernoulli_logits_long_rows: max " << worst << " eps");
    // logits 0, target 1/2: every term is -log 2 and the product is 2^16 per chunk, exactly
    for (const std::size_t n : {16 * W, 16 * W * 7 + 5}) {
        const xt::xarray<T> x = xt::zeros<T>({std::size_t(1), n});
        xt::xarray<T> t = x;
        t.fill(T(0.5));
        check_close<T>(gendiv::log_likelihood_bernoulli_logits(x, t)(0),
                       -static_cast<double>(n) * 0.69314718055994530942, 2 * eps, "log 2 row");
    }
}

// An infinite logit makes max(x, 0) - t x inf - inf (or 0·inf) in the row kernel: such a row is
// summed again term by term, which gives the exact limits; a NaN logit gives NaN. Rows longer
// than a batch, with the special value in a full batch and in the masked tail.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_logits_long_rows_with_inf_and_nan, T, float_types) {
    constexpr std::size_t W = xsimd::batch<T>::size;
    const T inf = std::numeric_limits<T>::infinity();
    const std::size_t n = 3 * W + 5;
    const xt::xarray<T> x0 = uniform<T>({1, n}, -5, 5, 41);
    const xt::xarray<T> t0 = xt::cast<T>(targets({1, n}, 42));
    const double base = gendiv::log_likelihood_bernoulli_logits(x0, t0)(0);
    for (const std::size_t at : {std::size_t(1), W + 2, n - 1}) {
        const double rest = base - gendiv::log_likelihood_bernoulli_logits(
                                       xt::view(x0, xt::all(), xt::range(at, at + 1)),
                                       xt::view(t0, xt::all(), xt::range(at, at + 1)))(0);
        xt::xarray<T> x = x0, t = t0;
        x(0, at) = inf;
        t(0, at) = T(1);  // agrees: the term is 0
        check_close<T>(gendiv::log_likelihood_bernoulli_logits(x, t)(0), rest, 8 * eps_of<T>(),
                       "+inf, t = 1");
        x(0, at) = -inf;
        t(0, at) = T(0);
        check_close<T>(gendiv::log_likelihood_bernoulli_logits(x, t)(0), rest, 8 * eps_of<T>(),
                       "-inf, t = 0");
        t(0, at) = T(0.25);  // disagrees: -inf
        BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(x, t)(0) == -inf);
        x(0, at) = std::numeric_limits<T>::quiet_NaN();
        BOOST_TEST(std::isnan(gendiv::log_likelihood_bernoulli_logits(x, t)(0)));
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(normal_rows, T, float_types) {
    const double eps = eps_of<T>();
    for (const auto& r : ref::normal_rows) {
        const auto mu = row_of<T>(r.mu);
        const auto lv = row_of<T>(r.logvar);
        const auto z = row_of<T>(r.z);
        double abs_sum = 0;
        for (std::size_t j = 0; j < r.mu.size(); ++j) {
            const double w2 = std::pow(r.z[j] - r.mu[j], 2) * std::exp(-r.logvar[j]);
            abs_sum += std::abs(0.5 * (log_two_pi + r.logvar[j])) + 0.5 * w2;
        }
        const std::string name = r.name;
        check_close<T>(gendiv::log_likelihood_normal(mu, lv, z)(0), r.value,
                       4 * eps * abs_sum / std::abs(r.value), name + " value");
        const auto g = gendiv::log_likelihood_normal_grad(mu, lv, z);
        for (std::size_t j = 0; j < r.mu.size(); ++j) {
            const std::string at = name + " [" + std::to_string(j) + "]";
            check_close<T>(g.mu(0, j), r.d_mu[j], 4 * eps, at + " d_mu");
            check_close<T>(g.z(0, j), r.d_z[j], 4 * eps, at + " d_z");
            const double half_w2 = r.d_logvar[j] + 0.5;
            gendiv::test::check_abs<T>(g.logvar(0, j), r.d_logvar[j], 4 * eps * (half_w2 + 0.5),
                                       at + " d_logvar");
        }
    }
}

// Below the parallel threshold, rows of W to detail::short_row values are summed through a
// buffer (likelihood.hpp, detail::rows_sum_flat): for lengths about the batch width W, partial
// last chunks and the ends of short_row, every row equals the row-by-row sum of the same kernel
// (detail::rows_sum) bit for bit, and a long double evaluation within 4ε of Σ|terms| (as
// normal_rows).
BOOST_AUTO_TEST_CASE_TEMPLATE(normal_short_rows_through_the_buffer, T, float_types) {
    namespace dt = gendiv::detail;
    constexpr std::size_t W = dt::batch_t<T>::size, S = dt::short_row;
    std::uint64_t seed = 800;
    for (std::size_t D : {std::size_t(1), W - 1, W, W + 1, 2 * W + 3, std::size_t(100), S - 1, S, S + 1})
        for (std::size_t B : {1, 2, 11, 23, 64}) {
            const xt::xarray<T> mu = uniform<T>({B, D}, -2, 2, ++seed), z = uniform<T>({B, D}, -3, 3, ++seed);
            const xt::xarray<T> lv = uniform<T>({B, D}, -4, 4, ++seed);
            const auto got = gendiv::log_likelihood_normal(mu, lv, z);
            std::vector<T> by_row(B);
            dt::rows_sum<T>(B, D, by_row.data(), [&](std::size_t i, auto tag) {
                using V = typename decltype(tag)::type;
                return dt::normal_fn{}(dt::load<V>(mu.data() + i), dt::load<V>(lv.data() + i),
                                       dt::load<V>(z.data() + i));
            });
            const std::string shape = "(" + std::to_string(B) + ", " + std::to_string(D) + ")";
            for (std::size_t b = 0; b < B; ++b) {
                BOOST_TEST(got(b) == by_row[b], shape << " row " << b);
                long double want = 0, scale = 0;
                for (std::size_t j = 0; j < D; ++j) {
                    const long double half_w2 =
                        0.5L * std::pow(static_cast<long double>(z(b, j)) - mu(b, j), 2) * expl(-static_cast<long double>(lv(b, j)));
                    const long double half_c = 0.5L * (1.8378770664093454835606594728112353L + lv(b, j));  // ½(log 2π + lv)
                    want -= half_c + half_w2;
                    scale += std::fabs(half_c) + half_w2;
                }
                BOOST_TEST(std::fabs(static_cast<long double>(got(b)) - want) <= 4 * eps_of<T>() * scale,
                           shape << " row " << b << ": " << got(b) << " against " << static_cast<double>(want));
            }
        }
}

// A batch of at least detail::parallel_threshold values runs its rows on the OpenMP team
// (detail::parallel_for / parallel_all); each row alone runs serially. Rows are independent, so
// the two give the same bits; a bad target in any row, on any thread, is still found.
BOOST_AUTO_TEST_CASE_TEMPLATE(parallel_rows_match_serial_rows, T, float_types) {
    const std::size_t B = 200, D = 784;
    static_assert(200 * 784 >= gendiv::detail::parallel_threshold);
    static_assert(784 < gendiv::detail::parallel_threshold);
    xt::xarray<T> x = uniform<T>({B, D}, -10, 10, 51);
    xt::xarray<T> t = xt::cast<T>(targets({B, D}, 52));
    const auto all = gendiv::log_likelihood_bernoulli_logits(x, t);
    const auto all_g = gendiv::log_likelihood_bernoulli_logits_grad(x, t).logits;
    for (std::size_t b = 0; b < B; ++b) {
        const xt::xarray<T> xb = xt::view(x, xt::range(b, b + 1), xt::all());
        const xt::xarray<T> tb = xt::view(t, xt::range(b, b + 1), xt::all());
        BOOST_TEST(all(b) == gendiv::log_likelihood_bernoulli_logits(xb, tb)(0));
        const xt::xarray<T> gb = gendiv::log_likelihood_bernoulli_logits_grad(xb, tb).logits;
        BOOST_TEST(xt::view(all_g, xt::range(b, b + 1), xt::all()) == gb);
    }
    for (const std::size_t bad_row : {std::size_t(0), B / 2 + 3, B - 1}) {
        xt::xarray<T> tb = t;
        tb(bad_row, D - 2) = T(1.5);
        GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits(x, tb),
                           "gendiv::log_likelihood_bernoulli_logits", "'target'", "1.5");
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(stacked_rows_match_single_rows, T, float_types) {
    // the batch axis only selects rows: stacking the reference rows gives the same bits
    const std::size_t B = ref::bernoulli_logits_rows.size(), D = ref::bernoulli_logits_rows[0].param.size();
    xt::xarray<T> x = xt::xarray<T>::from_shape({B, D}), t = x;
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t j = 0; j < D; ++j) {
            x(b, j) = static_cast<T>(ref::bernoulli_logits_rows[b].param[j]);
            t(b, j) = static_cast<T>(ref::bernoulli_logits_rows[b].target[j]);
        }
    const auto all = gendiv::log_likelihood_bernoulli_logits(x, t);
    for (std::size_t b = 0; b < B; ++b) {
        const auto one = gendiv::log_likelihood_bernoulli_logits(
            row_of<T>(ref::bernoulli_logits_rows[b].param), row_of<T>(ref::bernoulli_logits_rows[b].target));
        BOOST_TEST(all(b) == one(0));
    }
}

// Probabilities below the least normal number: xsimd 8.1's double log does not normalize
// subnormal arguments (a mu of 1e-310 with target 1 cost 32.7 nats too many before gendiv's
// own log for double batches, detail/simd_exp.hpp). Rows long enough for the SIMD loop, the
// subnormal in several lane positions, against a long double sum of the same terms.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_probs_subnormal_mu, T, float_types) {
    using lim = std::numeric_limits<T>;
    const std::size_t n = 37;
    for (const T tiny : {lim::denorm_min(), lim::min() / T(3), T(lim::min() / T(1024))}) {
        for (const std::size_t at : {std::size_t(0), std::size_t(5), std::size_t(17), n - 1}) {
            xt::xarray<T> mu = xt::cast<T>(uniform<double>({1, n}, 0.05, 0.95, 91));
            xt::xarray<T> t = xt::cast<T>(targets({1, n}, 92));
            mu(0, at) = tiny;
            t(0, at) = 1;
            long double want = 0;
            for (std::size_t j = 0; j < n; ++j) {
                const long double m = mu(0, j), tv = t(0, j);
                want += (tv != 0 ? tv * logl(m) : 0) + (tv != 1 ? (1 - tv) * log1pl(-m) : 0);
            }
            BOOST_TEST_CONTEXT("mu = " << tiny << " at " << at) {
                check_close<T>(gendiv::log_likelihood_bernoulli(mu, t)(0), static_cast<double>(want),
                               8 * eps_of<T>(), "value");
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(identities)

// log Bern(t; mu) = log Bern(t; σ(x)) at x = logit(mu) = log mu - log1p(-mu). The logit is
// computed in double from the T-rounded mu and rounded to T, which moves the logits value by
// |t - mu|·|δx| with |δx| ≤ ε(|x| + 1): the budget is 4ε Σ(|terms|) + ε Σ|t - mu|(|x| + 1).
BOOST_AUTO_TEST_CASE_TEMPLATE(probabilities_equal_logits, T, float_types) {
    const double eps = eps_of<T>();
    const xt::xarray<T> x0 = uniform<T>({8, 50}, -12, 12, 7);
    xt::xarray<T> mu = x0, x = x0;
    for (std::size_t i = 0; i < mu.size(); ++i) {
        mu.flat(i) = static_cast<T>(1 / (1 + std::exp(-static_cast<double>(x0.flat(i)))));
        const double m = mu.flat(i);
        x.flat(i) = static_cast<T>(std::log(m) - std::log1p(-m));
    }
    const xt::xarray<T> t = xt::cast<T>(targets({8, 50}, 9));
    const auto lp = gendiv::log_likelihood_bernoulli(mu, t);
    const auto ll = gendiv::log_likelihood_bernoulli_logits(x, t);
    const auto gp = gendiv::log_likelihood_bernoulli_grad(mu, t).mu;
    const auto gl = gendiv::log_likelihood_bernoulli_logits_grad(x, t).logits;
    for (std::size_t b = 0; b < 8; ++b) {
        double scale = 0, shift = 0;
        for (std::size_t j = 0; j < 50; ++j) {
            const double m = mu(b, j), tt = t(b, j);
            scale += std::abs(tt * std::log(m)) + std::abs((1 - tt) * std::log1p(-m));
            shift += std::abs(tt - m) * (std::abs(static_cast<double>(x(b, j))) + 1);
            // chain rule: d/dx = d/dmu · mu(1 - mu)
            check_close<T>(gl(b, j), static_cast<double>(gp(b, j)) * m * (1 - m),
                           8 * eps + 8 * eps * (std::abs(x(b, j)) + 1),
                           "logit gradient vs probability gradient");
        }
        BOOST_TEST(std::abs(static_cast<double>(lp(b)) - static_cast<double>(ll(b))) <=
                   4 * eps * scale + eps * shift);
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(targets_at_the_ends, T, float_types) {
    const T i = std::numeric_limits<T>::infinity();
    // 0 log 0 = 0: a certain prediction of the right value costs nothing and has a finite gradient
    const xt::xarray<T> mu = {{0, 1, 0, 1}}, t = {{0, 1, 1, 0}};
    const auto v = gendiv::log_likelihood_bernoulli(xt::view(mu, xt::all(), xt::range(0, 2)),
                                                    xt::view(t, xt::all(), xt::range(0, 2)));
    BOOST_TEST(v(0) == T(0));
    const auto g = gendiv::log_likelihood_bernoulli_grad(mu, t).mu;
    BOOST_TEST(g(0, 0) == T(-1));
    BOOST_TEST(g(0, 1) == T(1));
    BOOST_TEST(g(0, 2) == i);   // d/dmu log mu at 0
    BOOST_TEST(g(0, 3) == -i);  // d/dmu log(1 - mu) at 1
    // a certain prediction of the wrong value is -inf, not a clamped finite number
    BOOST_TEST(gendiv::log_likelihood_bernoulli(mu, t)(0) == -i);
    // logits ±inf give the exact limits 0 and -inf, never NaN, with gradient t - σ(x)
    const xt::xarray<T> x = {{i, -i, i, -i, i}}, tx = {{1, 0, 0, 1, 0.25}};
    const auto gx = gendiv::log_likelihood_bernoulli_logits_grad(x, tx).logits;
    const xt::xarray<T> want = {{0, 0, -1, 1, -0.75}};
    BOOST_TEST(gx == want, boost::test_tools::per_element());
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(xt::view(x, xt::all(), xt::range(0, 2)),
                                                       xt::view(tx, xt::all(), xt::range(0, 2)))(0) == T(0));
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(x, tx)(0) == -i);
}

// At |x| = 1e4 and beyond, σ(x) is 1 or 0 in T, and the gradient must be exactly t - σ(x),
// i.e. t - 1 or t (PyTorch issue #31829 reports NaN gradients from the naive log(sigmoid)).
BOOST_AUTO_TEST_CASE_TEMPLATE(huge_logits_gradient_is_exactly_t_minus_sigmoid, T, float_types) {
    const xt::xarray<T> x = {{1e4, -1e4, 1e4, -1e4, 1e6, -1e6, 3e38, -3e38}};
    const xt::xarray<T> t = {{1, 0, 0.25, 0.75, 0, 1, 0.5, 0.5}};
    const auto g = gendiv::log_likelihood_bernoulli_logits_grad(x, t).logits;
    const auto v = gendiv::log_likelihood_bernoulli_logits(x, t);
    BOOST_TEST(std::isfinite(v(0)));
    for (std::size_t j = 0; j < x.size(); ++j) {
        const T want = x(0, j) > 0 ? T(t(0, j) - T(1)) : t(0, j);
        BOOST_TEST(g(0, j) == want, "x = " << x(0, j) << ", t = " << t(0, j));
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(normal_with_broadcast_parameters, T, float_types) {
    const std::size_t B = 5, D = 7;
    const xt::xarray<T> z = uniform<T>({B, D}, -3, 3, 1);
    const xt::xarray<T> m_row = uniform<T>({D}, -1, 1, 2), l_row = uniform<T>({D}, -2, 2, 3);
    const xt::xarray<T> m_full = xt::broadcast(m_row, {B, D}), l_full = xt::broadcast(l_row, {B, D});
    const auto want = gendiv::log_likelihood_normal(m_full, l_full, z);
    BOOST_TEST(gendiv::log_likelihood_normal(m_row, l_row, z) == want, boost::test_tools::per_element());
    const xt::xarray<T> m_1d = xt::view(m_row, xt::newaxis(), xt::all());
    BOOST_TEST(gendiv::log_likelihood_normal(m_1d, l_full, z) == want, boost::test_tools::per_element());
    // zeros of shape (D,), (1,), (1, D) and 0-d: the standard normal prior
    const xt::xarray<T> zeros_full = xt::zeros<T>({B, D});
    const auto std_normal = gendiv::log_likelihood_normal(zeros_full, zeros_full, z);
    for (const auto& shape : std::vector<std::vector<std::size_t>>{{D}, {1}, {1, D}, {}}) {
        const xt::xarray<T> zeros = xt::zeros<T>(shape);
        BOOST_TEST(gendiv::log_likelihood_normal(zeros, zeros, z) == std_normal,
                   boost::test_tools::per_element());
        // the broadcast parameters' gradients are the full gradients summed back
        const auto g = gendiv::log_likelihood_normal_grad(zeros, zeros, z);
        const auto gf = gendiv::log_likelihood_normal_grad(zeros_full, zeros_full, z);
        BOOST_TEST(g.mu.shape() == zeros.shape(), boost::test_tools::per_element());
        BOOST_TEST(g.logvar.shape() == zeros.shape(), boost::test_tools::per_element());
        BOOST_TEST(g.z == gf.z, boost::test_tools::per_element());
        const double mu_sum = xt::sum(xt::cast<double>(gf.mu))(), g_mu_sum = xt::sum(xt::cast<double>(g.mu))();
        const double lv_sum = xt::sum(xt::cast<double>(gf.logvar))(), g_lv_sum = xt::sum(xt::cast<double>(g.logvar))();
        const double l1 = xt::sum(xt::abs(xt::cast<double>(gf.logvar)))();
        BOOST_TEST(std::abs(g_mu_sum - mu_sum) <= 4 * B * D * eps_of<T>() * xt::sum(xt::abs(xt::cast<double>(gf.mu)))());
        BOOST_TEST(std::abs(g_lv_sum - lv_sum) <= 4 * B * D * eps_of<T>() * l1);
    }
    // the standard normal in closed form: -½ Σ (log 2π + z²)
    for (std::size_t b = 0; b < B; ++b) {
        double want_b = 0, scale = 0;
        for (std::size_t j = 0; j < D; ++j) {
            want_b += -0.5 * (log_two_pi + double(z(b, j)) * double(z(b, j)));
            scale += 0.5 * (log_two_pi + double(z(b, j)) * double(z(b, j)));
        }
        check_close<T>(std_normal(b), want_b, 4 * eps_of<T>() * scale / std::abs(want_b), "N(0, I)");
    }
}

BOOST_AUTO_TEST_CASE(sums_over_all_non_batch_axes) {
    // an image batch (B, 1, 4, 5) is summed like its (B, 20) reshape, bit for bit
    const xt::xarray<double> x4 = uniform<double>({3, 1, 4, 5}, -5, 5, 4);
    const xt::xarray<double> t4 = targets({3, 1, 4, 5}, 5);
    xt::xarray<double> x2 = x4, t2 = t4;
    x2.reshape({3, 20});
    t2.reshape({3, 20});
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(x4, t4) ==
                   gendiv::log_likelihood_bernoulli_logits(x2, t2),
               boost::test_tools::per_element());
    const auto g4 = gendiv::log_likelihood_bernoulli_logits_grad(x4, t4).logits;
    BOOST_TEST(g4.dimension() == 4u);
    xt::xarray<double> g4r = g4;
    g4r.reshape({3, 20});
    BOOST_TEST(g4r == gendiv::log_likelihood_bernoulli_logits_grad(x2, t2).logits,
               boost::test_tools::per_element());
    // a batch of vectors (B,): each example has one coordinate
    const xt::xarray<double> v = {0.5, -2.0}, tv = {1.0, 0.0};
    const auto r = gendiv::log_likelihood_bernoulli_logits(v, tv);
    BOOST_TEST(r.size() == 2u);
    BOOST_TEST(r(0) == -std::log1p(std::exp(-0.5)), boost::test_tools::tolerance(4e-16));
}

BOOST_AUTO_TEST_CASE(float_and_double_agree) {
    const xt::xarray<float> x = uniform<float>({16, 300}, -20, 20, 6);
    const xt::xarray<float> t = xt::cast<float>(targets({16, 300}, 7));
    const xt::xarray<float> mu = uniform<float>({16, 300}, 0.001, 0.999, 8);
    const xt::xarray<float> lv = uniform<float>({16, 300}, -6, 6, 9);
    const xt::xarray<double> xd = x, td = t, mud = mu, lvd = lv;
    const double eps = eps_of<float>();
    const auto a = gendiv::log_likelihood_bernoulli_logits(x, t);
    const auto ad = gendiv::log_likelihood_bernoulli_logits(xd, td);
    const auto b = gendiv::log_likelihood_bernoulli(mu, t);
    const auto bd = gendiv::log_likelihood_bernoulli(mud, td);
    const auto c = gendiv::log_likelihood_normal(mu, lv, x);
    const auto cd = gendiv::log_likelihood_normal(mud, lvd, xd);
    for (std::size_t r = 0; r < 16; ++r) {
        check_close<float>(a(r), ad(r), 4 * eps, "bernoulli logits");
        check_close<float>(b(r), bd(r), 4 * eps, "bernoulli probs");
        // the normal rows mix signs: judge them against Σ|terms| (bounded here by the row of
        // ½(|log 2π + lv| + w²) magnitudes, which is at most ~1e7 against sums of ~1e6)
        double scale = 0;
        for (std::size_t j = 0; j < 300; ++j)
            scale += 0.5 * (std::abs(log_two_pi + lvd(r, j)) +
                            std::pow(xd(r, j) - mud(r, j), 2) * std::exp(-lvd(r, j)));
        BOOST_TEST(std::abs(double(c(r)) - cd(r)) <= 6 * eps * scale);
    }
    const auto ga = gendiv::log_likelihood_bernoulli_logits_grad(x, t).logits;
    const auto gad = gendiv::log_likelihood_bernoulli_logits_grad(xd, td).logits;
    for (std::size_t i = 0; i < ga.size(); ++i) {
        // t σ(-x) - (1-t) σ(x) cancels only for fractional t: judge it against the larger term
        const double s = 1 / (1 + std::exp(-xd.flat(i)));
        const double scale = std::max(td.flat(i) * (1 - s), (1 - td.flat(i)) * s);
        BOOST_TEST(std::abs(double(ga.flat(i)) - gad.flat(i)) <= 6 * eps * scale);
    }
}

BOOST_AUTO_TEST_CASE(any_xexpression) {
    const xt::xarray<double> x = uniform<double>({6, 9}, -5, 5, 10);
    const xt::xarray<double> t = targets({6, 9}, 11);
    const auto want = gendiv::log_likelihood_bernoulli_logits(x, t);
    const auto want_g = gendiv::log_likelihood_bernoulli_logits_grad(x, t).logits;
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(x * 1.0, t + 0.0) == want, boost::test_tools::per_element());
    xt::xarray<double, xt::layout_type::column_major> xc = x;
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(xc, t) == want, boost::test_tools::per_element());
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits_grad(xc, t).logits == want_g,
               boost::test_tools::per_element());
    xt::xarray<double> big = xt::zeros<double>({6, 18});
    xt::view(big, xt::all(), xt::range(0, 18, 2)) = x;
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(xt::view(big, xt::all(), xt::range(0, 18, 2)), t) == want,
               boost::test_tools::per_element());
    std::vector<double> storage(x.begin(), x.end());
    BOOST_TEST(gendiv::log_likelihood_bernoulli_logits(xt::adapt(storage, std::vector<std::size_t>{6, 9}), t) ==
                   want,
               boost::test_tools::per_element());
    // normal: a lazy mean, a column-major logvar and an adapted z
    const xt::xarray<double> lv = uniform<double>({6, 9}, -2, 2, 12);
    const auto wn = gendiv::log_likelihood_normal(x, lv, t);
    xt::xarray<double, xt::layout_type::column_major> lvc = lv;
    std::vector<double> ts(t.begin(), t.end());
    BOOST_TEST(gendiv::log_likelihood_normal(x + 0.0, lvc, xt::adapt(ts, std::vector<std::size_t>{6, 9})) == wn,
               boost::test_tools::per_element());
    // mixed value types compute in the common type
    const xt::xarray<float> xf = xt::cast<float>(x);
    static_assert(std::is_same_v<decltype(gendiv::log_likelihood_bernoulli_logits(xf, t))::value_type, double>);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gradients)

// f = Σ_b u_b L_b; FD with step 1e-6·max(1, |x|) in double. The relative error ‖g - ĝ‖/‖g + ĝ‖
// of central differences is ~h² f''' / f' + ε f / (h f') ≈ 1e-10 here.
BOOST_AUTO_TEST_CASE(bernoulli_finite_differences) {
    const auto mu = uniform<double>({4, 6}, 0.05, 0.95, 20);
    const auto t = targets({4, 6}, 21);
    const auto u = uniform<double>({4}, -2, 2, 22);
    auto f = [&](const xt::xarray<double>& m) { return xt::sum(gendiv::log_likelihood_bernoulli(m, t) * u)(); };
    auto fd = gendiv::test::numeric_gradient(f, mu);
    BOOST_TEST(relative_error(gendiv::log_likelihood_bernoulli_grad(mu, t, u).mu, fd) < 1e-8);
    auto f1 = [&](const xt::xarray<double>& m) { return xt::sum(gendiv::log_likelihood_bernoulli(m, t))(); };
    BOOST_TEST(relative_error(gendiv::log_likelihood_bernoulli_grad(mu, t).mu,
                              gendiv::test::numeric_gradient(f1, mu)) < 1e-8);
    // near the ends: mu = 1e-6 and 1 - 1e-6 (steps shrink with the distance to the boundary)
    const xt::xarray<double> me = {{1e-6, 1 - 1e-6, 1e-6, 1 - 1e-6}}, te = {{1, 0, 0.5, 0.25}};
    auto fe = [&](const xt::xarray<double>& m) { return gendiv::log_likelihood_bernoulli(m, te)(0); };
    BOOST_TEST(relative_error(gendiv::log_likelihood_bernoulli_grad(me, te).mu,
                              gendiv::test::numeric_gradient(fe, me, 1e-9)) < 1e-6);
}

BOOST_AUTO_TEST_CASE(bernoulli_logits_finite_differences) {
    for (double scale : {3.0, 40.0}) {
        const auto x = uniform<double>({4, 6}, -scale, scale, 23);
        const auto t = targets({4, 6}, 24);
        const auto u = uniform<double>({4}, -2, 2, 25);
        auto f = [&](const xt::xarray<double>& y) {
            return xt::sum(gendiv::log_likelihood_bernoulli_logits(y, t) * u)();
        };
        BOOST_TEST(relative_error(gendiv::log_likelihood_bernoulli_logits_grad(x, t, u).logits,
                                  gendiv::test::numeric_gradient(f, x)) < 1e-8);
    }
    // at |x| = 40 with agreeing targets the gradient is σ(-40) = 4e-18: the value is itself
    // ~-e^{-|x|} per entry and keeps its relative precision, so central differences with the
    // step 1e-5·|x| (truncation error (step)²/6 ≈ 3e-8 relative) resolve it
    const xt::xarray<double> x = {{40, -40, 30, -30}}, t = {{1, 0, 1, 0}};
    auto f = [&](const xt::xarray<double>& y) { return gendiv::log_likelihood_bernoulli_logits(y, t)(0); };
    const auto g = gendiv::log_likelihood_bernoulli_logits_grad(x, t).logits;
    BOOST_TEST(relative_error(g, gendiv::test::numeric_gradient(f, x, 1e-5)) < 1e-6);
    BOOST_TEST(g(0, 0) > 0);
    BOOST_TEST(g(0, 1) < 0);
}

BOOST_AUTO_TEST_CASE(normal_finite_differences) {
    const std::size_t B = 4, D = 5;
    const auto z = uniform<double>({B, D}, -3, 3, 26);
    const auto u = uniform<double>({B}, -2, 2, 27);
    for (double lv_scale : {2.0, 80.0}) {
        const auto mu = uniform<double>({B, D}, -1, 1, 28);
        const auto lv = uniform<double>({B, D}, -lv_scale, lv_scale, 29);
        const auto g = gendiv::log_likelihood_normal_grad(mu, lv, z, u);
        auto fm = [&](const xt::xarray<double>& m) { return xt::sum(gendiv::log_likelihood_normal(m, lv, z) * u)(); };
        auto fl = [&](const xt::xarray<double>& l) { return xt::sum(gendiv::log_likelihood_normal(mu, l, z) * u)(); };
        auto fz = [&](const xt::xarray<double>& y) { return xt::sum(gendiv::log_likelihood_normal(mu, lv, y) * u)(); };
        BOOST_TEST(relative_error(g.mu, gendiv::test::numeric_gradient(fm, mu)) < 1e-7);
        BOOST_TEST(relative_error(g.logvar, gendiv::test::numeric_gradient(fl, lv)) < 1e-7);
        BOOST_TEST(relative_error(g.z, gendiv::test::numeric_gradient(fz, z)) < 1e-7);
    }
    // broadcast parameters of shape (D,) and (1,): their gradients are summed over the batch
    const auto m_row = uniform<double>({D}, -1, 1, 30);
    const xt::xarray<double> l_one = {0.7};
    const auto g = gendiv::log_likelihood_normal_grad(m_row, l_one, z, u);
    BOOST_TEST(g.mu.shape() == m_row.shape(), boost::test_tools::per_element());
    BOOST_TEST(g.logvar.shape() == l_one.shape(), boost::test_tools::per_element());
    auto fm = [&](const xt::xarray<double>& m) { return xt::sum(gendiv::log_likelihood_normal(m, l_one, z) * u)(); };
    auto fl = [&](const xt::xarray<double>& l) { return xt::sum(gendiv::log_likelihood_normal(m_row, l, z) * u)(); };
    BOOST_TEST(relative_error(g.mu, gendiv::test::numeric_gradient(fm, m_row)) < 1e-8);
    BOOST_TEST(relative_error(g.logvar, gendiv::test::numeric_gradient(fl, l_one)) < 1e-8);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(bernoulli_errors) {
    const xt::xarray<double> a = {{0.5, 0.25, 0.75}, {0.5, 0.5, 0.5}};
    const xt::xarray<double> b = {{0.5, 0.25}, {0.5, 0.5}};
    const xt::xarray<double> s = 0.5;
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(a, b), "gendiv::log_likelihood_bernoulli",
                       "'target'", "(2, 2)", "'mu'", "(2, 3)");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_grad(b, a), "gendiv::log_likelihood_bernoulli_grad",
                       "'target'", "(2, 3)", "(2, 2)");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(s, s), "gendiv::log_likelihood_bernoulli", "'mu'",
                       "()", "at least 1 dimension");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits(a, b), "gendiv::log_likelihood_bernoulli_logits",
                       "'target'", "'logits'");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits_grad(s, s),
                       "gendiv::log_likelihood_bernoulli_logits_grad", "'logits'", "()");
    // values outside [0, 1], and NaN
    xt::xarray<double> bad = a;
    bad(1, 2) = 1.5;
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(a, bad), "gendiv::log_likelihood_bernoulli", "'target'",
                       "1.5", "flat index 5", "[0, 1]");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(bad, a), "gendiv::log_likelihood_bernoulli", "'mu'",
                       "1.5", "probabilities must lie in [0, 1]");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_grad(bad, a), "gendiv::log_likelihood_bernoulli_grad",
                       "'mu'", "1.5");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits(a, bad), "gendiv::log_likelihood_bernoulli_logits",
                       "'target'", "1.5");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits_grad(a, bad),
                       "gendiv::log_likelihood_bernoulli_logits_grad", "'target'", "1.5");
    bad(1, 2) = -0.25;
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits(a, bad), "'target'", "-0.25");
    bad(1, 2) = std::nan("");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(a, bad), "gendiv::log_likelihood_bernoulli", "'target'",
                       "nan");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(bad, a), "gendiv::log_likelihood_bernoulli", "'mu'", "nan");
    // The checks run inside the (parallel, SIMD) row pass: a bad value is found in the first
    // element, in a lane of a full batch and in a row's scalar tail, also above the size where
    // the rows run on several threads (2^17 elements), and the message still names the index.
    for (const std::size_t rows : {std::size_t(3), std::size_t(300)}) {
        const std::size_t cols = 999;  // not a multiple of any SIMD width
        for (const std::size_t at : {std::size_t(0), rows * cols / 2 + 3, rows * cols - 1}) {
            BOOST_TEST_CONTEXT(rows << " rows, bad value at flat index " << at) {
                xt::xarray<float> x = xt::zeros<float>({rows, cols}), t = xt::ones<float>({rows, cols});
                t.flat(at) = 2.0f;
                const std::string where = "flat index " + std::to_string(at);
                GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits(x, t),
                                   "gendiv::log_likelihood_bernoulli_logits", "'target'",
                                   where.c_str());
                xt::xarray<float> mu = xt::full_like(t, 0.5f);
                GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(t, mu), "gendiv::log_likelihood_bernoulli",
                                   "'mu'", where.c_str());
                GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli(mu, t), "gendiv::log_likelihood_bernoulli",
                                   "'target'", where.c_str());
            }
        }
    }
    // a logit may be anything, NaN included (it propagates); only targets are checked
    xt::xarray<double> xn = a;
    xn(0, 0) = std::nan("");
    BOOST_TEST(std::isnan(gendiv::log_likelihood_bernoulli_logits(xn, a)(0)));
    // upstream of the wrong shape
    const xt::xarray<double> u3 = {1.0, 2.0, 3.0};
    const xt::xarray<double> u2d = {{1.0, 2.0}};
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_grad(a, a, u3), "gendiv::log_likelihood_bernoulli_grad",
                       "'upstream'", "(3,)", "(2,)");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits_grad(a, a, u2d),
                       "gendiv::log_likelihood_bernoulli_logits_grad", "'upstream'", "(1, 2)", "(2,)");
}

// The row kernel's fast pass checks targets as a running unsigned maximum of the bits of t + 0
// (detail/bernoulli_row.hpp, bernoulli_bit_checks): the values on either side of 0 and 1, signed
// zeros, signed NaNs and infinities, in a full batch's lane, in the first lane and in the
// overlapping tail batch of rows longer than any batch. A row with an accepted target must also
// have the value that the per-value kernel (bernoulli_logits_row_per_value) gives over it.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_logits_target_edges, T, float_types) {
    using lim = std::numeric_limits<T>;
    const std::size_t rows = 2, cols = 999;
    const xt::xarray<T> x = xt::cast<T>(uniform<double>({rows, cols}, -6, 6, 77));
    const xt::xarray<T> t0 = xt::cast<T>(targets({rows, cols}, 78));
    const T nan = lim::quiet_NaN();
    for (const std::size_t at : {std::size_t(0), std::size_t(cols + 500), rows * cols - 1}) {
        for (const T good : {T(-0.0), T(0), T(1), lim::denorm_min(), std::nextafter(T(1), T(0)), lim::min()}) {
            BOOST_TEST_CONTEXT("target " << good << " (signbit " << std::signbit(good) << ") at " << at) {
                xt::xarray<T> t = t0;
                t.flat(at) = good;
                const auto got = gendiv::log_likelihood_bernoulli_logits(x, t);
                const std::size_t r = at / cols;
                bool ok = true;
                const T want = gendiv::detail::bernoulli_logits_row_per_value(x.data() + r * cols,
                                                                              t.data() + r * cols, cols, ok);
                BOOST_TEST(ok);
                check_close<T>(got(r), static_cast<double>(want), 8 * eps_of<T>(), "value");
            }
        }
        for (const T bad : {-lim::denorm_min(), -lim::min(), std::nextafter(T(1), T(2)), T(-1), lim::infinity(),
                            -lim::infinity(), nan, -nan, lim::max()}) {
            BOOST_TEST_CONTEXT("target " << bad << " (signbit " << std::signbit(bad) << ") at " << at) {
                xt::xarray<T> t = t0;
                t.flat(at) = bad;
                const std::string where = "flat index " + std::to_string(at);
                GENDIV_CHECK_ERROR(gendiv::log_likelihood_bernoulli_logits(x, t),
                                   "gendiv::log_likelihood_bernoulli_logits", "'target'", where.c_str());
            }
        }
    }
}

// The gradients of broadcast Normal parameters over an empty batch or an empty middle axis are
// zeros of the parameters' shape (unbroadcast's immediate xt::sum over a 0-length axis crashed).
BOOST_AUTO_TEST_CASE(normal_grad_of_an_empty_batch_with_broadcast_parameters) {
    for (const auto& shapes : {std::pair<std::vector<std::size_t>, std::vector<std::size_t>>{{0, 5}, {5}},
                               {{0, 5}, {1, 5}}, {{2, 0, 3}, {1, 1, 3}}}) {
        const xt::xarray<double> z = xt::zeros<double>(shapes.first), mu = xt::zeros<double>(shapes.second);
        const auto g = gendiv::log_likelihood_normal_grad(mu, mu, z);
        BOOST_TEST((g.mu == mu));
        BOOST_TEST((g.logvar.shape() == mu.shape()));
        BOOST_TEST((g.z.shape() == z.shape()));
    }
}

BOOST_AUTO_TEST_CASE(normal_errors) {
    const xt::xarray<double> z = xt::zeros<double>({2, 3});
    const xt::xarray<double> p4 = xt::zeros<double>({4});
    const xt::xarray<double> p23 = xt::zeros<double>({2, 3});
    const xt::xarray<double> p123 = xt::zeros<double>({1, 2, 3});
    const xt::xarray<double> s = 0.0;
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_normal(p4, p23, z), "gendiv::log_likelihood_normal", "'mu'", "(4,)",
                       "does not broadcast", "'z'", "(2, 3)");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_normal(p23, p123, z), "gendiv::log_likelihood_normal", "'logvar'",
                       "(1, 2, 3)", "(2, 3)");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_normal(s, s, s), "gendiv::log_likelihood_normal", "'z'", "()");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_normal_grad(p4, p23, z), "gendiv::log_likelihood_normal_grad",
                       "'mu'", "(4,)", "(2, 3)");
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_normal_grad(s, s, s), "gendiv::log_likelihood_normal_grad", "'z'");
    const xt::xarray<double> u = {1.0, 2.0, 3.0};
    GENDIV_CHECK_ERROR(gendiv::log_likelihood_normal_grad(p23, p23, z, u), "gendiv::log_likelihood_normal_grad",
                       "'upstream'", "(3,)", "(2,)");
}

BOOST_AUTO_TEST_SUITE_END()

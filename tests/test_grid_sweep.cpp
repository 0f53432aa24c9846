// tests/test_grid_sweep.cpp: no NaN, and no infinity where the mathematics is finite, over grids
// of extreme inputs (logits ±1e4, ±1e30 and ±inf; log-variances ±80; probabilities 0 and 1;
// means ±1e3), in float and in double, for every function of log_sum_exp.hpp, likelihood.hpp and
// kl.hpp and its gradient.
//
// The truth is the textbook formula evaluated in long double (x87: 64-bit significand, range to
// 1e4932, so e^160 and (2e3)² e^80 are finite there and the formulas need no rewriting). A
// result must be ±inf with the truth's sign where |truth| exceeds the type's largest value (by
// more than a rounding), finite where it is below, and then within an error budget of the truth
// that is stated per function. Grid inputs are exact in float.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gendiv/kl.hpp"
#include "gendiv/likelihood.hpp"
#include "gendiv/log_sum_exp.hpp"
#include "reference/compare.hpp"

namespace {

using float_types = std::tuple<float, double>;
using ld = long double;
using gendiv::test::eps_of;

const std::vector<double> logvars = {-80, -40, -10, -1, 0, 1, 10, 40, 80};
const std::vector<double> means = {-1e3, -1, 0, 0.5, 1e3};

/// Where |truth| > max(T), the result must be ±inf of the same sign; where |truth| < max(T), it
/// must be finite and within `budget` (absolute) of the truth. A margin of 1e-5 relative around
/// max(T) is left to rounding. Returns false on a failure (after reporting it).
template <class T>
bool expect(T got, ld truth, ld budget, const std::string& what) {
    const ld big = static_cast<ld>(std::numeric_limits<T>::max());
    const bool is_nan = std::isnan(got);
    if (std::isinf(truth) || std::fabs(truth) > big * (1 + 1e-5L)) {
        const bool ok = std::isinf(got) && (got > 0) == (truth > 0);
        BOOST_CHECK_MESSAGE(ok, what << ": got " << got << ", truth " << static_cast<double>(truth)
                                     << " overflows " << (sizeof(T) == 4 ? "float" : "double"));
        return ok;
    }
    if (std::fabs(truth) > big * (1 - 1e-5L)) {  // at the edge: either is right
        BOOST_CHECK_MESSAGE(!is_nan, what << ": NaN");
        return !is_nan;
    }
    // results below T's normal range (e^{-1e4}, σ(-100) in float) may be 0 or subnormal
    const ld floor = static_cast<ld>(std::numeric_limits<T>::min());
    const bool ok = std::isfinite(got) && std::fabs(static_cast<ld>(got) - truth) <= budget + floor;
    BOOST_CHECK_MESSAGE(ok, what << ": got " << got << ", truth " << static_cast<double>(truth) << ", error "
                                 << static_cast<double>(std::fabs(static_cast<ld>(got) - truth)) << " > budget "
                                 << static_cast<double>(budget));
    return ok;
}

/// One value per row: a (N, 1) array, so that every grid point is its own example.
template <class T>
xt::xarray<T> column(const std::vector<double>& v) {
    return gendiv::test::array_of<T>(v, {v.size(), 1});
}

std::string at(std::initializer_list<double> xs) {
    std::ostringstream os;
    os << '(';
    const char* sep = "";
    for (double x : xs) {
        os << sep << x;
        sep = ", ";
    }
    os << ')';
    return os.str();
}

}  // namespace

// KL(q‖p) for one coordinate over means × log-variances. Double: every value is finite (the
// largest is ½e^160 = 1.5e69). Float: finite exactly where the truth is below FLT_MAX (the
// mean term ½(mq-mp)²e^{-lp} is formed as (½w)·w, so it stays finite up to FLT_MAX, not
// FLT_MAX/2). Budget: 4ε per piece (see test_kl.cpp), 4ε(½|expm1 d| + ½|d| + ½ + ½w²); the
// grid makes d = lq - lp and every exp's argument exact, so no argument rounding enters.
BOOST_AUTO_TEST_CASE_TEMPLATE(kl_analytic_sweep, T, float_types) {
    std::vector<double> mq, lq, mp, lp;
    for (double a : means)
        for (double b : {0.0, 1e3})
            for (double c : logvars)
                for (double d : logvars) {
                    mq.push_back(a);
                    mp.push_back(b);
                    lq.push_back(c);
                    lp.push_back(d);
                }
    const auto Mq = column<T>(mq), Lq = column<T>(lq), Mp = column<T>(mp), Lp = column<T>(lp);
    const auto k = gendiv::kl_gaussian_gaussian_analytic(Mq, Lq, Mp, Lp);
    const auto g = gendiv::kl_gaussian_gaussian_analytic_grad(Mq, Lq, Mp, Lp);
    const ld eps = eps_of<T>();
    std::size_t failures = 0;
    for (std::size_t i = 0; i < mq.size(); ++i) {
        const ld d = ld(lq[i]) - ld(lp[i]), e = std::expm1(d);
        const ld w2 = (ld(mq[i]) - mp[i]) * (ld(mq[i]) - mp[i]) * std::exp(-ld(lp[i]));
        const ld truth = 0.5L * (e - d + w2);
        const std::string w = at({mq[i], lq[i], mp[i], lp[i]});
        const ld pieces = 0.5L * (std::fabs(e) + std::fabs(d) + 1 + w2);
        failures += !expect<T>(k(i), truth, 4 * eps * pieces, "KL " + w);
        const ld dmq = (ld(mq[i]) - mp[i]) * std::exp(-ld(lp[i]));
        failures += !expect<T>(g.mu_q(i, 0), dmq, 4 * eps * std::fabs(dmq), "d_mu_q " + w);
        failures += !expect<T>(g.mu_p(i, 0), -dmq, 4 * eps * std::fabs(dmq), "d_mu_p " + w);
        failures += !expect<T>(g.logvar_q(i, 0), 0.5L * e, 2 * eps * std::fabs(0.5L * e), "d_logvar_q " + w);
        failures += !expect<T>(g.logvar_p(i, 0), -0.5L * (e + w2), 4 * eps * 0.5L * (std::fabs(e) + w2),
                               "d_logvar_p " + w);
        if (std::is_same_v<T, double>) BOOST_TEST(std::isfinite(k(i)));
    }
    BOOST_TEST(failures == 0u);
}

// One Monte Carlo sample per coordinate over the same grid and four noise values. The truth is
// log q(z) - log p(z) at z = mq + e^{lq/2}ε in long double, written without forming z (z - mp
// = (mq - mp) + e^{lq/2}ε loses all of e^{-40}ε next to mq = 0.5 even in long double) and with
// the exact difference ½(lp - lq) kept apart from ½(w² - ε²) = ½(w - ε)(w + ε), where
// w - ε = (mq - mp)e^{-lp/2} + ε(e^{(lq-lp)/2} - 1); test_kl.cpp checks this algebra against
// mpmath evaluations from z itself. Budget: w (or w - ε) is a sum of a = (mq - mp)e^{-lp/2} and
// ε·r (or ε·(r - 1)), r = e^{(lq-lp)/2}, so it carries an absolute error δ = 4ε(|a| + |εr| + |ε|);
// the sample ½(lp - lq) + ½(w - ε)(w + ε) then carries 4ε(½|lp - lq| + ½w² + ½ε²) from its own
// roundings plus δ(|w| + |ε|) + δ² from w's. (Where z = mp exactly but |a| is 1e17, as at
// mq = 0, lq = 0, mp = ½, lp = -80, ε = ½, δ is ~30 and so is the error of any evaluation that
// does not happen to round e^{40} identically twice: the quadratic term is that case.) The
// gradients w e^{-lp/2}, ½(wεr - 1) and ½(1 - w²) carry δ e^{-lp/2}, ½δ|εr| + 4ε(...) and
// δ|w| + δ² + 4ε(½ + ½w²). The exps' arguments are exact on this grid.
BOOST_AUTO_TEST_CASE_TEMPLATE(kl_monte_carlo_sweep, T, float_types) {
    std::vector<double> mq, lq, mp, lp, ev;
    for (double a : means)
        for (double c : logvars)
            for (double d : logvars)
                for (double e : {-3.0, 0.0, 0.5, 3.0}) {
                    mq.push_back(a);
                    mp.push_back(0.5);
                    lq.push_back(c);
                    lp.push_back(d);
                    ev.push_back(e);
                }
    const std::size_t N = mq.size();
    const auto Mq = column<T>(mq), Lq = column<T>(lq), Mp = column<T>(mp), Lp = column<T>(lp);
    xt::xarray<T> E = column<T>(ev);
    E.reshape({1, N, 1});
    const auto k = gendiv::kl_gaussian_gaussian_mc(Mq, Lq, Mp, Lp, E);
    const auto g = gendiv::kl_gaussian_gaussian_mc_grad(Mq, Lq, Mp, Lp, E);
    const ld eps = eps_of<T>();
    std::size_t failures = 0;
    for (std::size_t i = 0; i < N; ++i) {
        const ld s = std::exp(-0.5L * lp[i]), r = std::exp(0.5L * (ld(lq[i]) - lp[i]));
        const ld w = (ld(mq[i]) - mp[i]) * s + ld(ev[i]) * r;
        const ld wm = (ld(mq[i]) - mp[i]) * s + ld(ev[i]) * std::expm1(0.5L * (ld(lq[i]) - lp[i]));
        const ld truth = 0.5L * (ld(lp[i]) - lq[i]) + 0.5L * wm * (wm + 2 * ld(ev[i]));
        const ld e_abs = std::fabs(ld(ev[i])), er = std::fabs(ev[i] * r);
        const ld delta = 4 * eps * (std::fabs(ld(mq[i]) - mp[i]) * s + er + e_abs);
        const ld own = 4 * eps * 0.5L * (std::fabs(ld(lp[i]) - lq[i]) + w * w + e_abs * e_abs);
        const std::string where = at({mq[i], lq[i], mp[i], lp[i], ev[i]});
        failures += !expect<T>(k(i), truth, own + delta * (std::fabs(w) + e_abs) + delta * delta, "MC KL " + where);
        // pathwise gradients: finite wherever they are
        failures += !expect<T>(g.mu_q(i, 0), w * s, delta * s + 4 * eps * std::fabs(w * s), "d_mu_q " + where);
        failures += !expect<T>(g.logvar_q(i, 0), 0.5L * (w * ev[i] * r - 1),
                               0.5L * delta * er + 4 * eps * (0.5L + 0.5L * std::fabs(w) * er), "d_logvar_q " + where);
        failures += !expect<T>(g.logvar_p(i, 0), 0.5L * (1 - w * w),
                               delta * std::fabs(w) + delta * delta + 4 * eps * (0.5L + 0.5L * w * w), "d_logvar_p " + where);
    }
    BOOST_TEST(failures == 0u);
}

// log N(z; mu, e^lv) over means × log-variances × points. Budget 4ε(½|log 2π + lv| + ½w²) for
// the value and 4ε per gradient piece (the exps' arguments -lv/2 are exact).
BOOST_AUTO_TEST_CASE_TEMPLATE(normal_sweep, T, float_types) {
    std::vector<double> mu, lv, z;
    for (double a : means)
        for (double b : logvars)
            for (double c : {-1e3, 0.0, 0.5, 100.0, 1e3}) {
                mu.push_back(a);
                lv.push_back(b);
                z.push_back(c);
            }
    const auto M = column<T>(mu), L = column<T>(lv), Z = column<T>(z);
    const auto v = gendiv::log_likelihood_normal(M, L, Z);
    const auto g = gendiv::log_likelihood_normal_grad(M, L, Z);
    const ld eps = eps_of<T>(), log_two_pi = std::log(2 * std::acos(-1.0L));
    std::size_t failures = 0;
    for (std::size_t i = 0; i < mu.size(); ++i) {
        const ld w2 = (ld(z[i]) - mu[i]) * (ld(z[i]) - mu[i]) * std::exp(-ld(lv[i]));
        const std::string where = at({mu[i], lv[i], z[i]});
        failures += !expect<T>(v(i), -0.5L * (log_two_pi + lv[i] + w2),
                               4 * eps * 0.5L * (std::fabs(log_two_pi + lv[i]) + w2), "normal " + where);
        const ld dmu = (ld(z[i]) - mu[i]) * std::exp(-ld(lv[i]));
        failures += !expect<T>(g.mu(i, 0), dmu, 4 * eps * std::fabs(dmu), "d_mu " + where);
        failures += !expect<T>(g.z(i, 0), -dmu, 4 * eps * std::fabs(dmu), "d_z " + where);
        failures += !expect<T>(g.logvar(i, 0), 0.5L * (w2 - 1), 4 * eps * 0.5L * (w2 + 1), "d_logvar " + where);
    }
    BOOST_TEST(failures == 0u);
}

// Bernoulli from logits over x ∈ {0, ±1, ±20, ±100, ±1e4, ±1e30, ±inf} × t ∈ {0, ¼, 1}. The value
// is finite except at x = ±inf against a disagreeing target (exactly -inf there); the gradient
// t - σ(x) is always finite. Budgets: 4ε Σ|pieces| for the value, 4ε max(tσ(-x), (1-t)σ(x)) for
// the gradient.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_logits_sweep, T, float_types) {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> x, t;
    for (double a : {-inf, -1e30, -1e4, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 1e4, 1e30, inf})
        for (double b : {0.0, 0.25, 1.0}) {
            x.push_back(a);
            t.push_back(b);
        }
    const auto X = column<T>(x), Tt = column<T>(t);
    const auto v = gendiv::log_likelihood_bernoulli_logits(X, Tt);
    const auto g = gendiv::log_likelihood_bernoulli_logits_grad(X, Tt).logits;
    const ld eps = eps_of<T>();
    std::size_t failures = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const ld a = x[i], b = t[i];
        // log σ(x) = -softplus(-x), log σ(-x) = -softplus(x); the t = 0 or 1 terms vanish
        auto softplus = [](ld y) { return std::isinf(y) ? (y > 0 ? y : 0.0L) : std::fmax(y, 0.0L) + std::log1p(std::exp(-std::fabs(y))); };
        const ld truth = (b == 0 ? 0 : -b * softplus(-a)) + (b == 1 ? 0 : -(1 - b) * softplus(a));
        const ld sp = 1 / (1 + std::exp(-a)), sn = 1 / (1 + std::exp(a));  // σ(x), σ(-x); exact at ±inf
        const ld grad = b * sn - (1 - b) * sp;
        const std::string where = at({x[i], t[i]});
        failures += !expect<T>(v(i), truth, 4 * eps * std::fabs(truth), "bernoulli logits " + where);
        failures += !expect<T>(g(i, 0), grad, 4 * eps * std::fmax(b * sn, (1 - b) * sp), "d_logits " + where);
        BOOST_TEST(std::isfinite(g(i, 0)));
    }
    BOOST_TEST(failures == 0u);
}

// Bernoulli from probabilities at mu ∈ {0, FLT_MIN, 1e-30, ½, 1 - 2^-24, 1} × t ∈ {0, ½, 1}: the
// value is -inf exactly where a certain prediction meets a disagreeing target, finite elsewhere;
// the gradient is ±inf exactly there (the derivative of log at 0) and finite elsewhere.
BOOST_AUTO_TEST_CASE_TEMPLATE(bernoulli_probs_sweep, T, float_types) {
    std::vector<double> mu, t;
    for (double a : {0.0, double(std::numeric_limits<float>::min()), double(float(1e-30)), 0.5, 1 - std::ldexp(1.0, -24), 1.0})
        for (double b : {0.0, 0.5, 1.0}) {
            mu.push_back(a);
            t.push_back(b);
        }
    const auto M = column<T>(mu), Tt = column<T>(t);
    const auto v = gendiv::log_likelihood_bernoulli(M, Tt);
    const auto g = gendiv::log_likelihood_bernoulli_grad(M, Tt).mu;
    const ld eps = eps_of<T>(), inf = std::numeric_limits<ld>::infinity();
    std::size_t failures = 0;
    for (std::size_t i = 0; i < mu.size(); ++i) {
        const ld a = mu[i], b = t[i];
        const ld t1 = b == 0 ? 0 : (a == 0 ? -inf : b * std::log(a));
        const ld t2 = b == 1 ? 0 : (a == 1 ? -inf : (1 - b) * std::log1p(-a));
        const ld g1 = b == 0 ? 0 : (a == 0 ? inf : b / a);
        const ld g2 = b == 1 ? 0 : (a == 1 ? inf : (1 - b) / (1 - a));
        const std::string where = at({mu[i], t[i]});
        failures += !expect<T>(v(i), t1 + t2, 4 * eps * (std::fabs(t1) + std::fabs(t2)), "bernoulli " + where);
        if (std::isinf(g1) || std::isinf(g2)) {
            BOOST_CHECK_MESSAGE(g(i, 0) == (std::isinf(g1) ? T(INFINITY) : T(-INFINITY)), "d_mu " << where << ": " << g(i, 0));
        } else {
            failures += !expect<T>(g(i, 0), g1 - g2, 4 * eps * (g1 + g2), "d_mu " + where);
        }
    }
    BOOST_TEST(failures == 0u);
}

// log-sum-exp and log-mean-exp over every row of four entries drawn from {-inf, ±1e30, ±1e4,
// ±80, 0}: finite unless all entries are -inf (then exactly -inf, with a zero gradient), and
// within 4ε(|lse| + 1) of the truth; the softmax is finite, ≥ 0 and sums to 1 within 8ε.
BOOST_AUTO_TEST_CASE_TEMPLATE(log_sum_exp_sweep, T, float_types) {
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<double> vals = {-inf, -1e30, -1e4, -80, 0, 80, 1e4, 1e30};
    const std::size_t n = vals.size(), R = n * n * n * n;
    xt::xarray<T> x = xt::xarray<T>::from_shape({R, 4});
    for (std::size_t r = 0; r < R; ++r)
        for (std::size_t k = 0, q = r; k < 4; ++k, q /= n) x(r, k) = static_cast<T>(vals[q % n]);
    const auto l = gendiv::log_sum_exp(x);
    const auto m = gendiv::log_mean_exp(x);
    const auto g = gendiv::log_sum_exp_grad(x).x;
    const ld eps = eps_of<T>();
    std::size_t failures = 0;
    for (std::size_t r = 0; r < R; ++r) {
        ld mx = -std::numeric_limits<ld>::infinity();
        for (std::size_t k = 0; k < 4; ++k) mx = std::fmax(mx, ld(x(r, k)));
        ld truth = mx;
        if (std::isfinite(mx)) {
            ld s = 0;
            for (std::size_t k = 0; k < 4; ++k) s += std::exp(ld(x(r, k)) - mx);
            truth = mx + std::log(s);
        }
        const std::string where = "row " + std::to_string(r);
        failures += !expect<T>(l(r), truth, 4 * eps * (std::fabs(truth) + 1), "lse " + where);
        failures += !expect<T>(m(r), truth - std::log(4.0L), 4 * eps * (std::fabs(truth) + 2), "lme " + where);
        ld sum = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const bool ok = std::isfinite(g(r, k)) && g(r, k) >= 0;
            failures += !ok;
            sum += g(r, k);
        }
        const ld want = std::isfinite(truth) ? 1 : 0;
        failures += !expect<T>(static_cast<T>(sum), want, 8 * eps, "softmax sum " + where);
    }
    BOOST_TEST(failures == 0u);
}

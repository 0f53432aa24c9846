// tests/test_simd_exp.cpp: detail/simd_exp.hpp (e^x for batches of double and of float) against
// long double expl (double exp for float) over a sweep of the fast path's whole range, at its edges and at the reductions'
// boundaries, for both reductions where the machine has them (exp_table16 on AVX-512 and
// exp_taylor, the latter through AVX2 or SSE2 batches); the specials and the fallback to
// xsimd::exp; and that the kernels' unqualified calls pick this overload (the speed-up it exists
// for).
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "gendiv/detail/math.hpp"
#include "support/numeric.hpp"

namespace {

using B = xsimd::batch<double>;
using FB = xsimd::batch<float>;
constexpr double inf = std::numeric_limits<double>::infinity();

/// |got - e^x| in units of the last place of the double nearest e^x (long double reference).
double ulp_error(double x, double got) {
    return gendiv::test::ulp_error(expl(static_cast<long double>(x)), got);
}

/// The batch types whose exp is tested: the default one, and a narrower one that takes the
/// other reduction (exp_taylor) where the default takes exp_table16.
#if defined(__AVX512F__)
using narrow_batch = xsimd::batch<double, xsimd::avx2>;
#else
using narrow_batch = B;  // the default already takes exp_taylor
#endif

/// Runs gendiv::detail::exp over xs in batches of V (padding the tail with zeros) and returns the
/// lanes, one per x.
template <class V = B>
std::vector<double> batch_exp(std::vector<double> xs) {
    const std::size_t n = xs.size();
    while (xs.size() % V::size) xs.push_back(0.0);
    std::vector<double> out(xs.size());
    for (std::size_t i = 0; i < xs.size(); i += V::size)
        gendiv::detail::exp(V::load_unaligned(&xs[i])).store_unaligned(&out[i]);
    out.resize(n);
    return out;
}

/// The largest ulp error over xs, and where.
struct worst_case {
    double ulp = 0, at = 0;
};
template <class V>
worst_case worst_of(const std::vector<double>& xs) {
    const auto got = batch_exp<V>(xs);
    worst_case w;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double e = ulp_error(xs[i], got[i]);
        if (e > w.ulp) w = {e, xs[i]};
    }
    return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE(within_one_ulp_over_the_fast_path) {
    std::vector<double> xs;
    for (long i = -1000000; i <= 1000000; ++i) xs.push_back(707.99 * static_cast<double>(i) / 1e6);
    for (long i = -200000; i <= 200000; ++i) xs.push_back(static_cast<double>(i) * 1e-6);  // near 0
    // Either side of the reductions' switch points x = (k + 1/2) ln 2 / N, N = 1 (exp_taylor)
    // and N = 16 (exp_table16), where |r| is largest.
    for (int k = -16 * 1021; k <= 16 * 1020; ++k) {
        const double x = (k + 0.5) * 0.69314718055994530942 / 16;
        for (double d : {-1e-9, -1e-15, 0.0, 1e-15, 1e-9})
            if (std::fabs(x + d) < 708) xs.push_back(x + d);
    }
    const auto w = worst_of<B>(xs);
    BOOST_TEST_MESSAGE("simd exp (" << B::arch_type::name() << "): max " << w.ulp << " ulp at x = "
                                    << w.at << " over " << xs.size() << " points");
    BOOST_TEST(w.ulp <= 1.0, "max error " << w.ulp << " ulp at x = " << w.at);
    const auto wn = worst_of<narrow_batch>(xs);
    BOOST_TEST_MESSAGE("simd exp (" << narrow_batch::arch_type::name() << "): max " << wn.ulp
                                    << " ulp at x = " << wn.at);
    BOOST_TEST(wn.ulp <= 1.0, "max error " << wn.ulp << " ulp at x = " << wn.at);
#if defined(__AVX512F__)
    // The table reduction's bound is tighter (docs/math.md): a regression to one ulp shows here.
    BOOST_TEST(w.ulp <= 0.6, "exp_table16: max error " << w.ulp << " ulp at x = " << w.at);
#endif
}

// Each type once: Boost.Test refuses a list that names one type twice, as <B, narrow_batch>
// would where the default batch already takes exp_taylor.
#if defined(__AVX512F__)
using both_reductions = boost::mpl::list<B, narrow_batch>;
#else
using both_reductions = boost::mpl::list<B>;
#endif

BOOST_AUTO_TEST_CASE_TEMPLATE(exact_values_and_specials, V, both_reductions) {
    const auto got = batch_exp<V>({0.0, -0.0, 1.0, -1.0, 707.99, -707.99, inf, -inf});
    BOOST_TEST(got[0] == 1.0);
    BOOST_TEST(got[1] == 1.0);
    BOOST_TEST(ulp_error(1.0, got[2]) <= 1.0);
    BOOST_TEST(ulp_error(-1.0, got[3]) <= 1.0);
    BOOST_TEST(ulp_error(707.99, got[4]) <= 1.0);
    BOOST_TEST(ulp_error(-707.99, got[5]) <= 1.0);
    BOOST_TEST(got[6] == inf);
    BOOST_TEST(got[7] == 0.0);
    const auto nan = batch_exp<V>({std::numeric_limits<double>::quiet_NaN()});
    BOOST_TEST(std::isnan(nan[0]));
    // Tiny arguments: e^x = 1 + x to double precision.
    const auto tiny = batch_exp<V>({1e-300, -1e-300, 1e-17, -1e-17});
    for (double v : tiny) BOOST_TEST(v == 1.0);
}

BOOST_AUTO_TEST_CASE(outside_the_fast_path_is_xsimd_exp_bit_for_bit) {
    // |x| >= 708, infinities and NaN send the whole batch to xsimd::exp: every lane of such a
    // batch must equal xsimd's result, including the ordinary lanes beside the special one.
    // (Subnormal results and the top of the range are the exceptions, tested below: xsimd
    // returns 0 and +inf there.)
    const double specials[] = {708.0, 709.3, 709.8, 1e300, -708.0, -708.3, -758.0, -1e300,
                               inf, -inf, std::numeric_limits<double>::quiet_NaN()};
    for (double s : specials) {
        alignas(64) double lanes[B::size];
        for (std::size_t k = 0; k < B::size; ++k) lanes[k] = 0.37 * static_cast<double>(k) - 1.0;
        lanes[B::size - 1] = s;
        const B x = B::load_aligned(lanes);
        alignas(64) double ours[B::size], theirs[B::size];
        gendiv::detail::exp(x).store_aligned(ours);
        xsimd::exp(x).store_aligned(theirs);
        for (std::size_t k = 0; k < B::size; ++k) {
            if (std::isnan(theirs[k]))
                BOOST_TEST(std::isnan(ours[k]));
            else
                BOOST_TEST(ours[k] == theirs[k], "x = " << lanes[k] << " beside " << s);
        }
    }
    const auto edge = batch_exp({709.8, -746.0});
    BOOST_TEST(edge[0] == inf);
    BOOST_TEST(edge[1] == 0.0);
}

/// Whether batches of V take exp_table16 (and exp_raised_below exp_table16_sum_term).
template <class V>
constexpr bool takes_table16 =
#if defined(__AVX512F__)
    std::is_base_of_v<xsimd::avx512f, typename V::arch_type>;
#else
    false;
#endif

BOOST_AUTO_TEST_CASE_TEMPLATE(raised_below_is_exp_above_minus_708, V, both_reductions) {
    // exp_raised_below (the log-sum-exp terms): on (-708, 708) bit for bit gendiv's exp where it
    // takes exp_taylor, and within 1.3 ulp of e^x (1.22 measured) where it takes
    // exp_table16_sum_term (the sweep and the reduction's switch points as in
    // within_one_ulp_over_the_fast_path); e^0 = 1 exactly; e^-708 within an ulp at -708 and for
    // anything below (-inf included), NaN for NaN, and no lane affects another. (gendiv's exp
    // sends a batch holding -708 to xsimd::exp, so -708 itself is compared with long double, not
    // with that exp.)
    std::vector<double> xs;
    for (long i = -99999; i < 100000; ++i) xs.push_back(708.0 * static_cast<double>(i) / 1e5);
    for (long i = -20000; i <= 20000; ++i) xs.push_back(static_cast<double>(i) * 1e-6);  // near 0
    for (int k = -16 * 1021; k <= 16 * 1020; ++k) {
        const double x = (k + 0.5) * 0.69314718055994530942 / 16;
        for (double d : {-1e-15, 0.0, 1e-15})
            if (std::fabs(x + d) < 708) xs.push_back(x + d);
    }
    xs.push_back(std::nextafter(-708.0, 0.0));
    xs.push_back(707.99);
    while (xs.size() % V::size) xs.push_back(0.0);
    const auto want = batch_exp<V>(xs);
    std::size_t differing = 0;
    worst_case w;
    for (std::size_t i = 0; i < xs.size(); i += V::size) {
        alignas(64) double got[V::size];
        gendiv::detail::exp_raised_below(V::load_unaligned(&xs[i])).store_aligned(got);
        for (std::size_t k = 0; k < V::size; ++k) {
            differing += got[k] != want[i + k];
            const double e = ulp_error(xs[i + k], got[k]);
            if (e > w.ulp) w = {e, xs[i + k]};
        }
    }
    BOOST_TEST_MESSAGE("exp_raised_below (" << V::arch_type::name() << "): max " << w.ulp << " ulp at x = " << w.at);
    if constexpr (takes_table16<V>)
        BOOST_TEST(w.ulp <= 1.3, "max error " << w.ulp << " ulp at x = " << w.at);
    else
        BOOST_TEST(differing == 0u);
    BOOST_TEST(gendiv::detail::exp_raised_below(V(0.0)).get(0) == 1.0);
    const double e708 = gendiv::detail::exp_raised_below(V(-708.0)).get(0);
    BOOST_TEST(e708 > 0.0);
    BOOST_TEST(ulp_error(-708.0, e708) <= 1.0);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (double s : {-708.5, -745.2, -1e300, -inf, nan}) {
        alignas(64) double lanes[V::size], got[V::size];
        for (std::size_t k = 0; k < V::size; ++k) lanes[k] = -0.37 * static_cast<double>(k);
        lanes[V::size - 1] = s;
        gendiv::detail::exp_raised_below(V::load_aligned(lanes)).store_aligned(got);
        for (std::size_t k = 0; k + 1 < V::size; ++k)
            BOOST_TEST(got[k] == gendiv::detail::exp_raised_below(V(lanes[k])).get(0), "lane " << k << " beside " << s);
        if (std::isnan(s))
            BOOST_TEST(std::isnan(got[V::size - 1]));
        else
            BOOST_TEST(got[V::size - 1] == e708, "x = " << s);
    }
}

namespace gendiv::detail {
// A kernel-style call: unqualified, from inside gendiv::detail, on a dependent type, the way
// gendiv's kernels (kernels.hpp, lse_row.hpp, f_divergence_kernels.hpp) call exp.
template <class V>
V call_exp_as_kernels_do(const V& v) {
    return exp(v);
}
template <class V>
V call_fma_as_kernels_do(const V& a, const V& b, const V& c) {
    return fma(a, b, c);
}
template <class V>
V call_log_as_kernels_do(const V& v) {
    return log(v);
}
template <class V>
V call_expm1_as_kernels_do(const V& v) {
    return expm1(v);
}
}  // namespace gendiv::detail

#if defined(__AVX512F__)
using fma_batches = boost::mpl::list<B, narrow_batch, FB>;
#else
using fma_batches = boost::mpl::list<B, FB>;
#endif

// Only where the target has the instruction (GENDIV_NATIVE builds on x86-64 since Haswell): a
// build without FMA (-mno-fma, plain x86-64) has no single-rounding multiply-add in registers,
// and the kernels' fma is then a multiply and an add.
#if defined(__FMA__) || defined(__AVX512F__)
BOOST_AUTO_TEST_CASE_TEMPLATE(kernels_fma_rounds_once, V, fma_batches) {
    // (1 + 2^-h)(1 - 2^-h) - 1 = -2^-2h exactly with one rounding, 0 with two (the product rounds
    // to 1). xsimd 8.1's fma for AVX-512 batches is a multiply and an add, which clang does not
    // fuse; the kernels' unqualified call must reach gendiv's overload and the instruction.
    using T = typename V::value_type;
    const int h = std::is_same_v<T, float> ? 13 : 30;
    const T e = std::ldexp(T(1), -h);
    const V got = gendiv::detail::call_fma_as_kernels_do(V(1 + e), V(1 - e), V(T(-1)));
    for (std::size_t k = 0; k < V::size; ++k) BOOST_TEST(got.get(k) == -e * e);
}
#endif

BOOST_AUTO_TEST_CASE(kernels_call_this_overload) {
    // Where gendiv's exp and xsimd's differ in the last bit, the kernel-style call must give
    // gendiv's; scan until such an argument turns up (most do not differ).
    std::size_t differing = 0;
    for (int i = 1; i < 4000 && differing < 8; ++i) {
        const B x(0.001 * i - 2.0);
        const double via_kernel = gendiv::detail::call_exp_as_kernels_do(x).get(0);
        const double ours = gendiv::detail::exp(x).get(0);
        const double theirs = xsimd::exp(x).get(0);
        BOOST_TEST(via_kernel == ours);
        if (ours != theirs) ++differing;
    }
    BOOST_TEST(differing > 0u, "no argument tells the two exps apart; the check above is empty");
    // Floats: gendiv's overload as well (on AVX-512 exp_table16, elsewhere xsimd::exp itself).
    std::size_t differing_f = 0;
    for (int i = 1; i < 4000; ++i) {
        const FB x(0.001f * static_cast<float>(i) - 2.0f);
        const float via_kernel = gendiv::detail::call_exp_as_kernels_do(x).get(0);
        BOOST_TEST(via_kernel == gendiv::detail::exp(x).get(0));
        differing_f += via_kernel != xsimd::exp(x).get(0);
    }
    if (gendiv::detail::float_exp_table<FB::arch_type>)
        BOOST_TEST(differing_f > 0u, "no float argument tells the two exps apart");
    else
        BOOST_TEST(differing_f == 0u);
}

// ---- batches of float (exp_table16 on AVX-512, xsimd::exp elsewhere) ----

namespace {

/// |got - e^x| in ulps of float; e^x in double is exact to 2^-53 relative, far below a float ulp.
double ulp_error_f(float x, float got) {
    return gendiv::test::ulp_error(static_cast<long double>(std::exp(static_cast<double>(x))), got);
}

/// The largest ulp error of gendiv::detail::exp (of `f`) over the floats whose bits run from
/// `from` up to (not including) `to`, every `stride`-th one, for one sign.
template <class F = FB (*)(const FB&)>
worst_case worst_over_floats(std::uint32_t from, std::uint32_t to, std::uint32_t stride, bool negative,
                             F f = [](const FB& v) { return gendiv::detail::exp(v); }) {
    worst_case w;
    alignas(64) float xs[FB::size], ys[FB::size];
    std::size_t k = 0;
    const auto flush = [&] {
        f(FB::load_aligned(xs)).store_aligned(ys);
        for (std::size_t l = 0; l < k; ++l) {
            const double e = ulp_error_f(xs[l], ys[l]);
            if (e > w.ulp) w = {e, xs[l]};
        }
        k = 0;
    };
    for (std::uint64_t b = from; b < to; b += stride) {
        const std::uint32_t bits = static_cast<std::uint32_t>(b) | (negative ? 0x80000000u : 0u);
        std::memcpy(&xs[k], &bits, sizeof bits);
        if (++k == FB::size) flush();
    }
    for (std::size_t l = k; l < FB::size; ++l) xs[l] = 0.0f;
    if (k > 0) flush();
    return w;
}

std::uint32_t bits_of(float x) {
    std::uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

/// FLT_MAX plus half an ulp: a float result rounds to +inf from here on.
constexpr double float_overflow_at = 0x1.ffffffp127;

/// The top of the sweeps: exp_table16's fast range ends at 88.7, xsimd's float exp returns +inf
/// from 88.376 on.
const float high = gendiv::detail::float_exp_table<FB::arch_type> ? 88.7f : 88.37f;

/// The bound of this machine's float exp: exp_table16 measured 0.538 ulp over every float of its
/// range (float_exhaustive below); xsimd 8.1's float exp, which other architectures keep, 1.50
/// ulp in this sweep through AVX2 batches (1.46 through SSE4.2), so it is held to 1.6.
constexpr double float_bound = gendiv::detail::float_exp_table<FB::arch_type> ? 0.6 : 1.6;

/// The largest ulp error of `f` over every 61st float of -87.3 < x < high (about 3.7e7 of them:
/// all exponents, every significand pattern class), then every float near the switch points
/// x = (k + 1/2) ln 2 / 16.
template <class F>
worst_case worst_over_the_fast_path(F f) {
    const worst_case up = worst_over_floats(0, bits_of(high), 61, false, f);
    const worst_case down = worst_over_floats(0, bits_of(87.3f), 61, true, f);
    worst_case w = up.ulp > down.ulp ? up : down;
    for (int k = -2015; k <= 2047; k += 7) {
        const float x = static_cast<float>((k + 0.5) * 0.69314718055994530942 / 16);
        if (x >= high) break;
        const worst_case near = worst_over_floats(bits_of(std::fabs(x)) - 64, bits_of(std::fabs(x)) + 64, 1, x < 0, f);
        if (near.ulp > w.ulp) w = near;
    }
    return w;
}

/// exp_raised_below's bound on the fast path: exp_table16_sum_term measured 1.019 ulp over every
/// float of it (float_exhaustive, 2026-12-03); elsewhere exp_raised_below is xsimd's exp.
constexpr double float_sum_term_bound = gendiv::detail::float_exp_table<FB::arch_type> ? 1.05 : float_bound;

const auto raised_below_f = [](const FB& v) { return gendiv::detail::exp_raised_below(v); };

}  // namespace

BOOST_AUTO_TEST_CASE(float_within_bound_over_the_fast_path) {
    // (xsimd's own float exp returns +inf from 88.376 on, so elsewhere the sweep stops there.)
    const worst_case w = worst_over_the_fast_path([](const FB& v) { return gendiv::detail::exp(v); });
    BOOST_TEST_MESSAGE("simd exp (float, " << FB::arch_type::name() << "): max " << w.ulp
                                           << " ulp at x = " << w.at);
    BOOST_TEST(w.ulp <= float_bound, "max error " << w.ulp << " ulp at x = " << w.at);
}

// Every float of the fast range, 2.2e9 of them (74 s on one core here): run it with
// --run_test=float_exhaustive after changing the float exp. Measured on 2026-12-02 (AVX-512):
// max 0.538 ulp at x = -0.976357; exp_raised_below (exp_table16_sum_term) on 2026-12-03: max
// 1.019 ulp at x = -22.0292.
BOOST_AUTO_TEST_CASE(float_exhaustive, *boost::unit_test::disabled()) {
    const worst_case up = worst_over_floats(0, bits_of(high), 1, false);
    const worst_case down = worst_over_floats(0, bits_of(87.3f), 1, true);
    const worst_case w = up.ulp > down.ulp ? up : down;
    BOOST_TEST_MESSAGE("every float: max " << w.ulp << " ulp at x = " << w.at);
    BOOST_TEST(w.ulp <= float_bound);
    const worst_case tu = worst_over_floats(0, bits_of(high), 1, false, raised_below_f);
    const worst_case td = worst_over_floats(0, bits_of(87.3f), 1, true, raised_below_f);
    const worst_case t = tu.ulp > td.ulp ? tu : td;
    BOOST_TEST_MESSAGE("exp_raised_below, every float: max " << t.ulp << " ulp at x = " << t.at);
    BOOST_TEST(t.ulp <= float_sum_term_bound);
}

BOOST_AUTO_TEST_CASE(float_outside_the_fast_path_is_xsimd_exp_bit_for_bit) {
    const float finf = std::numeric_limits<float>::infinity();
    const float specials[] = {88.75f, 88.8f, 89.0f, 1e30f, -87.3f, -87.33f, -107.5f, -110.0f,
                              -1e30f, finf, -finf, std::numeric_limits<float>::quiet_NaN()};
    for (float s : specials) {
        alignas(64) float lanes[FB::size], ours[FB::size], theirs[FB::size];
        for (std::size_t k = 0; k < FB::size; ++k) lanes[k] = 0.37f * static_cast<float>(k) - 1.0f;
        lanes[FB::size - 1] = s;
        const FB x = FB::load_aligned(lanes);
        gendiv::detail::exp(x).store_aligned(ours);
        xsimd::exp(x).store_aligned(theirs);
        for (std::size_t k = 0; k < FB::size; ++k) {
            if (std::isnan(theirs[k]))
                BOOST_TEST(std::isnan(ours[k]));
            else
                BOOST_TEST(ours[k] == theirs[k], "x = " << lanes[k] << " beside " << s);
        }
    }
    // The edges of the fast range itself, from the inside: normal results within the bound.
    for (float x : {std::nextafter(high, 0.0f), std::nextafter(-87.3f, 0.0f)}) {
        const float got = gendiv::detail::exp(FB(x)).get(0);
        BOOST_TEST(std::isfinite(got));
        BOOST_TEST(got >= std::numeric_limits<float>::min());
        BOOST_TEST(ulp_error_f(x, got) <= float_bound, "x = " << x);
    }
    BOOST_TEST(gendiv::detail::exp(FB(0.0f)).get(0) == 1.0f);
    BOOST_TEST(gendiv::detail::exp(FB(-0.0f)).get(0) == 1.0f);
    BOOST_TEST(gendiv::detail::exp(FB(1e-30f)).get(0) == 1.0f);
}

BOOST_AUTO_TEST_CASE(float_raised_below_is_exp_above_minus_87) {
    // As raised_below_is_exp_above_minus_708, for float: on (-87.3, float_exp_fast_high) (88.7 on
    // AVX-512, 88.3 elsewhere) within float_sum_term_bound over worst_over_the_fast_path's floats
    // on AVX-512 (exp_table16_sum_term), bit for bit gendiv's exp elsewhere; e^0 = 1 exactly;
    // e^-87.3 for anything below (-inf included), NaN for NaN, lanes independent.
    if constexpr (gendiv::detail::float_exp_table<FB::arch_type>) {
        const worst_case w = worst_over_the_fast_path(raised_below_f);
        BOOST_TEST_MESSAGE("exp_raised_below (float): max " << w.ulp << " ulp at x = " << w.at);
        BOOST_TEST(w.ulp <= float_sum_term_bound, "max error " << w.ulp << " ulp at x = " << w.at);
    } else {
        std::size_t differing = 0;
        for (long i = -87299; i < 88300; i += 3) {
            const FB x(static_cast<float>(i) * 1e-3f + 0.0001f * static_cast<float>(i % 7));
            differing += gendiv::detail::exp_raised_below(x).get(0) != gendiv::detail::exp(x).get(0);
        }
        BOOST_TEST(differing == 0u);
    }
    BOOST_TEST(gendiv::detail::exp_raised_below(FB(0.0f)).get(0) == 1.0f);
    const float e87 = gendiv::detail::exp_raised_below(FB(-87.3f)).get(0);
    BOOST_TEST(e87 >= std::numeric_limits<float>::min());
    BOOST_TEST(ulp_error_f(-87.3f, e87) <= float_sum_term_bound);
    for (float s : {-87.31f, -100.0f, -1e30f, -std::numeric_limits<float>::infinity(),
                    std::numeric_limits<float>::quiet_NaN()}) {
        alignas(64) float lanes[FB::size], got[FB::size];
        for (std::size_t k = 0; k < FB::size; ++k) lanes[k] = -0.37f * static_cast<float>(k);
        lanes[FB::size - 1] = s;
        gendiv::detail::exp_raised_below(FB::load_aligned(lanes)).store_aligned(got);
        for (std::size_t k = 0; k + 1 < FB::size; ++k)
            BOOST_TEST(got[k] == gendiv::detail::exp_raised_below(FB(lanes[k])).get(0), "lane " << k << " beside " << s);
        if (std::isnan(s))
            BOOST_TEST(std::isnan(got[FB::size - 1]));
        else
            BOOST_TEST(got[FB::size - 1] == e87, "x = " << s);
    }
}

// Subnormal results: xsimd 8.1's exp returns 0 below about ln of the least normal number (double
// -708.40, float -87.34), where e^x is still a subnormal > 0 down to -745.13 (-103.97). gendiv's
// fallback takes the C library's exp for those lanes (in double for float): within 0.6 ulp (a
// subnormal spacing) of the true value, 0 beyond, for every lane whatever its neighbours.
BOOST_AUTO_TEST_CASE(subnormal_results) {
    double worst = 0, at = 0;
    std::size_t positive = 0;
    for (double x = -708.3; x > -746.0; x -= 0.00117) {
        alignas(64) double lanes[B::size], got[B::size];
        for (std::size_t k = 0; k < B::size; ++k) lanes[k] = k % 2 ? x : -1.0 - 0.1 * static_cast<double>(k);
        gendiv::detail::exp(B::load_aligned(lanes)).store_aligned(got);
        for (std::size_t k = 0; k < B::size; ++k) {
            const double e = ulp_error(lanes[k], got[k]);
            if (e > worst) worst = e, at = lanes[k];
        }
        positive += got[1] > 0;
    }
    BOOST_TEST_MESSAGE("subnormal double results: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= 0.6, "max " << worst << " ulp at x = " << at);
    BOOST_TEST(positive > 30000u);  // e^x > 0 down to -745.13: (745.13 - 708.3) / 0.00117 values
    BOOST_TEST(gendiv::detail::exp(B(-745.0)).get(0) == std::numeric_limits<double>::denorm_min());
    BOOST_TEST(gendiv::detail::exp(B(-745.2)).get(0) == 0.0);
    worst = 0;
    positive = 0;
    for (float x = -87.3f; x > -104.5f; x -= 0.000731f) {
        alignas(64) float lanes[FB::size], got[FB::size];
        for (std::size_t k = 0; k < FB::size; ++k) lanes[k] = k % 2 ? x : -1.0f - 0.1f * static_cast<float>(k);
        gendiv::detail::exp(FB::load_aligned(lanes)).store_aligned(got);
        for (std::size_t k = 0; k < FB::size; ++k) {
            const double e = ulp_error_f(lanes[k], got[k]);
            if (e > worst) worst = e, at = lanes[k];
        }
        positive += got[1] > 0;
    }
    BOOST_TEST_MESSAGE("subnormal float results: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= 0.6, "max " << worst << " ulp at x = " << at);
    BOOST_TEST(positive > 22000u);  // down to -103.97: (103.97 - 87.3) / 0.000731 values
    BOOST_TEST(gendiv::detail::exp(FB(-103.9f)).get(0) == std::numeric_limits<float>::denorm_min());
    BOOST_TEST(gendiv::detail::exp(FB(-104.0f)).get(0) == 0.0f);
}

// xsimd 8.1's exp returns +inf from x = 709.437 (float 88.376), while e^x stays below the largest
// finite value up to 709.7827 (float 88.7228); gendiv's exp gives the finite values (the C
// library's exp on those lanes, in double for float) and +inf only beyond. Every other lane is an
// ordinary value, to show the fix stays in its lanes (they keep xsimd's exp, ≤ 0.7 ulp in double
// and ≤ 1.5 in float, where their batch takes the fallback).
BOOST_AUTO_TEST_CASE(top_of_the_range) {
    double worst = 0, at = 0;
    std::size_t finite = 0;
    for (double x = 709.41; x < 709.79; x += 0.0001) {
        alignas(64) double lanes[B::size], got[B::size];
        for (std::size_t k = 0; k < B::size; ++k) lanes[k] = k % 2 ? x : 1.0 + 0.1 * static_cast<double>(k);
        gendiv::detail::exp(B::load_aligned(lanes)).store_aligned(got);
        for (std::size_t k = 0; k < B::size; ++k) {
            if (expl(static_cast<long double>(lanes[k])) > std::numeric_limits<double>::max()) {
                BOOST_TEST(got[k] == inf, "x = " << lanes[k]);
                continue;
            }
            const double e = ulp_error(lanes[k], got[k]);
            if (k % 2 == 0)  // an ordinary lane of a batch that took the fallback: xsimd's exp
                BOOST_TEST(e <= 1.0, "x = " << lanes[k] << ": " << e << " ulp");
            else if (e > worst)
                worst = e, at = lanes[k];
        }
        finite += std::isfinite(got[1]) && x > 709.44;
    }
    BOOST_TEST_MESSAGE("double results near overflow: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= 0.6, "max " << worst << " ulp at x = " << at);
    BOOST_TEST(finite > 3400u);  // finite up to 709.7827: (709.7827 - 709.44) / 0.0001 values
    BOOST_TEST(gendiv::detail::exp(B(709.5)).get(0) == std::exp(709.5));  // one lane alone
    BOOST_TEST(std::isfinite(gendiv::detail::exp(B(709.78)).get(0)));
    BOOST_TEST(gendiv::detail::exp(B(709.79)).get(0) == inf);
    worst = 0;
    finite = 0;
    for (float x = 88.2f; x < 88.75f; x += 0.00003f) {
        alignas(64) float lanes[FB::size], got[FB::size];
        for (std::size_t k = 0; k < FB::size; ++k) lanes[k] = k % 2 ? x : 1.0f + 0.1f * static_cast<float>(k);
        gendiv::detail::exp(FB::load_aligned(lanes)).store_aligned(got);
        for (std::size_t k = 0; k < FB::size; ++k) {
            const double want = std::exp(static_cast<double>(lanes[k]));
            if (want >= float_overflow_at) {
                BOOST_TEST(got[k] == std::numeric_limits<float>::infinity(), "x = " << lanes[k]);
                continue;
            }
            const double e = ulp_error_f(lanes[k], got[k]);
            if (k % 2 == 0)  // an ordinary lane, on the fast path or xsimd's exp in the fallback
                BOOST_TEST(e <= 1.6, "x = " << lanes[k] << ": " << e << " ulp");
            else if (e > worst)
                worst = e, at = lanes[k];
        }
        finite += std::isfinite(got[1]) && x > 88.38f;
    }
    BOOST_TEST_MESSAGE("float results near overflow: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= float_bound, "max " << worst << " ulp at x = " << at);
    BOOST_TEST(finite > 11000u);  // finite up to 88.7228: (88.7228 - 88.38) / 0.00003 values
    BOOST_TEST(std::isfinite(gendiv::detail::exp(FB(88.72f)).get(0)));
    BOOST_TEST(gendiv::detail::exp(FB(88.73f)).get(0) == std::numeric_limits<float>::infinity());
}

// xsimd 8.1's double log does not normalize subnormal arguments (log(4.9e-324) gave -746.52, not
// -744.44); gendiv's log for double batches scales them by 2^54 first. Every subnormal binade,
// 64 points in each, in every lane position, through the kernel-style call; the specials; and
// normal arguments bit for bit xsimd's.
BOOST_AUTO_TEST_CASE(log_of_subnormal_doubles) {
    double worst = 0, at = 0;
    for (int e = -1074; e < -1020; ++e)
        for (int j = 0; j < 64; ++j) {
            const double x = std::ldexp(1.0 + j / 64.0, e);  // rounds to a subnormal below 2^-1022
            alignas(64) double lanes[B::size], got[B::size];
            for (std::size_t k = 0; k < B::size; ++k) lanes[k] = k == static_cast<std::size_t>(j) % B::size ? x : 0.5 + k;
            gendiv::detail::call_log_as_kernels_do(B::load_aligned(lanes)).store_aligned(got);
            for (std::size_t k = 0; k < B::size; ++k) {
                const double u = gendiv::test::ulp_error(logl(static_cast<long double>(lanes[k])), got[k]);
                if (lanes[k] == x) {
                    if (u > worst) worst = u, at = x;
                } else {
                    BOOST_TEST(got[k] == xsimd::log(B(lanes[k])).get(0));
                }
            }
        }
    BOOST_TEST_MESSAGE("log of subnormal doubles: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= 1.0, "max " << worst << " ulp at x = " << at);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    BOOST_TEST(gendiv::detail::log(B(std::numeric_limits<double>::denorm_min())).get(0) ==
               std::log(std::numeric_limits<double>::denorm_min()));
    BOOST_TEST(gendiv::detail::log(B(0.0)).get(0) == -inf);
    BOOST_TEST(gendiv::detail::log(B(-0.0)).get(0) == -inf);
    BOOST_TEST(gendiv::detail::log(B(inf)).get(0) == inf);
    for (double bad : {-1e-310, -1.0, -inf, nan}) BOOST_TEST(std::isnan(gendiv::detail::log(B(bad)).get(0)));
    for (double x : {0x1p-1022, 1e-300, 0.5, 1.0, 3.0, 1e300}) BOOST_TEST(gendiv::detail::log(B(x)).get(0) == xsimd::log(B(x)).get(0));
}

// xsimd 8.1's expm1 returns +inf from 709.437 (float 88.376), where e^x - 1 (= e^x to the last
// bit) is finite up to 709.7827 (88.7228): gendiv's expm1 takes gendiv's exp there.
BOOST_AUTO_TEST_CASE(expm1_near_overflow) {
    double worst = 0, at = 0;
    for (double x = 709.0; x < 709.79; x += 0.0003) {
        const double got = gendiv::detail::call_expm1_as_kernels_do(B(x)).get(0);
        const long double want = expm1l(static_cast<long double>(x));
        if (want > std::numeric_limits<double>::max()) {
            BOOST_TEST(got == inf, "x = " << x);
            continue;
        }
        const double u = gendiv::test::ulp_error(want, got);
        if (u > worst) worst = u, at = x;
    }
    BOOST_TEST_MESSAGE("double expm1 near overflow: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= 1.0, "max " << worst << " ulp at x = " << at);
    BOOST_TEST(std::isfinite(gendiv::detail::expm1(B(709.78)).get(0)));
    BOOST_TEST(gendiv::detail::expm1(B(709.79)).get(0) == inf);
    worst = 0;
    for (float x = 88.0f; x < 88.75f; x += 0.0001f) {
        const float got = gendiv::detail::call_expm1_as_kernels_do(FB(x)).get(0);
        const double want = std::expm1(static_cast<double>(x));
        if (want >= float_overflow_at) {
            BOOST_TEST(got == std::numeric_limits<float>::infinity(), "x = " << x);
            continue;
        }
        const double u = gendiv::test::ulp_error(static_cast<long double>(want), got);
        if (u > worst) worst = u, at = x;
    }
    BOOST_TEST_MESSAGE("float expm1 near overflow: max " << worst << " ulp at x = " << at);
    BOOST_TEST(worst <= 1.6, "max " << worst << " ulp at x = " << at);
    BOOST_TEST(std::isfinite(gendiv::detail::expm1(FB(88.72f)).get(0)));
    BOOST_TEST(gendiv::detail::expm1(FB(88.73f)).get(0) == std::numeric_limits<float>::infinity());
    // below the threshold every lane is xsimd's, bit for bit, and a lane above it leaves the
    // others xsimd's
    alignas(64) double lanes[B::size], got[B::size];
    for (std::size_t k = 0; k < B::size; ++k) lanes[k] = 0.37 * static_cast<double>(k) - 1.0;
    lanes[B::size - 1] = 709.5;
    gendiv::detail::expm1(B::load_aligned(lanes)).store_aligned(got);
    for (std::size_t k = 0; k + 1 < B::size; ++k) BOOST_TEST(got[k] == xsimd::expm1(B(lanes[k])).get(0));
    BOOST_TEST(got[B::size - 1] == gendiv::detail::exp(B(709.5)).get(0));
}

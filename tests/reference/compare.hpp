// tests/reference/compare.hpp: comparing gendiv's results with the mpmath reference values of
// core_reference.hpp and building inputs from them; with support/errors.hpp's GENDIV_CHECK_ERROR.
// Used by test_log_sum_exp, test_likelihood, test_kl, test_grid_sweep and test_estimators.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

#include "gendiv/detail/error.hpp"
#include "support/errors.hpp"

namespace gendiv::test {

/// A (1, D) array of T from reference inputs (exact: the float rows are exact in binary32).
template <class T>
xt::xarray<T> row_of(const std::vector<double>& v) {
    xt::xarray<T> a = xt::xarray<T>::from_shape({1, v.size()});
    for (std::size_t i = 0; i < v.size(); ++i) a(0, i) = static_cast<T>(v[i]);
    return a;
}

/// An array of T of the given shape from a flat row-major list of reference inputs.
template <class T>
xt::xarray<T> array_of(const std::vector<double>& v, const std::vector<std::size_t>& shape) {
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    BOOST_TEST_REQUIRE(a.size() == v.size());
    for (std::size_t i = 0; i < v.size(); ++i) a.flat(i) = static_cast<T>(v[i]);
    return a;
}

/// Machine epsilon of T as a double.
template <class T>
constexpr double eps_of() {
    return static_cast<double>(std::numeric_limits<T>::epsilon());
}

/// Checks |actual - expected| ≤ rel·|expected| + min_normal(T), where `rel` is a relative
/// tolerance. Infinite expectations must match exactly; NaN never matches. The absolute floor of
/// the smallest normal number of T lets a reference below T's range (e^{-1e4}, a softmax weight
/// of 1e-435) be met by 0 or a subnormal. Returns the relative error for reporting.
template <class T>
double check_close(T actual, double expected, double rel, const std::string& what) {
    const double a = static_cast<double>(actual);
    if (std::isinf(expected)) {
        BOOST_CHECK_MESSAGE(a == expected, what << ": got " << a << ", expected " << expected);
        return a == expected ? 0.0 : INFINITY;
    }
    const double err = std::abs(a - expected);
    const double floor = static_cast<double>(std::numeric_limits<T>::min());
    BOOST_CHECK_MESSAGE(std::isfinite(a) && err <= rel * std::abs(expected) + floor,
                        what << ": got " << a << ", expected " << expected << ", relative error "
                             << err / std::abs(expected) << " > " << rel << " ("
                             << err / std::abs(expected) / eps_of<T>() << " eps of the type)");
    return expected == 0 ? err : err / std::abs(expected);
}

/// Checks |actual - expected| ≤ abs_tol (for values that are themselves the result of a
/// cancellation, whose error budget is set by the size of the cancelled terms).
template <class T>
void check_abs(T actual, double expected, double abs_tol, const std::string& what) {
    const double a = static_cast<double>(actual);
    BOOST_CHECK_MESSAGE(std::abs(a - expected) <= abs_tol,
                        what << ": got " << a << ", expected " << expected << ", error "
                             << std::abs(a - expected) << " > " << abs_tol);
}

/// check_close for every element of `actual` against a flat list of expectations.
template <class A>
void check_all_close(const A& actual, const std::vector<double>& expected, double rel,
                     const std::string& what) {
    using T = typename A::value_type;
    BOOST_TEST_REQUIRE(actual.size() == expected.size());
    std::size_t i = 0;
    for (auto v : actual) {
        check_close<T>(v, expected[i], rel, what + "[" + std::to_string(i) + "]");
        ++i;
    }
}

}  // namespace gendiv::test

// tests/support/numeric.hpp: helpers shared by gendiv's tests: finite-difference gradients,
// the relative gradient error used by mlpack (‖g−ĝ‖/‖g+ĝ‖), ulp distances and seeded data.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <type_traits>

#include <xtensor/xarray.hpp>

namespace gendiv::test {

/// ‖g − h‖₂ / ‖g + h‖₂, and 0 when both are zero. Small (≲1e-7 for FD in double) means agree.
template <class A, class B>
double relative_error(const A& g, const B& h) {
    double num = 0, den = 0;
    auto it = h.begin();
    for (auto v : g) {
        const double a = static_cast<double>(v), b = static_cast<double>(*it++);
        num += (a - b) * (a - b);
        den += (a + b) * (a + b);
    }
    if (den == 0) return std::sqrt(num);
    return std::sqrt(num / den);
}

/// Central finite differences of a scalar function f(x) with respect to every entry of x,
/// with step h·max(1, |x_i|).
template <class F>
xt::xarray<double> numeric_gradient(F&& f, xt::xarray<double> x, double h = 1e-6) {
    xt::xarray<double> g = xt::zeros<double>(x.shape());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double x0 = x.flat(i);
        const double step = h * std::max(1.0, std::abs(x0));
        x.flat(i) = x0 + step;
        const double fp = f(x);
        x.flat(i) = x0 - step;
        const double fm = f(x);
        x.flat(i) = x0;
        g.flat(i) = (fp - fm) / (2 * step);
    }
    return g;
}

/// Distance in units in the last place between two finite values of the same sign class
/// (monotone integer mapping of IEEE values; equal values give 0).
template <class T>
std::int64_t ulp_distance(T a, T b) {
    static_assert(std::is_floating_point_v<T>);
    using I = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
    auto key = [](T v) {
        I i;
        std::memcpy(&i, &v, sizeof v);
        return i < 0 ? static_cast<std::int64_t>(std::numeric_limits<I>::min()) - i
                     : static_cast<std::int64_t>(i);
    };
    if (a == b) return 0;
    const std::int64_t d = key(a) - key(b);
    return d < 0 ? -d : d;
}

/// |got − ref| in units of the last place of the T nearest ref, for a reference computed in
/// long double (fractional: 0.5 means half an ulp).
template <class T>
double ulp_error(long double ref, T got) {
    static_assert(std::is_floating_point_v<T>);
    const T r = static_cast<T>(ref);
    const long double ulp = std::nextafter(r, std::numeric_limits<T>::infinity()) - r;
    return static_cast<double>(std::fabs(static_cast<long double>(got) - ref) / ulp);
}

/// An array of the given shape with entries uniform in [lo, hi), from a fixed seed.
template <class T = double>
xt::xarray<T> uniform(const std::vector<std::size_t>& shape, double lo, double hi,
                      std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> d(lo, hi);
    xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
    for (auto& v : a) v = static_cast<T>(d(rng));
    return a;
}

}  // namespace gendiv::test

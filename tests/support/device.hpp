// tests/support/device.hpp: helpers shared by the device tests (test_device.cpp,
// test_device_objectives.cpp): copies between xtensor arrays and Thrust vectors, and the
// comparisons of device results with the host path, with their error bounds.
#pragma once

#include <thrust/device_vector.h>
#include <thrust/host_vector.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>
#include <xtensor/xarray.hpp>

#include "gendiv/detail/error.hpp"
#include "support/errors.hpp"
#include "support/numeric.hpp"

namespace gendiv::test {

template <class T>
thrust::device_vector<T> to_device(const xt::xarray<T>& a) {
    return thrust::device_vector<T>(a.begin(), a.end());
}

template <class T>
std::vector<T> to_host(const thrust::device_vector<T>& d) {
    thrust::host_vector<T> h = d;
    return std::vector<T>(h.begin(), h.end());
}

/// Both NaN, or equal (the same infinity): the non-finite patterns must match exactly.
inline bool same_non_finite(double d, double h) { return (std::isnan(d) && std::isnan(h)) || d == h; }

/// Two results that must be identical: equal element by element, NaN where the other is NaN.
template <class T>
bool same_values(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!same_non_finite(a[i], b[i])) return false;
    return true;
}

/// Row sums: |device − host| ≤ rel·max(1, |host|); NaN/inf patterns must match exactly.
template <class T, class A>
void check_close(const std::vector<T>& dev, const A& host, double rel) {
    BOOST_REQUIRE_EQUAL(dev.size(), host.size());
    for (std::size_t i = 0; i < dev.size(); ++i) {
        const double d = dev[i], h = host(i);
        if (std::isnan(h) || std::isinf(h)) {
            BOOST_CHECK_MESSAGE(same_non_finite(d, h), "row " << i << ": device " << d << " host " << h);
            continue;
        }
        BOOST_CHECK_MESSAGE(std::abs(d - h) <= rel * std::max(1.0, std::abs(h)),
                            "row " << i << ": device " << d << " host " << h);
    }
}

/// Sums in another order: |device − host| ≤ rel·scale[i], where scale[i] is the sum of the
/// absolute values of the terms (the classical bound for reordered summation is
/// (n − 1)·ε·Σ|terms|); NaN/inf patterns must match exactly.
template <class T, class A>
void check_close_scaled(const std::vector<T>& dev, const A& host, const std::vector<double>& scale,
                        double rel) {
    BOOST_REQUIRE_EQUAL(dev.size(), host.size());
    BOOST_REQUIRE_EQUAL(dev.size(), scale.size());
    for (std::size_t i = 0; i < dev.size(); ++i) {
        const double d = dev[i], h = host.flat(i);
        if (!std::isfinite(h)) {
            BOOST_CHECK_MESSAGE(same_non_finite(d, h), "row " << i << ": device " << d << " host " << h);
            continue;
        }
        BOOST_CHECK_MESSAGE(std::abs(d - h) <= rel * scale[i] + std::numeric_limits<T>::min(),
                            "row " << i << ": device " << d << " host " << h << " bound "
                                   << rel * scale[i]);
    }
}

/// Element-wise results of the same kernel on the same inputs: equal up to how the compiler
/// contracted a·b + c into FMAs in the scalar (device) and SIMD (host) loops, i.e. 4 ulp of
/// the result, or 8ε of the array's largest finite magnitude where the result comes from a
/// cancellation. NaN/inf patterns must match exactly.
template <class T, class A>
void check_elementwise(const std::vector<T>& dev, const A& host) {
    BOOST_REQUIRE_EQUAL(dev.size(), host.size());
    double scale = 0;
    for (std::size_t i = 0; i < dev.size(); ++i)
        if (std::isfinite(static_cast<double>(host.flat(i))))
            scale = std::max(scale, std::abs(static_cast<double>(host.flat(i))));
    const double eps = std::numeric_limits<T>::epsilon();
    for (std::size_t i = 0; i < dev.size(); ++i) {
        const double d = dev[i], h = host.flat(i);
        if (!std::isfinite(h)) {
            BOOST_CHECK_MESSAGE(same_non_finite(d, h), "entry " << i << ": device " << d << " host " << h);
            continue;
        }
        BOOST_CHECK_MESSAGE(ulp_distance(dev[i], static_cast<T>(host.flat(i))) <= 4 ||
                                std::abs(d - h) <= 8 * eps * scale,
                            "entry " << i << ": device " << d << " host " << h);
    }
}

/// The relative bound for a row of n terms summed in another order (4nε).
template <class T>
double row_tol(std::size_t n) {
    return 4.0 * static_cast<double>(n) * std::numeric_limits<T>::epsilon();
}

}  // namespace gendiv::test

// Tests of gendiv/nn/activation.hpp and detail/activation_kernels.hpp: values against closed
// forms, first and second derivatives (taken from the outputs) against central finite
// differences in double on random and extreme inputs, the SIMD loops against the scalar
// functors, the fused bias passes, NaN propagation, parsing and errors.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "gendiv/nn/activation.hpp"
#include "support/errors.hpp"
#include "support/numeric.hpp"

using gendiv::nn::activation;
namespace gt = gendiv::test;

namespace {

std::vector<activation> all_activations() {
    return {activation::identity(),        activation::relu(),        activation::leaky_relu(),
            activation::leaky_relu(0.2),   activation::elu(),         activation::elu(0.5),
            activation::tanh(),            activation::sigmoid()};
}

// Random points in [-4, 4] plus extreme ones, kept at least 1e-3 away from the kink at 0
// (relu and leaky_relu are not differentiable there and FD would straddle it).
xt::xarray<double> test_points(std::uint64_t seed) {
    const double extreme[] = {-40.0, -25.0, -12.0, -7.5, 7.5, 12.0, 25.0, 40.0, -1e-2, 1e-2};
    const xt::xarray<double> r = gt::uniform({200}, -4.0, 4.0, seed);
    xt::xarray<double> x = xt::zeros<double>({210});
    for (std::size_t i = 0; i < 200; ++i) x(i) = std::abs(r(i)) < 1e-3 ? std::copysign(1e-3, r(i)) : r(i);
    for (std::size_t i = 0; i < 10; ++i) x(200 + i) = extreme[i];
    return x;
}

double value_at(const activation& a, double x) {
    double y;
    gendiv::nn::activation_forward(a, &x, &y, 1);
    return y;
}
double derivative_at(const activation& a, double x) {
    const double y = value_at(a, x);
    double d;
    gendiv::nn::activation_derivative(a, &y, &d, 1);
    return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(values_match_closed_forms) {
    // Closed forms evaluated with <cmath> in double.
    const double xs[] = {-3.0, -0.5, 0.0, 0.25, 2.0};
    for (double x : xs) {
        BOOST_TEST(value_at(activation::identity(), x) == x);
        BOOST_TEST(value_at(activation::relu(), x) == (x > 0 ? x : 0.0));
        BOOST_TEST(value_at(activation::leaky_relu(0.2), x) == (x > 0 ? x : 0.2 * x));
        BOOST_TEST(value_at(activation::elu(), x) == (x > 0 ? x : std::expm1(x)),
                   boost::test_tools::tolerance(1e-15));
        BOOST_TEST(value_at(activation::elu(0.5), x) == (x > 0 ? x : 0.5 * std::expm1(x)),
                   boost::test_tools::tolerance(1e-15));
        BOOST_TEST(value_at(activation::tanh(), x) == std::tanh(x), boost::test_tools::tolerance(1e-15));
        BOOST_TEST(value_at(activation::sigmoid(), x) == 1.0 / (1.0 + std::exp(-x)),
                   boost::test_tools::tolerance(1e-15));
    }
    // Saturation without overflow.
    BOOST_TEST(value_at(activation::sigmoid(), -800.0) == 0.0);
    BOOST_TEST(value_at(activation::sigmoid(), 800.0) == 1.0);
    BOOST_TEST(value_at(activation::elu(), -800.0) == -1.0);
    BOOST_TEST(value_at(activation::tanh(), -800.0) == -1.0);
}

BOOST_AUTO_TEST_CASE(derivative_from_output_matches_finite_differences) {
    for (const auto& a : all_activations()) {
        const auto x = test_points(11);
        xt::xarray<double> analytic = xt::zeros<double>(x.shape());
        for (std::size_t i = 0; i < x.size(); ++i) analytic(i) = derivative_at(a, x(i));
        // FD of f at each point separately (f is element-wise).
        xt::xarray<double> fd = xt::zeros<double>(x.shape());
        for (std::size_t i = 0; i < x.size(); ++i) {
            auto f = [&](const xt::xarray<double>& v) { return value_at(a, v(0)); };
            fd(i) = gt::numeric_gradient(f, xt::xarray<double>({x(i)}), 1e-6)(0);
        }
        const double err = gt::relative_error(analytic, fd);
        BOOST_TEST_INFO(a.name());
        BOOST_TEST(err < 1e-8);
    }
}

BOOST_AUTO_TEST_CASE(second_derivative_from_output_matches_finite_differences) {
    for (const auto& a : all_activations()) {
        const auto x = test_points(12);
        xt::xarray<double> analytic = xt::zeros<double>(x.shape());
        xt::xarray<double> fd = xt::zeros<double>(x.shape());
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double y = value_at(a, x(i));
            gendiv::nn::activation_second_derivative(a, &y, &analytic(i), 1);
            auto f = [&](const xt::xarray<double>& v) { return derivative_at(a, v(0)); };
            fd(i) = gt::numeric_gradient(f, xt::xarray<double>({x(i)}), 1e-5)(0);
        }
        const double err = gt::relative_error(analytic, fd);
        BOOST_TEST_INFO(a.name());
        // Piecewise-linear activations: both sides are exactly 0 away from the kink.
        BOOST_TEST(err < 1e-7);
    }
}

BOOST_AUTO_TEST_CASE(derivatives_at_kink_take_left_branch_like_pytorch) {
    BOOST_TEST(derivative_at(activation::relu(), 0.0) == 0.0);
    BOOST_TEST(derivative_at(activation::leaky_relu(0.2), 0.0) == 0.2);
    BOOST_TEST(derivative_at(activation::elu(0.5), 0.0) == 0.5);
    BOOST_TEST(derivative_at(activation::elu(), 1e-300) == 1.0);
    // A NaN output passes the upstream gradient (PyTorch's threshold_backward: y <= 0 ? 0 : g);
    // relu's derivative used to be 0 there, hiding the NaN.
    BOOST_TEST(derivative_at(activation::relu(), std::nan("")) == 1.0);
}

BOOST_AUTO_TEST_CASE(simd_loops_match_scalar_functors_in_float) {
    // 37 values: full AVX batches of 8 floats plus a scalar tail.
    const auto xd = gt::uniform<float>({37}, -6.0, 6.0, 3);
    for (const auto& a : all_activations()) {
        std::vector<float> y(37), d(37), d2(37), dy(37, 0.5f), dx(37);
        gendiv::nn::activation_forward(a, xd.data(), y.data(), 37);
        gendiv::nn::activation_derivative(a, y.data(), d.data(), 37);
        gendiv::nn::activation_second_derivative(a, y.data(), d2.data(), 37);
        gendiv::nn::activation_backward(a, y.data(), dy.data(), dx.data(), 37);
        for (std::size_t i = 0; i < 37; ++i) {
            // Double reference for the value; float results within a few ulp.
            const double ref = value_at(a, static_cast<double>(xd(i)));
            BOOST_TEST_INFO(a.name() << " x=" << xd(i));
            BOOST_TEST(gt::ulp_distance(y[i], static_cast<float>(ref)) <= 4);
            float ys = y[i], ds = 0, d2s = 0;
            gendiv::nn::visit(a, [&](auto act) {
                ds = act.derivative(ys);
                d2s = act.second_derivative(ys);
            });
            // The derivative forms cancel (1 - y², y + a): whether the compiler contracts them
            // into an FMA differs between the SIMD body and the scalar code, so they agree to a
            // few ulp of 1 (absolute), not of the result.
            const float tol = 4 * std::numeric_limits<float>::epsilon();
            BOOST_TEST(std::abs(d[i] - ds) <= tol * std::max(1.0f, std::abs(ds)));
            BOOST_TEST(std::abs(d2[i] - d2s) <= tol * std::max(1.0f, std::abs(d2s)));
            BOOST_TEST(std::abs(dx[i] - 0.5f * ds) <= tol * std::max(1.0f, std::abs(ds)));
        }
    }
}

BOOST_AUTO_TEST_CASE(nan_propagates_through_forward) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto& a : all_activations()) {
        BOOST_TEST_INFO(a.name());
        BOOST_TEST(std::isnan(value_at(a, nan)));
    }
}

BOOST_AUTO_TEST_CASE(fused_bias_forward_and_backward_match_separate_passes) {
    const std::size_t batch = 5, width = 19;
    for (const auto& a : all_activations()) {
        auto z = gt::uniform<double>({batch, width}, -3, 3, 21);
        const auto bias = gt::uniform<double>({width}, -1, 1, 22);
        const auto dy = gt::uniform<double>({batch, width}, -1, 1, 23);
        const auto extra = gt::uniform<double>({batch, width}, -1, 1, 24);
        xt::xarray<double> y = z;
        gendiv::nn::bias_activation_forward(a, y.data(), bias.data(), batch, width);
        const xt::xarray<double> y_ref = gendiv::nn::activate(a, z + bias);
        BOOST_TEST_INFO(a.name());
        BOOST_TEST(xt::allclose(y, y_ref, 1e-15, 0));

        std::vector<double> db(width, 1.0), dz(batch * width);
        gendiv::nn::activation_bias_backward(a, y.data(), dy.data(), extra.data(), dz.data(),
                                             db.data(), false, batch, width);
        const xt::xarray<double> dz_ref = gendiv::nn::activation_backward(a, y, dy) + extra;
        for (std::size_t i = 0; i < batch * width; ++i)
            BOOST_TEST(dz[i] == dz_ref.flat(i), boost::test_tools::tolerance(1e-14));
        for (std::size_t j = 0; j < width; ++j) {
            double s = 1.0;  // accumulated onto the initial 1
            for (std::size_t b = 0; b < batch; ++b) s += dz_ref(b, j);
            BOOST_TEST(db[j] == s, boost::test_tools::tolerance(1e-13));
        }
        gendiv::nn::activation_bias_backward(a, y.data(), dy.data(), static_cast<const double*>(nullptr),
                                             dz.data(), db.data(), true, batch, width);
        const xt::xarray<double> dz2 = gendiv::nn::activation_backward(a, y, dy);
        for (std::size_t j = 0; j < width; ++j) {
            double s = 0.0;  // overwritten
            for (std::size_t b = 0; b < batch; ++b) s += dz2(b, j);
            BOOST_TEST(db[j] == s, boost::test_tools::tolerance(1e-13));
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_and_name_round_trip) {
    for (const auto& a : all_activations()) BOOST_TEST((activation::parse(a.name()) == a));
    BOOST_TEST((activation::parse("leaky_relu") == activation::leaky_relu(0.01)));
    BOOST_TEST((activation::parse("leaky_relu:0.2") == activation::leaky_relu(0.2)));
    BOOST_TEST((activation::parse("linear") == activation::identity()));
    BOOST_TEST((activation::parse("elu:0.5") == activation::elu(0.5)));
    // Parameters that 6 significant digits do not hold (name() used to print 0.123457 and 1).
    for (const auto& a : {activation::leaky_relu(0.123456789), activation::elu(1.0000001),
                          activation::leaky_relu(0.1 + 0.2)})
        BOOST_TEST((activation::parse(a.name()) == a), a.name());
    BOOST_TEST(activation::leaky_relu(0.2).name() == "leaky_relu:0.2");
    BOOST_TEST(activation::relu().piecewise_linear());
    BOOST_TEST(!activation::elu().piecewise_linear());
}

BOOST_AUTO_TEST_CASE(errors_name_function_and_argument) {
    GENDIV_CHECK_ERROR(activation::parse("swish"), "activation::parse", "swish");
    GENDIV_CHECK_ERROR(activation::parse("relu:1"), "activation::parse", "no parameter");
    GENDIV_CHECK_ERROR(activation::parse("elu:abc"), "activation::parse", "abc");
    GENDIV_CHECK_ERROR(activation::leaky_relu(-0.1), "activation::leaky_relu", "-0.1");
    GENDIV_CHECK_ERROR(activation::elu(-1), "activation::elu", "alpha");
    GENDIV_CHECK_ERROR(([] {
                           xt::xarray<double> y = xt::zeros<double>({2, 3}), dy = xt::zeros<double>({3, 2});
                           gendiv::nn::activation_backward(activation::tanh(), y, dy);
                       }()),
                       "activation_backward", "(3, 2)");
}

// Tests of the second-order part of gendiv/nn/mlp.hpp, for WGAN-GP critics: input gradients
// g_i = ∇ₓD(x_i) against central differences of D, and the double-backward of the gradient
// penalty L = Σ_i (‖g_i‖ - 1)² into EVERY parameter and into x against central differences of
// L (double precision; each hidden activation; random and extreme-ish inputs; ReLU and leaky
// ReLU checked away from their kinks), plus the optional ∂L/∂D term, a purely linear critic,
// float against double, the absence of allocations after the first call, and errors.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "gendiv/nn/mlp.hpp"
#include "support/counting_new.hpp"
#include "support/errors.hpp"
#include "support/numeric.hpp"

namespace gt = gendiv::test;
using gendiv::nn::activation;
using gendiv::nn::mlp;
using gendiv::test::allocations;

namespace {

xt::xarray<double> as_array(const double* p, std::size_t rows, std::size_t cols) {
    return xt::adapt(p, rows * cols, xt::no_ownership(), std::vector<std::size_t>{rows, cols});
}

// The gradient penalty L = Σ_i (‖g_i‖ - 1)² and ∂L/∂g_i = 2(‖g_i‖ - 1) g_i / ‖g_i‖.
double penalty(const double* g, std::size_t B, std::size_t D, std::vector<double>* d_g = nullptr) {
    double L = 0;
    if (d_g) d_g->assign(B * D, 0.0);
    for (std::size_t i = 0; i < B; ++i) {
        double s = 0;
        for (std::size_t j = 0; j < D; ++j) s += g[i * D + j] * g[i * D + j];
        const double n = std::sqrt(s);
        L += (n - 1) * (n - 1);
        if (d_g)
            for (std::size_t j = 0; j < D; ++j) (*d_g)[i * D + j] = 2 * (n - 1) * g[i * D + j] / n;
    }
    return L;
}

// The smallest |pre-activation| over all hidden units and examples, by plain loops (to keep
// finite differences of ReLU-type critics away from the kinks).
double min_abs_preactivation(mlp<double>& net, const xt::xarray<double>& x) {
    const std::size_t B = x.shape()[0];
    std::vector<double> a(x.begin(), x.end());
    double m = 1e300;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        const std::size_t in = net.widths()[l], out = net.widths()[l + 1];
        std::vector<double> z(B * out);
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t o = 0; o < out; ++o) {
                double s = net.bias(l)(o);
                for (std::size_t k = 0; k < in; ++k) s += a[b * in + k] * net.weight(l)(o, k);
                z[b * out + o] = s;
                m = std::min(m, std::abs(s));
            }
        gendiv::nn::activation_forward(net.layer_activation(l), z.data(), z.data(), z.size());
        a = z;
    }
    return m;
}

struct penalty_check {
    double err_theta, err_x;
};

// Analytic ∂L/∂θ and ∂L/∂x of L = Σ (‖g_i‖-1)² + Σ c_i D(x_i) (c may be empty) against central
// differences of L, where g comes from input_gradient (itself checked separately).
penalty_check check_penalty(mlp<double>& net, const xt::xarray<double>& x, const std::vector<double>& c) {
    const std::size_t B = x.shape()[0], D = net.input_size(), n = net.parameter_count();
    auto loss = [&](const double* xp) {
        const double* g = net.input_gradient(xp, B);
        double L = penalty(g, B, D);
        for (std::size_t i = 0; i < c.size(); ++i) L += c[i] * net.output()[i];
        return L;
    };
    net.zero_grad();
    std::vector<double> d_g;
    penalty(net.input_gradient(x.data(), B), B, D, &d_g);
    const double* dx = net.input_gradient_backward(d_g.data(), c.empty() ? nullptr : c.data(), true);
    const xt::xarray<double> dx_a = as_array(dx, B, D);
    const xt::xarray<double> g_theta = as_array(net.gradients(), 1, n);

    xt::xarray<double> theta = as_array(net.parameters(), 1, n);
    const auto fd_theta = gt::numeric_gradient(
        [&](const xt::xarray<double>& t) {
            net.set_parameters(t.data(), t.size());
            return loss(x.data());
        },
        theta);
    net.set_parameters(theta.data(), theta.size());
    const auto fd_x = gt::numeric_gradient([&](const xt::xarray<double>& xv) { return loss(xv.data()); }, x);
    return {gt::relative_error(g_theta, fd_theta), gt::relative_error(dx_a, fd_x)};
}

const std::vector<activation>& hidden_activations() {
    static const std::vector<activation> a = {activation::tanh(),   activation::elu(),
                                              activation::leaky_relu(0.2), activation::relu(),
                                              activation::sigmoid(), activation::identity(),
                                              activation::elu(0.5)};
    return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(input_gradient_matches_finite_differences) {
    std::uint64_t seed = 1;
    for (const auto& act : hidden_activations()) {
        for (const activation out : {activation::identity(), activation::sigmoid()}) {
            mlp<double> net({4, 9, 7, 1}, act, out, seed++);
            const auto x = gt::uniform({6, 4}, -2, 2, seed++);
            const xt::xarray<double> g = net.input_gradient(x);
            // D_i depends on x_i only, so ∇ₓ Σ_i D(x_i) stacks the g_i.
            const auto fd = gt::numeric_gradient(
                [&](const xt::xarray<double>& xv) {
                    const double* y = net.forward(xv.data(), 6);
                    double s = 0;
                    for (std::size_t i = 0; i < 6; ++i) s += y[i];
                    return s;
                },
                x);
            BOOST_TEST_INFO(act.name() << " -> " << out.name());
            BOOST_TEST(gt::relative_error(g, fd) < 1e-6);  // FD roundoff ~1e-10 absolute
        }
    }
}

BOOST_AUTO_TEST_CASE(penalty_double_backward_matches_finite_differences_for_every_parameter) {
    std::uint64_t seed = 100;
    for (const auto& act : hidden_activations()) {
        for (double scale : {1.0, 4.0}) {
            // Retry seeds until the FD stencil (h ≈ 1e-6·max(1,|θ|)) cannot cross a kink of
            // relu / leaky_relu: every pre-activation at least 1e-3 from 0.
            mlp<double> net({3, 8, 6, 1}, act, activation::identity(), seed);
            auto x = gt::uniform({5, 3}, -scale, scale, seed + 1);
            for (int tries = 0; act.piecewise_linear() && min_abs_preactivation(net, x) < 1e-3; ++tries) {
                BOOST_REQUIRE(tries < 50);
                seed += 2;
                net.init(seed);
                x = gt::uniform({5, 3}, -scale, scale, seed + 1);
            }
            seed += 2;
            const auto r = check_penalty(net, x, {});
            BOOST_TEST_MESSAGE(act.name() << " scale " << scale << ": relative error θ " << r.err_theta
                                          << ", x " << r.err_x);
            BOOST_TEST_INFO(act.name() << " scale " << scale);
            BOOST_TEST(r.err_theta < 1e-6);
            BOOST_TEST(r.err_x < 1e-6);
        }
    }
}

BOOST_AUTO_TEST_CASE(penalty_with_critic_value_term_and_nonlinear_output) {
    // L = Σ (‖g‖-1)² + Σ c_i D(x_i): the ∂L/∂D argument, and an output activation whose second
    // derivative enters the last layer's term.
    std::uint64_t seed = 500;
    for (const activation out : {activation::identity(), activation::sigmoid(), activation::tanh()}) {
        mlp<double> net({4, 7, 7, 1}, activation::elu(), out, seed++);
        const auto x = gt::uniform({6, 4}, -3, 3, seed++);
        std::vector<double> c = {0.5, -1.0, 2.0, 0.25, -0.75, 1.5};
        const auto r = check_penalty(net, x, c);
        BOOST_TEST_INFO(out.name());
        BOOST_TEST(r.err_theta < 1e-6);
        BOOST_TEST(r.err_x < 1e-6);
    }
}

BOOST_AUTO_TEST_CASE(penalty_on_deeper_tanh_critic_with_saturating_inputs) {
    // Larger inputs push tanh units into saturation (f' small, f'' non-negligible).
    mlp<double> net({5, 10, 10, 10, 1}, activation::tanh(), activation::identity(), 9);
    const auto x = gt::uniform({8, 5}, -8, 8, 10);
    const auto r = check_penalty(net, x, {});
    BOOST_TEST(r.err_theta < 1e-6);
    BOOST_TEST(r.err_x < 1e-6);
}

BOOST_AUTO_TEST_CASE(linear_critic_penalty_has_no_bias_gradient) {
    // With identity activations g = W_0ᵀ W_1ᵀ … is the same for every x: the penalty's gradient
    // is in the weights only, biases get exactly 0 and so does x.
    mlp<double> net({3, 4, 1}, activation::identity(), activation::identity(), 3);
    const auto x = gt::uniform({4, 3}, -1, 1, 4);
    const auto r = check_penalty(net, x, {});
    BOOST_TEST(r.err_theta < 1e-7);
    for (std::size_t o = 0; o < 4; ++o) BOOST_TEST(net.bias_grad(0)(o) == 0.0);
    BOOST_TEST(net.bias_grad(1)(0) == 0.0);
    std::vector<double> d_g;
    penalty(net.input_gradient(x.data(), 4), 4, 3, &d_g);
    const double* dx = net.input_gradient_backward(d_g.data(), nullptr, true);
    for (std::size_t i = 0; i < 12; ++i) BOOST_TEST(dx[i] == 0.0);
}

BOOST_AUTO_TEST_CASE(accumulates_with_first_order_backward) {
    // A WGAN-GP critic step: first-order backward of Σ D over a batch, then the penalty's
    // double-backward; gradients add up to the sum of the two computed separately.
    mlp<double> net({3, 6, 1}, activation::leaky_relu(0.2), activation::identity(), 5);
    const auto x = gt::uniform({4, 3}, -1, 1, 6);
    const std::vector<double> ones(4, 1.0);
    std::vector<double> d_g;
    const std::size_t n = net.parameter_count();

    net.zero_grad();
    net.forward(x.data(), 4);
    net.backward(ones.data());
    const std::vector<double> first(net.gradients(), net.gradients() + n);
    net.zero_grad();
    penalty(net.input_gradient(x.data(), 4), 4, 3, &d_g);
    net.input_gradient_backward(d_g.data());
    const std::vector<double> second(net.gradients(), net.gradients() + n);

    net.zero_grad();
    net.forward(x.data(), 4);
    net.backward(ones.data());
    penalty(net.input_gradient(x.data(), 4), 4, 3, &d_g);
    net.input_gradient_backward(d_g.data());
    for (std::size_t i = 0; i < n; ++i)
        BOOST_TEST(net.gradients()[i] == first[i] + second[i], boost::test_tools::tolerance(1e-13));
}

BOOST_AUTO_TEST_CASE(float_matches_double) {
    mlp<double> nd({6, 16, 16, 1}, activation::tanh(), activation::identity(), 2);
    mlp<float> nf({6, 16, 16, 1}, activation::tanh(), activation::identity(), 2);
    const auto x = gt::uniform({10, 6}, -1, 1, 3);
    const xt::xarray<float> xf = xt::cast<float>(x);
    const xt::xarray<double> gd = nd.input_gradient(x);
    const xt::xarray<float> gf = nf.input_gradient(xf);
    BOOST_TEST(xt::allclose(gf, gd, 1e-4, 1e-6));
    std::vector<double> d_g;
    penalty(gd.data(), 10, 6, &d_g);
    const std::vector<float> d_gf(d_g.begin(), d_g.end());
    nd.input_gradient_backward(d_g.data());
    nf.input_gradient_backward(d_gf.data());
    double num = 0, den = 0;
    for (std::size_t i = 0; i < nd.parameter_count(); ++i) {
        num += std::pow(nf.gradients()[i] - nd.gradients()[i], 2);
        den += std::pow(nd.gradients()[i], 2);
    }
    BOOST_TEST(std::sqrt(num / den) < 1e-5);
}

BOOST_AUTO_TEST_CASE(no_allocation_after_first_call) {
    mlp<float> net({32, 64, 64, 1}, activation::leaky_relu(0.2), activation::identity(), 1);
    const auto x = gt::uniform<float>({50, 32}, -1, 1, 1);
    const auto dg = gt::uniform<float>({50, 32}, -1, 1, 2);
    const auto dd = gt::uniform<float>({50, 1}, -1, 1, 3);
    const float* g1 = net.input_gradient(x.data(), 50);
    const float* dx1 = net.input_gradient_backward(dg.data(), dd.data(), true);
    bool same = true;
    const long before = allocations.load();
    for (int r = 0; r < 3; ++r) {
        net.zero_grad();
        same = same && net.input_gradient(x.data(), 50) == g1;
        same = same && net.input_gradient_backward(dg.data(), dd.data(), true) == dx1;
        net.forward(x.data(), 50);
        net.backward(dd.data());
        same = same && net.input_gradient(x.data(), 20) == g1;
        net.input_gradient_backward(dg.data());
    }
    const long counted = allocations.load() - before;
    BOOST_TEST(counted == 0);
    BOOST_TEST(same);
}

BOOST_AUTO_TEST_CASE(errors_name_function_and_state) {
    mlp<double> net({3, 4, 1}, activation::tanh());
    std::vector<double> d(6, 0.0);
    GENDIV_CHECK_ERROR(net.input_gradient_backward(d.data()), "mlp::input_gradient_backward",
                       "preceding call to input_gradient");
    const auto x = gt::uniform({2, 3}, -1, 1, 1);
    net.input_gradient(x);
    net.forward(x.data(), 2);  // a forward supersedes the input gradient's state
    GENDIV_CHECK_ERROR(net.input_gradient_backward(d.data()), "mlp::input_gradient_backward",
                       "a forward came after it");
    net.input_gradient(x);
    GENDIV_CHECK_ERROR(net.input_gradient_backward(xt::xarray<double>(xt::zeros<double>({2, 4}))),
                       "'d_grad' has shape (2, 4)", "must have shape (2, 3)");
    GENDIV_CHECK_ERROR(net.input_gradient_backward(static_cast<const double*>(nullptr)),
                       "mlp::input_gradient_backward", "'d_grad' is null");
    mlp<double> wide({3, 4, 2}, activation::tanh());
    GENDIV_CHECK_ERROR(wide.input_gradient(x.data(), 2), "mlp::input_gradient", "(3, 4, 2)");
}

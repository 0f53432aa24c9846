// Tests of gendiv/nn/mlp.hpp, first order: the parameter layout, initialization, forward
// against a composition of reference products (xtensor-blas), backward end to end against
// central finite differences w.r.t. every parameter and the input (double, several activation
// choices, random and extreme-ish inputs), lazy zero_grad, workspace growth and the absence of
// allocations in forward/backward (a counting operator new), float against double, errors.
//
// This file includes xtensor-blas next to gendiv (test_nn_linear.cpp does the same with
// OpenBLAS's <cblas.h>): detail/blas.hpp must coexist with either.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <vector>
#include <xtensor-blas/xlinalg.hpp>

#include "gendiv/nn/mlp.hpp"
#include "support/counting_new.hpp"
#include "support/errors.hpp"
#include "support/numeric.hpp"

namespace gt = gendiv::test;
using gendiv::nn::activation;
using gendiv::nn::mlp;
using gendiv::test::allocations;

namespace {

// The network's output by plain composition: xt::linalg::dot and nn::activate per layer.
xt::xarray<double> reference_forward(mlp<double>& net, const xt::xarray<double>& x) {
    xt::xarray<double> a = x;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        xt::xarray<double> z = xt::linalg::dot(a, xt::transpose(xt::xarray<double>(net.weight(l))));
        z += net.bias(l);
        a = gendiv::nn::activate(net.layer_activation(l), z);
    }
    return a;
}

// L(θ, x) = Σ c ⊙ net(x): its gradient by backward and by central differences, compared for
// every parameter and every input. Returns the two relative errors.
std::pair<double, double> check_backward(mlp<double>& net, const xt::xarray<double>& x,
                                         const xt::xarray<double>& c) {
    const std::size_t B = x.shape()[0];
    net.zero_grad();
    net.forward(x.data(), B);
    const double* dx = net.backward(c.data(), true);
    const xt::xarray<double> dx_a = xt::adapt(dx, B * net.input_size(), xt::no_ownership(),
                                              std::vector<std::size_t>{B, net.input_size()});
    const std::size_t n = net.parameter_count();
    const xt::xarray<double> g_a = xt::adapt(net.gradients(), n, xt::no_ownership(),
                                             std::vector<std::size_t>{n});
    xt::xarray<double> theta = xt::adapt(net.parameters(), n, xt::no_ownership(),
                                         std::vector<std::size_t>{n});
    auto loss_theta = [&](const xt::xarray<double>& t) {
        net.set_parameters(t.data(), t.size());
        const double* y = net.forward(x.data(), B);
        double s = 0;
        for (std::size_t i = 0; i < c.size(); ++i) s += c.flat(i) * y[i];
        return s;
    };
    const auto g_fd = gt::numeric_gradient(loss_theta, theta);
    net.set_parameters(theta.data(), theta.size());
    auto loss_x = [&](const xt::xarray<double>& xv) {
        const double* y = net.forward(xv.data(), B);
        double s = 0;
        for (std::size_t i = 0; i < c.size(); ++i) s += c.flat(i) * y[i];
        return s;
    };
    const auto dx_fd = gt::numeric_gradient(loss_x, x);
    return {gt::relative_error(g_a, g_fd), gt::relative_error(dx_a, dx_fd)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(parameter_layout_is_pytorch_state_dict_order) {
    mlp<float> net({5, 4, 3}, activation::elu());
    BOOST_TEST(net.layers() == 2u);
    BOOST_TEST(net.parameter_count() == 5u * 4 + 4 + 4 * 3 + 3);
    BOOST_TEST(net.weight_offset(0) == 0u);
    BOOST_TEST(net.bias_offset(0) == 20u);
    BOOST_TEST(net.weight_offset(1) == 24u);
    BOOST_TEST(net.bias_offset(1) == 36u);
    BOOST_TEST(&net.weight(1)(2, 3) == net.parameters() + 24 + 2 * 4 + 3);
    BOOST_TEST(&net.bias(1)(2) == net.parameters() + 38);
    BOOST_TEST(&net.weight_grad(0)(1, 1) == net.gradients() + 6);
    BOOST_TEST((net.layer_activation(0) == activation::elu()));
    BOOST_TEST((net.layer_activation(1) == activation::identity()));
}

BOOST_AUTO_TEST_CASE(init_matches_linear_layers_drawn_in_sequence) {
    mlp<double> net({6, 5, 4}, activation::tanh(), activation::identity(), 77);
    // The first layer uses the engine first: it equals a linear layer with the same seed.
    gendiv::nn::linear<double> first(6, 5, 77);
    BOOST_TEST(xt::all(xt::equal(net.weight(0), first.weight())));
    BOOST_TEST(xt::all(xt::equal(net.bias(0), first.bias())));
    // The second continues the same engine.
    std::mt19937_64 rng(77);
    std::vector<double> w0(30), b0(5), w1(20), b1(4);
    gendiv::nn::init_linear(w0.data(), b0.data(), 6, 5, rng);
    gendiv::nn::init_linear(w1.data(), b1.data(), 5, 4, rng);
    for (std::size_t i = 0; i < 20; ++i) BOOST_TEST(net.parameters()[net.weight_offset(1) + i] == w1[i]);
    BOOST_TEST(xt::amax(xt::abs(net.weight(1)))() <= 1 / std::sqrt(5.0));
    mlp<double> same({6, 5, 4}, activation::tanh(), activation::identity(), 77);
    BOOST_TEST(std::equal(net.parameters(), net.parameters() + net.parameter_count(), same.parameters()));
}

BOOST_AUTO_TEST_CASE(forward_matches_reference_composition) {
    mlp<double> net({7, 9, 8, 3}, {activation::elu(), activation::leaky_relu(0.2), activation::sigmoid()}, 4);
    const auto x = gt::uniform({10, 7}, -2, 2, 1);
    const xt::xarray<double> y = net.forward(x);
    BOOST_TEST(xt::allclose(y, reference_forward(net, x), 1e-13, 1e-15));
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences_for_every_parameter_and_input) {
    const std::vector<std::vector<activation>> configs = {
        {activation::elu(), activation::elu(), activation::identity()},
        {activation::tanh(), activation::tanh(), activation::sigmoid()},
        {activation::sigmoid(), activation::leaky_relu(0.2), activation::tanh()},
        {activation::relu(), activation::elu(0.5), activation::identity()},
        {activation::leaky_relu(), activation::identity(), activation::elu()},
    };
    std::uint64_t seed = 10;
    for (const auto& acts : configs) {
        for (double scale : {1.0, 6.0}) {
            mlp<double> net({5, 7, 6, 3}, acts, seed++);
            const auto x = gt::uniform({4, 5}, -scale, scale, seed++);
            const auto c = gt::uniform({4, 3}, -1, 1, seed++);
            const auto [err_theta, err_x] = check_backward(net, x, c);
            BOOST_TEST_INFO(acts[0].name() << "/" << acts[1].name() << "/" << acts[2].name()
                                           << " scale " << scale);
            BOOST_TEST(err_theta < 1e-7);
            BOOST_TEST(err_x < 1e-7);
        }
    }
    // A single layer (no hidden activation) and a deep narrow one.
    {
        mlp<double> net({3, 2}, activation::relu(), activation::tanh(), 1);
        const auto [et, ex] = check_backward(net, gt::uniform({5, 3}, -1, 1, 2), gt::uniform({5, 2}, -1, 1, 3));
        BOOST_TEST(et < 1e-7);
        BOOST_TEST(ex < 1e-7);
    }
    {
        mlp<double> net({2, 3, 3, 3, 3, 3, 1}, activation::elu(), activation::identity(), 5);
        const auto [et, ex] = check_backward(net, gt::uniform({6, 2}, -3, 3, 6), gt::uniform({6, 1}, -1, 1, 7));
        BOOST_TEST(et < 1e-7);
        BOOST_TEST(ex < 1e-7);
    }
}

BOOST_AUTO_TEST_CASE(backward_accumulates_and_zero_grad_is_lazy_but_exact) {
    mlp<double> net({4, 6, 2}, activation::tanh(), activation::identity(), 3);
    const auto x = gt::uniform({5, 4}, -1, 1, 1);
    const auto c = gt::uniform({5, 2}, -1, 1, 2);
    const std::size_t n = net.parameter_count();
    net.forward(x.data(), 5);
    net.backward(c.data());
    const std::vector<double> once(net.gradients(), net.gradients() + n);
    net.backward(c.data());
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(net.gradients()[i] == 2 * once[i], boost::test_tools::tolerance(1e-14));
    // zero_grad then backward: the same as a single backward (overwrite, not add).
    net.zero_grad();
    net.backward(c.data());
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(net.gradients()[i] == once[i], boost::test_tools::tolerance(1e-14));
    // zero_grad alone: gradients() reads zeros.
    net.zero_grad();
    const double* g = net.gradients();
    for (std::size_t i = 0; i < n; ++i) BOOST_TEST(g[i] == 0.0);
}

BOOST_AUTO_TEST_CASE(no_allocation_in_forward_backward_after_first_call) {
    mlp<float> net({784, 300, 300, 200}, activation::elu(), activation::identity(), 1);
    const auto x = gt::uniform<float>({64, 784}, 0, 1, 1);
    const auto d = gt::uniform<float>({64, 200}, -1, 1, 2);
    const float* y1 = net.forward(x.data(), 64);
    const float* dx1 = net.backward(d.data(), true);
    BOOST_TEST(net.capacity() == 64u);

    // No Boost.Test macro inside the counted region (they may allocate).
    bool same_pointers = true;
    const long before = allocations.load();
    for (int r = 0; r < 3; ++r) {
        net.zero_grad();
        const float* y = net.forward(x.data(), 64);
        const float* dx = net.backward(d.data(), true);
        same_pointers = same_pointers && y == y1 && dx == dx1;
        net.backward(d.data(), false);
        same_pointers = same_pointers && net.forward(x.data(), 32) == y1;  // smaller batch
        net.backward(d.data(), true);
    }
    const long counted = allocations.load() - before;
    BOOST_TEST(counted == 0);
    BOOST_TEST(same_pointers);

    // A larger batch grows the workspaces once; then it is allocation-free again.
    const auto x2 = gt::uniform<float>({128, 784}, 0, 1, 3);
    const auto d2 = gt::uniform<float>({128, 200}, -1, 1, 4);
    const long before_grow = allocations.load();
    net.forward(x2.data(), 128);
    const long counted_grow = allocations.load() - before_grow;
    BOOST_TEST(counted_grow > 0);
    BOOST_TEST(net.capacity() == 128u);
    net.backward(d2.data(), true);
    const long after_grow = allocations.load();
    net.forward(x2.data(), 128);
    net.backward(d2.data(), true);
    net.forward(x.data(), 64);
    net.backward(d.data(), true);
    const long counted_after_grow = allocations.load() - after_grow;
    BOOST_TEST(counted_after_grow == 0);

    // reserve() up front: no allocation at the first call either.
    mlp<float> net2({784, 300, 10}, activation::relu());
    net2.reserve(64);
    std::vector<float> d3(64 * 10, 1.0f);
    const long before2 = allocations.load();
    net2.forward(x.data(), 64);
    net2.backward(d3.data(), true);
    const long counted2 = allocations.load() - before2;
    BOOST_TEST(counted2 == 0);
}

BOOST_AUTO_TEST_CASE(forward_and_backward_within_the_same_batch_are_consistent_across_batch_sizes) {
    // Rows are independent: the first 3 rows of a batch of 7 equal a batch of 3.
    mlp<double> net({4, 5, 2}, activation::sigmoid(), activation::identity(), 2);
    const auto x = gt::uniform({7, 4}, -1, 1, 1);
    const xt::xarray<double> y7 = net.forward(x);
    const xt::xarray<double> x3 = xt::view(x, xt::range(0, 3), xt::all());
    const xt::xarray<double> y3 = net.forward(x3);
    BOOST_TEST(xt::allclose(y3, xt::view(y7, xt::range(0, 3), xt::all()), 1e-15, 0));
}

BOOST_AUTO_TEST_CASE(xtensor_overloads_match_pointer_api) {
    mlp<double> a({3, 4, 2}, activation::elu(), activation::identity(), 8);
    mlp<double> b({3, 4, 2}, activation::elu(), activation::identity(), 8);
    const auto x = gt::uniform({6, 3}, -1, 1, 1);
    const auto d = gt::uniform({6, 2}, -1, 1, 2);
    const xt::xarray<double> ya = a.forward(x);
    const xt::xarray<double> dxa = a.backward(d);
    const double* yb = b.forward(x.data(), 6);
    const double* dxb = b.backward(d.data(), true);
    for (std::size_t i = 0; i < ya.size(); ++i) BOOST_TEST(ya.flat(i) == yb[i]);
    for (std::size_t i = 0; i < dxa.size(); ++i) BOOST_TEST(dxa.flat(i) == dxb[i]);
    for (std::size_t i = 0; i < a.parameter_count(); ++i) BOOST_TEST(a.gradients()[i] == b.gradients()[i]);
    // An xtensor view as input (not a container: evaluated into a copy).
    const xt::xarray<double> y_view = a.forward(xt::view(x, xt::all(), xt::all()) * 1.0);
    BOOST_TEST(xt::all(xt::equal(y_view, ya)));
}

BOOST_AUTO_TEST_CASE(float_matches_double) {
    mlp<double> nd({20, 30, 10}, activation::elu(), activation::identity(), 6);
    mlp<float> nf({20, 30, 10}, activation::elu(), activation::identity(), 6);
    const auto x = gt::uniform({16, 20}, -1, 1, 1);
    const auto d = gt::uniform({16, 10}, -1, 1, 2);
    const xt::xarray<double> yd = nd.forward(x);
    const xt::xarray<float> yf = nf.forward(xt::xarray<float>(xt::cast<float>(x)));
    BOOST_TEST(xt::allclose(yf, yd, 1e-4, 1e-5));
    nd.backward(d);
    nf.backward(xt::xarray<float>(xt::cast<float>(d)));
    for (std::size_t i = 0; i < nd.parameter_count(); ++i)
        BOOST_TEST(nf.gradients()[i] == nd.gradients()[i], boost::test_tools::tolerance(2e-3));
}

BOOST_AUTO_TEST_CASE(errors_name_function_argument_and_shapes) {
    mlp<float> net({784, 300, 200}, activation::elu());
    GENDIV_CHECK_ERROR(net.backward(xt::xtensor<float, 2>::from_shape({64, 200})), "mlp::backward",
                       "preceding call to forward");
    GENDIV_CHECK_ERROR(net.forward(xt::xtensor<float, 2>::from_shape({64, 785})), "mlp::forward",
                       "'x' has shape (64, 785) but must have shape (B, 784)");
    net.forward(xt::xtensor<float, 2>(xt::zeros<float>({64, 784})));
    GENDIV_CHECK_ERROR(net.backward(xt::xtensor<float, 2>::from_shape({32, 200})), "mlp::backward",
                       "must have shape (64, 200)");
    GENDIV_CHECK_ERROR(net.backward(static_cast<const float*>(nullptr)), "mlp::backward",
                       "'d_output' is null");
    GENDIV_CHECK_ERROR(net.forward(static_cast<const float*>(nullptr), 3), "mlp::forward", "'x' is null");
    std::vector<float> p(10);
    GENDIV_CHECK_ERROR(net.set_parameters(p.data(), p.size()), "mlp::set_parameters",
                       "has 295700 parameters");
    GENDIV_CHECK_ERROR(mlp<double>({5}, activation::elu()), "mlp::mlp", "at least 2");
    GENDIV_CHECK_ERROR(mlp<double>({5, 0, 2}, activation::elu()), "mlp::mlp", "width 0 at index 1");
    GENDIV_CHECK_ERROR(mlp<double>({5, 3, 2}, std::vector<activation>{activation::elu()}), "mlp::mlp",
                       "one activation per layer");
    GENDIV_CHECK_ERROR(net.input_gradient(xt::xtensor<float, 2>(xt::zeros<float>({4, 784}))),
                       "mlp::input_gradient", "output width 1");
}

BOOST_AUTO_TEST_CASE(copies_own_their_workspaces_and_moves_keep_them) {
    mlp<double> a({3, 5, 2}, activation::tanh(), activation::identity(), 4);
    const auto x = gt::uniform({4, 3}, -1, 1, 1);
    const auto d = gt::uniform({4, 2}, -1, 1, 2);
    const double* ya = a.forward(x.data(), 4);
    mlp<double> b = a;  // copy after a forward
    BOOST_TEST(b.capacity() == a.capacity());
    BOOST_TEST(std::equal(a.parameters(), a.parameters() + a.parameter_count(), b.parameters()));
    GENDIV_CHECK_ERROR(b.backward(d.data()), "mlp::backward", "preceding call to forward");
    const double* yb = b.forward(x.data(), 4);
    BOOST_TEST(yb != ya);
    for (std::size_t i = 0; i < 8; ++i) BOOST_TEST(ya[i] == yb[i]);
    b.parameters()[0] += 1.0;  // independent parameters
    BOOST_TEST(a.parameters()[0] != b.parameters()[0]);
    // Move: the same buffers, usable at once.
    a.backward(d.data());
    mlp<double> c = std::move(a);
    BOOST_TEST(c.output() == ya);
    const double* dx = c.backward(d.data(), true);
    BOOST_TEST(dx != nullptr);
    mlp<double> e({3, 5, 2}, activation::tanh());
    e = b;  // copy assignment
    BOOST_TEST(e.parameters()[0] == b.parameters()[0]);
    BOOST_TEST(e.forward(x.data(), 4) != b.forward(x.data(), 4));
}

// Tests of gendiv/nn/linear.hpp and nn/init.hpp: forward against plain loops, backward against
// central finite differences (double), accumulation semantics, PyTorch's default
// initialization (bounds, moments, determinism, pinned values), float against double, errors.
//
// This file also includes OpenBLAS's own <cblas.h> and calls cblas_sgemm next to gendiv: the
// BLAS route of detail/blas.hpp must coexist with it in one translation unit (test_nn_mlp.cpp
// does the same with xtensor-blas).
#include <cblas.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <vector>

#include "gendiv/nn/linear.hpp"
#include "support/errors.hpp"
#include "support/numeric.hpp"

namespace gt = gendiv::test;
using gendiv::nn::linear;

namespace {

// y = x Wᵀ + b by plain loops in long double.
xt::xarray<double> naive_forward(const xt::xarray<double>& x, const xt::xarray<double>& w,
                                 const xt::xarray<double>& b) {
    const std::size_t batch = x.shape()[0], in = x.shape()[1], out = w.shape()[0];
    xt::xarray<double> y = xt::zeros<double>({batch, out});
    for (std::size_t i = 0; i < batch; ++i)
        for (std::size_t o = 0; o < out; ++o) {
            long double s = b(o);
            for (std::size_t k = 0; k < in; ++k) s += static_cast<long double>(x(i, k)) * w(o, k);
            y(i, o) = static_cast<double>(s);
        }
    return y;
}

}  // namespace

BOOST_AUTO_TEST_CASE(forward_matches_plain_loops) {
    linear<double> layer(13, 7, 5);
    const auto x = gt::uniform({9, 13}, -2, 2, 1);
    const xt::xarray<double> y = layer.forward(x);
    const auto ref = naive_forward(x, layer.weight(), layer.bias());
    BOOST_TEST(xt::allclose(y, ref, 1e-14, 1e-15));
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
    // L = Σ c ⊙ y with fixed random c, so ∂L/∂y = c. Random and extreme-ish inputs.
    const std::size_t batch = 6, in = 11, out = 5;
    for (double scale : {1.0, 50.0}) {
        linear<double> layer(in, out, 7);
        const xt::xarray<double> x = gt::uniform({batch, in}, -scale, scale, 2);
        const auto c = gt::uniform({batch, out}, -1, 1, 3);
        auto loss_x = [&](const xt::xarray<double>& xv) { return xt::sum(c * layer.forward(xv))(); };
        layer.zero_grad();
        const xt::xarray<double> dx = layer.backward(x, c);
        BOOST_TEST(gt::relative_error(dx, gt::numeric_gradient(loss_x, x)) < 1e-8);

        auto loss_w = [&](const xt::xarray<double>& w) {
            linear<double> l2 = layer;
            l2.weight() = w;
            return xt::sum(c * l2.forward(x))();
        };
        auto loss_b = [&](const xt::xarray<double>& b) {
            linear<double> l2 = layer;
            l2.bias() = b;
            return xt::sum(c * l2.forward(x))();
        };
        BOOST_TEST(gt::relative_error(layer.weight_grad(),
                                      gt::numeric_gradient(loss_w, layer.weight())) < 1e-8);
        BOOST_TEST(gt::relative_error(layer.bias_grad(), gt::numeric_gradient(loss_b, layer.bias())) <
                   1e-8);
    }
}

BOOST_AUTO_TEST_CASE(backward_accumulates_and_zero_grad_resets) {
    linear<double> layer(4, 3, 1);
    const auto x = gt::uniform({5, 4}, -1, 1, 4);
    const auto dy = gt::uniform({5, 3}, -1, 1, 5);
    layer.backward(x, dy);
    const xt::xtensor<double, 2> w1 = layer.weight_grad();
    const xt::xtensor<double, 1> b1 = layer.bias_grad();
    layer.backward(x, dy);
    BOOST_TEST(xt::allclose(layer.weight_grad(), 2.0 * w1, 1e-15, 0));
    BOOST_TEST(xt::allclose(layer.bias_grad(), 2.0 * b1, 1e-15, 0));
    layer.zero_grad();
    BOOST_TEST(xt::all(xt::equal(layer.weight_grad(), 0.0)));
    BOOST_TEST(xt::all(xt::equal(layer.bias_grad(), 0.0)));

    // The pointer-level backward with accumulate = false overwrites.
    std::vector<double> dw(12, 99.0), db(3, 99.0);
    gendiv::nn::linear_backward(x.data(), dy.data(), 5, 4, 3, layer.weight().data(), dw.data(),
                                db.data(), static_cast<double*>(nullptr), false);
    for (std::size_t i = 0; i < 12; ++i) BOOST_TEST(dw[i] == w1.flat(i), boost::test_tools::tolerance(1e-15));
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(db[i] == b1(i), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(fused_activation_forward_matches_two_steps) {
    const std::size_t batch = 7, in = 10, out = 9;
    const auto x = gt::uniform({batch, in}, -2, 2, 8);
    linear<double> layer(in, out, 3);
    const auto act = gendiv::nn::activation::elu();
    std::vector<double> y(batch * out);
    gendiv::nn::linear_forward(x.data(), batch, in, out, layer.weight().data(), layer.bias().data(),
                               act, y.data());
    const xt::xarray<double> ref = gendiv::nn::activate(act, layer.forward(x));
    for (std::size_t i = 0; i < y.size(); ++i) BOOST_TEST(y[i] == ref.flat(i), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(float_matches_double_and_vendor_cblas) {
    const std::size_t batch = 33, in = 70, out = 45;
    linear<double> ld(in, out, 9);
    linear<float> lf(in, out, 9);
    const auto x = gt::uniform({batch, in}, -1, 1, 10);
    const xt::xarray<float> xf = xt::cast<float>(x);
    // Same seed: the float weights are the double weights rounded.
    BOOST_TEST(xt::all(xt::equal(lf.weight(), xt::cast<float>(ld.weight()))));
    const xt::xarray<double> yd = ld.forward(x);
    const xt::xarray<float> yf = lf.forward(xf);
    BOOST_TEST(xt::allclose(yf, yd, 1e-4, 1e-5));

    // The same product through OpenBLAS's own header.
    std::vector<float> yc(batch * out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, out, in, 1.0f, xf.data(), in,
                lf.weight().data(), in, 0.0f, yc.data(), out);
    for (std::size_t i = 0; i < batch; ++i)
        for (std::size_t o = 0; o < out; ++o) BOOST_TEST(yf(i, o) == yc[i * out + o] + lf.bias()(o));
}

BOOST_AUTO_TEST_CASE(init_is_pytorch_default_and_deterministic) {
    const std::size_t in = 784, out = 300;
    linear<float> a(in, out, 42), b(in, out, 42), c(in, out, 43);
    const double bound = 1.0 / std::sqrt(784.0);
    BOOST_TEST(xt::amax(xt::abs(a.weight()))() <= bound);
    BOOST_TEST(xt::amax(xt::abs(a.bias()))() <= bound);
    BOOST_TEST(xt::all(xt::equal(a.weight(), b.weight())));
    BOOST_TEST(xt::all(xt::equal(a.bias(), b.bias())));
    BOOST_TEST(!xt::all(xt::equal(a.weight(), c.weight())));
    // Moments of U(-r, r): mean 0, variance r²/3; 235,200 draws give standard errors
    // 0.0012·r for the mean and 0.0019 relative for the variance; allow ~5 sigma.
    const double mean = xt::mean(xt::cast<double>(a.weight()))();
    const double var = xt::variance(xt::cast<double>(a.weight()))();
    BOOST_TEST(std::abs(mean) < 0.006 * bound);
    BOOST_TEST(std::abs(var / (bound * bound / 3) - 1) < 0.01);
    // Weights and bias fill the range (the extremes sit within 0.1% of the bound).
    BOOST_TEST(xt::amax(a.weight())() > 0.999 * bound);
    BOOST_TEST(xt::amin(a.weight())() < -0.999 * bound);

    // Pinned values: the first draws of std::mt19937_64(0) (a sequence the C++ standard fixes),
    // mapped by u = (r >> 11)·2⁻⁵² - 1 and scaled by the bound 1/√4 = 0.5. The engine outputs
    // and the weights were computed independently by tests/reference/mt19937_64_weights.py
    // (a Python transcription of Matsumoto and Nishimura's MT19937-64, exact integer arithmetic):
    //   2947667278772165694  -> -0.34020663662953921
    //   18301848765998365067 ->  0.49214520962982877
    //   729919693006235833   -> -0.46043097415513434
    linear<double> small(4, 1, 0);
    std::mt19937_64 e(0);
    BOOST_TEST(e() == 2947667278772165694ULL);
    BOOST_TEST(e() == 18301848765998365067ULL);
    BOOST_TEST(small.weight()(0, 0) == -0.34020663662953921);
    BOOST_TEST(small.weight()(0, 1) == 0.49214520962982877);
    BOOST_TEST(small.weight()(0, 2) == -0.46043097415513434);
}

BOOST_AUTO_TEST_CASE(errors_name_function_argument_and_shape) {
    linear<float> layer(784, 300, 0);
    GENDIV_CHECK_ERROR(layer.forward(xt::xtensor<float, 2>::from_shape({64, 785})), "linear::forward",
                       "(64, 785)");
    GENDIV_CHECK_ERROR(layer.forward(xt::xtensor<float, 2>::from_shape({64, 785})), "'x'", "(B, 784)");
    GENDIV_CHECK_ERROR(layer.forward(xt::xtensor<float, 1>::from_shape({784})), "linear::forward", "(784,)");
    GENDIV_CHECK_ERROR(layer.backward(xt::xtensor<float, 2>::from_shape({64, 784}),
                                      xt::xtensor<float, 2>::from_shape({32, 300})),
                       "linear::backward", "batch sizes");
    GENDIV_CHECK_ERROR(layer.backward(xt::xtensor<float, 2>::from_shape({64, 784}),
                                      xt::xtensor<float, 2>::from_shape({64, 301})),
                       "'dy'", "(B, 300)");
    GENDIV_CHECK_ERROR(layer.forward(static_cast<const float*>(nullptr), 3, nullptr), "linear::forward",
                       "'x' is null");
    GENDIV_CHECK_ERROR(linear<double>(0, 3), "linear::linear", "in=0");
    // A square layer's backward into its own dy (or a forward into its input) overwrote what
    // the gemm still read: off by up to 2.4 for a 64 × 64 layer. dx = x stays allowed.
    linear<double> sq(4, 4, 1);
    std::vector<double> x(8, 0.5), dy(8, 1.0);
    GENDIV_CHECK_ERROR(sq.backward(x.data(), dy.data(), 2, dy.data()), "linear_backward", "'dx' (8 values)",
                       "overlaps 'dy' (8 values)");
    GENDIV_CHECK_ERROR(sq.backward(x.data(), dy.data(), 2, dy.data() + 7), "linear_backward", "overlaps");
    GENDIV_CHECK_ERROR(sq.forward(x.data(), 2, x.data() + 4), "linear_forward", "'y' (8 values) overlaps 'x'");
    std::vector<double> x2 = x, dx(8);
    sq.backward(x.data(), dy.data(), 2, dx.data());
    sq.backward(x2.data(), dy.data(), 2, x2.data());  // dx = x
    BOOST_TEST(x2 == dx, boost::test_tools::per_element());
}

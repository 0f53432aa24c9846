// A downstream program: uses gendiv through its CMake target only, compiled the way a strict
// user compiles (CMakeLists.txt: Release, -Wall -Wextra -Werror, -march=native where the
// compiler takes it), so that a warning anywhere in gendiv's headers fails this test. It calls
// one function of every header family, float and double, so that their SIMD kernels are
// instantiated here.
#include <cmath>
#include <cstdio>
#include <random>

#include <gendiv/gendiv.hpp>
#include <gendiv/nn/adam.hpp>
#include <gendiv/nn/mlp.hpp>

template <class T>
double exercise() {
    xt::xtensor<T, 2> x = xt::xtensor<T, 2>::from_shape({4, 300});
    std::mt19937 rng(1);
    std::uniform_real_distribution<double> u(-3, 3);
    for (auto& v : x) v = static_cast<T>(u(rng));
    xt::xtensor<T, 2> bits = xt::cast<T>(x > T(0));
    xt::xtensor<T, 1> zero = xt::zeros<T>({300});
    double s = 0;
    s += gendiv::log_mean_exp(x)(0) + gendiv::log_sum_exp_grad(x).x(0, 0);
    s += gendiv::log_likelihood_bernoulli_logits(x, bits)(0);
    s += gendiv::log_likelihood_bernoulli_logits_grad(x, bits).logits(0, 0);
    s += gendiv::log_likelihood_normal(x, x, x)(0) + gendiv::log_likelihood_normal_grad(x, x, x).logvar(0, 0);
    s += gendiv::kl_gaussian_gaussian_analytic(x, x, zero, zero)(0);
    s += gendiv::kl_gaussian_gaussian_analytic_grad(x, x, zero, zero).logvar_q(0, 0);
    s += gendiv::kl_gaussian_gaussian_mc(x, x, zero, zero, 2, rng)(0);
    xt::xtensor<T, 2> critic = xt::view(x, xt::all(), xt::range(0, 1));
    s += gendiv::f_gan_objective<gendiv::jensen_shannon>(critic, critic);
    s += gendiv::wasserstein_objective(critic, critic) + gendiv::gradient_penalty(x, 10.0);
    gendiv::nn::mlp<T> net({300, 16, 1}, gendiv::nn::activation::elu());
    gendiv::nn::adam<T> opt(net.parameter_count());
    net.forward(x);
    s += static_cast<double>(net.input_gradient(x)(0, 0));
    return s;
}

int main() {
    xt::xtensor<double, 2> x = {{0.0, std::log(3.0)}};
    const double v = gendiv::log_sum_exp(x)(0);  // log(1 + 3) = log 4
    std::printf("log_sum_exp = %.17g\n", v);
    const double f = exercise<float>(), d = exercise<double>();
    std::printf("float and double calls: %.6g, %.6g\n", f, d);
    return std::abs(v - std::log(4.0)) < 1e-15 && std::isfinite(f) && std::isfinite(d) ? 0 : 1;
}

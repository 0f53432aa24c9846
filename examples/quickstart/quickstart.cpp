// quickstart: the README's usage example (CTest builds and runs it, so it cannot rot).
//
// A VAE's loss for one batch, from the encoder's outputs (mean and log-variance of q(z|x)) and
// the decoder's logits: -ELBO = -log p(x|z) + KL(q(z|x) ‖ N(0, I)), with the gradients that
// back-propagation needs, all from gendiv's stable, hand-derived formulas.
#include <iostream>

#include <gendiv/kl.hpp>
#include <gendiv/likelihood.hpp>
#include <gendiv/log_sum_exp.hpp>
#include <xtensor/xio.hpp>

int main() {
    // Two examples, four pixels, a 2-d latent.
    xt::xtensor<float, 2> x = {{0, 1, 1, 0}, {1, 1, 0, 0}};
    xt::xtensor<float, 2> logits = {{-3.0f, 2.5f, 1e4f, -1e4f}, {0.5f, 4.0f, -2.0f, -7.0f}};
    xt::xtensor<float, 2> mu = {{0.3f, -1.2f}, {0.0f, 0.8f}};
    xt::xtensor<float, 2> logvar = {{-0.5f, 0.1f}, {-80.0f, 2.0f}};
    xt::xtensor<float, 1> prior = xt::zeros<float>({2});  // broadcasts: N(0, I)

    auto log_px = gendiv::log_likelihood_bernoulli_logits(logits, x);          // shape (2,)
    auto kl = gendiv::kl_gaussian_gaussian_analytic(mu, logvar, prior, prior);  // shape (2,)
    xt::xtensor<float, 1> neg_elbo = kl - log_px;
    std::cout << "-ELBO per example: " << neg_elbo << "\n";

    // Gradients of the summed loss: d(-log p)/dlogits = σ(logits) - x, dKL/dmu, dKL/dlogvar.
    auto d_logits = gendiv::log_likelihood_bernoulli_logits_grad(logits, x).logits;
    auto d_kl = gendiv::kl_gaussian_gaussian_analytic_grad(mu, logvar, prior, prior);
    std::cout << "d(-log p)/dlogits:\n" << xt::xtensor<float, 2>(-d_logits) << "\n"
              << "dKL/dmu:\n" << d_kl.mu_q << "\ndKL/dlogvar:\n" << d_kl.logvar_q << "\n";

    // An importance-sampled log p(x) averages K weights in log space.
    xt::xtensor<double, 2> log_w = {{-90.0, -91.5, -89.7}, {-1e3, -1e3, -1e3}};
    std::cout << "log mean exp: " << gendiv::log_mean_exp(log_w) << "\n";
    return 0;
}

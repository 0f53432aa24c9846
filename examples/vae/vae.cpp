// vae: the seed's variational autoencoder on binarized images, trained with gendiv alone.
//
// Model (Kingma and Welling 2014, "Auto-Encoding Variational Bayes", arXiv 1312.6114): an
// encoder 784-300-300-200 (ELU) whose output splits into the mean and log-variance of
// q(z|x) = N(mu, diag e^{logvar}) over a 100-d latent; a decoder 100-300-300-784 (ELU) whose
// output minus 5 are the logits of p(x|z) = Bernoulli(sigmoid(logits)); prior p(z) = N(0, I).
//
//   --objective elbo  (default, the seed's):  loss = mean_b [ -log p(x|z) + KL(q(z|x) ‖ p(z)) ]
//                     with one reparameterized z = mu + e^{logvar/2} eps and the analytic KL;
//   --objective iwae  (Burda, Grosse, Salakhutdinov 2016, arXiv 1509.00519): loss = mean_b
//                     -log (1/k) Σ_j w_j, w_j = p(x|z_j) p(z_j) / q(z_j|x), whose gradient is the
//                     self-normalized weights w_j / Σ w times the gradients of log w_j.
//
// Every gradient comes from gendiv's hand-derived functions (likelihoods, KL, log-mean-exp)
// and the nn blocks' backward passes; Adam as PyTorch's (lr 3e-4). After each epoch the program
// prints train loss, validation -ELBO (the mean over the whole validation set) and seconds,
// writes a checkpoint atomically and the table as CSV. At the end it reports the test -ELBO and
// the importance-sampled test log p(x) = mean_x log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x) with
// K = 200 (--eval-k), and writes PNG grids of prior samples and of test reconstructions.
// --device-eval omp|cpp runs that evaluation's reductions (Bernoulli rows, prior and posterior
// Normal rows, log_mean_exp over K) on gendiv's Thrust device path instead, fed with the
// decoder's logits from the host's BLAS, and prints its time beside the reductions' share.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/resource.h>

#include <fmt/format.h>

#include <gendiv/checkpoint.hpp>
#include <gendiv/data/batch.hpp>
#include <gendiv/data/splits.hpp>
#include <gendiv/kl.hpp>
#include <gendiv/likelihood.hpp>
#include <gendiv/log_sum_exp.hpp>
#include <gendiv/nn/adam.hpp>
#include <gendiv/nn/mlp.hpp>
#include <gendiv/device/estimators.hpp>
#include <gendiv/device/likelihood.hpp>

#include <thrust/iterator/constant_iterator.h>
#include <thrust/system/cpp/execution_policy.h>
#include <thrust/system/omp/execution_policy.h>

#include "common/options.hpp"
#include "common/png.hpp"
#include "common/progress.hpp"
#include "common/random.hpp"
#include "common/run_checkpoint.hpp"

namespace {

using real = float;
using tensor2 = xt::xtensor<real, 2>;
constexpr std::size_t pixels = 784, latent = 100, hidden = 300;
constexpr real logit_offset = 5;  // the seed's decoder returns mlp(z) - 5

struct options : examples::common_options {
    std::string objective = "elbo";
    std::size_t k = 5;          // importance samples per example when training with iwae
    std::size_t eval_k = 200;   // importance samples for the test log p(x)
    bool shuffle = false;
    std::size_t limit = 0;      // use only the first N training examples (0: all), for tests
    std::string export_data;    // write the binarized splits as {train,valid,test}.u8 and exit
    std::string device_eval = "host";  // reductions of the log p(x) evaluation: host, omp, cpp
};

using seconds_clock = std::chrono::steady_clock;
double seconds_since(seconds_clock::time_point t0) {
    return std::chrono::duration<double>(seconds_clock::now() - t0).count();
}


/// A (rows × cols) view of a raw buffer, for gendiv's xtensor functions (no copy).
auto view(real* p, std::size_t rows, std::size_t cols) {
    return xt::adapt(p, rows * cols, xt::no_ownership(), std::array<std::size_t, 2>{rows, cols});
}
auto view(const real* p, std::size_t rows, std::size_t cols) {
    return view(const_cast<real*>(p), rows, cols);
}

class vae {
public:
    vae(std::uint64_t seed, double lr)
        : enc_({pixels, hidden, hidden, 2 * latent}, gendiv::nn::activation::elu(),
               gendiv::nn::activation::identity(), seed),
          dec_({latent, hidden, hidden, pixels}, gendiv::nn::activation::elu(),
               gendiv::nn::activation::identity(), seed + 1),
          opt_enc_(enc_.parameter_count(), {lr}),
          opt_dec_(dec_.parameter_count(), {lr}) {}

    /// A copy for evaluation only: the networks (with their own workspaces), no optimizer state.
    vae evaluation_copy() const { return vae(enc_, dec_); }

    /// One Adam step on a batch (B × 784 of 0/1) with the chosen objective; returns the loss.
    real train_step(const real* x, std::size_t B, bool iwae, std::size_t k, examples::engine& rng) {
        enc_.zero_grad();
        dec_.zero_grad();
        const real loss = iwae ? iwae_loss_and_backward(x, B, k, rng) : elbo_loss_and_backward(x, B, rng);
        opt_enc_.step(enc_.parameters(), enc_.gradients(), enc_.parameter_count());
        opt_dec_.step(dec_.parameters(), dec_.gradients(), dec_.parameter_count());
        return loss;
    }

    /// Sum over the batch of -ELBO (one z per example, analytic KL), no gradients.
    double neg_elbo_sum(const real* x, std::size_t B, examples::engine& rng) {
        encode(x, B);
        sample_z(B, 1, rng);
        const real* logits = decode(z_.data(), B);
        const auto ll = gendiv::log_likelihood_bernoulli_logits(view(logits, B, pixels), view(x, B, pixels));
        const auto kl = gendiv::kl_gaussian_gaussian_analytic(mu_, lv_, prior_, prior_);
        double s = 0;
        for (std::size_t b = 0; b < B; ++b) s += static_cast<double>(kl(b)) - ll(b);
        return s;
    }

    /// Σ over the batch of the importance-sampled log p(x) with K samples each.
    /// `reduce_secs` accumulates the time of the reductions (after the decoder's products).
    double log_px_sum(const real* x, std::size_t B, std::size_t K, examples::engine& rng,
                      double* reduce_secs = nullptr) {
        const auto log_w = log_weights(x, B, K, rng, reduce_secs);
        const auto t0 = seconds_clock::now();
        const auto lme = gendiv::log_mean_exp(log_w);
        double s = 0;
        for (std::size_t b = 0; b < B; ++b) s += lme(b);
        if (reduce_secs) *reduce_secs += seconds_since(t0);
        return s;
    }

    /// log_px_sum with the reductions on a Thrust device path (`exec`: thrust::omp::par or
    /// thrust::cpp::par on these host buffers; with CUDA they would be device buffers): the
    /// same samples and logits, then per-sample Bernoulli rows, the prior N(0, I) as constant
    /// iterators, the posterior rows, the importance log-weights and the IWAE bound (log_mean_exp
    /// over K).
    template <class Policy>
    double log_px_sum_device(const Policy& exec, const real* x, std::size_t B, std::size_t K,
                             examples::engine& rng, double& reduce_secs) {
        namespace dev = gendiv::device;
        const auto [logits, xk_rows] = decoded_samples(x, B, K, rng);
        const real* xk = xk_rows->data();
        const std::size_t n = B * K;
        const auto t0 = seconds_clock::now();
        rows_.resize(4 * n + B);
        real *ll = rows_.data(), *lpz = ll + n, *lqz = lpz + n, *w = lqz + n, *lme = w + n;
        const auto zero = thrust::constant_iterator<real>(0);
        dev::log_likelihood_bernoulli_logits(exec, logits, xk, n, pixels, ll);
        dev::log_likelihood_normal(exec, zero, zero, z_.data(), n, latent, lpz);
        dev::log_likelihood_normal(exec, mu_k_.data(), lv_k_.data(), z_.data(), n, latent, lqz);
        dev::importance_log_weights(exec, ll, lpz, lqz, B, K, w);
        dev::iwae_bound(exec, w, B, K, lme);
        double s = 0;
        for (std::size_t b = 0; b < B; ++b) s += lme[b];
        reduce_secs += seconds_since(t0);
        return s;
    }

    /// Bernoulli means sigmoid(logits) of the decoder at the given latents (n × 100).
    std::vector<real> decode_means(const real* z, std::size_t n) {
        const real* logits = decode(z, n);
        std::vector<real> p(n * pixels);
        for (std::size_t i = 0; i < p.size(); ++i) p[i] = real(1) / (real(1) + std::exp(-logits[i]));
        return p;
    }

    /// Reconstructions: decoder means at z = mu(x).
    std::vector<real> reconstruct(const real* x, std::size_t n) {
        encode(x, n);
        return decode_means(mu_.data(), n);
    }

    void save(gendiv::checkpoint& c) const {
        c.put("encoder", enc_.parameters(), enc_.parameter_count());
        c.put("decoder", dec_.parameters(), dec_.parameter_count());
        examples::put_adam(c, "adam_enc", opt_enc_);
        examples::put_adam(c, "adam_dec", opt_dec_);
    }

    void load(const gendiv::checkpoint& c) {
        const auto e = c.get<real>("encoder"), d = c.get<real>("decoder");
        enc_.set_parameters(e.data(), e.size());
        dec_.set_parameters(d.data(), d.size());
        examples::get_adam(c, "adam_enc", opt_enc_);
        examples::get_adam(c, "adam_dec", opt_dec_);
    }

private:
    vae(const gendiv::nn::mlp<real>& enc, const gendiv::nn::mlp<real>& dec)
        : enc_(enc), dec_(dec), opt_enc_(0), opt_dec_(0) {}

    /// Encoder forward: fills mu_ and lv_ (B × 100) from the encoder's (B × 200) output.
    void encode(const real* x, std::size_t B) {
        const real* h = enc_.forward(x, B);
        mu_.resize({B, latent});
        lv_.resize({B, latent});
        for (std::size_t b = 0; b < B; ++b) {
            std::copy(h + b * 2 * latent, h + b * 2 * latent + latent, mu_.data() + b * latent);
            std::copy(h + b * 2 * latent + latent, h + (b + 1) * 2 * latent, lv_.data() + b * latent);
        }
    }

    /// z_[(b·K + j)] = mu_b + e^{lv_b / 2} eps_[(b·K + j)] for K samples per example; also
    /// mu_k_, lv_k_ (the parameters repeated per sample) and prior_ (zeros) of z_'s shape.
    void sample_z(std::size_t B, std::size_t K, examples::engine& rng) {
        const std::size_t n = B * K;
        eps_.resize({n, latent});
        z_.resize({n, latent});
        mu_k_.resize({n, latent});
        lv_k_.resize({n, latent});
        if (prior_.shape()[0] != n) {
            prior_.resize({n, latent});
            prior_.fill(real(0));
        }
        examples::fill_normal(rng, eps_.data(), eps_.size());
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t j = 0; j < K; ++j)
                for (std::size_t d = 0; d < latent; ++d) {
                    const std::size_t i = (b * K + j) * latent + d;
                    mu_k_.data()[i] = mu_(b, d);
                    lv_k_.data()[i] = lv_(b, d);
                    z_.data()[i] = mu_(b, d) + std::exp(real(0.5) * lv_(b, d)) * eps_.data()[i];
                }
    }

    /// Decoder forward at n latents: logits = mlp(z) - 5, in logits_ (n × 784).
    const real* decode(const real* z, std::size_t n) {
        const real* out = dec_.forward(z, n);
        logits_.resize({n, pixels});
        std::transform(out, out + n * pixels, logits_.data(), [](real v) { return v - logit_offset; });
        return logits_.data();
    }

    /// Repeats each of B rows of x K times (targets for K decoded samples per example).
    const tensor2& repeat_rows(const real* x, std::size_t B, std::size_t K) {
        xk_.resize({B * K, pixels});
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t j = 0; j < K; ++j)
                std::copy(x + b * pixels, x + (b + 1) * pixels, xk_.data() + (b * K + j) * pixels);
        return xk_;
    }

    /// K samples z ~ q(z|x) for each of the B rows of x, decoded: the decoder's logits (B·K × 784)
    /// and x repeated K times beside them (mu_k_, lv_k_ and z_ hold the samples' parameters).
    std::pair<const real*, const tensor2*> decoded_samples(const real* x, std::size_t B, std::size_t K,
                                                           examples::engine& rng) {
        encode(x, B);
        sample_z(B, K, rng);
        const real* logits = decode(z_.data(), B * K);
        return {logits, &repeat_rows(x, B, K)};
    }

    /// log w[b, j] = log p(x_b|z_bj) + log p(z_bj) - log q(z_bj|x_b), as a (B × K) tensor.
    tensor2 log_weights(const real* x, std::size_t B, std::size_t K, examples::engine& rng,
                        double* reduce_secs = nullptr) {
        const auto [logits, xk] = decoded_samples(x, B, K, rng);
        const auto t0 = seconds_clock::now();
        const auto ll = gendiv::log_likelihood_bernoulli_logits(view(logits, B * K, pixels), *xk);
        const auto log_pz = gendiv::log_likelihood_normal(prior_, prior_, z_);
        const auto log_qz = gendiv::log_likelihood_normal(mu_k_, lv_k_, z_);
        tensor2 w = xt::reshape_view(ll + log_pz - log_qz, {B, K});
        if (reduce_secs) *reduce_secs += seconds_since(t0);
        return w;
    }

    /// The seed's objective: mean over the batch of -log p(x|z) + KL(q ‖ N(0, I)); backward.
    real elbo_loss_and_backward(const real* x, std::size_t B, examples::engine& rng) {
        encode(x, B);
        sample_z(B, 1, rng);
        const real* logits = decode(z_.data(), B);
        const auto X = view(x, B, pixels);
        const auto L = view(logits, B, pixels);
        const auto mu = view(mu_.data(), B, latent), lv = view(lv_.data(), B, latent);
        const auto ll = gendiv::log_likelihood_bernoulli_logits(L, X);
        const auto kl = gendiv::kl_gaussian_gaussian_analytic(mu, lv, prior_, prior_);
        // d loss / d logits = -(1/B) d ll / d logits; upstream -1/B for every example.
        upstream_ = xt::xtensor<real, 1>::from_shape({B});
        upstream_.fill(real(-1) / static_cast<real>(B));
        const auto d_logits = gendiv::log_likelihood_bernoulli_logits_grad(L, X, upstream_).logits;
        const real* d_z = dec_.backward(d_logits.data(), /*want_d_input=*/true);
        upstream_.fill(real(1) / static_cast<real>(B));
        const auto d_kl = gendiv::kl_gaussian_gaussian_analytic_grad(mu, lv, prior_, prior_, upstream_);
        // Chain through z = mu + e^{lv/2} eps: dz/dmu = 1, dz/dlv = ½ e^{lv/2} eps.
        d_enc_.resize({B, 2 * latent});
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t d = 0; d < latent; ++d) {
                const std::size_t i = b * latent + d;
                const real g = d_z[i];
                d_enc_(b, d) = g + d_kl.mu_q.data()[i];
                d_enc_(b, latent + d) = g * real(0.5) * (z_.data()[i] - mu_.data()[i]) + d_kl.logvar_q.data()[i];
            }
        enc_.backward(d_enc_.data());
        double loss = 0;
        for (std::size_t b = 0; b < B; ++b) loss += static_cast<double>(kl(b)) - ll(b);
        return static_cast<real>(loss / static_cast<double>(B));
    }

    /// The IWAE objective with k samples: mean_b -log mean_j w_bj; backward through the
    /// self-normalized weights (the gradient of log_mean_exp).
    real iwae_loss_and_backward(const real* x, std::size_t B, std::size_t K, examples::engine& rng) {
        const tensor2 log_w = log_weights(x, B, K, rng);  // fills mu_, lv_, eps_, z_, logits_, xk_
        const auto bound = gendiv::log_mean_exp(log_w);
        upstream_ = xt::xtensor<real, 1>::from_shape({B});
        upstream_.fill(real(-1) / static_cast<real>(B));
        // d loss / d log w[b, j] = -(1/B) softmax_j(log w[b, :]).
        const auto d_logw = gendiv::log_mean_exp_grad(log_w, upstream_).x;
        const std::size_t n = B * K;
        const xt::xtensor<real, 1> u = xt::reshape_view(d_logw, {n});
        // log w = ll(logits(z), x) + log N(z; 0, I) - log N(z; mu, lv), each with upstream u.
        const auto d_logits = gendiv::log_likelihood_bernoulli_logits_grad(view(logits_.data(), n, pixels), xk_, u).logits;
        const real* d_z_dec = dec_.backward(d_logits.data(), /*want_d_input=*/true);
        const auto g_pz = gendiv::log_likelihood_normal_grad(prior_, prior_, z_, u);
        const auto g_qz = gendiv::log_likelihood_normal_grad(mu_k_, lv_k_, z_, u);
        // Total derivative, z = mu + e^{lv/2} eps: d/dmu = ∂/∂mu + ∂/∂z, d/dlv = ∂/∂lv + ∂/∂z ½(z - mu).
        d_enc_ = xt::zeros<real>({B, 2 * latent});
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t j = 0; j < K; ++j)
                for (std::size_t d = 0; d < latent; ++d) {
                    const std::size_t i = (b * K + j) * latent + d;
                    const real dz = d_z_dec[i] + g_pz.z.data()[i] - g_qz.z.data()[i];
                    d_enc_(b, d) += dz - g_qz.mu.data()[i];
                    d_enc_(b, latent + d) += dz * real(0.5) * (z_.data()[i] - mu_(b, d)) - g_qz.logvar.data()[i];
                }
        enc_.backward(d_enc_.data());
        double loss = 0;
        for (std::size_t b = 0; b < B; ++b) loss -= bound(b);
        return static_cast<real>(loss / static_cast<double>(B));
    }

    gendiv::nn::mlp<real> enc_, dec_;
    gendiv::nn::adam<real> opt_enc_, opt_dec_;
    tensor2 mu_, lv_, eps_, z_, mu_k_, lv_k_, logits_, xk_, d_enc_;
    tensor2 prior_ = tensor2::from_shape({0, latent});  // zeros of z_'s shape: p(z) = N(0, I)
    xt::xtensor<real, 1> upstream_;
    std::vector<real> rows_;  // the device path's row results: ll, log p(z), log q(z|x), log w, lme
};

/// A batch of rows of a dataset (in order or through an index) as 0/1 floats.
struct batcher {
    std::vector<real> buf;
    const real* rows(const gendiv::data::dataset& d, const std::size_t* index, std::size_t first, std::size_t n) {
        buf.resize(n * pixels);
        if (index)
            gendiv::data::gather_rows(d.images, index + first, n, buf.data());
        else
            gendiv::data::copy_rows(d.images, first, n, buf.data());
        return buf.data();
    }
};

/// Mean -ELBO over a whole dataset, one z per example from a generator seeded for this pass.
double mean_neg_elbo(vae& model, const gendiv::data::dataset& d, std::uint64_t seed) {
    examples::engine rng(seed);
    batcher bt;
    double s = 0;
    const std::size_t N = d.images.shape()[0], B = 500;
    for (std::size_t i = 0; i < N; i += B) {
        const std::size_t n = std::min(B, N - i);
        s += model.neg_elbo_sum(bt.rows(d, nullptr, i, n), n, rng);
    }
    return s / static_cast<double>(N);
}

/// Mean importance-sampled log p(x) over a dataset with K samples per example. Chunks of about
/// 500 decoded rows go to the threads, each with its own copy of the model (workspaces) and
/// single-threaded BLAS: for these shapes that beats threading every gemm, and every step of the
/// evaluation (sampling, likelihoods, log-mean-exp) runs in parallel too. Chunk c draws from
/// its own generator, seeded from (seed, c), so the result does not depend on the thread count.
/// With device_eval omp or cpp the chunks run in order on the calling thread, as a GPU stream
/// would: the products on all threads of BLAS, the reductions on the Thrust device path (OMP:
/// all threads; CPP: sequential); the samples are the same, so is log p(x) up to rounding.
/// `reduce_secs`: seconds in the reductions (host: summed over the threads that ran chunks).
double mean_log_px(const vae& model, const gendiv::data::dataset& d, std::size_t K, std::uint64_t seed,
                   int threads, const std::string& device_eval, double& reduce_secs) {
    const std::size_t N = d.images.shape()[0];
    const std::size_t B = std::max<std::size_t>(1, 500 / K);
    const long chunks = static_cast<long>((N + B - 1) / B);
    std::vector<double> sums(static_cast<std::size_t>(chunks), 0.0), secs(sums.size(), 0.0);
    auto chunk_seed = [seed](long c) { return seed ^ (0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(c + 1)); };
    examples::progress_bar bar("log p(x)", N);
    if (device_eval != "host") {
        vae local = model.evaluation_copy();
        batcher bt;
        auto run = [&](const auto& exec) {
            for (long c = 0; c < chunks; ++c) {
                const std::size_t first = static_cast<std::size_t>(c) * B, n = std::min(B, N - first);
                examples::engine rng(chunk_seed(c));
                sums[static_cast<std::size_t>(c)] =
                    local.log_px_sum_device(exec, bt.rows(d, nullptr, first, n), n, K, rng, reduce_secs);
                bar.update(first + n, 0);
            }
        };
        if (device_eval == "omp") {
            // libgomp's workers spin after every parallel region by default and take the cores
            // OpenBLAS's threads need for the next product (docs/benchmarks.md §6: 63 s against
            // 24 s for the full test set with OMP_WAIT_POLICY=passive on this 2-core machine).
            if (!std::getenv("OMP_WAIT_POLICY"))
                std::fprintf(stderr, "note: --device-eval omp runs next to OpenBLAS's threads; "
                                     "OMP_WAIT_POLICY=passive is much faster there\n");
            run(thrust::omp::par);
        } else {
            run(thrust::cpp::par);
        }
        double s = 0;
        for (double v : sums) s += v;
        return s / static_cast<double>(N);
    }
    std::atomic<std::size_t> done{0};
    examples::set_blas_threads(1);
#pragma omp parallel num_threads(threads)
    {
        vae local = model.evaluation_copy();
        batcher bt;
#pragma omp for schedule(dynamic)
        for (long c = 0; c < chunks; ++c) {
            const std::size_t first = static_cast<std::size_t>(c) * B, n = std::min(B, N - first);
            examples::engine rng(chunk_seed(c));
            sums[static_cast<std::size_t>(c)] =
                local.log_px_sum(bt.rows(d, nullptr, first, n), n, K, rng, &secs[static_cast<std::size_t>(c)]);
            done += n;
            if (omp_get_thread_num() == 0) bar.update(done.load(), 0);
        }
    }
    examples::apply_threads(threads);
    double s = 0;
    for (double v : sums) s += v;
    for (double v : secs) reduce_secs += v;
    return s / static_cast<double>(N);
}

struct epoch_row {
    int epoch;
    double train_loss, valid_neg_elbo, train_seconds, seconds;
};

std::string table_csv(const std::vector<epoch_row>& rows) {
    std::string s = "epoch,train_loss,valid_neg_elbo,train_seconds,seconds\n";
    for (const auto& r : rows)
        s += fmt::format("{},{:.6f},{:.6f},{:.3f},{:.3f}\n", r.epoch, r.train_loss, r.valid_neg_elbo,
                         r.train_seconds, r.seconds);
    return s;
}

void print_row(const epoch_row& r) {
    std::printf("%6d %12.4f %16.4f %9.2f %9.2f\n", r.epoch, r.train_loss, r.valid_neg_elbo, r.train_seconds,
                r.seconds);
}

std::vector<epoch_row> parse_table(const std::string& csv) {
    std::vector<epoch_row> rows;
    std::istringstream is(csv);
    std::string line;
    std::getline(is, line);  // header
    while (std::getline(is, line)) {
        epoch_row r{};
        if (std::sscanf(line.c_str(), "%d,%lf,%lf,%lf,%lf", &r.epoch, &r.train_loss, &r.valid_neg_elbo,
                        &r.train_seconds, &r.seconds) != 5)
            throw gendiv::error("vae: corrupt epoch table in checkpoint: '" + line + "'");
        rows.push_back(r);
    }
    return rows;
}

/// What must match for --resume to continue the same run.
std::string run_fingerprint(const options& o, const std::string& data_fp) {
    return fmt::format("data={} {} objective={} k={} batch={} lr={} seed={} shuffle={} limit={} threads={}", o.data,
                       data_fp, o.objective, o.k, o.batch_size, o.lr, o.seed, o.shuffle, o.limit, o.threads);
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    o.epochs = 20;
    o.lr = 3e-4;
    o.batch_size = 64;
    o.out = "out/vae";
    CLI::App app{"gendiv VAE: the seed's model on binarized images, hand-derived gradients throughout"};
    examples::add_common_options(app, o, gendiv::data::data_spec_help);
    app.add_option("--objective", o.objective, "training objective: elbo (analytic KL, the seed's) or iwae")
        ->check(CLI::IsMember({"elbo", "iwae"}))->capture_default_str();
    app.add_option("--k", o.k, "importance samples per example for --objective iwae")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--eval-k", o.eval_k, "importance samples for the test log p(x) (0: skip)")->capture_default_str();
    app.add_flag("--shuffle", o.shuffle, "shuffle the training set every epoch (default: file order, as the seed)");
    app.add_option("--device-eval", o.device_eval,
                   "reductions of the test log p(x): host (xtensor, chunks on all threads), omp or cpp "
                   "(gendiv's Thrust device path on that backend, chunks in order); prints the timing")
        ->check(CLI::IsMember({"host", "omp", "cpp"}))->capture_default_str();
    app.add_option("--limit", o.limit, "train on the first N examples only and evaluate on as many (0: all)");
    app.add_option("--export-data", o.export_data,
                   "write the binarized splits as DIR/{train,valid,test}.u8 (for --data u8:DIR and "
                   "benchmarks/pytorch_vae.py) and exit");
    CLI11_PARSE(app, argc, argv);
    examples::apply_threads(o.threads);
    if (o.data_root.empty()) o.data_root = examples::default_data_root();

    try {
        namespace fs = std::filesystem;
        fs::create_directories(o.out);
        auto splits = gendiv::data::load_splits(o.data, o.data_root);
        if (o.limit) {
            auto cut = [&](gendiv::data::dataset& d) {
                const std::size_t n = std::min<std::size_t>(o.limit, d.images.shape()[0]);
                d.images = xt::xtensor<std::uint8_t, 2>(xt::view(d.images, xt::range(0, n), xt::all()));
                if (d.labels.size() > n) d.labels.resize(n);
            };
            cut(splits.train), cut(splits.valid), cut(splits.test);
        }
        std::printf("data: %s%s\n", splits.description.c_str(),
                    o.limit ? fmt::format(" (first {} of each split: --limit)", o.limit).c_str() : "");
        if (!o.export_data.empty()) {
            fs::create_directories(o.export_data);
            for (auto [name, d] : {std::pair{"train", &splits.train}, {"valid", &splits.valid}, {"test", &splits.test}}) {
                const std::string path = o.export_data + "/" + name + ".u8";
                std::ofstream f(path, std::ios::binary);
                f.write(reinterpret_cast<const char*>(d->images.data()), static_cast<std::streamsize>(d->images.size()));
                if (!f) throw gendiv::error("vae: cannot write " + path);
            }
            std::printf("wrote %s/{train,valid,test}.u8\n", o.export_data.c_str());
            return 0;
        }
        std::printf("model: encoder 784-300-300-200 ELU, decoder 100-300-300-784 ELU (logits - 5); "
                    "objective %s%s; Adam lr %g; batch %zu; %d epochs; %s order; %d threads\n",
                    o.objective.c_str(), o.objective == "iwae" ? fmt::format(" k={}", o.k).c_str() : "", o.lr,
                    o.batch_size, o.epochs, o.shuffle ? "shuffled" : "file", o.threads);

        vae model(o.seed, o.lr);
        examples::engine rng(o.seed ^ 0x9e3779b97f4a7c15ULL);
        std::vector<epoch_row> table;
        const std::string ckpt_path = o.out + "/checkpoint.gdv";
        const std::string fingerprint = run_fingerprint(o, splits.description);
        if (const auto c = examples::read_for_resume("vae", o.resume, ckpt_path, fingerprint)) {
            model.load(*c);
            rng = examples::load_engine(c->get_text("rng"));
            table = parse_table(c->get_text("table"));
            std::printf("resumed from %s after epoch %zu\n", ckpt_path.c_str(), table.size());
        }

        std::printf("%6s %12s %16s %9s %9s\n", "epoch", "train loss", "valid -ELBO", "train s", "total s");
        for (const auto& r : table) print_row(r);
        const auto& train = splits.train;
        const std::size_t N = train.images.shape()[0];
        batcher bt;
        for (int epoch = static_cast<int>(table.size()) + 1; epoch <= o.epochs; ++epoch) {
            const auto t0 = std::chrono::steady_clock::now();
            std::vector<std::size_t> order;
            if (o.shuffle) order = examples::permutation(rng, N);
            double loss_sum = 0;
            std::size_t steps = 0;
            examples::progress_bar bar(fmt::format("epoch {}", epoch), N);
            for (std::size_t i = 0; i < N; i += o.batch_size) {
                const std::size_t n = std::min(o.batch_size, N - i);
                const real* x = bt.rows(train, o.shuffle ? order.data() : nullptr, i, n);
                loss_sum += model.train_step(x, n, o.objective == "iwae", o.k, rng);
                ++steps;
                bar.update(i + n, loss_sum / static_cast<double>(steps));
            }
            bar.finish();
            const double train_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const double valid = mean_neg_elbo(model, splits.valid, o.seed + 1000003ULL * static_cast<std::uint64_t>(epoch));
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            table.push_back({epoch, loss_sum / static_cast<double>(steps), valid, train_secs, secs});
            print_row(table.back());
            std::fflush(stdout);

            gendiv::checkpoint c = examples::run_checkpoint(fingerprint, rng, table_csv(table));
            model.save(c);
            c.write(ckpt_path);
            std::ofstream(o.out + "/epochs.csv") << table_csv(table);
        }

        const double test_elbo = mean_neg_elbo(model, splits.test, o.seed + 77);
        std::printf("test -ELBO: %.4f\n", test_elbo);
        if (o.eval_k > 0) {
            const auto t0 = std::chrono::steady_clock::now();
            double reduce_secs = 0;
            const double lpx = mean_log_px(model, splits.test, o.eval_k, o.seed + 99, o.threads, o.device_eval,
                                           reduce_secs);
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::printf("test log p(x), importance sampled with K=%zu: %.4f  (%.1f s)\n", o.eval_k, lpx, secs);
            if (app.count("--device-eval"))
                std::printf("log p(x) evaluation, --device-eval %s: %.10g, %.3f s, of which reductions %.3f s%s\n",
                            o.device_eval.c_str(), lpx, secs, reduce_secs,
                            o.device_eval == "host" ? " (summed over threads)" : "");
        }

        // Pictures: 10×10 prior samples; 8 rows of (test input, reconstruction) pairs.
        examples::engine prng(o.seed + 5);
        std::vector<real> zs(100 * latent);
        examples::fill_normal(prng, zs.data(), zs.size());
        const auto samples = model.decode_means(zs.data(), 100);
        examples::write_image_grid(o.out + "/samples.png", samples.data(), 10, 10);
        const std::size_t nr = std::min<std::size_t>(32, splits.test.images.shape()[0]);
        const real* tx = bt.rows(splits.test, nullptr, 0, nr);
        std::vector<real> inputs(tx, tx + nr * pixels);
        const auto recon = model.reconstruct(inputs.data(), nr);
        auto cv = examples::make_grid_canvas(4, 16, 28, 28);
        for (std::size_t i = 0; i < nr / 2 * 2 && i < 32; ++i) {
            examples::paste_cell(cv, inputs.data(), i, i / 8, 2 * (i % 8), 28, 28);
            examples::paste_cell(cv, recon.data(), i, i / 8, 2 * (i % 8) + 1, 28, 28);
        }
        examples::write_png(o.out + "/reconstructions.png", cv);
        std::printf("wrote %s/{checkpoint.gdv, epochs.csv, samples.png, reconstructions.png}\n", o.out.c_str());
        struct rusage ru {};
        getrusage(RUSAGE_SELF, &ru);
        std::printf("peak RSS: %.0f MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vae: %s\n", e.what());
        return 1;
    }
    return 0;
}

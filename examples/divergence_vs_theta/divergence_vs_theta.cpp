// divergence_vs_theta: divergences estimated by a trained critic, against their exact values.
//
// The seed's toy (Problem 2; Arjovsky, Chintala and Bottou 2017, example 1): P is the law of
// (0, Z) and Q_θ that of (θ, Z), Z ~ U[0, 1]. For θ ≠ 0 the supports are disjoint segments, so
// every f-divergence takes its largest value: with the f-GAN table's conventions (Nowozin,
// Cseke and Tomioka 2016) squared Hellinger 2, Jensen–Shannon 2 log 2, total variation 1; at
// θ = 0 all are 0. The Wasserstein-1 distance is |θ| (the optimal critic is x₁ ↦ ±x₁).
// Derivations: docs/f_divergence.md.
//
// For each θ ∈ {-1, -0.9, ..., 1} and each divergence a fresh MLP critic 2-64-64-1 (ReLU) is
// trained with Adam on fresh samples, maximizing
//   f-divergences: the variational lower bound  E_P[g_f(V)] - E_Q[f*(g_f(V))]  (f-GAN eq. 6);
//   Wasserstein:   E_P[D] - E_Q[D] - λ E_x̂[max(0, ‖∇D(x̂)‖ - 1)²]  (Petzka et al. 2018, one-sided;
//                  --penalty gradient: (‖∇D(x̂)‖ - 1)², Gulrajani et al. 2017), x̂ = t x_P + (1-t) x_Q
//                  with one t ~ U[0, 1] per example, the penalty back-propagated into the critic
//                  through its second-order terms.
// Each estimate is then the objective on 65,536 fresh samples of each law. The penalized
// critic's slope k exceeds 1 (it maximizes k|θ| - λ(k - 1)², so k = 1 + |θ|/(2λ)), which biases
// the raw Wasserstein estimate up to ≈ |θ| + θ²/(2λ). The corrected estimate divides the raw
// one by the critic's mean gradient norm over the interpolates, which estimates the slope k
// (constant along the segments for this toy's optimal critic); dividing instead by the largest
// norm seen gives a certified lower bound (D/max‖∇D‖ is 1-Lipschitz on the interpolates, a
// feasible dual critic there), written to the CSV as well (docs/f_divergence.md).
//
// The runs are independent, so they go to the threads (--threads), each with single-threaded
// BLAS: the critic's matrices are too small for a threaded gemm to pay.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <gendiv/f_divergence.hpp>
#include <gendiv/nn/adam.hpp>
#include <gendiv/nn/mlp.hpp>
#include <gendiv/penalty.hpp>

#include "common/options.hpp"
#include "common/random.hpp"

namespace {

using real = float;

struct options : examples::common_options {
    std::size_t steps = 1000;
    double lambda = 10;
    std::string penalty = "lipschitz";
    int hidden = 64;
    double theta_step = 0.1;
    std::size_t eval_samples = 65536;
};

enum class divergence { hellinger, jensen_shannon, total_variation, wasserstein };
constexpr divergence all_divergences[] = {divergence::hellinger, divergence::jensen_shannon,
                                          divergence::total_variation, divergence::wasserstein};

const char* name(divergence d) {
    switch (d) {
        case divergence::hellinger: return "squared_hellinger";
        case divergence::jensen_shannon: return "jensen_shannon";
        case divergence::total_variation: return "total_variation";
        default: return "wasserstein";
    }
}

/// The exact value for the toy (docs/f_divergence.md).
double exact(divergence d, double theta) {
    if (d == divergence::wasserstein) return std::abs(theta);
    if (theta == 0) return 0;
    switch (d) {
        case divergence::hellinger: return 2;
        case divergence::jensen_shannon: return 2 * std::log(2.0);
        default: return 1;
    }
}

/// n samples of (shift, Z), Z ~ U[0, 1], row-major (n × 2).
void sample(examples::engine& rng, double shift, std::size_t n, real* out) {
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = static_cast<real>(shift);
        out[2 * i + 1] = static_cast<real>(examples::uniform_open(rng));
    }
}

auto view1(const real* p, std::size_t n) {
    return xt::adapt(const_cast<real*>(p), n, xt::no_ownership(), std::array<std::size_t, 1>{n});
}
auto view2(const real* p, std::size_t rows) {
    return xt::adapt(const_cast<real*>(p), rows * 2, xt::no_ownership(), std::array<std::size_t, 2>{rows, 2});
}

/// The objective's value and its gradient with respect to the 2B critic outputs (real first).
template <class D>
real f_gan_value_and_grad(const real* v, std::size_t B, real* d_v) {
    const auto r = view1(v, B), f = view1(v + B, B);
    const auto g = gendiv::f_gan_objective_grad<D>(r, f);
    std::copy(g.critic_real.begin(), g.critic_real.end(), d_v);
    std::copy(g.critic_fake.begin(), g.critic_fake.end(), d_v + B);
    return gendiv::f_gan_objective<D>(r, f);
}

real objective_value(divergence d, const real* v, std::size_t B) {
    const auto r = view1(v, B), f = view1(v + B, B);
    switch (d) {
        case divergence::hellinger: return gendiv::f_gan_objective<gendiv::squared_hellinger>(r, f);
        case divergence::jensen_shannon: return gendiv::f_gan_objective<gendiv::jensen_shannon>(r, f);
        case divergence::total_variation: return gendiv::f_gan_objective<gendiv::total_variation>(r, f);
        default: return gendiv::wasserstein_objective(r, f);
    }
}

struct result {
    double raw = 0, corrected = 0, lower_bound = 0;
};

/// Trains a fresh critic for one (divergence, θ) and estimates the divergence.
result run(const options& o, divergence d, double theta, std::uint64_t seed) {
    gendiv::nn::mlp<real> critic({2, std::size_t(o.hidden), std::size_t(o.hidden), 1},
                                 gendiv::nn::activation::relu(), gendiv::nn::activation::identity(), seed);
    gendiv::nn::adam<real> opt(critic.parameter_count(), {o.lr});
    examples::engine rng(seed ^ 0x5bd1e995u);
    const std::size_t B = o.batch_size;
    std::vector<real> x(4 * B), xhat(2 * B), d_v(2 * B), d_g(2 * B);
    const bool wass = d == divergence::wasserstein, one_sided = o.penalty == "lipschitz";
    for (std::size_t step = 0; step < o.steps; ++step) {
        sample(rng, 0.0, B, x.data());
        sample(rng, theta, B, x.data() + 2 * B);
        critic.zero_grad();
        const real* v = critic.forward(x.data(), 2 * B);
        switch (d) {  // the critic ascends: back-propagate minus the objective's gradient
            case divergence::hellinger: f_gan_value_and_grad<gendiv::squared_hellinger>(v, B, d_v.data()); break;
            case divergence::jensen_shannon: f_gan_value_and_grad<gendiv::jensen_shannon>(v, B, d_v.data()); break;
            case divergence::total_variation: f_gan_value_and_grad<gendiv::total_variation>(v, B, d_v.data()); break;
            default: {
                const auto g = gendiv::wasserstein_objective_grad(view1(v, B), view1(v + B, B));
                std::copy(g.critic_real.begin(), g.critic_real.end(), d_v.begin());
                std::copy(g.critic_fake.begin(), g.critic_fake.end(), d_v.begin() + B);
            }
        }
        for (auto& g : d_v) g = -g;
        critic.backward(d_v.data());
        if (wass) {
            const auto t = gendiv::sample_interpolation_weights<real>(B, rng);
            const auto xh = gendiv::interpolate(view2(x.data(), B), view2(x.data() + 2 * B, B), t);
            const real* g = critic.input_gradient(xh.data(), B);
            const auto pg = one_sided ? gendiv::lipschitz_penalty_grad(view2(g, B), o.lambda)
                                      : gendiv::gradient_penalty_grad(view2(g, B), o.lambda);
            critic.input_gradient_backward(pg.grad.data());
        }
        opt.step(critic.parameters(), critic.gradients(), critic.parameter_count());
    }

    // Estimate on fresh samples, in chunks.
    const std::size_t N = o.eval_samples, chunk = 4096;
    double sum = 0, max_norm = 0, sum_norm = 0;
    std::vector<real> xe(4 * chunk);
    for (std::size_t done = 0; done < N; done += chunk) {
        const std::size_t n = std::min(chunk, N - done);
        sample(rng, 0.0, n, xe.data());
        sample(rng, theta, n, xe.data() + 2 * n);
        const real* v = critic.forward(xe.data(), 2 * n);
        sum += static_cast<double>(objective_value(d, v, n)) * static_cast<double>(n);
        if (wass) {
            const auto t = gendiv::sample_interpolation_weights<real>(n, rng);
            const auto xh = gendiv::interpolate(view2(xe.data(), n), view2(xe.data() + 2 * n, n), t);
            const real* g = critic.input_gradient(xh.data(), n);
            for (std::size_t i = 0; i < n; ++i) {
                const double norm = std::hypot(double(g[2 * i]), double(g[2 * i + 1]));
                max_norm = std::max(max_norm, norm);
                sum_norm += norm;
            }
        }
    }
    result r;
    r.raw = sum / static_cast<double>(N);
    const double mean_norm = sum_norm / static_cast<double>(N);
    r.corrected = wass && mean_norm > 0 ? r.raw / mean_norm : r.raw;
    r.lower_bound = wass && max_norm > 0 ? r.raw / max_norm : r.raw;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    o.batch_size = 512;
    o.out = "out/divergence_vs_theta";
    CLI::App app{"gendiv divergence_vs_theta: critic estimates of f-divergences and W1 against exact values"};
    examples::add_common_options(app, o, "unused (the toy draws its own samples)");
    app.add_option("--steps", o.steps, "Adam steps per critic")->check(CLI::Range(1, 10000000))->capture_default_str();
    app.add_option("--lambda", o.lambda, "penalty weight λ of the Wasserstein critic")->check(CLI::NonNegativeNumber)->capture_default_str();
    app.add_option("--penalty", o.penalty, "Wasserstein critic penalty: lipschitz (one-sided) or gradient (two-sided)")
        ->check(CLI::IsMember({"lipschitz", "gradient"}))->capture_default_str();
    app.add_option("--hidden", o.hidden, "width of the critic's two hidden layers")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--theta-step", o.theta_step, "spacing of θ in [-1, 1]")->check(CLI::Range(0.01, 1.0))->capture_default_str();
    app.add_option("--eval-samples", o.eval_samples, "fresh samples of each law for the final estimate")->capture_default_str();
    o.lr = 1e-3;
    CLI11_PARSE(app, argc, argv);
    if (o.epochs != 1) std::fprintf(stderr, "divergence_vs_theta: --epochs is ignored (use --steps)\n");

    try {
        std::filesystem::create_directories(o.out);
        std::vector<double> thetas;
        const int n_half = static_cast<int>(std::lround(1.0 / o.theta_step));
        for (int i = -n_half; i <= n_half; ++i) thetas.push_back(i * o.theta_step);
        std::printf("critic 2-%d-%d-1 ReLU, Adam lr %g, batch %zu per law, %zu steps per θ; "
                    "Wasserstein: %s penalty, λ = %g; estimates on %zu fresh samples; %d threads\n",
                    o.hidden, o.hidden, o.lr, o.batch_size, o.steps, o.penalty.c_str(), o.lambda,
                    o.eval_samples, o.threads);

        // All (θ, divergence) runs, spread over the threads; BLAS single-threaded inside each.
        const std::size_t D = std::size(all_divergences), R = thetas.size() * D;
        std::vector<result> res(R);
        examples::apply_threads(1);
        const auto t0 = std::chrono::steady_clock::now();
        const long nruns = static_cast<long>(R);
#pragma omp parallel for schedule(dynamic) num_threads(o.threads)
        for (long k = 0; k < nruns; ++k) {
            const std::size_t i = static_cast<std::size_t>(k) / D, j = static_cast<std::size_t>(k) % D;
            res[static_cast<std::size_t>(k)] = run(o, all_divergences[j], thetas[i], o.seed * 1000003ULL + static_cast<std::uint64_t>(k));
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

        std::printf("%6s | %9s %9s | %9s %9s | %9s %9s | %9s %9s %9s %9s\n", "theta", "hellinger", "exact",
                    "js", "exact", "tv", "exact", "w1 raw", "w1 corr", "exact", "raw pred");
        std::string csv = "theta";
        for (auto d : all_divergences) csv += fmt::format(",{0},{0}_exact", name(d));
        csv += ",wasserstein_corrected,wasserstein_raw_predicted,wasserstein_lower_bound\n";
        for (std::size_t i = 0; i < thetas.size(); ++i) {
            const double th = thetas[i];
            const result* r = &res[i * D];
            const double pred = std::abs(th) + th * th / (2 * o.lambda);
            std::printf("%6.2f | %9.4f %9.4f | %9.4f %9.4f | %9.4f %9.4f | %9.4f %9.4f %9.4f %9.4f\n", th, r[0].raw,
                        exact(divergence::hellinger, th), r[1].raw, exact(divergence::jensen_shannon, th), r[2].raw,
                        exact(divergence::total_variation, th), r[3].raw, r[3].corrected, exact(divergence::wasserstein, th),
                        pred);
            csv += fmt::format("{:.4f}", th);
            for (std::size_t j = 0; j < D; ++j) csv += fmt::format(",{:.6f},{:.6f}", r[j].raw, exact(all_divergences[j], th));
            csv += fmt::format(",{:.6f},{:.6f},{:.6f}\n", r[3].corrected, pred, r[3].lower_bound);
        }
        std::printf("sweep: %zu critics in %.1f s\n", R, secs);
        const std::string csv_path = o.out + "/divergence_vs_theta.csv";
        std::ofstream(csv_path) << csv;
        std::printf("wrote %s\n", csv_path.c_str());

        // The plot, when gnuplot is installed (the CSV above is the result either way).
        if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
            const std::string gp = o.out + "/plot.gp", png = o.out + "/divergence_vs_theta.png";
            std::ofstream(gp) << "set terminal pngcairo size 1400,900\nset output '" << png << "'\n"
                              << "set datafile separator ','\nset key top center\nset xlabel 'theta'\n"
                              << "set multiplot layout 2,2\n"
                              << "set title 'squared Hellinger'\nplot '" << csv_path << "' u 1:2 w lp t 'estimate', '' u 1:3 w l t 'exact'\n"
                              << "set title 'Jensen-Shannon'\nplot '" << csv_path << "' u 1:4 w lp t 'estimate', '' u 1:5 w l t 'exact'\n"
                              << "set title 'total variation'\nplot '" << csv_path << "' u 1:6 w lp t 'estimate', '' u 1:7 w l t 'exact'\n"
                              << "set title 'Wasserstein-1'\nplot '" << csv_path << "' u 1:8 w lp t 'raw', '' u 1:10 w lp t 'corrected', '' u 1:9 w l t 'exact |theta|'\n"
                              << "unset multiplot\n";
            if (std::system(fmt::format("gnuplot '{}'", gp).c_str()) == 0)
                std::printf("wrote %s\n", png.c_str());
            else
                std::printf("gnuplot failed; the CSV is complete\n");
        } else {
            std::printf("gnuplot not found: no plot (the CSV is complete)\n");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "divergence_vs_theta: %s\n", e.what());
        return 1;
    }
    return 0;
}

// benchmarks/bench_nn.cpp: the VAE's networks (seed notebook: encoder 784-300-300-200 ELU,
// decoder 100-300-300-784 ELU, batch 64, float32) through gendiv::nn, against the bare BLAS
// products of the same shapes.
//
//   BM_vae_sgemm_floor      the 17 sgemm calls of one forward + backward, nothing else
//   BM_vae_fwd_bwd          mlp forward + backward of both networks (what the floor computes,
//                           plus bias, ELU and their backward, bias gradients)
//   BM_vae_fwd_bwd_adam     the same plus an Adam step on each network; /parallel:1 with
//                           adam_options::parallel (OpenMP split of the update)
//   BM_adam_step            Adam alone on the 742,584 parameters of both networks
//   BM_elementwise_only     the fused bias+ELU forward and backward passes alone
//
// The step benchmarks report `ratio_to_sgemm`: their time over the floor's time measured in the
// same run (the floor runs first). BLAS threads: OpenBLAS's default (OPENBLAS_NUM_THREADS);
// Adam's loop: OpenMP (OMP_NUM_THREADS). Compare with benchmarks/bench_nn_torch.py.
#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <cstddef>
#include <random>
#include <vector>

#include "gendiv/detail/blas.hpp"
#include "gendiv/nn/adam.hpp"
#include "gendiv/nn/mlp.hpp"

namespace {

using gendiv::nn::activation;
using gendiv::nn::mlp;
using gendiv::detail::trans;

constexpr std::size_t batch = 64, pixels = 784, hidden = 300, latent = 100;

std::vector<float> uniform(std::size_t n, float lo, float hi, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// Per iteration, set by BM_vae_sgemm_floor: wall time and process CPU time (all threads). On a
// shared machine the CPU-time ratio is the robust one when BLAS and OpenMP run one thread.
double floor_seconds = 0, floor_cpu_seconds = 0;

double cpu_now() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct nets {
    mlp<float> enc{{pixels, hidden, hidden, 2 * latent}, activation::elu(), activation::identity(), 1};
    mlp<float> dec{{latent, hidden, hidden, pixels}, activation::elu(), activation::identity(), 2};
    std::vector<float> x = uniform(batch * pixels, 0, 1, 3);
    std::vector<float> z = uniform(batch * latent, -1, 1, 4);
    // Upstream gradients and their negatives, used on alternate steps: with a fixed upstream
    // gradient, Adam would walk the weights off by lr per step without bound, the ELU inputs
    // would grow until exp underflows to subnormals (slow on x86) and the timing would measure
    // that instead of a training step. Alternating signs keeps the parameters bounded.
    std::vector<float> d_dec = uniform(batch * pixels, -1, 1, 5);
    std::vector<float> d_enc = uniform(batch * 2 * latent, -1, 1, 6);
    std::vector<float> d_dec_neg = negated(d_dec), d_enc_neg = negated(d_enc);
    bool flip = false;

    static std::vector<float> negated(std::vector<float> v) {
        for (auto& e : v) e = -e;
        return v;
    }

    void fwd_bwd() {
        flip = !flip;
        enc.zero_grad();
        dec.zero_grad();
        enc.forward(x.data(), batch);
        dec.forward(z.data(), batch);
        benchmark::DoNotOptimize(dec.backward(flip ? d_dec_neg.data() : d_dec.data(), true));
        enc.backward(flip ? d_enc_neg.data() : d_enc.data(), false);
    }
};

// One linear layer's three products (forward, weight gradient, input gradient when wanted).
struct layer_bufs {
    std::size_t in, out;
    std::vector<float> w, dw, y, dy, dx;
    layer_bufs(std::size_t i, std::size_t o)
        : in(i), out(o), w(uniform(o * i, -0.05f, 0.05f, 7)), dw(o * i), y(batch * o),
          dy(uniform(batch * o, -1, 1, 8)), dx(batch * i) {}
};

template <class Layers>
void products(Layers& ls, const float* x, bool input_grad_of_first) {
    using gendiv::detail::gemm;
    const float* a = x;
    for (auto& l : ls) {
        gemm<float>(trans::no, trans::yes, batch, l.out, l.in, 1.0f, a, l.in, l.w.data(), l.in, 0.0f,
                    l.y.data(), l.out);
        a = l.y.data();
    }
    for (std::size_t k = ls.size(); k-- > 0;) {
        auto& l = ls[k];
        const float* prev = k == 0 ? x : ls[k - 1].y.data();
        gemm<float>(trans::yes, trans::no, l.out, l.in, batch, 1.0f, l.dy.data(), l.out, prev, l.in,
                    0.0f, l.dw.data(), l.in);
        if (k > 0 || input_grad_of_first)
            gemm<float>(trans::no, trans::no, batch, l.in, l.out, 1.0f, l.dy.data(), l.out,
                        l.w.data(), l.in, 0.0f, l.dx.data(), l.in);
    }
}

template <class F>
void timed(benchmark::State& state, F&& f, bool report_ratio) {
    for (int i = 0; i < 20; ++i) f();  // warm up: workspaces, BLAS buffers, caches
    double total = 0;
    const double c0 = cpu_now();
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const double n = static_cast<double>(state.iterations());
    const double per = total / n, cpu = (cpu_now() - c0) / n;
    state.counters["ms"] = per * 1e3;
    state.counters["cpu_ms"] = cpu * 1e3;
    if (report_ratio && floor_seconds > 0) {
        state.counters["ratio_to_sgemm"] = per / floor_seconds;
        state.counters["cpu_ratio"] = cpu / floor_cpu_seconds;
    }
}

void BM_vae_sgemm_floor(benchmark::State& state) {
    std::vector<layer_bufs> enc{{pixels, hidden}, {hidden, hidden}, {hidden, 2 * latent}};
    std::vector<layer_bufs> dec{{latent, hidden}, {hidden, hidden}, {hidden, pixels}};
    const auto x = uniform(batch * pixels, 0, 1, 3);
    const auto z = uniform(batch * latent, -1, 1, 4);
    auto f = [&] {
        products(enc, x.data(), false);
        products(dec, z.data(), true);
        benchmark::DoNotOptimize(dec[0].dx.data());
    };
    for (int i = 0; i < 20; ++i) f();
    double total = 0;
    const double c0 = cpu_now();
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    floor_seconds = total / static_cast<double>(state.iterations());
    floor_cpu_seconds = (cpu_now() - c0) / static_cast<double>(state.iterations());
    state.counters["ms"] = floor_seconds * 1e3;
    state.counters["cpu_ms"] = floor_cpu_seconds * 1e3;
    // 2·m·n·k per product: forward 3+3, weight gradients 3+3, input gradients 2+3.
    const double flop = 2.0 * batch *
                        (3 * (pixels * hidden + hidden * hidden + hidden * 2 * latent) - pixels * hidden +
                         3 * (latent * hidden + hidden * hidden + hidden * pixels));
    state.counters["GFLOP_per_s"] = flop / floor_seconds / 1e9;
}

void BM_vae_fwd_bwd(benchmark::State& state) {
    nets n;
    timed(state, [&] { n.fwd_bwd(); }, true);
}

// state.range(0): adam_options::parallel (the OpenMP split of the update).
void BM_vae_fwd_bwd_adam(benchmark::State& state) {
    nets n;
    gendiv::nn::adam_options o;
    o.parallel = state.range(0) != 0;
    gendiv::nn::adam<float> oe(n.enc.parameter_count(), o), od(n.dec.parameter_count(), o);
    timed(
        state,
        [&] {
            n.fwd_bwd();
            oe.step(n.enc.parameters(), n.enc.gradients(), n.enc.parameter_count());
            od.step(n.dec.parameters(), n.dec.gradients(), n.dec.parameter_count());
        },
        true);
}

void BM_adam_step(benchmark::State& state) {
    nets n;
    n.fwd_bwd();
    gendiv::nn::adam_options o;
    o.parallel = state.range(0) != 0;
    gendiv::nn::adam<float> oe(n.enc.parameter_count(), o), od(n.dec.parameter_count(), o);
    timed(
        state,
        [&] {
            oe.step(n.enc.parameters(), n.enc.gradients(), n.enc.parameter_count());
            od.step(n.dec.parameters(), n.dec.gradients(), n.dec.parameter_count());
        },
        false);
    state.counters["params"] = static_cast<double>(n.enc.parameter_count() + n.dec.parameter_count());
}

void BM_elementwise_only(benchmark::State& state) {
    // Every non-gemm pass of BM_vae_fwd_bwd: bias+ELU forward on the 4 hidden layers and bias on
    // the 2 output layers; ELU backward with bias gradients on the hidden, bias sums on the outputs.
    const auto act = activation::elu();
    const std::size_t widths[6] = {hidden, hidden, 2 * latent, hidden, hidden, pixels};
    std::vector<std::vector<float>> y, dy, b, db;
    for (auto w : widths) {
        y.push_back(uniform(batch * w, -1, 1, 9));
        dy.push_back(uniform(batch * w, -1, 1, 10));
        b.push_back(uniform(w, -1, 1, 11));
        db.push_back(std::vector<float>(w));
    }
    timed(
        state,
        [&] {
            for (std::size_t i = 0; i < 6; ++i) {
                const bool out = i == 2 || i == 5;
                gendiv::nn::bias_activation_forward(out ? activation::identity() : act, y[i].data(),
                                                    b[i].data(), batch, widths[i]);
                if (out)
                    gendiv::nn::column_sum(dy[i].data(), batch, widths[i], db[i].data(), false);
                else
                    gendiv::nn::activation_bias_backward(act, y[i].data(), dy[i].data(),
                                                         static_cast<const float*>(nullptr), dy[i].data(),
                                                         db[i].data(), true, batch, widths[i]);
            }
            benchmark::DoNotOptimize(db[0].data());
        },
        true);
}

}  // namespace

BENCHMARK(BM_vae_sgemm_floor)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_vae_fwd_bwd)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_vae_fwd_bwd_adam)->ArgName("parallel")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_adam_step)->ArgName("parallel")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_elementwise_only)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

BENCHMARK_MAIN();

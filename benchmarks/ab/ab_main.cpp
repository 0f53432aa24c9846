// benchmarks/ab/ab_main.cpp: benchmarks/ab.sh's driver. Times the working tree's kernels (ab_new_*)
// and an earlier commit's (ab_old_*) in one process, in alternating rounds, so that the host's
// drift over minutes (up to ±30 % on the development VM) moves both sides alike, and prints the
// medians, their ratio and the largest difference between the two sides' results.
//
// Usage: ab_main [substring of the case names] [rounds, default 21]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#define AB_DECLARE(side, op)                                                                   \
    void ab_##side##_##op##_f(const float* const*, std::size_t, std::size_t, float*);          \
    void ab_##side##_##op##_d(const double* const*, std::size_t, std::size_t, double*);
#define AB_DECLARE_BOTH(op) AB_DECLARE(new, op) AB_DECLARE(old, op)
AB_DECLARE_BOTH(lme)
AB_DECLARE_BOTH(bernoulli)
AB_DECLARE_BOTH(normal)
AB_DECLARE_BOTH(kl)

namespace {

/// One argument's values: uniform on [lo, hi], or 0/1 with probability 1/2 when `binary`.
struct arg {
    double lo, hi;
    bool binary;
};

template <class T>
std::vector<T> draw(std::size_t count, const arg& a, unsigned seed) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> d(a.lo, a.hi);
    std::vector<T> v(count);
    for (auto& x : v) x = static_cast<T>(a.binary ? static_cast<double>(gen() & 1) : d(gen));
    return v;
}

template <class T>
using kernel = void (*)(const T* const*, std::size_t, std::size_t, T*);

/// Seconds per call: `reps` calls, timed together.
template <class T>
double time_calls(kernel<T> f, const T* const* in, std::size_t rows, std::size_t n, T* out, int reps) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) f(in, rows, n, out);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

template <class T>
void run_case(const char* name, kernel<T> fnew, kernel<T> fold, const std::vector<arg>& args, std::size_t rows,
              std::size_t n, int rounds) {
    std::vector<std::vector<T>> data;
    std::vector<const T*> in;
    for (std::size_t k = 0; k < args.size(); ++k) data.push_back(draw<T>(rows * n, args[k], 1 + static_cast<unsigned>(k)));
    for (const auto& d : data) in.push_back(d.data());
    std::vector<T> out_new(rows), out_old(rows);
    // untimed first calls (the first read of fresh memory is slow on the VM), then enough calls
    // per round for about 20 ms
    fnew(in.data(), rows, n, out_new.data());
    fold(in.data(), rows, n, out_old.data());
    const double once = time_calls(fnew, in.data(), rows, n, out_new.data(), 1);
    const int reps = std::max(1, static_cast<int>(0.02 / std::max(once, 1e-9)));
    std::vector<double> tn, to;
    for (int r = 0; r < rounds; ++r) {
        tn.push_back(time_calls(fnew, in.data(), rows, n, out_new.data(), reps));
        to.push_back(time_calls(fold, in.data(), rows, n, out_old.data(), reps));
    }
    double diff = 0;  // largest |new - old| relative to max(1, |old|)
    for (std::size_t b = 0; b < rows; ++b) {
        const double a = out_new[b], o = out_old[b];
        if (std::isnan(a) != std::isnan(o)) diff = INFINITY;
        else if (!std::isnan(a) && a != o) diff = std::max(diff, std::abs(a - o) / std::max(1.0, std::abs(o)));
    }
    std::sort(tn.begin(), tn.end());
    std::sort(to.begin(), to.end());
    const double mn = tn[tn.size() / 2], mo = to[to.size() / 2];
    const bool micro = mo < 1e-3;
    std::printf("%-34s new %10.3f  old %10.3f %s  new/old %.3f  max rel diff %.1e\n", name, micro ? mn * 1e6 : mn * 1e3,
                micro ? mo * 1e6 : mo * 1e3, micro ? "us" : "ms", mn / mo, diff);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string filter = argc > 1 ? argv[1] : "";
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 21;
    const std::vector<arg> lme_args{{-50, 0, false}};  // as in bench_log_sum_exp
    const std::vector<arg> bern_args{{-8, 8, false}, {0, 1, true}};  // as in bench_likelihood
    const std::vector<arg> normal_args{{-2, 2, false}, {-3, 3, false}, {-2, 2, false}};  // as in bench_likelihood
    const std::vector<arg> kl_args{{-2, 2, false}, {-3, 3, false}, {-1, 1, false}, {-1, 1, false}};  // as in bench_kl
    struct shape {
        std::size_t rows, n;
    };
    struct op {
        const char* name;
        kernel<float> fnew, fold;
        kernel<double> dnew, dold;
        const std::vector<arg>* args;
        std::vector<shape> shapes;
    };
    const std::vector<op> ops{
        {"log_mean_exp", ab_new_lme_f, ab_old_lme_f, ab_new_lme_d, ab_old_lme_d, &lme_args, {{64, 200}, {1000, 10000}}},
        {"bernoulli_logits", ab_new_bernoulli_f, ab_old_bernoulli_f, ab_new_bernoulli_d, ab_old_bernoulli_d, &bern_args,
         {{64, 784}, {12756, 784}}},
        {"normal", ab_new_normal_f, ab_old_normal_f, ab_new_normal_d, ab_old_normal_d, &normal_args,
         {{64, 100}, {12800, 100}, {100000, 100}}},
        {"kl", ab_new_kl_f, ab_old_kl_f, ab_new_kl_d, ab_old_kl_d, &kl_args, {{64, 100}, {12800, 100}, {100000, 100}}},
    };
    for (const op& o : ops)
        for (const shape& s : o.shapes)
            for (const bool single : {true, false}) {
                const std::string name = std::string(o.name) + (single ? " float (" : " double (") +
                                         std::to_string(s.rows) + "," + std::to_string(s.n) + ")";
                if (name.find(filter) == std::string::npos) continue;
                if (single)
                    run_case<float>(name.c_str(), o.fnew, o.fold, *o.args, s.rows, s.n, rounds);
                else
                    run_case<double>(name.c_str(), o.dnew, o.dold, *o.args, s.rows, s.n, rounds);
            }
}

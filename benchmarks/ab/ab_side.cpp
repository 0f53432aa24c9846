// benchmarks/ab/ab_side.cpp: one side of benchmarks/ab.sh's comparison. ab.sh compiles this file
// twice, against the working tree's headers and against those of an earlier commit, the second
// time with -Dgendiv=gendiv_old so that the two copies of the library live in different
// namespaces of one program; AB_SIDE names the side's entry points (ab_new_*, ab_old_*).
// Everything here that is not an entry point stays in an anonymous namespace: both sides define
// the same helpers, and one definition would otherwise replace the other at link time.
#include <algorithm>
#include <cstddef>
#include <vector>

#include <xtensor/xadapt.hpp>

#include "gendiv/kl.hpp"
#include "gendiv/likelihood.hpp"
#include "gendiv/log_sum_exp.hpp"

#ifndef AB_SIDE
#error "compile with -DAB_SIDE=new or -DAB_SIDE=old (benchmarks/ab.sh does)"
#endif
#define AB_CAT2(a, b, c) a##b##c
#define AB_CAT(a, b, c) AB_CAT2(a, b, c)
#define AB_NAME(op) AB_CAT(ab_, AB_SIDE, op)

namespace {

template <class T>
auto view(const T* p, std::size_t rows, std::size_t n) {
    return xt::adapt(p, rows * n, xt::no_ownership(), std::vector<std::size_t>{rows, n});
}

template <class T, class R>
void copy_out(const R& r, T* out) {
    std::copy(r.begin(), r.end(), out);
}

template <class T>
void lme(const T* const* in, std::size_t rows, std::size_t n, T* out) {
    copy_out(gendiv::log_mean_exp(view(in[0], rows, n)), out);
}
template <class T>
void bernoulli(const T* const* in, std::size_t rows, std::size_t n, T* out) {
    copy_out(gendiv::log_likelihood_bernoulli_logits(view(in[0], rows, n), view(in[1], rows, n)), out);
}
template <class T>
void normal(const T* const* in, std::size_t rows, std::size_t n, T* out) {
    copy_out(gendiv::log_likelihood_normal(view(in[0], rows, n), view(in[1], rows, n), view(in[2], rows, n)), out);
}
template <class T>
void kl(const T* const* in, std::size_t rows, std::size_t n, T* out) {
    copy_out(gendiv::kl_gaussian_gaussian_analytic(view(in[0], rows, n), view(in[1], rows, n), view(in[2], rows, n),
                                                   view(in[3], rows, n)),
             out);
}

}  // namespace

// The entry points: in[k] is the k-th argument, rows x n row-major; out has one value per row.
#define AB_ENTRY(op)                                                                                     \
    void AB_NAME(_##op##_f)(const float* const* in, std::size_t rows, std::size_t n, float* out) {     \
        op(in, rows, n, out);                                                                          \
    }                                                                                                  \
    void AB_NAME(_##op##_d)(const double* const* in, std::size_t rows, std::size_t n, double* out) {   \
        op(in, rows, n, out);                                                                          \
    }
AB_ENTRY(lme)
AB_ENTRY(bernoulli)
AB_ENTRY(normal)
AB_ENTRY(kl)

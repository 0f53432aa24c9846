// gendiv/nn/adam.hpp: the Adam optimizer (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1) with
// PyTorch's defaults and update rule (torch.optim.Adam, amsgrad=False, maximize=False), over one
// flat parameter buffer and one flat gradient buffer of the same length.
//
// At step t (counted from 1), for every parameter p with gradient g:
//   g ← g + λ p                           (weight_decay λ, L2 as in PyTorch's Adam; default 0)
//   m ← β1 m + (1-β1) g,   v ← β2 v + (1-β2) g²
//   p ← p - (lr / (1-β1ᵗ)) · m / (√v / √(1-β2ᵗ) + ε)
// ε is added outside the square root and after the bias correction of v, exactly as PyTorch
// does; the bias corrections are computed in double. Defaults: lr 1e-3, betas (0.9, 0.999),
// eps 1e-8, weight_decay 0. The update is one SIMD pass over p, g, m, v on the calling thread
// (see adam_options::parallel for the OpenMP split and why it is off by default).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/math.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/nn/buffer.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::nn {

/// Adam's hyper-parameters, PyTorch's defaults.
struct adam_options {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    /// Split the update across OpenMP threads (above detail::parallel_threshold parameters).
    /// Off by default: after a parallel region libgomp's worker threads spin-wait (by default
    /// for ~300,000 pause loops, milliseconds on this AMD EPYC), taking a core from OpenBLAS's
    /// threads in the next gemm; a VAE step measured 3× slower with it on. Worth turning on with
    /// OMP_WAIT_POLICY=passive (or GOMP_SPINCOUNT small), where it halves Adam's time on 2 cores.
    bool parallel = false;
};

namespace impl {

template <class T>
struct adam_coefficients {
    T step_size, inv_bc2_sqrt, b1, c1, b2, c2, eps, wd;
};

/// The update over n contiguous parameters. The coefficients come by value and the buffers as
/// restrict pointers so that, inside an OpenMP region, the compiler keeps the coefficients in
/// registers instead of reloading them after every store (which could alias them).
template <bool Decay, class T>
void adam_update(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                 std::size_t n, const adam_coefficients<T> k) {
    detail::simd_for<T>(n, [=](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        const V pi = detail::load<V>(p + i);
        V gi = detail::load<V>(g + i);
        if constexpr (Decay) gi = gi + V(k.wd) * pi;
        const V mi = V(k.b1) * detail::load<V>(m + i) + V(k.c1) * gi;
        const V vi = V(k.b2) * detail::load<V>(v + i) + V(k.c2) * (gi * gi);
        using detail::sqrt;  // scalars; xsimd's batch overload comes by ADL
        const V denom = sqrt(vi) * V(k.inv_bc2_sqrt) + V(k.eps);
        detail::store(m + i, mi);
        detail::store(v + i, vi);
        detail::store(p + i, pi - V(k.step_size) * (mi / denom));
    });
}

}  // namespace impl

template <class T>
class adam {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "gendiv::nn::adam<T>: T must be float or double");

public:
    /// An optimizer for n parameters, with m = v = 0 and step count 0.
    /// @throws gendiv::error for a hyper-parameter outside PyTorch's accepted range.
    explicit adam(std::size_t n, adam_options options = {}) : m_(n, T(0)), v_(n, T(0)) {
        set_options(options);
    }

    std::size_t size() const { return m_.size(); }
    const adam_options& options() const { return opt_; }
    /// @throws gendiv::error as the constructor.
    void set_options(const adam_options& o) {
        detail::require(o.lr >= 0, "adam", "invalid learning rate ", o.lr, " (must be >= 0)");
        detail::require(o.eps >= 0, "adam", "invalid eps ", o.eps, " (must be >= 0)");
        detail::require(o.beta1 >= 0 && o.beta1 < 1, "adam", "invalid beta1 ", o.beta1,
                        " (must lie in [0, 1))");
        detail::require(o.beta2 >= 0 && o.beta2 < 1, "adam", "invalid beta2 ", o.beta2,
                        " (must lie in [0, 1))");
        detail::require(o.weight_decay >= 0, "adam", "invalid weight_decay ", o.weight_decay,
                        " (must be >= 0)");
        opt_ = o;
    }
    void set_lr(double lr) {
        adam_options o = opt_;
        o.lr = lr;
        set_options(o);
    }

    /// One update of params[0..n) from grads[0..n) (n must equal size()); params and grads
    /// must not overlap. @throws gendiv::error on a size mismatch or a null buffer.
    void step(T* params, const T* grads, std::size_t n) {
        detail::require(n == size(), "adam::step", "got buffers of ", n,
                        " values but the optimizer was made for ", size(), " parameters");
        if (n > 0 && (!params || !grads))
            detail::fail("adam::step", "argument '", !params ? "params" : "grads", "' is null");
        ++t_;
        const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t_));
        const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t_));
        impl::adam_coefficients<T> k;
        k.step_size = static_cast<T>(opt_.lr / bc1);
        k.inv_bc2_sqrt = static_cast<T>(1.0 / std::sqrt(bc2));
        k.b1 = static_cast<T>(opt_.beta1);
        k.c1 = static_cast<T>(1.0 - opt_.beta1);
        k.b2 = static_cast<T>(opt_.beta2);
        k.c2 = static_cast<T>(1.0 - opt_.beta2);
        k.eps = static_cast<T>(opt_.eps);
        k.wd = static_cast<T>(opt_.weight_decay);
        const bool decay = opt_.weight_decay != 0;
        T* m = m_.data();
        T* v = v_.data();
        constexpr std::size_t chunk = 8192;
        const long chunks = static_cast<long>((n + chunk - 1) / chunk);
        detail::parallel_for(chunks, opt_.parallel && static_cast<long>(n) >= detail::parallel_threshold,
                             [&](long c) {
                                 const std::size_t lo = static_cast<std::size_t>(c) * chunk;
                                 const std::size_t len = std::min(chunk, n - lo);
                                 if (decay)
                                     impl::adam_update<true>(params + lo, grads + lo, m + lo, v + lo, len, k);
                                 else
                                     impl::adam_update<false>(params + lo, grads + lo, m + lo, v + lo, len, k);
                             });
    }

    /// step over two containers with data() and size() (std::vector, xt::xtensor, ...).
    template <class P, class G>
    void step(P& params, const G& grads) {
        detail::require(params.size() == grads.size(), "adam::step", "argument 'params' has ",
                        params.size(), " values but 'grads' has ", grads.size());
        step(params.data(), grads.data(), params.size());
    }

    // ---- state, for checkpoints ---------------------------------------------------------------

    /// Number of steps taken (PyTorch's state['step']).
    std::uint64_t step_count() const { return t_; }
    /// First moments m (PyTorch's exp_avg), size() values.
    const T* m() const { return m_.data(); }
    /// Second moments v (PyTorch's exp_avg_sq), size() values.
    const T* v() const { return v_.data(); }

    /// Restores a saved state: the step count and size() values each of m and v.
    /// @throws gendiv::error on a size mismatch, a negative or NaN second moment, or a step count
    /// of 2^64 - 1 (the next step would wrap it to 0, where the bias correction 1 - β1⁰ = 0
    /// divides the step by zero and every parameter became NaN).
    void restore(std::uint64_t step_count, const T* m, std::size_t m_size, const T* v,
                 std::size_t v_size) {
        if (step_count == std::numeric_limits<std::uint64_t>::max())
            detail::fail("adam::restore", "step count ", step_count,
                         " is the largest 64-bit value: the next step would wrap it to 0 (a corrupt state)");
        detail::require(m_size == size() && v_size == size(), "adam::restore", "the saved state has ",
                        m_size, " first and ", v_size, " second moments but the optimizer has ",
                        size(), " parameters");
        for (std::size_t i = 0; i < v_size; ++i)
            if (!(v[i] >= T(0)))
                detail::fail("adam::restore", "second moment v[", i, "] = ", v[i],
                             " is not >= 0 (a corrupt or mismatched state)");
        std::copy(m, m + m_size, m_.begin());
        std::copy(v, v + v_size, v_.begin());
        t_ = step_count;
    }

    /// Back to m = v = 0, step 0 (the options are kept).
    void reset() {
        std::fill(m_.begin(), m_.end(), T(0));
        std::fill(v_.begin(), v_.end(), T(0));
        t_ = 0;
    }

private:
    adam_options opt_;
    buffer<T> m_, v_;
    std::uint64_t t_ = 0;
};

}  // namespace gendiv::nn

GENDIV_DIAGNOSTICS_POP

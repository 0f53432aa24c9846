// gendiv/nn/linear.hpp: the affine layer y = x Wᵀ + b and its backward, through BLAS gemm.
//
// Layout as in PyTorch's nn.Linear: W is (out × in) row-major, b is (out), a batch x is
// (B × in) row-major and y is (B × out). With δ = ∂L/∂y (B × out):
//
//   forward   y  = x Wᵀ + 1 bᵀ                       gemm(no, trans)  then one pass for b
//   backward  ∂L/∂x = δ W                             gemm(no, no)
//             ∂L/∂W += δᵀ x                           gemm(trans, no), beta = 1
//             ∂L/∂b += Σ_batch δ                      one pass
//
// The pointer-level functions work on any buffers (mlp.hpp keeps every layer's parameters in
// one flat array and calls them); the class `linear` owns its parameters for standalone use.
// Derivation: docs/nn.md, §1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/blas.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"
#include "gendiv/nn/activation.hpp"
#include "gendiv/nn/init.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::nn {

// ---- pointer level ----------------------------------------------------------------------------

namespace impl {
/// @throws gendiv::error when the output [o, o + no) shares an element with the input
/// [i, i + ni): a gemm that writes what it still reads gives wrong results silently (a 64 × 64
/// backward with dx = dy was off by up to 2.4).
template <class T>
void check_no_overlap(const char* fn, const T* o, std::size_t no, const char* o_name, const T* i,
                      std::size_t ni, const char* i_name) {
    if (no == 0 || ni == 0 || !o || !i) return;
    const std::less<const T*> before;
    if (before(o, i + ni) && before(i, o + no))
        detail::fail(fn, "argument '", o_name, "' (", no, " values) overlaps '", i_name, "' (", ni,
                     " values): the output must be a separate buffer");
}
}  // namespace impl

/// y = act(x Wᵀ + b): one gemm into y, then bias and activation in one pass over y.
/// x (batch × in), weight (out × in), bias (out, nullable), y (batch × out).
/// @throws gendiv::error when y overlaps x.
template <class T>
void linear_forward(const T* x, std::size_t batch, std::size_t in, std::size_t out, const T* weight,
                    const T* bias, const activation& act, T* y) {
    impl::check_no_overlap("linear_forward", y, batch * out, "y", x, batch * in, "x");
    detail::gemm<T>(detail::trans::no, detail::trans::yes, batch, out, in, T(1), x, in, weight, in,
                    T(0), y, out);
    bias_activation_forward(act, y, bias, batch, out);
}

/// y = x Wᵀ + b.
template <class T>
void linear_forward(const T* x, std::size_t batch, std::size_t in, std::size_t out, const T* weight,
                    const T* bias, T* y) {
    linear_forward(x, batch, in, out, weight, bias, activation::identity(), y);
}

/// d_bias (+)= Σ over the batch rows of dy (batch × width).
template <class T>
void column_sum(const T* dy, std::size_t batch, std::size_t width, T* d_bias, bool accumulate) {
    if (!accumulate)
        for (std::size_t i = 0; i < width; ++i) d_bias[i] = T(0);
    for (std::size_t b = 0; b < batch; ++b) {
        const T* row = dy + b * width;
        detail::simd_for<T>(width, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            detail::store(d_bias + i, detail::load<V>(d_bias + i) + detail::load<V>(row + i));
        });
    }
}

/// The backward of y = x Wᵀ + b given δ = dy = ∂L/∂y (batch × out):
/// d_weight (+)= δᵀ x, d_bias (+)= Σ_batch δ (either may be null), dx = δ W (nullable; dx is
/// overwritten, not accumulated). With accumulate = false the parameter gradients are
/// overwritten instead of added to. dx may be x (d_weight is formed first) but not dy.
/// @throws gendiv::error when dx overlaps dy.
template <class T>
void linear_backward(const T* x, const T* dy, std::size_t batch, std::size_t in, std::size_t out,
                     const T* weight, T* d_weight, T* d_bias, T* dx, bool accumulate = true) {
    impl::check_no_overlap("linear_backward", static_cast<const T*>(dx), batch * in, "dx", dy,
                             batch * out, "dy");
    if (d_weight)
        detail::gemm<T>(detail::trans::yes, detail::trans::no, out, in, batch, T(1), dy, out, x, in,
                        accumulate ? T(1) : T(0), d_weight, in);
    if (d_bias) column_sum(dy, batch, out, d_bias, accumulate);
    if (dx)
        detail::gemm<T>(detail::trans::no, detail::trans::no, batch, in, out, T(1), dy, out, weight,
                        in, T(0), dx, in);
}

// ---- an owning layer ----------------------------------------------------------------------------

/// An affine layer that owns W (out × in), b (out) and their gradients, initialized as PyTorch's
/// nn.Linear (U(-1/√in, 1/√in), weights first, from std::mt19937_64(seed); init.hpp).
/// Stateless between calls: backward takes the forward's input again.
template <class T>
class linear {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "gendiv::nn::linear<T>: T must be float or double");

public:
    /// @throws gendiv::error when in or out is 0.
    linear(std::size_t in, std::size_t out, std::uint64_t seed = 0) : in_(in), out_(out) {
        detail::require(in > 0 && out > 0, "linear::linear", "the layer needs in > 0 and out > 0 (got in=",
                        in, ", out=", out, ")");
        weight_ = xt::xtensor<T, 2>::from_shape({out, in});
        bias_ = xt::xtensor<T, 1>::from_shape({out});
        weight_grad_ = xt::zeros<T>({out, in});
        bias_grad_ = xt::zeros<T>({out});
        reset_parameters(seed);
    }

    std::size_t in_features() const { return in_; }
    std::size_t out_features() const { return out_; }

    xt::xtensor<T, 2>& weight() { return weight_; }
    const xt::xtensor<T, 2>& weight() const { return weight_; }
    xt::xtensor<T, 1>& bias() { return bias_; }
    const xt::xtensor<T, 1>& bias() const { return bias_; }
    xt::xtensor<T, 2>& weight_grad() { return weight_grad_; }
    const xt::xtensor<T, 2>& weight_grad() const { return weight_grad_; }
    xt::xtensor<T, 1>& bias_grad() { return bias_grad_; }
    const xt::xtensor<T, 1>& bias_grad() const { return bias_grad_; }

    /// Redraws W and b as PyTorch's default nn.Linear initialization, from a fresh engine.
    void reset_parameters(std::uint64_t seed) {
        std::mt19937_64 rng(seed);
        init_linear(weight_.data(), bias_.data(), in_, out_, rng);
    }

    void zero_grad() {
        weight_grad_.fill(T(0));
        bias_grad_.fill(T(0));
    }

    /// y = x Wᵀ + b; x (batch × in), y (batch × out), row-major, not overlapping (gendiv::error).
    void forward(const T* x, std::size_t batch, T* y) const {
        check_ptr("linear::forward", batch, x, "x", y, "y");
        linear_forward(x, batch, in_, out_, weight_.data(), bias_.data(), y);
    }

    /// Accumulates ∂L/∂W and ∂L/∂b from dy (batch × out) and the forward's input x; writes
    /// ∂L/∂x to dx when dx is not null.
    void backward(const T* x, const T* dy, std::size_t batch, T* dx) {
        check_ptr("linear::backward", batch, x, "x", dy, "dy");
        linear_backward(x, dy, batch, in_, out_, weight_.data(), weight_grad_.data(),
                        bias_grad_.data(), dx);
    }

    /// y = x Wᵀ + b for x of shape (B, in); returns (B, out).
    /// @throws gendiv::error when x is not (B, in).
    template <class E>
    xt::xtensor<T, 2> forward(const xt::xexpression<E>& x) const {
        detail::flat<T> f(x);
        check_rows("linear::forward", "x", f, in_);
        xt::xtensor<T, 2> y = xt::xtensor<T, 2>::from_shape({f.shape()[0], out_});
        linear_forward(f.data(), f.shape()[0], in_, out_, weight_.data(), bias_.data(), y.data());
        return y;
    }

    /// Accumulates the parameter gradients from x (B, in) and dy (B, out); returns ∂L/∂x (B, in).
    /// @throws gendiv::error on a shape mismatch.
    template <class EX, class ED>
    xt::xtensor<T, 2> backward(const xt::xexpression<EX>& x, const xt::xexpression<ED>& dy) {
        detail::flat<T> fx(x), fd(dy);
        check_rows("linear::backward", "x", fx, in_);
        check_rows("linear::backward", "dy", fd, out_);
        if (fd.shape()[0] != fx.shape()[0])
            detail::fail("linear::backward", "argument 'dy' has shape ", detail::shape_string(fd.shape()),
                         " but 'x' has shape ", detail::shape_string(fx.shape()),
                         " (the batch sizes must agree)");
        const std::size_t batch = fx.shape()[0];
        xt::xtensor<T, 2> dx = xt::xtensor<T, 2>::from_shape({batch, in_});
        linear_backward(fx.data(), fd.data(), batch, in_, out_, weight_.data(), weight_grad_.data(),
                        bias_grad_.data(), dx.data());
        return dx;
    }

private:
    static void check_rows(const char* fn, const char* name, const detail::flat<T>& f,
                           std::size_t width) {
        if (f.dimension() != 2 || f.shape()[1] != width)
            detail::fail(fn, "argument '", name, "' has shape ", detail::shape_string(f.shape()),
                         " but must have shape (B, ", width, ")");
    }
    static void check_ptr(const char* fn, std::size_t batch, const void* a, const char* na,
                          const void* b, const char* nb) {
        if (batch == 0) return;
        if (!a) detail::fail(fn, "argument '", na, "' is null with batch ", batch);
        if (!b) detail::fail(fn, "argument '", nb, "' is null with batch ", batch);
    }

    std::size_t in_, out_;
    xt::xtensor<T, 2> weight_, weight_grad_;
    xt::xtensor<T, 1> bias_, bias_grad_;
};

}  // namespace gendiv::nn

GENDIV_DIAGNOSTICS_POP

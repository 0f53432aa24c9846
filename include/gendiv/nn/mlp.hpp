// gendiv/nn/mlp.hpp: a multi-layer perceptron with hand-written backward, input-gradient and
// double-backward passes, over one flat parameter buffer and one flat gradient buffer.
//
// Layers l = 0..L-1 map width w[l] to w[l+1]:  a_{l+1} = f_l(a_l W_lᵀ + b_l),  a_0 = x.
//
//   forward(x, B)              → a_L                   one gemm per layer + one fused pass
//   backward(∂L/∂a_L)          → ∂L/∂θ (accumulated), optionally ∂L/∂x
//   input_gradient(x, B)       → g = ∇ₓD(x) per example (B × w[0]), for a critic with w[L] = 1
//   input_gradient_backward(∂L/∂g [, ∂L/∂D]) → ∂L/∂θ (accumulated), optionally ∂L/∂x, for any
//                                 loss of the input gradients (the WGAN-GP penalty)
//
// Parameters, in one contiguous array in the order PyTorch's state_dict uses:
//   [ W_0 (w1 × w0, row-major) | b_0 (w1) | W_1 (w2 × w1) | b_1 (w2) | … | W_{L-1} | b_{L-1} ]
// and the gradients in a second array of the same layout. Workspaces (activations, backward
// buffers) are allocated for a batch capacity and grow, once, when a larger batch arrives;
// forward and backward at a batch within the capacity allocate nothing. Derivations: docs/nn.md.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gendiv/detail/blas.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"
#include "gendiv/nn/activation.hpp"
#include "gendiv/nn/buffer.hpp"
#include "gendiv/nn/init.hpp"
#include "gendiv/nn/linear.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::nn {

/// A chain of linear layers with an activation after each (identity after the last by default).
/// Not thread-safe: one mlp is one set of workspaces.
template <class T>
class mlp {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "gendiv::nn::mlp<T>: T must be float or double");

public:
    using value_type = T;

    /// widths = {w0, w1, …, wL} (L >= 1 layers); `hidden` after each of the first L-1 layers,
    /// `output` after the last. Parameters drawn as PyTorch's nn.Linear default from
    /// std::mt19937_64(seed), layer by layer, each weight matrix row by row and then its bias.
    /// @throws gendiv::error for fewer than two widths or a zero width.
    mlp(std::vector<std::size_t> widths, activation hidden,
        activation output = activation::identity(), std::uint64_t seed = 0)
        : mlp(widths, hidden_then_output(widths, hidden, output), seed) {}

    /// One activation per layer (widths.size() - 1 of them, the last one is the output's).
    mlp(std::vector<std::size_t> widths, std::vector<activation> activations, std::uint64_t seed = 0)
        : widths_(std::move(widths)), acts_(std::move(activations)) {
        detail::require(widths_.size() >= 2, "mlp::mlp",
                        "argument 'widths' needs at least 2 entries (input and output width), got ",
                        widths_.size());
        for (std::size_t i = 0; i < widths_.size(); ++i)
            detail::require(widths_[i] > 0, "mlp::mlp", "argument 'widths' has width 0 at index ", i,
                            " (widths ", detail::shape_string(widths_), ")");
        detail::require(acts_.size() == widths_.size() - 1, "mlp::mlp", "argument 'activations' has ",
                        acts_.size(), " entries but widths ", detail::shape_string(widths_),
                        " define ", widths_.size() - 1, " layers (one activation per layer)");
        const std::size_t L = layers();
        w_off_.resize(L);
        b_off_.resize(L);
        std::size_t off = 0;
        for (std::size_t l = 0; l < L; ++l) {
            w_off_[l] = off;
            off += widths_[l + 1] * widths_[l];
            b_off_[l] = off;
            off += widths_[l + 1];
        }
        params_.assign(off, T(0));
        grads_.assign(off, T(0));
        w_zero_.assign(L, 0);
        b_zero_.assign(L, 0);
        max_width_ = *std::max_element(widths_.begin(), widths_.end());
        init(seed);
    }

    /// A copy has the same structure, parameters and gradients, and workspaces of its own (of
    /// the same capacity; nothing of a preceding forward is carried over).
    mlp(const mlp& o)
        : widths_(o.widths_), acts_(o.acts_), w_off_(o.w_off_), b_off_(o.b_off_),
          max_width_(o.max_width_), params_(o.params_), grads_(o.grads_), w_zero_(o.w_zero_),
          b_zero_(o.b_zero_) {
        if (o.cap_ > 0 || !o.work2_.empty()) allocate(o.cap_, !o.work2_.empty());
    }
    mlp& operator=(const mlp& o) {
        if (this != &o) *this = mlp(o);
        return *this;
    }
    // Moving keeps the heap buffers, so the workspace pointers stay valid.
    mlp(mlp&&) noexcept = default;
    mlp& operator=(mlp&&) noexcept = default;

    // ---- structure ------------------------------------------------------------------------

    /// Number of linear layers L.
    std::size_t layers() const { return widths_.size() - 1; }
    std::size_t input_size() const { return widths_.front(); }
    std::size_t output_size() const { return widths_.back(); }
    const std::vector<std::size_t>& widths() const { return widths_; }
    const activation& layer_activation(std::size_t l) const { return acts_.at(l); }

    // ---- parameters and gradients -----------------------------------------------------------

    std::size_t parameter_count() const { return params_.size(); }
    T* parameters() { return params_.data(); }
    const T* parameters() const { return params_.data(); }
    /// The gradient buffer (layout of parameters()). A pending zero_grad() is written out first.
    T* gradients() {
        flush_zero();
        return grads_.data();
    }
    const T* gradients() const {
        flush_zero();
        return grads_.data();
    }
    /// Offsets of W_l and b_l in the parameter (and gradient) buffer.
    std::size_t weight_offset(std::size_t l) const { return w_off_.at(l); }
    std::size_t bias_offset(std::size_t l) const { return b_off_.at(l); }

    /// Views (no copy) of W_l (w[l+1] × w[l]), b_l and their gradients.
    auto weight(std::size_t l) { return view2(params_.data() + w_off_.at(l), l); }
    auto bias(std::size_t l) { return view1(params_.data() + b_off_.at(l), l); }
    auto weight_grad(std::size_t l) { return view2(gradients() + w_off_.at(l), l); }
    auto bias_grad(std::size_t l) { return view1(gradients() + b_off_.at(l), l); }

    /// Copies n values into the parameter buffer. @throws gendiv::error unless n == parameter_count().
    void set_parameters(const T* p, std::size_t n) {
        detail::require(n == params_.size(), "mlp::set_parameters", "got ", n,
                        " values but the network ", detail::shape_string(widths_), " has ",
                        params_.size(), " parameters");
        std::copy(p, p + n, params_.begin());
    }

    /// Redraws every parameter (PyTorch's nn.Linear default) from std::mt19937_64(seed).
    void init(std::uint64_t seed) {
        std::mt19937_64 rng(seed);
        for (std::size_t l = 0; l < layers(); ++l)
            init_linear(params_.data() + w_off_[l], params_.data() + b_off_[l], widths_[l],
                        widths_[l + 1], rng);
    }

    /// Sets every gradient to zero, lazily: O(L) now; the next backward pass overwrites instead
    /// of adding (gemm with beta = 0), and gradients() writes the zeros of layers it did not
    /// reach. A pointer taken from gradients() before zero_grad() may show the old values until
    /// one of those happens: take it again after zero_grad().
    void zero_grad() {
        std::fill(w_zero_.begin(), w_zero_.end(), 1);
        std::fill(b_zero_.begin(), b_zero_.end(), 1);
    }

    // ---- workspaces --------------------------------------------------------------------------

    /// Allocates the first-order workspaces for batches up to max_batch (the second-order ones
    /// are allocated at the first input_gradient call). A larger batch later grows them (once
    /// per new maximum; pointers returned earlier are then invalid).
    void reserve(std::size_t max_batch) {
        if (max_batch > cap_) allocate(max_batch, !work2_.empty());
    }
    std::size_t capacity() const { return cap_; }
    /// The batch size of the last forward or input_gradient call.
    std::size_t batch() const { return batch_; }

    // ---- first order ---------------------------------------------------------------------------

    /// a_L for x (batch × w[0], row-major); returns the network's (batch × w[L]) output buffer,
    /// valid until the next forward. x is kept by pointer for backward: it must stay valid and
    /// unchanged until then. @throws gendiv::error when x is null with batch > 0.
    const T* forward(const T* x, std::size_t batch) {
        if (batch > 0 && !x) detail::fail("mlp::forward", "argument 'x' is null with batch ", batch);
        if (batch > cap_) allocate(batch, !work2_.empty());
        batch_ = batch;
        x_ = x;
        const T* in = x;
        for (std::size_t l = 0; l < layers(); ++l) {
            linear_forward(in, batch, widths_[l], widths_[l + 1], params_.data() + w_off_[l],
                           params_.data() + b_off_[l], acts_[l], act_[l]);
            in = act_[l];
        }
        state_ = state::forward;
        return act_.back();
    }

    /// The output of the last forward (batch × w[L]).
    const T* output() const { return act_.empty() ? nullptr : act_.back(); }

    /// Accumulates ∂L/∂θ into the gradient buffer from d_output = ∂L/∂a_L (batch × w[L]) of the
    /// last forward. Returns ∂L/∂x (batch × w[0], a workspace valid until the next call) when
    /// want_d_input, nullptr otherwise (the first layer's input product is then skipped).
    /// @throws gendiv::error before any forward, or when d_output is null.
    const T* backward(const T* d_output, bool want_d_input = false) {
        require_state("mlp::backward", state::forward, "forward");
        if (batch_ > 0 && !d_output)
            detail::fail("mlp::backward", "argument 'd_output' is null with batch ", batch_);
        return backward_pass(d_output, nullptr, want_d_input);
    }

    /// forward for x of shape (B, w[0]) (copied into a workspace); returns (B, w[L]).
    /// @throws gendiv::error when x is not (B, w[0]).
    template <class E>
    xt::xtensor<T, 2> forward(const xt::xexpression<E>& x) {
        detail::flat<T> f(x);
        check_rows("mlp::forward", "x", f, widths_.front(), nullptr);
        const std::size_t batch = f.shape()[0];
        if (batch > cap_) allocate(batch, !work2_.empty());
        std::copy(f.data(), f.data() + f.size(), x_copy_);
        return to_tensor(forward(x_copy_, batch), batch, output_size());
    }

    /// backward for d_output of shape (B, w[L]) with B the last forward's batch; returns ∂L/∂x
    /// (B, w[0]). @throws gendiv::error on a shape mismatch or before any forward.
    template <class E>
    xt::xtensor<T, 2> backward(const xt::xexpression<E>& d_output) {
        require_state("mlp::backward", state::forward, "forward");
        detail::flat<T> f(d_output);
        check_rows("mlp::backward", "d_output", f, output_size(), &batch_);
        return to_tensor(backward_pass(f.data(), nullptr, true), batch_, input_size());
    }

    // ---- second order (critics: w[L] = 1) ------------------------------------------------------

    /// Runs forward(x, batch) and returns g_i = ∇ₓD(x_i) for every example (batch × w[0]), a
    /// workspace valid until the next call; D's values are at output(). Keeps what
    /// input_gradient_backward needs. @throws gendiv::error unless the output width is 1.
    const T* input_gradient(const T* x, std::size_t batch) {
        detail::require(output_size() == 1, "mlp::input_gradient",
                        "the input gradient is defined for a scalar critic (output width 1), but "
                        "the network's widths are ", detail::shape_string(widths_));
        if (batch > cap_ || work2_.empty()) allocate(std::max(batch, cap_), true);
        forward(x, batch);
        const std::size_t L = layers();
        // Seed s_L = ∂D/∂a_L = 1: δ_{L-1} = f'_{L-1}(a_L).
        activation_derivative(acts_[L - 1], act_[L - 1], delta_[L - 1], batch * widths_[L]);
        for (std::size_t l = L; l-- > 0;) {
            if (l + 1 < L)
                activation_backward(acts_[l], act_[l], s_[l + 1], delta_[l], batch * widths_[l + 1]);
            // s_l = δ_l W_l  (batch × w[l]); s_0 = g.
            detail::gemm<T>(detail::trans::no, detail::trans::no, batch, widths_[l], widths_[l + 1],
                            T(1), delta_[l], widths_[l + 1], params_.data() + w_off_[l], widths_[l],
                            T(0), s_[l], widths_[l]);
        }
        state_ = state::input_gradient;
        return s_[0];
    }

    /// The backward of a loss L(g, D) through the last input_gradient call: given
    /// d_grad = ∂L/∂g (batch × w[0]) and optionally d_output = ∂L/∂D (batch × 1, e.g. the
    /// critic's own loss at the same points), accumulates ∂L/∂θ, including the second-order
    /// terms of every activation, into the gradient buffer. Returns ∂L/∂x (batch × w[0]) when
    /// want_d_input, nullptr otherwise. Derivation: docs/nn.md, §4.
    /// @throws gendiv::error unless input_gradient ran last, or when d_grad is null.
    const T* input_gradient_backward(const T* d_grad, const T* d_output = nullptr,
                                     bool want_d_input = false) {
        require_state("mlp::input_gradient_backward", state::input_gradient, "input_gradient");
        const std::size_t B = batch_, L = layers();
        if (B > 0 && !d_grad)
            detail::fail("mlp::input_gradient_backward", "argument 'd_grad' is null with batch ", B);
        // Pass 1, through the backward pass in forward order: s̄_0 = ∂L/∂g;
        //   δ̄_l = s̄_l W_lᵀ,  ∂L/∂W_l += δ_lᵀ s̄_l,  z̄_l = δ̄_l ⊙ s_{l+1} ⊙ f''_l,  s̄_{l+1} = δ̄_l ⊙ f'_l.
        const T* sbar = d_grad;
        for (std::size_t l = 0; l < L; ++l) {
            const std::size_t in = widths_[l], out = widths_[l + 1];
            T* dbar = pp_[l % 2];
            detail::gemm<T>(detail::trans::yes, detail::trans::no, out, in, B, T(1), delta_[l], out,
                            sbar, in, take_weight_beta(l), grads_.data() + w_off_[l], in);
            detail::gemm<T>(detail::trans::no, detail::trans::yes, B, out, in, T(1), sbar, in,
                            params_.data() + w_off_[l], in, T(0), dbar, out);
            const bool last = l + 1 == L;
            zbar_[l] = acts_[l].piecewise_linear() ? nullptr : zbar_store_[l];
            second_order_terms(acts_[l], act_[l], last ? nullptr : s_[l + 1], dbar, zbar_[l], !last,
                               B * out);
            sbar = dbar;
        }
        // Pass 2: the ordinary backward of the forward graph with z̄_l injected at each layer.
        return backward_pass(d_output, zbar_.data(), want_d_input);
    }

    /// input_gradient for x of shape (B, w[0]) (copied); returns g (B, w[0]).
    template <class E>
    xt::xtensor<T, 2> input_gradient(const xt::xexpression<E>& x) {
        detail::flat<T> f(x);
        check_rows("mlp::input_gradient", "x", f, widths_.front(), nullptr);
        const std::size_t batch = f.shape()[0];
        if (batch > cap_ || work2_.empty()) allocate(std::max(batch, cap_), true);
        std::copy(f.data(), f.data() + f.size(), x_copy_);
        return to_tensor(input_gradient(x_copy_, batch), batch, input_size());
    }

    /// input_gradient_backward for d_grad of shape (B, w[0]); returns ∂L/∂x (B, w[0]).
    template <class E>
    xt::xtensor<T, 2> input_gradient_backward(const xt::xexpression<E>& d_grad) {
        require_state("mlp::input_gradient_backward", state::input_gradient, "input_gradient");
        detail::flat<T> f(d_grad);
        check_rows("mlp::input_gradient_backward", "d_grad", f, input_size(), &batch_);
        return to_tensor(input_gradient_backward(f.data(), nullptr, true), batch_, input_size());
    }

    /// input_gradient_backward with ∂L/∂D (B, 1) as well.
    template <class E, class ED>
    xt::xtensor<T, 2> input_gradient_backward(const xt::xexpression<E>& d_grad,
                                              const xt::xexpression<ED>& d_output) {
        require_state("mlp::input_gradient_backward", state::input_gradient, "input_gradient");
        detail::flat<T> f(d_grad), fo(d_output);
        check_rows("mlp::input_gradient_backward", "d_grad", f, input_size(), &batch_);
        check_rows("mlp::input_gradient_backward", "d_output", fo, output_size(), &batch_);
        return to_tensor(input_gradient_backward(f.data(), fo.data(), true), batch_, input_size());
    }

private:
    enum class state { none, forward, input_gradient };

    static std::vector<activation> hidden_then_output(const std::vector<std::size_t>& widths,
                                                      activation hidden, activation output) {
        const std::size_t L = widths.size() < 2 ? 0 : widths.size() - 1;
        std::vector<activation> a(L, hidden);
        if (L > 0) a.back() = output;
        return a;
    }

    auto view2(T* p, std::size_t l) {
        return xt::adapt(p, widths_[l + 1] * widths_[l], xt::no_ownership(),
                         std::array<std::size_t, 2>{widths_[l + 1], widths_[l]});
    }
    auto view1(T* p, std::size_t l) {
        return xt::adapt(p, widths_[l + 1], xt::no_ownership(), std::array<std::size_t, 1>{widths_[l + 1]});
    }

    static xt::xtensor<T, 2> to_tensor(const T* p, std::size_t rows, std::size_t cols) {
        xt::xtensor<T, 2> t = xt::xtensor<T, 2>::from_shape({rows, cols});
        if (rows * cols > 0) std::copy(p, p + rows * cols, t.data());
        return t;
    }

    void check_rows(const char* fn, const char* name, const detail::flat<T>& f, std::size_t width,
                    const std::size_t* batch) const {
        const bool ok = f.dimension() == 2 && f.shape()[1] == width && (!batch || f.shape()[0] == *batch);
        if (ok) return;
        if (batch)
            detail::fail(fn, "argument '", name, "' has shape ", detail::shape_string(f.shape()),
                         " but must have shape (", *batch, ", ", width, ") (batch of the last forward, ",
                         "width of the network ", detail::shape_string(widths_), ")");
        detail::fail(fn, "argument '", name, "' has shape ", detail::shape_string(f.shape()),
                     " but must have shape (B, ", width, ") for the network ",
                     detail::shape_string(widths_));
    }

    void require_state(const char* fn, state needed, const char* what) const {
        const bool ok = needed == state::forward ? state_ != state::none : state_ == needed;
        if (!ok)
            detail::fail(fn, "needs a preceding call to ", what,
                         " (there was none since construction or since the workspaces grew",
                         needed == state::input_gradient ? ", or a forward came after it)" : ")");
    }

    /// The beta of the next gemm into dW_l: 0 (overwrite) while a zero_grad is pending.
    T take_weight_beta(std::size_t l) {
        const T beta = w_zero_[l] ? T(0) : T(1);
        w_zero_[l] = 0;
        return beta;
    }
    bool take_bias_overwrite(std::size_t l) {
        const bool o = b_zero_[l] != 0;
        b_zero_[l] = 0;
        return o;
    }

    void flush_zero() const {
        for (std::size_t l = 0; l < w_zero_.size(); ++l) {
            if (w_zero_[l])
                std::fill_n(grads_.data() + w_off_[l], widths_[l + 1] * widths_[l], T(0));
            if (b_zero_[l]) std::fill_n(grads_.data() + b_off_[l], widths_[l + 1], T(0));
            w_zero_[l] = b_zero_[l] = 0;
        }
    }

    /// The backward of the forward graph from da = ∂L/∂a_L (nullable: zero), with optional
    /// injections inject[l] (nullable entries) added to ∂L/∂z_l. Returns ∂L/∂x when wanted.
    const T* backward_pass(const T* d_output, T* const* inject, bool want_d_input) {
        const std::size_t B = batch_, L = layers();
        const T* da = d_output;  // ∂L/∂a_{l+1}; null means zero
        for (std::size_t l = L; l-- > 0;) {
            const std::size_t in = widths_[l], out = widths_[l + 1];
            const T* extra = inject ? inject[l] : nullptr;
            const T* a_prev = l == 0 ? x_ : act_[l - 1];
            const T* dz = nullptr;  // ∂L/∂z_l; null means zero
            if (da || extra) {
                T* db = grads_.data() + b_off_[l];
                const bool overwrite = take_bias_overwrite(l);
                if (!da) {
                    dz = extra;
                    column_sum(dz, B, out, db, !overwrite);
                } else if (acts_[l].type() == activation::kind::identity && !extra) {
                    dz = da;
                    column_sum(dz, B, out, db, !overwrite);
                } else {
                    // In place when da is a workspace; the user's d_output is never written.
                    T* dst = (da == d_output) ? pp_[0] : const_cast<T*>(da);
                    activation_bias_backward(acts_[l], act_[l], da, extra, dst, db, overwrite, B, out);
                    dz = dst;
                }
                detail::gemm<T>(detail::trans::yes, detail::trans::no, out, in, B, T(1), dz, out,
                                a_prev, in, take_weight_beta(l), grads_.data() + w_off_[l], in);
            }
            if (l == 0 && !want_d_input) return nullptr;
            T* next = l == 0 ? d_input_ : (dz == pp_[0] ? pp_[1] : pp_[0]);
            if (dz) {
                detail::gemm<T>(detail::trans::no, detail::trans::no, B, in, out, T(1), dz, out,
                                params_.data() + w_off_[l], in, T(0), next, in);
                da = next;
            } else if (l == 0) {
                std::fill_n(d_input_, B * in, T(0));
                da = d_input_;
            } else {
                da = nullptr;
            }
        }
        return da;
    }

    /// Pass-1 element-wise terms of input_gradient_backward over n values, from the layer's
    /// output y, the stored s_{l+1} (null: the seed 1) and δ̄ (in dbar):
    ///   zbar = δ̄ ⊙ s ⊙ f''(y)   (when zbar is not null),   dbar = δ̄ ⊙ f'(y)   (when update).
    static void second_order_terms(const activation& a, const T* y, const T* s, T* dbar, T* zbar,
                                   bool update, std::size_t n) {
        visit(a, [&](auto act) {
            detail::simd_for<T>(n, [&](std::size_t i, auto tag) {
                using V = typename decltype(tag)::type;
                const V yv = detail::load<V>(y + i);
                const V d = detail::load<V>(dbar + i);
                if (zbar) {
                    const V sv = s ? detail::load<V>(s + i) : detail::cst<V>(1);
                    detail::store(zbar + i, d * sv * act.second_derivative(yv));
                }
                if (update) detail::store(dbar + i, d * act.derivative(yv));
            });
        });
    }

    /// (Re)allocates every workspace for `batch` rows; the second-order set when `second`.
    void allocate(std::size_t batch, bool second) {
        const std::size_t L = layers();
        auto round = [](std::size_t n) { return (n + 15) / 16 * 16; };  // 64-byte blocks
        std::size_t total = round(batch * widths_[0]) * 2 + round(batch * max_width_) * 2;
        for (std::size_t l = 0; l < L; ++l) total += round(batch * widths_[l + 1]);
        work_.assign(total, T(0));
        T* p = work_.data();
        auto take = [&](std::size_t n) {
            T* q = p;
            p += round(n);
            return q;
        };
        // x_ may point into the old x_copy_; callers set x_ again before use.
        x_copy_ = take(batch * widths_[0]);
        d_input_ = take(batch * widths_[0]);
        pp_[0] = take(batch * max_width_);
        pp_[1] = take(batch * max_width_);
        act_.assign(L, nullptr);
        for (std::size_t l = 0; l < L; ++l) act_[l] = take(batch * widths_[l + 1]);
        if (second) {
            // s_l (l = 0..L-1, width w[l]), δ_l and z̄_l (l = 0..L-1, width w[l+1]).
            std::size_t t2 = 0;
            for (std::size_t l = 0; l < L; ++l)
                t2 += round(batch * widths_[l]) + 2 * round(batch * widths_[l + 1]);
            work2_.assign(t2, T(0));
            p = work2_.data();
            s_.assign(L, nullptr);
            delta_.assign(L, nullptr);
            zbar_store_.assign(L, nullptr);
            zbar_.assign(L, nullptr);
            for (std::size_t l = 0; l < L; ++l) {
                s_[l] = take(batch * widths_[l]);
                delta_[l] = take(batch * widths_[l + 1]);
                zbar_store_[l] = take(batch * widths_[l + 1]);
            }
        }
        cap_ = batch;
        state_ = state::none;  // activations of an earlier forward are gone
    }

    std::vector<std::size_t> widths_;
    std::vector<activation> acts_;
    std::vector<std::size_t> w_off_, b_off_;
    std::size_t max_width_ = 0;
    buffer<T> params_;
    mutable buffer<T> grads_;
    mutable std::vector<unsigned char> w_zero_, b_zero_;  // zero_grad pending, per layer

    buffer<T> work_, work2_;
    std::size_t cap_ = 0, batch_ = 0;
    state state_ = state::none;
    const T* x_ = nullptr;
    T* x_copy_ = nullptr;
    T* d_input_ = nullptr;
    T* pp_[2] = {nullptr, nullptr};
    std::vector<T*> act_, s_, delta_, zbar_store_, zbar_;
};

}  // namespace gendiv::nn

GENDIV_DIAGNOSTICS_POP

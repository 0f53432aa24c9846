// gendiv/nn/activation.hpp: element-wise activations (identity, relu, leaky_relu, elu, tanh,
// sigmoid) with their first and second derivatives, as a runtime-chosen value type.
//
// The formulas live once, in detail/activation_kernels.hpp; `activation` only names one of them
// and its parameter (so that examples can pick it from a flag), and `visit` turns the runtime
// choice into the functor type once per loop, never per element. The loops here are SIMD loops
// (detail/simd.hpp) over flat row-major buffers, including the two fused passes that a network
// layer runs over its output: bias + activation forward, and the activation's backward with
// the bias gradient summed in the same pass. Derivatives take the activation's output y = f(x)
// (see activation_kernels.hpp). Derivations: docs/nn.md, §2.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <iomanip>
#include <sstream>
#include <string>
#include <string_view>

#include "gendiv/detail/activation_kernels.hpp"
#include "gendiv/detail/array.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/simd.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::nn {

/// One of the element-wise activations, with its parameter (leaky_relu's negative slope,
/// elu's alpha). Default-constructed: identity.
class activation {
public:
    enum class kind { identity, relu, leaky_relu, elu, tanh, sigmoid };

    activation() = default;

    static activation identity() { return activation(kind::identity, 0); }
    static activation relu() { return activation(kind::relu, 0); }
    /// f(x) = x for x > 0, slope·x otherwise. PyTorch's default slope is 0.01; WGAN critics
    /// usually take 0.2. @throws gendiv::error unless slope >= 0 (finite).
    static activation leaky_relu(double slope = 0.01) {
        detail::require(slope >= 0 && slope < detail::infinity<double>(), "activation::leaky_relu",
                        "slope ", slope, " must be finite and >= 0 (the backward pass reads the "
                        "branch from the sign of the output)");
        return activation(kind::leaky_relu, slope);
    }
    /// f(x) = x for x > 0, alpha·(e^x - 1) otherwise. @throws gendiv::error unless alpha >= 0.
    static activation elu(double alpha = 1.0) {
        detail::require(alpha >= 0 && alpha < detail::infinity<double>(), "activation::elu",
                        "alpha ", alpha, " must be finite and >= 0 (the backward pass reads the "
                        "branch from the sign of the output)");
        return activation(kind::elu, alpha);
    }
    static activation tanh() { return activation(kind::tanh, 0); }
    static activation sigmoid() { return activation(kind::sigmoid, 0); }

    /// Parses "identity" (or "linear", "none"), "relu", "leaky_relu" (or "leaky_relu:0.2"),
    /// "elu" (or "elu:0.5"), "tanh", "sigmoid". @throws gendiv::error naming the choices.
    static activation parse(std::string_view text) {
        const auto colon = text.find(':');
        const std::string_view name = text.substr(0, colon);
        const bool has_param = colon != std::string_view::npos;
        double param = 0;
        if (has_param) {
            const std::string p(text.substr(colon + 1));
            char* end = nullptr;
            param = std::strtod(p.c_str(), &end);
            if (p.empty() || end != p.c_str() + p.size())
                detail::fail("activation::parse", "cannot read the parameter '", p, "' of '", text,
                             "' as a number");
        }
        auto no_param = [&](activation a) {
            if (has_param)
                detail::fail("activation::parse", "activation '", name, "' takes no parameter (got '",
                             text, "')");
            return a;
        };
        if (name == "identity" || name == "linear" || name == "none") return no_param(identity());
        if (name == "relu") return no_param(relu());
        if (name == "tanh") return no_param(tanh());
        if (name == "sigmoid") return no_param(sigmoid());
        if (name == "leaky_relu") return has_param ? leaky_relu(param) : leaky_relu();
        if (name == "elu") return has_param ? elu(param) : elu();
        detail::fail("activation::parse", "unknown activation '", text,
                     "' (choices: identity, relu, leaky_relu[:slope], elu[:alpha], tanh, sigmoid)");
    }

    kind type() const { return kind_; }
    /// leaky_relu's slope or elu's alpha; 0 for the others.
    double parameter() const { return param_; }
    /// True where f'' = 0 wherever it exists (identity, relu, leaky_relu): the double-backward
    /// pass skips their second-order term.
    bool piecewise_linear() const {
        return kind_ == kind::identity || kind_ == kind::relu || kind_ == kind::leaky_relu;
    }

    /// "elu", "leaky_relu:0.2", ...: the inverse of parse.
    std::string name() const {
        switch (kind_) {
            case kind::identity: return "identity";
            case kind::relu: return "relu";
            case kind::leaky_relu: return "leaky_relu:" + number(param_);
            case kind::elu: return param_ == 1.0 ? std::string("elu") : "elu:" + number(param_);
            case kind::tanh: return "tanh";
            case kind::sigmoid: return "sigmoid";
        }
        return "?";
    }

    friend bool operator==(const activation& a, const activation& b) {
        return a.kind_ == b.kind_ && a.param_ == b.param_;
    }
    friend bool operator!=(const activation& a, const activation& b) { return !(a == b); }

private:
    activation(kind k, double p) : kind_(k), param_(p) {}
    /// The shortest decimal (6 to 17 significant digits) that reads back as v, so that
    /// parse(name()) == *this for any parameter (with 6 digits, leaky_relu:0.123456789 came back
    /// as 0.123457).
    static std::string number(double v) {
        std::string s;
        for (int digits = 6; digits <= 17; ++digits) {
            std::ostringstream os;
            os << std::setprecision(digits) << v;
            s = os.str();
            if (std::strtod(s.c_str(), nullptr) == v) break;
        }
        return s;
    }

    kind kind_ = kind::identity;
    double param_ = 0;
};

/// Calls f(functor) with the functor of detail/activation_kernels.hpp that `a` names.
template <class F>
decltype(auto) visit(const activation& a, F&& f) {
    switch (a.type()) {
        case activation::kind::relu: return f(detail::relu_act{});
        case activation::kind::leaky_relu: return f(detail::leaky_relu_act{a.parameter()});
        case activation::kind::elu: return f(detail::elu_act{a.parameter()});
        case activation::kind::tanh: return f(detail::tanh_act{});
        case activation::kind::sigmoid: return f(detail::sigmoid_act{});
        case activation::kind::identity: break;
    }
    return f(detail::identity_act{});
}

// ---- pointer-level loops over n contiguous values ---------------------------------------------

/// y = f(x) over n values (y may equal x).
template <class T>
void activation_forward(const activation& a, const T* x, T* y, std::size_t n) {
    visit(a, [&](auto act) {
        detail::simd_for<T>(n, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            detail::store(y + i, act.value(detail::load<V>(x + i)));
        });
    });
}

/// d = f'(x) over n values, from the outputs y = f(x).
template <class T>
void activation_derivative(const activation& a, const T* y, T* d, std::size_t n) {
    visit(a, [&](auto act) {
        detail::simd_for<T>(n, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            detail::store(d + i, act.derivative(detail::load<V>(y + i)));
        });
    });
}

/// d2 = f''(x) over n values, from the outputs y = f(x).
template <class T>
void activation_second_derivative(const activation& a, const T* y, T* d2, std::size_t n) {
    visit(a, [&](auto act) {
        detail::simd_for<T>(n, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            detail::store(d2 + i, act.second_derivative(detail::load<V>(y + i)));
        });
    });
}

/// dx = dy ⊙ f'(x) over n values, from the outputs y (dx may equal dy).
template <class T>
void activation_backward(const activation& a, const T* y, const T* dy, T* dx, std::size_t n) {
    visit(a, [&](auto act) {
        detail::simd_for<T>(n, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            detail::store(dx + i, detail::load<V>(dy + i) * act.derivative(detail::load<V>(y + i)));
        });
    });
}

// ---- fused passes over a (batch × width) row-major block -----------------------------------

namespace impl {

/// row = f(row + bias) over one row (bias nullable). The tail (width mod the SIMD width) runs as
/// one zero-padded batch, so every element goes through the same SIMD formula and a
/// transcendental activation never falls back to per-element libm calls (a 300-wide row has a
/// tail of 4 floats).
template <class T, class Act>
void bias_activation_row(Act act, T* row, const T* bias, std::size_t width) {
    std::size_t i = 0;
    if constexpr (detail::simd_enabled) {
        using B = detail::batch_t<T>;
        constexpr std::size_t W = B::size;
        for (; i + W <= width; i += W) {
            B v = B::load_unaligned(row + i);
            if (bias) v = v + B::load_unaligned(bias + i);
            act.value(v).store_unaligned(row + i);
        }
        if (i < width) {
            alignas(64) T tmp[W] = {};
            const std::size_t r = width - i;
            for (std::size_t j = 0; j < r; ++j) tmp[j] = bias ? row[i + j] + bias[i + j] : row[i + j];
            act.value(B::load_aligned(tmp)).store_aligned(tmp);
            for (std::size_t j = 0; j < r; ++j) row[i + j] = tmp[j];
        }
    } else {
        for (; i < width; ++i) row[i] = act.value(bias ? row[i] + bias[i] : row[i]);
    }
}

}  // namespace impl

/// In place over a (batch × width) block z that holds x·Wᵀ: z = f(z + bias), bias (width) added
/// to every row (bias may be null). One read and one write of z.
template <class T>
void bias_activation_forward(const activation& a, T* z, const T* bias, std::size_t batch,
                             std::size_t width) {
    visit(a, [&](auto act) {
        if constexpr (decltype(act)::is_identity)
            if (!bias) return;
        for (std::size_t b = 0; b < batch; ++b) impl::bias_activation_row(act, z + b * width, bias, width);
    });
}

namespace impl {
template <bool Extra, bool Bias, class T, class Act>
void bias_backward_rows(Act act, const T* y, const T* dy, const T* extra, T* dz, T* d_bias,
                        std::size_t batch, std::size_t width) {
    for (std::size_t b = 0; b < batch; ++b) {
        const std::size_t off = b * width;
        detail::simd_for<T>(width, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            V d = detail::load<V>(dy + off + i);
            if constexpr (!Act::is_identity) d = d * act.derivative(detail::load<V>(y + off + i));
            if constexpr (Extra) d = d + detail::load<V>(extra + off + i);
            detail::store(dz + off + i, d);
            if constexpr (Bias) detail::store(d_bias + i, detail::load<V>(d_bias + i) + d);
        });
    }
}
}  // namespace impl

/// The backward of bias_activation_forward over a (batch × width) block, in one pass:
///   dz = dy ⊙ f'(x) [+ extra],  d_bias (+)= Σ_rows dz
/// from the outputs y. `extra` (nullable) is added to dz after the product (the double-backward
/// pass injects its second-order term there). dz may equal dy or extra. d_bias may be null;
/// it is overwritten when overwrite_bias is true and accumulated into otherwise.
template <class T>
void activation_bias_backward(const activation& a, const T* y, const T* dy, const T* extra, T* dz,
                              T* d_bias, bool overwrite_bias, std::size_t batch, std::size_t width) {
    if (d_bias && overwrite_bias)
        for (std::size_t i = 0; i < width; ++i) d_bias[i] = T(0);
    visit(a, [&](auto act) {
        using namespace impl;
        if (extra && d_bias)
            bias_backward_rows<true, true>(act, y, dy, extra, dz, d_bias, batch, width);
        else if (extra)
            bias_backward_rows<true, false>(act, y, dy, extra, dz, d_bias, batch, width);
        else if (d_bias)
            bias_backward_rows<false, true>(act, y, dy, extra, dz, d_bias, batch, width);
        else
            bias_backward_rows<false, false>(act, y, dy, extra, dz, d_bias, batch, width);
    });
}

// ---- xtensor conveniences -----------------------------------------------------------------

/// f(x), element-wise, as an array of x's shape.
template <class E>
auto activate(const activation& a, const xt::xexpression<E>& x) {
    using T = typename detail::value_type_for<E>::type;
    detail::flat<T> f(x);
    auto out = detail::empty_like_shape<T>(f.shape());
    activation_forward(a, f.data(), out.data(), f.size());
    return out;
}

/// f'(x) from the outputs y = f(x), element-wise.
template <class E>
auto activation_derivative(const activation& a, const xt::xexpression<E>& y) {
    using T = typename detail::value_type_for<E>::type;
    detail::flat<T> f(y);
    auto out = detail::empty_like_shape<T>(f.shape());
    activation_derivative(a, f.data(), out.data(), f.size());
    return out;
}

/// f''(x) from the outputs y = f(x), element-wise.
template <class E>
auto activation_second_derivative(const activation& a, const xt::xexpression<E>& y) {
    using T = typename detail::value_type_for<E>::type;
    detail::flat<T> f(y);
    auto out = detail::empty_like_shape<T>(f.shape());
    activation_second_derivative(a, f.data(), out.data(), f.size());
    return out;
}

/// dy ⊙ f'(x) from the outputs y; y and dy must have the same shape.
template <class EY, class ED>
auto activation_backward(const activation& a, const xt::xexpression<EY>& y,
                         const xt::xexpression<ED>& dy) {
    using T = typename detail::value_type_for<EY, ED>::type;
    detail::check_same_shape("activation_backward", "y", y.derived_cast(), "dy", dy.derived_cast());
    detail::flat<T> fy(y), fd(dy);
    auto out = detail::empty_like_shape<T>(fy.shape());
    activation_backward(a, fy.data(), fd.data(), out.data(), fy.size());
    return out;
}

}  // namespace gendiv::nn

GENDIV_DIAGNOSTICS_POP

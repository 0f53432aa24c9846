// gendiv/detail/activation_kernels.hpp: the scalar activation functions of nn/, with their
// first and second derivatives.
//
// Each functor is templated on V = float, double or an xsimd batch (math.hpp explains the
// lookup) and marked GENDIV_HD, so the SIMD host loops of nn/activation.hpp and a future Thrust
// path call the same formula. The derivatives take the activation's OUTPUT y = f(x), not its
// input: every activation here is monotone, and f'(x), f''(x) are functions of y alone, so a
// network keeps one array per layer (y) for its backward and double-backward passes, and no
// derivative evaluates an exp. Derivations and the accuracy of these forms: docs/nn.md, §2.
//
//   name        f(x)                    f'(x) as g(y)        f''(x) as h(y)
//   identity    x                       1                    0
//   relu        max(x, 0)               [y > 0]              0
//   leaky_relu  x>0 ? x : s·x  (s >= 0) y > 0 ? 1 : s        0
//   elu         x>0 ? x : a·expm1(x)    y > 0 ? 1 : y + a    y > 0 ? 0 : y + a   (a >= 0)
//   tanh        tanh x                  1 - y²               -2y(1 - y²)
//   sigmoid     1/(1 + e^{-x})          y(1 - y)             y(1 - y)(1 - 2y)
//
// At a kink (x = 0) the derivatives take the left branch, as PyTorch does (relu'(0) = 0,
// leaky_relu'(0) = s, elu'(0) = a).
#pragma once

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/detail/math.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// f(x) = x.
struct identity_act {
    static constexpr bool is_identity = true;
    static constexpr bool piecewise_linear = true;  // f'' = 0 wherever it exists
    template <class V>
    GENDIV_HD V value(const V& x) const {
        return x;
    }
    template <class V>
    GENDIV_HD V derivative(const V& /*y*/) const {
        return cst<V>(1);
    }
    template <class V>
    GENDIV_HD V second_derivative(const V& /*y*/) const {
        return cst<V>(0);
    }
};

/// f(x) = max(x, 0); NaN propagates (select, not fmax).
struct relu_act {
    static constexpr bool is_identity = false;
    static constexpr bool piecewise_linear = true;
    template <class V>
    GENDIV_HD V value(const V& x) const {
        return select(x <= cst<V>(0), cst<V>(0), x);
    }
    /// 1 where y > 0, 0 where y <= 0, and 1 at a NaN output, so that the upstream gradient
    /// (and its NaN) passes as in PyTorch's threshold_backward.
    template <class V>
    GENDIV_HD V derivative(const V& y) const {
        return select(y <= cst<V>(0), cst<V>(0), cst<V>(1));
    }
    template <class V>
    GENDIV_HD V second_derivative(const V& /*y*/) const {
        return cst<V>(0);
    }
};

/// f(x) = x for x > 0, slope·x otherwise (slope >= 0, so that y > 0 exactly when x > 0).
struct leaky_relu_act {
    static constexpr bool is_identity = false;
    static constexpr bool piecewise_linear = true;
    double slope = 0.01;
    template <class V>
    GENDIV_HD V value(const V& x) const {
        return select(x > cst<V>(0), x, cst<V>(slope) * x);
    }
    template <class V>
    GENDIV_HD V derivative(const V& y) const {
        return select(y > cst<V>(0), cst<V>(1), cst<V>(slope));
    }
    template <class V>
    GENDIV_HD V second_derivative(const V& /*y*/) const {
        return cst<V>(0);
    }
};

/// ELU (Clevert et al. 2016, arXiv:1511.07289): f(x) = x for x > 0, alpha·expm1(x) otherwise
/// (alpha >= 0). For x <= 0, f'(x) = f''(x) = alpha·e^x = y + alpha.
struct elu_act {
    static constexpr bool is_identity = false;
    static constexpr bool piecewise_linear = false;
    double alpha = 1.0;
    template <class V>
    GENDIV_HD V value(const V& x) const {
        return select(x > cst<V>(0), x, cst<V>(alpha) * expm1(x));
    }
    template <class V>
    GENDIV_HD V derivative(const V& y) const {
        return select(y > cst<V>(0), cst<V>(1), y + cst<V>(alpha));
    }
    template <class V>
    GENDIV_HD V second_derivative(const V& y) const {
        return select(y > cst<V>(0), cst<V>(0), y + cst<V>(alpha));
    }
};

/// f(x) = tanh x; f' = 1 - y², f'' = -2y·f'.
struct tanh_act {
    static constexpr bool is_identity = false;
    static constexpr bool piecewise_linear = false;
    template <class V>
    GENDIV_HD V value(const V& x) const {
        return tanh(x);
    }
    template <class V>
    GENDIV_HD V derivative(const V& y) const {
        return cst<V>(1) - y * y;
    }
    template <class V>
    GENDIV_HD V second_derivative(const V& y) const {
        return cst<V>(-2) * y * (cst<V>(1) - y * y);
    }
};

/// f(x) = 1/(1 + e^{-x}) (the overflow-free form of kernels.hpp); f' = y(1-y), f'' = f'(1-2y).
struct sigmoid_act {
    static constexpr bool is_identity = false;
    static constexpr bool piecewise_linear = false;
    template <class V>
    GENDIV_HD V value(const V& x) const {
        return sigmoid_fn{}(x);
    }
    template <class V>
    GENDIV_HD V derivative(const V& y) const {
        return y * (cst<V>(1) - y);
    }
    template <class V>
    GENDIV_HD V second_derivative(const V& y) const {
        return y * (cst<V>(1) - y) * (cst<V>(1) - cst<V>(2) * y);
    }
};

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

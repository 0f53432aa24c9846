// gendiv/detail/array.hpp: turning any xtensor expression into a flat row-major buffer, batch
// shapes, broadcasting a parameter to a shape and summing a gradient back to it.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

template <class... E>
using common_value_t = std::common_type_t<typename std::decay_t<E>::value_type...>;

/// The floating type a function computes in: the common type of its arguments' value types.
template <class... E>
struct value_type_for {
    using type = common_value_t<E...>;
    static_assert(std::is_floating_point_v<type>,
                  "gendiv: the arguments' common value type must be float or double "
                  "(at least one argument must hold floating-point values)");
};

/// A read-only, row-major, contiguous view of an expression's values as T. It points at the
/// expression's own storage when that already is a row-major container of T (no copy), and
/// evaluates into an owned buffer otherwise (views, lazy expressions, other value types).
template <class T>
class flat {
public:
    template <class E>
    explicit flat(const xt::xexpression<E>& expr) {
        const E& e = expr.derived_cast();
        shape_.assign(e.shape().begin(), e.shape().end());
        if constexpr (std::is_same_v<typename E::value_type, T> &&
                      std::is_base_of_v<xt::xcontainer<E>, E>) {
            if (e.layout() == xt::layout_type::row_major) {
                data_ = e.data();
                return;
            }
        }
        owned_ = xt::xarray<T, xt::layout_type::row_major>(xt::cast<T>(e));
        owns_ = true;
    }

    /// Takes ownership of an evaluated array (never points into a temporary).
    explicit flat(xt::xarray<T, xt::layout_type::row_major>&& owned)
        : shape_(owned.shape().begin(), owned.shape().end()), owned_(std::move(owned)), owns_(true) {}

    const T* data() const { return owns_ ? owned_.data() : data_; }
    const std::vector<std::size_t>& shape() const { return shape_; }
    std::size_t dimension() const { return shape_.size(); }
    std::size_t size() const {
        std::size_t n = 1;
        for (auto s : shape_) n *= s;
        return n;
    }

private:
    std::vector<std::size_t> shape_;
    xt::xarray<T, xt::layout_type::row_major> owned_;
    const T* data_ = nullptr;
    bool owns_ = false;
};

/// Batch size B (the first extent) and row length D (the product of the others) of a shape.
struct rows {
    std::size_t batch = 0;
    std::size_t length = 1;
};

template <class Shape>
rows batch_rows(const Shape& shape) {
    rows r;
    r.batch = shape.empty() ? 0 : shape[0];
    for (std::size_t i = 1; i < shape.size(); ++i) r.length *= shape[i];
    return r;
}

/// True when `from` broadcasts to `to` under numpy rules (right-aligned; each extent equal or 1).
template <class A, class B>
bool broadcasts_to(const A& from, const B& to) {
    if (from.size() > to.size()) return false;
    const std::size_t off = to.size() - from.size();
    for (std::size_t i = 0; i < from.size(); ++i)
        if (from[i] != 1 && static_cast<std::size_t>(from[i]) != static_cast<std::size_t>(to[off + i]))
            return false;
    return true;
}

/// A flat buffer of `expr` broadcast to `shape` (no copy when the shapes already agree).
/// Throws gendiv::error naming the function and both shapes when it does not broadcast.
template <class T, class E, class Shape>
flat<T> flat_broadcast(const char* function, const char* name, const char* name_ref,
                       const xt::xexpression<E>& expr, const Shape& shape) {
    const E& e = expr.derived_cast();
    if (shapes_equal(e.shape(), shape)) return flat<T>(expr);
    if (!broadcasts_to(e.shape(), shape))
        fail(function, "argument '", name, "' has shape ", shape_string(e.shape()),
             " which does not broadcast to the shape of '", name_ref, "', ", shape_string(shape));
    std::vector<std::size_t> s(shape.begin(), shape.end());
    return flat<T>(xt::xarray<T>(xt::broadcast(xt::cast<T>(e), s)));
}

/// Sums a gradient of shape `full` down to `target` (the inverse of broadcasting). An empty
/// gradient (a batch of 0, or an empty middle axis) sums to zeros of `target`: xtensor 0.24's
/// immediate sum over an axis of length 0 crashed (SIGSEGV) when the result was not empty.
template <class T, class Shape>
xt::xarray<T> unbroadcast(xt::xarray<T>&& g, const Shape& target) {
    if (shapes_equal(g.shape(), target)) return std::move(g);
    if (g.size() == 0) {
        std::vector<std::size_t> t(target.begin(), target.end());
        return xt::xarray<T>(xt::zeros<T>(t));
    }
    const std::size_t off = g.dimension() - target.size();
    std::vector<std::size_t> axes;
    for (std::size_t i = 0; i < g.dimension(); ++i)
        if (i < off || (target[i - off] == 1 && g.shape()[i] != 1)) axes.push_back(i);
    xt::xarray<T> s = xt::sum(g, axes, xt::evaluation_strategy::immediate);
    std::vector<std::size_t> t(target.begin(), target.end());
    s.reshape(t);
    return s;
}

/// An uninitialized row-major array of the given shape.
template <class T, class Shape>
xt::xarray<T> empty_like_shape(const Shape& shape) {
    std::vector<std::size_t> s(shape.begin(), shape.end());
    return xt::xarray<T>::from_shape(s);
}

/// Throws unless `upstream` has shape (B,).
template <class E>
void check_upstream(const char* function, const E& u, std::size_t batch) {
    if (u.dimension() != 1 || u.shape()[0] != batch)
        fail(function, "argument 'upstream' has shape ", shape_string(u.shape()),
             " but must have shape (", batch, ",) (one weight per example)");
}

}  // namespace gendiv::detail

namespace gendiv::detail {

/// The upstream weights as a (B,) buffer: all ones when none are given.
template <class T, class U>
xt::xtensor<T, 1> upstream_or_ones(const char* function, const xt::xexpression<U>* upstream,
                                   std::size_t batch) {
    if (!upstream) return xt::ones<T>({batch});
    const auto& u = upstream->derived_cast();
    check_upstream(function, u, batch);
    return xt::xtensor<T, 1>(xt::cast<T>(u));
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

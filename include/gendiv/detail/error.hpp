// gendiv/detail/error.hpp: gendiv::error and the argument checks every public function uses.
// Messages name the function, the argument and the shapes (as Boost.Math names the function in
// each domain error), so that a user can act on them without a debugger.
#pragma once

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "gendiv/detail/config.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// The one exception type gendiv throws for bad arguments, bad files and bad checkpoints.
class error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

namespace detail {

/// "(64, 784)" for any container of extents.
template <class Shape>
std::string shape_string(const Shape& shape) {
    std::ostringstream os;
    os << '(';
    bool first = true;
    for (auto s : shape) {
        if (!first) os << ", ";
        os << s;
        first = false;
    }
    if (shape.size() == 1) os << ',';
    os << ')';
    return os.str();
}

template <class... Parts>
[[noreturn]] void fail(const char* function, Parts&&... parts) {
    std::ostringstream os;
    os << "gendiv::" << function << ": ";
    (os << ... << std::forward<Parts>(parts));
    throw error(os.str());
}

template <class... Parts>
void require(bool ok, const char* function, Parts&&... parts) {
    if (!ok) fail(function, std::forward<Parts>(parts)...);
}

template <class A, class B>
bool shapes_equal(const A& a, const B& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (static_cast<std::size_t>(a[i]) != static_cast<std::size_t>(b[i])) return false;
    return true;
}

/// Throws unless the two arrays have identical shapes.
template <class EA, class EB>
void check_same_shape(const char* function, const char* name_a, const EA& a, const char* name_b,
                      const EB& b) {
    if (!shapes_equal(a.shape(), b.shape()))
        fail(function, "argument '", name_b, "' has shape ", shape_string(b.shape()),
             " but must have the shape of '", name_a, "', ", shape_string(a.shape()));
}

/// Throws unless the array has at least `min_dim` dimensions (a batch axis first).
template <class E>
void check_min_dim(const char* function, const char* name, const E& a, std::size_t min_dim) {
    if (a.dimension() < min_dim)
        fail(function, "argument '", name, "' has shape ", shape_string(a.shape()), " but needs at least ",
             min_dim, " dimension", (min_dim == 1 ? "" : "s"), " (batch first)");
}

/// Turns a possibly negative axis into an index in [0, dim) of an argument of this shape, or
/// throws naming the shape.
template <class Shape>
std::size_t normalize_axis(const char* function, const char* name, std::ptrdiff_t axis, const Shape& shape) {
    const std::size_t dim = shape.size();
    const auto d = static_cast<std::ptrdiff_t>(dim);
    if (axis < -d || axis >= d)
        fail(function, "axis ", axis, " is out of range for argument '", name, "' of shape ", shape_string(shape),
             " with ", dim, " dimension", (dim == 1 ? "" : "s"), " (valid: ", -d, " to ", d - 1, ")");
    return static_cast<std::size_t>(axis < 0 ? axis + d : axis);
}

}  // namespace detail
}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

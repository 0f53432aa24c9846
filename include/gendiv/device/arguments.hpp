// gendiv/device/arguments.hpp: how the device functions take their arguments.
//
// - Execution policies: every function has an overload whose first argument is a Thrust
//   execution policy (thrust::device, thrust::host, thrust::omp::par, thrust::cuda::par.on(s),
//   a system tag, ...) and one without, which dispatches on the system of its ranges as Thrust's
//   own algorithms do: the first range whose iterator belongs to a system (thrust::
//   iterator_system) decides; counting and constant iterators (any_system_tag) are skipped; if
//   none belongs to a system the function runs on thrust::device.
// - Ranges: each range argument is either an iterator (a raw or device pointer, a
//   device_vector's begin(), a transform/constant/permutation iterator, ...) to the first of
//   the values the function reads or writes, or a container with begin() and size() (a
//   thrust::device_vector, host_vector, std::vector): then its size is checked against what the
//   function needs (batch·length values, batch values, ...) and a mismatch throws gendiv::error
//   naming the function, the argument and both sizes. Containers are taken by reference, never
//   copied.
// - Workspaces: functions that need temporaries take an optional workspace range (of at least
//   the stated size, checked for containers); without one they borrow Thrust's temporary
//   buffer from the policy's system (thrust::get_temporary_buffer) for the duration of the call.
//
// Includes Thrust and gendiv's error type only: never xtensor or xsimd.
#pragma once

#include <cstddef>
#include <iterator>
#include <limits>
#include <ostream>
#include <type_traits>
#include <utility>

#include <thrust/execution_policy.h>
#include <thrust/iterator/iterator_traits.h>
#include <thrust/memory.h>
#include <thrust/pair.h>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device::detail {

// ---- execution policies ------------------------------------------------------------------------

template <class D>
std::true_type policy_test(const thrust::execution_policy<D>*);
std::false_type policy_test(...);

/// True for Thrust execution policies and system tags (anything derived from
/// thrust::execution_policy<D> for some D, which is how Thrust's own algorithms recognize them).
template <class P>
inline constexpr bool is_execution_policy_v =
    decltype(policy_test(static_cast<const std::decay_t<P>*>(nullptr)))::value;

/// SFINAE guards that keep the policy and no-policy overloads of a function apart.
template <class P>
using if_policy = std::enable_if_t<is_execution_policy_v<P>, int>;
template <class P>
using if_not_policy = std::enable_if_t<!is_execution_policy_v<P>, int>;

// ---- ranges: iterators or sized containers ------------------------------------------------------

template <class R, class = void>
struct is_sized_range : std::false_type {};
template <class R>
struct is_sized_range<R, std::void_t<decltype(std::declval<R&>().begin()),
                                     decltype(std::declval<R&>().size())>> : std::true_type {};

template <class R, bool = is_sized_range<R>::value>
struct iterator_of {
    using type = std::decay_t<R>;
};
template <class R>
struct iterator_of<R, true> {
    using type = decltype(std::declval<R&>().begin());
};

/// The iterator a range argument stands for: r.begin() for a container, r itself otherwise.
template <class R>
using iterator_of_t = typename iterator_of<std::remove_reference_t<R>>::type;

/// The value type of a range argument.
template <class R>
using value_of_t = typename thrust::iterator_traits<iterator_of_t<R>>::value_type;

/// b·d, or gendiv::error if the product does not fit in std::size_t.
inline std::size_t checked_product(const char* function, std::size_t b, std::size_t d) {
    if (d != 0 && b > std::numeric_limits<std::size_t>::max() / d)
        gendiv::detail::fail(function, "the size ", b, "·", d, " overflows std::size_t");
    return b * d;
}

/// How a range's required size is stated in messages: "batch·length = 6·100 = 600".
struct extent {
    std::size_t size;
    const char* formula;  ///< e.g. "batch·length"
    std::size_t a = 0, b = 0, c = 0;
    int factors = 1;
};

inline std::ostream& operator<<(std::ostream& os, const extent& e) {
    os << e.formula << " = ";
    if (e.factors >= 2) {
        os << e.a << "·" << e.b;
        if (e.factors == 3) os << "·" << e.c;
        os << " = ";
    }
    return os << e.size;
}

inline extent rows_extent(const char* function, std::size_t batch, std::size_t length) {
    return {checked_product(function, batch, length), "batch·length", batch, length, 0, 2};
}
inline extent batch_extent(std::size_t batch) { return {batch, "batch"}; }
inline extent count_extent(std::size_t n, const char* name) { return {n, name}; }

/// The iterator of a range argument; for a container, throws unless it holds exactly
/// `need.size` values (at least that many when `at_least`, as for workspaces).
template <class R>
iterator_of_t<R> range_begin(const char* function, const char* name, R&& r, const extent& need,
                             bool at_least = false) {
    if constexpr (is_sized_range<std::remove_reference_t<R>>::value) {
        const auto n = static_cast<std::size_t>(r.size());
        const bool ok = at_least ? n >= need.size : n == need.size;
        if (!ok)
            gendiv::detail::fail(function, "argument '", name, "' holds ", n, " values but must hold ",
                                 at_least ? "at least " : "", need);
        return r.begin();
    } else {
        return r;
    }
}

// ---- the system a no-policy call runs on ---------------------------------------------------------

template <class... Rs>
struct first_system;

template <>
struct first_system<> {
    using type = thrust::device_system_tag;
};

template <class R, class... Rs>
struct first_system<R, Rs...> {
    using own = typename thrust::iterator_system<iterator_of_t<R>>::type;
    using type = std::conditional_t<std::is_same_v<own, thrust::any_system_tag>,
                                    typename first_system<Rs...>::type, own>;
};

/// The system tag (itself an execution policy) of the first range argument that has one.
template <class... Rs>
typename first_system<Rs...>::type system_of(const Rs&...) {
    return {};
}

// ---- temporaries ---------------------------------------------------------------------------------

/// n values of T borrowed from the policy's system (thrust::get_temporary_buffer) and returned
/// when the object goes out of scope.
template <class T, class Policy>
class temporary_buffer {
public:
    temporary_buffer(const Policy& exec, std::size_t n)
        : exec_(exec), buf_(thrust::get_temporary_buffer<T>(exec, static_cast<std::ptrdiff_t>(n ? n : 1))) {
        if (buf_.second < static_cast<std::ptrdiff_t>(n ? n : 1)) {
            thrust::return_temporary_buffer(exec_, buf_.first, buf_.second);
            gendiv::detail::fail("device::temporary_buffer", "could not allocate ", n,
                                 " values of scratch");
        }
    }
    ~temporary_buffer() { thrust::return_temporary_buffer(exec_, buf_.first, buf_.second); }
    temporary_buffer(const temporary_buffer&) = delete;
    temporary_buffer& operator=(const temporary_buffer&) = delete;
    auto begin() const { return buf_.first; }

private:
    const Policy& exec_;
    decltype(thrust::get_temporary_buffer<T>(std::declval<const Policy&>(), std::ptrdiff_t(1))) buf_;
};

}  // namespace gendiv::device::detail

GENDIV_DIAGNOSTICS_POP

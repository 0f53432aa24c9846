// gendiv/device/rows.hpp: row-wise reductions and element-wise maps over Thrust ranges.
//
// A batch is a row-major (B × D) range; a row's reduction is a thrust::reduce_by_key over the
// key b = i / D, which every Thrust backend (CPP, OMP, TBB, CUDA) provides, on the host backends
// a task per row (and, where the arguments are host memory of the output's type, the SIMD loops
// of host_rows.hpp). Never includes xtensor; xsimd only through host_rows.hpp, never under nvcc.
#pragma once

#include <cstddef>
#include <tuple>
#include <utility>

#include <thrust/functional.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/discard_iterator.h>
#include <thrust/iterator/permutation_iterator.h>
#include <thrust/iterator/transform_output_iterator.h>
#include <thrust/fill.h>
#include <thrust/for_each.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/iterator/zip_iterator.h>
#include <thrust/logical.h>
#include <thrust/reduce.h>
#include <thrust/transform.h>
#include <thrust/transform_reduce.h>
#include <thrust/tuple.h>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/device/arguments.hpp"

#if !defined(__CUDACC__)
#include "gendiv/device/host_rows.hpp"
#endif

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device {
namespace detail {

/// i ↦ i / D: the row of flat index i.
struct row_of {
    std::size_t length;
    GENDIV_HD std::size_t operator()(std::size_t i) const { return i / length; }
};

inline auto row_keys(std::size_t length) {
    return thrust::make_transform_iterator(thrust::counting_iterator<std::size_t>(0), row_of{length});
}

/// The upstream weight of each flat index: u[i / D] (a permutation of the (B,) weights).
template <class U>
auto per_element(U upstream, std::size_t length) {
    return thrust::make_permutation_iterator(upstream, row_keys(length));
}

/// How row reductions run. Under nvcc (CUDA), a segmented thrust::reduce_by_key: every thread
/// reads consecutive elements, so memory accesses coalesce. On the host backends (OMP, CPP),
/// one task per row: Thrust 1.17's OMP reduce_by_key is serial and ~30× slower than that
/// (docs/benchmarks.md). The row's inner loop is a SIMD loop (host_rows.hpp) where the arguments
/// are contiguous memory of T, the scalar loop of row_sum_fn otherwise.
#if defined(__CUDACC__)
inline constexpr bool segmented_by_key = true;
#else
inline constexpr bool segmented_by_key = false;
#endif

/// Row b's sum of values[b·D .. b·D + D), accumulated in double.
template <class T, class Values>
struct row_sum_fn {
    Values values;
    std::size_t length;
    GENDIV_HD T operator()(std::size_t b) const {
        double s = 0;
        const std::size_t lo = b * length;
        for (std::size_t i = lo; i < lo + length; ++i) s += static_cast<double>(values[i]);
        return static_cast<T>(s);
    }
};

/// The identity kernel (plain row sums, the Wasserstein objective).
struct identity_fn {
    template <class V>
    GENDIV_HD V operator()(const V& v) const {
        return v;
    }
};

/// Whether row loops over these iterators take the SIMD path of host_rows.hpp: on a host backend
/// (not under nvcc), when every iterator is contiguous memory of T or a constant_iterator<T>.
#if defined(__CUDACC__)
template <class T, class... It>
inline constexpr bool host_simd_rows = false;
#else
template <class T, class... It>
inline constexpr bool host_simd_rows = simd_readable<T, It...>;
#endif

/// out[b] = Σ_d values[b·D + d] for b < B (values: any random-access range, e.g. a
/// transform_iterator applying a kernel). An empty row sums to 0.
template <class Policy, class Values, class Out>
void row_sums(const Policy& exec, Values values, std::size_t batch, std::size_t length, Out out) {
    using T = typename thrust::iterator_traits<Out>::value_type;
    if (batch == 0) return;
    if (length == 0) {
        thrust::fill_n(exec, out, batch, T(0));
        return;
    }
#if !defined(__CUDACC__)
    if constexpr (host_simd_rows<T, Values>)
        simd_kernel_row_sums<T, identity_fn>(exec, std::index_sequence<>{}, batch, length, out, values);
    else
#endif
    if constexpr (segmented_by_key) {
        auto keys = row_keys(length);
        thrust::reduce_by_key(exec, keys, keys + batch * length, values,
                              thrust::make_discard_iterator(), out, thrust::equal_to<std::size_t>(),
                              thrust::plus<T>());
    } else {
        thrust::transform(exec, thrust::counting_iterator<std::size_t>(0),
                          thrust::counting_iterator<std::size_t>(batch), out,
                          row_sum_fn<T, Values>{values, length});
    }
}

/// Applies a kernel K to a tuple of any arity (K's operator() takes the values unpacked).
template <class T, class K>
struct apply_kernel {
    template <class Tuple, std::size_t... I>
    GENDIV_HD static T call(const Tuple& a, std::index_sequence<I...>) {
        return K{}(static_cast<T>(thrust::get<I>(a))...);
    }
    template <class Tuple>
    GENDIV_HD T operator()(const Tuple& a) const {
        return call(a, std::make_index_sequence<thrust::tuple_size<Tuple>::value>{});
    }
};

template <class T>
struct in_unit_interval {
    GENDIV_HD bool operator()(T t) const { return gendiv::detail::in_unit_interval_fn{}(t); }
};

/// Throws gendiv::error unless every value of [first, first + n) lies in [0, 1].
template <class Policy, class It>
void check_unit_interval(const Policy& exec, const char* function, const char* name, It first,
                         std::size_t n, std::size_t batch, std::size_t length) {
    using T = typename thrust::iterator_traits<It>::value_type;
    if (!thrust::all_of(exec, first, first + n, in_unit_interval<T>{}))
        gendiv::detail::fail(function, "argument '", name, "' (", batch, " rows of ", length,
                             ") holds a value outside [0, 1] or NaN");
}

/// Whether every value of the arguments at positions I... (of n values each) lies in [0, 1].
template <class Policy, class Tuple, std::size_t... I>
bool all_in_unit_interval([[maybe_unused]] const Policy& exec, [[maybe_unused]] const Tuple& args,
                          [[maybe_unused]] std::size_t n, std::index_sequence<I...>) {
    return (thrust::all_of(exec, thrust::get<I>(args), thrust::get<I>(args) + n,
                           in_unit_interval<typename thrust::iterator_traits<
                               typename thrust::tuple_element<I, Tuple>::type>::value_type>{}) &&
            ...);
}

/// out[b] = Σ_d K(its[b·D + d]...) for b < B: a kernel's row sums over (B × D) argument ranges,
/// on the host backends in one SIMD pass when host_simd_rows allows, else through row_sums.
/// The arguments at positions Checked... (e.g. std::index_sequence<1> for a Bernoulli target)
/// must lie in [0, 1]: returns false when one does not (then out is unspecified), and the caller
/// reports which (check_unit_interval). An empty row sums to 0.
template <class T, class K, std::size_t... Checked, class Policy, class Out, class... It>
bool kernel_row_sums(const Policy& exec, std::index_sequence<Checked...> checked, std::size_t batch,
                     std::size_t length, Out out, It... its) {
    if (batch == 0) return true;
    if (length == 0) {
        thrust::fill_n(exec, out, batch, T(0));
        return true;
    }
#if !defined(__CUDACC__)
    if constexpr (host_simd_rows<T, It...>)
        return simd_kernel_row_sums<T, K>(exec, checked, batch, length, out, its...);
    else
#endif
    {
        if (!all_in_unit_interval(exec, thrust::make_tuple(its...), batch * length, checked))
            return false;
        row_sums(exec,
                 thrust::make_transform_iterator(
                     thrust::make_zip_iterator(thrust::make_tuple(its...)), apply_kernel<T, K>{}),
                 batch, length, out);
        return true;
    }
}

/// One element of an element-wise gradient: G{}(u, a_1, …, a_m, o_1&, …, o_k&) on T values, from
/// a tuple laid out as (u, a_1, …, a_m, o_1, …, o_k), the outputs written back through it.
template <class T, class G, std::size_t NIn, std::size_t NOut>
struct apply_grad {
    template <class Tuple, std::size_t... I, std::size_t... J>
    GENDIV_HD static void call(Tuple& a, std::index_sequence<I...>, std::index_sequence<J...>) {
        T out[NOut];
        G{}(static_cast<T>(thrust::get<I>(a))..., out[J]...);
        ((thrust::get<NIn + 1 + J>(a) = out[J]), ...);
    }
    template <class Tuple>
    GENDIV_HD void operator()(Tuple a) const {
        call(a, std::make_index_sequence<NIn + 1>{}, std::make_index_sequence<NOut>{});
    }
};

#if defined(__CUDACC__)
template <class T, class... It>
inline constexpr bool host_simd_writable = false;
#else
template <class T, class... It>
inline constexpr bool host_simd_writable = (simd_writable<T, It> && ...);
#endif

/// An element-wise gradient over (B × D) ranges with one upstream weight u[b] per row: for every
/// element, G{}(u[b], ins…, outs&…) (a kernel of detail/kernels.hpp scaled by u). On the host
/// backends, over contiguous memory, one SIMD loop per row (host_rows.hpp); otherwise one
/// thrust::for_each over the zipped elements.
template <class T, class G, class Policy, class U, class... In, class... Out>
void grad_rows(const Policy& exec, std::size_t batch, std::size_t length, U u,
               const std::tuple<In...>& ins, const std::tuple<Out...>& outs) {
    if (batch == 0 || length == 0) return;
#if !defined(__CUDACC__)
    if constexpr (host_simd_rows<T, U, In...> && host_simd_writable<T, Out...>)
        simd_grad_rows<T, G>(exec, batch, length, u, ins, outs);
    else
#endif
    {
        auto args = std::apply(
            [&](const In&... i) {
                return std::apply(
                    [&](const Out&... o) {
                        return thrust::make_zip_iterator(
                            thrust::make_tuple(per_element(u, length), i..., o...));
                    },
                    outs);
            },
            ins);
        thrust::for_each(exec, args, args + batch * length,
                         apply_grad<T, G, sizeof...(In), sizeof...(Out)>{});
    }
}

/// K(x) as a double, for reductions that accumulate in double.
template <class T, class K>
struct as_double {
    K k;
    template <class X>
    GENDIV_HD double operator()(X x) const {
        return static_cast<double>(k(static_cast<T>(x)));
    }
};

/// x ↦ x / n in T (means written through a transform_output_iterator).
template <class T>
struct divide_by {
    T n;
    GENDIV_HD T operator()(T x) const { return x / n; }
};

/// (1/n) Σ_{i<n} K(x_i) as T: a thrust::transform_reduce that accumulates in double on every
/// backend (one read of the data; the double adds are free next to the memory traffic), with
/// one rounding to T at the end. n ≥ 1 (checked by the callers).
template <class T, class Policy, class It, class K>
T mean_of(const Policy& exec, It first, std::size_t n, K k) {
    const double s = thrust::transform_reduce(exec, first, first + n, as_double<T, K>{k}, 0.0,
                                              thrust::plus<double>());
    return static_cast<T>(s / static_cast<double>(n));
}

}  // namespace detail
}  // namespace gendiv::device

GENDIV_DIAGNOSTICS_POP

// gendiv/device/host_rows.hpp: the row loops of the device functions on Thrust's host backends
// (CPP, OMP, TBB), with xsimd batches.
//
// On a host backend a device range is host memory, so a row of a kernel's arguments can be read
// with the same SIMD loads as the xtensor path (detail/simd.hpp) instead of one scalar libm call
// per element through Thrust's iterators (4–14× slower: docs/benchmarks.md §6). Thrust still
// decides how rows are spread over threads: the loops below run as the body of one
// thrust::transform over row indices on the caller's policy.
//
// rows.hpp includes this header only when nvcc is not compiling (nvcc rejects the kernels on
// xsimd types, and under CUDA the ranges are GPU memory). Arguments qualify when every one is
// contiguous memory of the output's value type T (raw pointers, thrust::device_ptr, vector
// iterators: thrust::is_contiguous_iterator) or a thrust::constant_iterator<T>; anything else
// (transform or permutation iterators, other value types) takes the generic scalar path.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include <thrust/iterator/constant_iterator.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/for_each.h>
#include <thrust/iterator/iterator_traits.h>
#include <thrust/memory.h>
#include <thrust/transform.h>
#include <thrust/type_traits/is_contiguous_iterator.h>

#include "gendiv/detail/bernoulli_row.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/detail/lse_row.hpp"
#include "gendiv/detail/simd.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device::detail {

template <class It>
struct is_constant_iterator : std::false_type {};
template <class V, class I, class S>
struct is_constant_iterator<thrust::constant_iterator<V, I, S>> : std::true_type {};

template <class It>
using iterator_value_t = std::remove_cv_t<typename thrust::iterator_traits<It>::value_type>;

/// How a SIMD row loop reads an argument of iterator type It as values of T: `usable` is false
/// when it cannot (then the caller takes the scalar path).
template <class T, class It, class = void>
struct simd_reader {
    static constexpr bool usable = false;
};

/// Contiguous memory: batch loads from the raw pointer (It must point at a value: n ≥ 1).
template <class T, class It>
struct simd_reader<T, It,
                   std::enable_if_t<thrust::is_contiguous_iterator<It>::value &&
                                    std::is_same_v<iterator_value_t<It>, T>>> {
    static constexpr bool usable = true;
    const T* p;
    explicit simd_reader(const It& it) : p(thrust::raw_pointer_cast(&*it)) {}
    template <class V>
    V load(std::size_t i) const {
        return gendiv::detail::load<V>(p + i);
    }
};

/// A constant_iterator (a broadcast parameter such as a standard-normal prior): one value.
template <class T, class It>
struct simd_reader<T, It,
                   std::enable_if_t<is_constant_iterator<It>::value &&
                                    std::is_same_v<iterator_value_t<It>, T>>> {
    static constexpr bool usable = true;
    T c;
    explicit simd_reader(const It& it) : c(*it) {}
    template <class V>
    V load(std::size_t) const {
        return V(c);
    }
};

/// Whether a simd_reader reads contiguous memory (has the raw pointer p).
template <class R, class = void>
struct reads_memory : std::false_type {};
template <class R>
struct reads_memory<R, std::void_t<decltype(std::declval<const R&>().p)>> : std::true_type {};

/// Whether the SIMD row loops can read every one of the iterators as T.
template <class T, class... It>
inline constexpr bool simd_readable = (simd_reader<T, It>::usable && ...);

/// The lane-wise conjunction of one or more masks (bool or xsimd::batch_bool).
template <class M>
M conjunction(const M& m) {
    return m;
}
template <class M, class... Ms>
M conjunction(const M& m, const Ms&... ms) {
    return gendiv::detail::both(m, conjunction(ms...));
}

/// Row b of Σ_d K(a_0[b·D + d], a_1[b·D + d], …), summed with detail::simd_sum (batch partial sums
/// folded into a double every 4096 elements, as the xtensor path). The arguments at positions
/// Checked... are tested for [0, 1] in the same pass; a row that fails sets *bad (a relaxed
/// atomic store: rows run concurrently, and the flag is read after the loop has joined).
template <class T, class K, class Checked, class... R>
struct simd_kernel_row;

template <class T, class K, std::size_t... Checked, class... R>
struct simd_kernel_row<T, K, std::index_sequence<Checked...>, R...> {
    std::tuple<R...> args;
    std::size_t length;
    std::atomic<bool>* bad;

    template <class V>
    auto values(std::size_t i) const {
        return std::apply([&](const R&... r) { return std::make_tuple(r.template load<V>(i)...); },
                          args);
    }

    T operator()(std::size_t b) const {
        const std::size_t off = b * length;
        const auto term = [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            return std::apply([](const auto&... v) { return K{}(v...); }, values<V>(off + i));
        };
        if constexpr (std::is_same_v<K, gendiv::detail::bernoulli_logits_fn> &&
                      (reads_memory<R>::value && ...)) {
            // logits and targets in memory: the xtensor path's own row (one log1p per chunk)
            bool ok = true;
            const T s = gendiv::detail::bernoulli_logits_row(std::get<0>(args).p + off,
                                                             std::get<1>(args).p + off, length, ok);
            if (!ok) bad->store(true, std::memory_order_relaxed);
            return s;
        } else if constexpr (sizeof...(Checked) == 0) {
            return gendiv::detail::simd_sum<T>(length, term);
        } else {
            bool ok = true;
            const T s = gendiv::detail::simd_sum_checked<T>(
                length, term,
                [&](std::size_t i, auto tag) {
                    using V = typename decltype(tag)::type;
                    const auto v = values<V>(off + i);
                    return conjunction(gendiv::detail::in_unit_interval_fn{}(std::get<Checked>(v))...);
                },
                ok);
            if (!ok) bad->store(true, std::memory_order_relaxed);
            return s;
        }
    }
};

/// out[b] = Σ_d K(its[b·D + d]...) for b < B on a host backend, in one pass that also tests the
/// arguments at positions Checked... for [0, 1]. Returns false (out then unspecified) when one
/// of them holds a value outside [0, 1] or NaN. batch ≥ 1, length ≥ 1.
template <class T, class K, class Checked, class Policy, class Out, class... It>
bool simd_kernel_row_sums(const Policy& exec, Checked, std::size_t batch, std::size_t length,
                          Out out, const It&... its) {
    std::atomic<bool> bad{false};
    simd_kernel_row<T, K, Checked, simd_reader<T, It>...> row{
        std::make_tuple(simd_reader<T, It>(its)...), length, &bad};
    thrust::transform(exec, thrust::counting_iterator<std::size_t>(0),
                      thrust::counting_iterator<std::size_t>(batch), out, row);
    return !bad.load(std::memory_order_relaxed);
}

/// Whether an output iterator is contiguous writable memory of T (for simd_grad_rows).
template <class T, class It>
inline constexpr bool simd_writable =
    thrust::is_contiguous_iterator<It>::value && std::is_same_v<iterator_value_t<It>, T> &&
    !std::is_const_v<std::remove_reference_t<decltype(*thrust::raw_pointer_cast(&*std::declval<It>()))>>;

/// Row b of an element-wise gradient: for each element, G{}(u[b], a_1, …, a_m, o_1&, …, o_k&)
/// on xsimd batches (and scalars for the tail), the outputs stored to o_j's memory.
template <class T, class G, class U, class Ins, std::size_t NOut>
struct simd_grad_row {
    U u;
    Ins ins;  // a std::tuple of simd_readers
    std::array<T*, NOut> outs;
    std::size_t length;

    template <class V, std::size_t... J>
    void element(const V& ub, std::size_t i, std::index_sequence<J...>) const {
        std::array<V, NOut> o;
        std::apply([&](const auto&... r) { G{}(ub, r.template load<V>(i)..., o[J]...); }, ins);
        (gendiv::detail::store(outs[J] + i, o[J]), ...);
    }

    void operator()(std::size_t b) const {
        const T ub = u.template load<T>(b);
        const std::size_t off = b * length;
        gendiv::detail::simd_for<T>(length, [&](std::size_t i, auto tag) {
            using V = typename decltype(tag)::type;
            element(V(ub), off + i, std::make_index_sequence<NOut>{});
        });
    }
};

/// The element-wise gradient G over (B × D) arguments with one upstream weight per row, on a host
/// backend, one thrust::for_each task per row. batch ≥ 1.
template <class T, class G, class Policy, class U, class... In, class... Out>
void simd_grad_rows(const Policy& exec, std::size_t batch, std::size_t length, const U& u,
                    const std::tuple<In...>& ins, const std::tuple<Out...>& outs) {
    using row_t = simd_grad_row<T, G, simd_reader<T, U>, std::tuple<simd_reader<T, In>...>, sizeof...(Out)>;
    const row_t row{simd_reader<T, U>(u),
                    std::apply([](const In&... i) { return std::make_tuple(simd_reader<T, In>(i)...); }, ins),
                    std::apply([](const Out&... o) { return std::array<T*, sizeof...(Out)>{thrust::raw_pointer_cast(&*o)...}; },
                               outs),
                    length};
    thrust::for_each(exec, thrust::counting_iterator<std::size_t>(0),
                     thrust::counting_iterator<std::size_t>(batch), row);
}

/// Row r's log-sum-exp (log-mean-exp when `mean`): the xtensor path's own lse_row.
template <class T>
struct simd_lse_row {
    const T* x;
    std::size_t length;
    bool mean;
    T operator()(std::size_t r) const { return gendiv::detail::lse_row(x + r * length, length, mean); }
};

/// out[r] = log-sum-exp (or log-mean-exp) of each of `rows` rows of contiguous T on a host
/// backend. rows ≥ 1, length ≥ 1.
template <class T, class Policy, class In, class Out>
void simd_lse_rows(const Policy& exec, const In& x, std::size_t rows, std::size_t length, Out out,
                   bool mean) {
    thrust::transform(exec, thrust::counting_iterator<std::size_t>(0),
                      thrust::counting_iterator<std::size_t>(rows), out,
                      simd_lse_row<T>{simd_reader<T, In>(x).p, length, mean});
}

}  // namespace gendiv::device::detail

GENDIV_DIAGNOSTICS_POP

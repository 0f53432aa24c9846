// gendiv/detail/lse_row.hpp: the log-sum-exp of one contiguous row with xsimd batches.
//
// The host xtensor path (log_sum_exp.hpp) and the Thrust device functions on host backends
// (device/host_rows.hpp) both call these, so the two cannot drift apart. Includes xsimd but not
// xtensor. A short row (at most lse_block values) is read twice, the maximum and then the sum of
// exp(x - m) from L1 (over many rows, the next row's maximum taken in the pass of this row's
// sum: lse_rows_parts); a long row is read once, block by block, with a fixed shift and each
// block's maximum taken in the same pass (lse_row_parts; see log_sum_exp.hpp for the history).
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/math.hpp"
#include "gendiv/detail/simd.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// The maximum of a row and whether it holds a NaN (-inf for an empty row).
template <class T>
inline T row_max(const T* p, std::size_t n, bool& has_nan) {
    return row_max_of(p, n, [](const auto& v) { return v; }, has_nan);
}

/// The two parts of a row's log-sum-exp: its maximum m and s = Σ_i exp(x_i - m). When m is
/// finite, s ≥ 1 (the maximum contributes e^0 = 1); when m is ±inf or NaN (a row holding a NaN),
/// s is not computed and is 0.
template <class T>
struct lse_parts {
    T m;
    T s;
};

/// e^v for a term v = x - shift of a shifted sum: for batches exp_raised_below (no range test,
/// no call in the loop; v below -708 counts as e^-708 ≈ 3.3e-308 for double, below -87.3 as
/// e^-87.3 ≈ 1.22e-38 for float, invisible in a sum ≥ 1), for scalars exp. v above 708 (88.7)
/// gives an unspecified value in a batch: the sums that can meet one (shifted_exp_sum_and_max
/// with a shift below the maximum) are discarded.
template <class V>
GENDIV_ALWAYS_INLINE V exp_of_shifted(const V& v) {
#if !defined(__CUDACC__)  // nvcc's translation units have no batches (simd_enabled)
    if constexpr (!std::is_arithmetic_v<V>)
        return exp_raised_below(v);
    else
#endif
        return exp(v);
}

/// Σ_i exp(x_i - m) over n values, m ≥ every x_i. Every caller has just read the values (a max
/// pass, or a block's first sum), so they come from cache. (It used to prefetch the next row as
/// well, which helped an earlier version's two-pass long rows; for the short rows that use it
/// now, whose chunk the max pass has already read, the prefetches only cost: 64 rows of 200
/// doubles, 6.2 -> 4.4 µs on one core, medians of 40 interleaved rounds.)
template <class T>
inline T shifted_exp_sum(const T* p, std::size_t n, T m) {
    return simd_sum<T>(n, [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        return exp_of_shifted(load<V>(p + i) - V(m));
    });
}

/// Σ_i exp(x_i - c) over the n values at p and, in the same pass, the maximum qmax of the n
/// values at q (as row_max_unchecked: NaN or some value when they hold a NaN). Two uses: q = p, a
/// long row's block, summed with a shift c that need not be its maximum (the caller bounds the
/// exponents by checking qmax - c afterwards); and q the next row, in the pipeline of
/// lse_rows_parts, whose sum needs that row's maximum. (With q = p the compiler loads each batch
/// once: the two loads read the same address with no store between them.)
///
/// Flattened, so that simd_sum's loop is inlined here and the running maximum mb, which its
/// lambda captures by reference, stays in a register: with simd_sum out of line, g++ 12 stored
/// mb to this frame and reloaded c from it on every batch.
template <class T>
GENDIV_FLATTEN inline T shifted_exp_sum_and_max(const T* p, std::size_t n, T c, const T* q, T& qmax) {
    batch_t<T> mb(-infinity<T>());  // the batches' maximum
    T ms = -infinity<T>();            // the scalar tail's
    const T s = simd_sum<T>(n, [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        const V y = load<V>(q + i);
        if constexpr (std::is_arithmetic_v<V>)
            ms = y > ms ? y : ms;
        else
            mb = xsimd::max(mb, y);  // simd_sum's overlapping tail batch: max is idempotent
        return exp_of_shifted(load<V>(p + i) - V(c));
    });
    const T bm = lane_max(mb);
    qmax = bm > ms ? bm : ms;
    return s;
}

/// Rows longer than this are processed in blocks of this many values (4 KB of floats, 8 KB of
/// doubles): a block's partial sum is folded into a double, and a block that climbs too far
/// above the shift is summed a second time from L1. Rows of at most this many values take two
/// passes (lse_rows_parts).
inline constexpr std::size_t lse_block = 1024;

/// How far above its shift c a long row's block may reach and still be summed with that shift.
/// Not an overflow bound (terms up to e^4 are harmless) but an accuracy one: the argument
/// x - c of the row's largest terms, which carry the sum, is rounded to within ε|x - c|/2, so
/// the margin bounds the relative error that the shift adds to them by 2ε (where the
/// max-shifted form has x - m = 0 for the maximum). A margin of 60 let a row whose first block
/// lay 35 below its maximum lose 17 ε of float accuracy; a smaller margin makes more rows sum
/// their first block twice (uniform values over a range of 50: a quarter of the rows at 4,
/// three quarters at 1).
template <class T>
inline constexpr T lse_margin = T(4);

/// A long row's first shift is the maximum of its first this many values (lse_row_parts): closer
/// to the first block's maximum than one batch's, so that fewer rows sum their first block twice
/// (rows of 10^4 floats: uniform over a range of 50, 2.8 % of the blocks with one batch of 16
/// floats, 0.05 % with 64 values; normal with σ = 3, 9.0 % and 6.2 %). log_mean_exp over 10^7
/// values in rows of 10^4, 2 threads, 20 alternating rounds in one process: uniform float
/// 1.28 -> 1.17 ms, double 2.95 -> 2.76 ms; normal float 1.37 -> 1.30 ms, double 3.16 -> 3.08 ms.
inline constexpr std::size_t lse_first = 64;

/// lse_row_parts for rows whose maximum is not finite (some value is +inf or NaN, or every value
/// is -inf): each block's maximum is taken with a NaN mask, a +inf ends the sums.
template <class T>
GENDIV_NOINLINE lse_parts<T> lse_row_parts_careful(const T* p, std::size_t n) {
    if (n <= lse_block) {  // two passes over a row that stays in cache
        bool nan = false;
        const T m = row_max(p, n, nan);
        if (nan) return {quiet_nan<T>(), T(0)};
        if (m == -infinity<T>() || m == infinity<T>()) return {m, T(0)};
        return {m, shifted_exp_sum(p, n, m)};
    }
    // Blocked: a running maximum m and s = Σ e^{x - m} over the blocks so far (in double); when a
    // block raises the maximum, s is rescaled by e^{m_old - m_new} < 1, so every exponential
    // stays in [0, 1] as in the two-pass form. A constant row is never rescaled and sums to n
    // exactly.
    T m = -infinity<T>();
    double s = 0;
    bool pos_inf = false;
    for (std::size_t lo = 0; lo < n; lo += lse_block) {
        const std::size_t len = n - lo < lse_block ? n - lo : lse_block;
        bool nan = false;
        const T bm = row_max(p + lo, len, nan);
        if (nan) return {quiet_nan<T>(), T(0)};
        if (pos_inf || bm == infinity<T>()) {  // the result is +inf unless a NaN follows
            pos_inf = true;
            continue;
        }
        if (bm == -infinity<T>()) continue;  // e^{-inf} adds nothing
        if (bm > m) {
            s *= std::exp(static_cast<double>(m) - static_cast<double>(bm));  // 0 while m = -inf
            m = bm;
        }
        s += static_cast<double>(shifted_exp_sum(p + lo, len, m));
    }
    if (pos_inf) return {infinity<T>(), T(0)};
    if (m == -infinity<T>()) return {m, T(0)};
    return {m, static_cast<T>(s)};
}

/// The parts of a short row from its finite maximum m (row_max_unchecked) and s = Σ exp(x - m):
/// a NaN sum means the row holds a NaN (without one, every term is bounded).
template <class T>
inline lse_parts<T> lse_parts_of_sum(T m, T s) {
    if (s != s) return {quiet_nan<T>(), T(0)};
    return {m, s};
}

/// The parts of a row of at most lse_block values, given m = row_max_unchecked of it: the
/// second of the two passes, Σ exp(x - m) from L1. A maximum that is not finite sends the row to
/// lse_row_parts_careful.
template <class T>
inline lse_parts<T> lse_short_row_parts(const T* p, std::size_t n, T m) {
    if (!(m > -infinity<T>() && m < infinity<T>())) return lse_row_parts_careful(p, n);
    return lse_parts_of_sum(m, shifted_exp_sum(p, n, m));
}

/// The parts (m, s) of a row's log-sum-exp: m its maximum, s = Σ exp(x - m) ∈ [1, n]. Maxima
/// are taken without NaN checks (row_max_unchecked); when they are finite, the row holds a NaN
/// exactly when the sum is NaN (a NaN term makes the sum NaN; without one, every term is
/// bounded), so the NaN test costs nothing. Rows whose maximum is not finite take
/// lse_row_parts_careful.
///
/// A long row (more than lse_block values) is read once: each block's Σ exp(x - c) and maximum
/// come from one pass (shifted_exp_sum_and_max) with a fixed shift c, the maximum of the row's
/// first lse_first values (of its first block when those are all -inf). The shift need not be the
/// maximum: a block reaching at most lse_margin above it is summed with it, a block reaching
/// further is summed again with its own maximum as the new shift, and the result is returned
/// relative to the true maximum, s·e^{c - m} computed in double.
/// Against the earlier two passes per block (the maximum, then the exponentials with the
/// running maximum), whose next block waited for each block's maximum and whose memory reads
/// came in bursts: 10⁷ values in rows of 10⁴, float 1.44 -> 1.16 ms, double 3.23 -> 3.05 ms
/// (medians of 20 interleaved rounds, two threads, exp floor 0.87 and 2.42 ms; docs/benchmarks.md).
template <class T>
GENDIV_NOINLINE lse_parts<T> lse_row_parts(const T* p, std::size_t n) {
    if (n <= lse_block) return lse_short_row_parts(p, n, row_max_unchecked(p, n));
    // A long row: one pass over memory, block by block, each block's exponentials shifted by a
    // fixed c (a value of the row) while its maximum is taken alongside; the blocks' sums add up
    // in double. A block whose maximum exceeds c by more than lse_margin is summed again with
    // its own maximum as the new shift (once per climb of the running maximum by more than
    // lse_margin: rare after the first block).
    T c = row_max_unchecked(p, lse_first);  // the first values' maximum, else the first block's
    if (!(c > -infinity<T>() && c < infinity<T>())) c = row_max_unchecked(p, lse_block);
    if (!(c > -infinity<T>() && c < infinity<T>())) return lse_row_parts_careful(p, n);
    T m = c;  // the maximum so far
    double s = 0;  // Σ exp(x - c) so far
    for (std::size_t lo = 0; lo < n; lo += lse_block) {
        const std::size_t len = n - lo < lse_block ? n - lo : lse_block;
        T bm;
        const T bs = shifted_exp_sum_and_max(p + lo, len, c, p + lo, bm);
        if (bm - c <= lse_margin<T>) {  // false for NaN
            s += static_cast<double>(bs);
            m = bm > m ? bm : m;
        } else {
            if (!(bm < infinity<T>())) return lse_row_parts_careful(p, n);  // +inf or NaN
            s *= std::exp(static_cast<double>(c) - static_cast<double>(bm));
            c = m = bm;
            s += static_cast<double>(shifted_exp_sum(p + lo, len, c));
        }
    }
    if (s != s) return {quiet_nan<T>(), T(0)};  // a NaN term: the row holds a NaN
    // back to the maximum as the shift, in double: s becomes Σ exp(x - m) ∈ [1, n]
    return {m, static_cast<T>(s * std::exp(static_cast<double>(c) - static_cast<double>(m)))};
}

/// Rows of at most lse_block values are handed to lse_rows_parts this many values' worth at a
/// time (at least one row): 81 rows of 200 doubles, so that the seed's 64 rows form one pipeline
/// (see lse_rows_parts); at and above the parallel threshold, at least 8 chunks for the threads.
inline constexpr std::size_t lse_chunk = 16384;

/// lse_row_parts of `rows` consecutive rows of n values, m[b] and s[b] for row b. Rows of at most
/// lse_block values run as a pipeline: the maximum of row b + 1 is taken in the same pass as the
/// sum of exp(x - m) over row b (shifted_exp_sum_and_max), so a row's exponentials never
/// wait for its own maximum, the maxima's reads from L2 or memory overlap the exponentials'
/// arithmetic, and each row is summed from L1 right after its maximum was taken. Only the first
/// row's maximum is a pass of its own. History (64 rows of 200 doubles, one core, medians of 21
/// alternating rounds in one process): one row at a time (its maximum, then its sum, which waited
/// for the maximum's lane reduction) 4.36 µs in float, all maxima of a chunk of about 2048
/// values and then all its sums 3.65 µs; the pipeline against that, double 8.17 -> 7.13 and
/// 8.25 -> 7.41 µs, float 0.84-0.94 of its time on this (loaded) host.
///
/// Flattened: the loops of the maxima and of the sums are inlined into the loop over the
/// rows, so that the exponential's constants are loaded once per chunk rather than once per
/// row (the rare careful path and the long rows stay out of line, GENDIV_NOINLINE): 64 rows of
/// 200 doubles 7.71 -> 7.03 and 6.42 -> 6.15 µs in two interleaved runs.
template <class T>
GENDIV_FLATTEN inline void lse_rows_parts(const T* x, std::size_t rows, std::size_t n, T* m, T* s) {
    if (n > lse_block) {
        for (std::size_t b = 0; b < rows; ++b) {
            const lse_parts<T> r = lse_row_parts(x + b * n, n);
            m[b] = r.m;
            s[b] = r.s;
        }
        return;
    }
    T next = rows > 0 ? row_max_unchecked(x, n) : T(0);  // row b's maximum, taken with row b - 1
    for (std::size_t b = 0; b < rows; ++b) {
        const T* p = x + b * n;
        const T mb = next;
        const bool more = b + 1 < rows;
        lse_parts<T> r;
        if (more && mb > -infinity<T>() && mb < infinity<T>()) {
            r = lse_parts_of_sum(mb, shifted_exp_sum_and_max(p, n, mb, p + n, next));
        } else {  // the last row, or a careful one
            if (more) next = row_max_unchecked(p + n, n);
            r = lse_short_row_parts(p, n, mb);
        }
        m[b] = r.m;
        s[b] = r.s;
    }
}

/// log Σ exp over one contiguous row (log mean exp when `mean`). The mean is m + log(s / n)
/// rather than m + log s - log n: a constant row has s = n exactly, so its log-mean-exp is the
/// constant itself, bit for bit, for any n; and when s/n is near 1 the result keeps the absolute
/// accuracy of m instead of inheriting the rounding error of log n.
template <class T>
inline T lse_row(const T* p, std::size_t n, bool mean) {
    const lse_parts<T> r = lse_row_parts(p, n);
    if (!(r.m > -infinity<T>() && r.m < infinity<T>())) return r.m;  // NaN, -inf or +inf
    return r.m + log(mean ? r.s / static_cast<T>(n) : r.s);
}

/// lse_row's last step over many rows: m[b] becomes m[b] + log(s[b]) (log(s[b] / n) when
/// `mean`) where m[b] is finite, and stays m[b] (NaN, -inf or +inf) elsewhere; SIMD batches over
/// the rows.
template <class T>
inline void lse_finish(T* m, const T* s, std::size_t rows, std::size_t n, bool mean) {
    simd_for<T>(rows, [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        const V mv = load<V>(m + i), sv = load<V>(s + i);
        const V v = mv + log(mean ? sv / V(static_cast<T>(n)) : sv);
        store(m + i, select(both(mv > V(-infinity<T>()), mv < V(infinity<T>())), v, mv));
    });
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

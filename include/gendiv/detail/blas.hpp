// gendiv/detail/blas.hpp: row-major sgemm/dgemm through the CBLAS symbols of the linked BLAS
// (OpenBLAS here), callable from any translation unit.
//
// Why not #include <cblas.h>: xtensor-blas (which gendiv also uses) declares cblas_sgemm and the
// CBLAS enums itself, and the two sets of declarations conflict in one translation unit
// (TOOLCHAIN.md, pitfall 3). Including xtensor-blas instead would break a user's translation
// unit that includes OpenBLAS's <cblas.h>. So gendiv declares the two functions it needs under
// names of its own and binds them to the CBLAS symbols with an assembler label (GCC and Clang,
// which is every compiler gendiv supports on Linux and macOS). No CBLAS name, enum or macro is
// introduced, so the header coexists with <cblas.h>, with xtensor-blas, or with neither; the
// link line needs the BLAS library, which the gendiv::gendiv target already carries.
//
// The enumerators are passed as int (the C ABI of an enum whose values fit in int) and the
// integer arguments as int: the LP64 interface that Debian's and most distributions' OpenBLAS
// export. Other compilers fall back to the vendor's <cblas.h>.
#pragma once

#include <climits>
#include <cstddef>
#include <type_traits>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define GENDIV_DETAIL_STR2(x) #x
#define GENDIV_DETAIL_STR(x) GENDIV_DETAIL_STR2(x)
#define GENDIV_DETAIL_CBLAS_SYMBOL(name) __asm__(GENDIV_DETAIL_STR(__USER_LABEL_PREFIX__) #name)

namespace gendiv::detail::cblas_abi {
extern "C" {
void gendiv_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                  const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc)
    GENDIV_DETAIL_CBLAS_SYMBOL(cblas_sgemm);
void gendiv_dgemm(int order, int trans_a, int trans_b, int m, int n, int k, double alpha,
                  const double* a, int lda, const double* b, int ldb, double beta, double* c,
                  int ldc) GENDIV_DETAIL_CBLAS_SYMBOL(cblas_dgemm);
}
}  // namespace gendiv::detail::cblas_abi
#else
#include <cblas.h>
#endif

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// Whether an operand of gemm is used as stored or transposed.
enum class trans { no, yes };

/// Row-major C(m×n) = alpha·op(A)·op(B) + beta·C with op(A) of shape (m×k) and op(B) (k×n);
/// lda, ldb, ldc are the row strides of A, B and C as stored. With beta = 0, C is not read
/// (NaN in C does not leak through, as BLAS specifies). Does nothing when m or n is 0; with
/// k = 0, C becomes beta·C. Threading is left to the BLAS library.
template <class T>
void gemm(trans ta, trans tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
          std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "gendiv: gemm is provided for float and double only");
    if (m == 0 || n == 0) return;
    const std::size_t lim = static_cast<std::size_t>(INT_MAX);
    if (m > lim || n > lim || k > lim || lda > lim || ldb > lim || ldc > lim)
        fail("gemm", "a matrix extent exceeds the 32-bit BLAS interface (m=", m, ", n=", n,
             ", k=", k, ")");
    if (k == 0) {
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
        return;
    }
    constexpr int row_major = 101, no_trans = 111, do_trans = 112;
    const int t_a = ta == trans::yes ? do_trans : no_trans;
    const int t_b = tb == trans::yes ? do_trans : no_trans;
    const auto i = [](std::size_t v) { return static_cast<int>(v); };
#if defined(__GNUC__) || defined(__clang__)
    if constexpr (std::is_same_v<T, float>)
        cblas_abi::gendiv_sgemm(row_major, t_a, t_b, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb),
                                beta, c, i(ldc));
    else
        cblas_abi::gendiv_dgemm(row_major, t_a, t_b, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb),
                                beta, c, i(ldc));
#else
    const auto o = static_cast<CBLAS_ORDER>(row_major);
    const auto oa = static_cast<CBLAS_TRANSPOSE>(t_a), ob = static_cast<CBLAS_TRANSPOSE>(t_b);
    if constexpr (std::is_same_v<T, float>)
        cblas_sgemm(o, oa, ob, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
    else
        cblas_dgemm(o, oa, ob, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
#endif
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

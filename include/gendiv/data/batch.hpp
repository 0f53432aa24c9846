// gendiv/data/batch.hpp: copying a batch of byte images into a floating-point buffer.
//
// Datasets stay as bytes (dataset.hpp); a training step converts only its batch: rows
// [first, first + n) in order (evaluation), or the rows named by an index list (a slice of a
// shuffled permutation, permutation.hpp). Each value becomes scale·byte: scale 1 keeps 0/1 bits,
// scale 1/255 maps grey levels to [0, 1].
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// Keeps a parameter out of template deduction (std::type_identity_t before C++20).
template <class T>
struct non_deduced {
    using type = T;
};
template <class T>
using non_deduced_t = typename non_deduced<T>::type;

template <class T>
void convert_row(const std::uint8_t* src, std::size_t d, T scale, T* dst) {
    for (std::size_t j = 0; j < d; ++j) dst[j] = scale * static_cast<T>(src[j]);
}

inline void check_row_range(const char* fn, const xt::xtensor<std::uint8_t, 2>& images,
                            std::size_t first, std::size_t n) {
    const std::size_t rows = images.shape()[0];
    if (first > rows || n > rows - first)
        fail(fn, "rows [", first, ", ", first + n, ") are out of range for 'images' of shape ",
             shape_string(images.shape()));
}

template <class T>
void check_batch_out(const char* fn, const xt::xtensor<std::uint8_t, 2>& images,
                     const xt::xtensor<T, 2>& out) {
    if (out.shape()[1] != images.shape()[1])
        fail(fn, "argument 'out' has shape ", shape_string(out.shape()), " but needs ",
             images.shape()[1], " columns, as 'images' of shape ", shape_string(images.shape()));
}

}  // namespace gendiv::detail

namespace gendiv::data {

/// Copies rows [first, first + n) of `images` (N, D) to `out` (n·D values) as scale·byte.
/// @throws gendiv::error when the rows are out of range.
template <class T>
void copy_rows(const xt::xtensor<std::uint8_t, 2>& images, std::size_t first, std::size_t n, T* out,
               detail::non_deduced_t<T> scale = T(1)) {
    static_assert(std::is_floating_point_v<T>, "gendiv::copy_rows: T must be float or double");
    detail::check_row_range("copy_rows", images, first, n);
    const std::size_t d = images.shape()[1];
    for (std::size_t i = 0; i < n; ++i)
        detail::convert_row(images.data() + (first + i) * d, d, scale, out + i * d);
}

/// Fills `out` (B, D) with rows [first, first + B) of `images`; reuses out's storage.
/// @throws gendiv::error when the rows are out of range or out has another row length.
template <class T>
void copy_rows(const xt::xtensor<std::uint8_t, 2>& images, std::size_t first,
               xt::xtensor<T, 2>& out, detail::non_deduced_t<T> scale = T(1)) {
    detail::check_batch_out("copy_rows", images, out);
    copy_rows(images, first, out.shape()[0], out.data(), scale);
}

/// Copies the n rows index[0], ..., index[n−1] of `images` to `out` (n·D values) as scale·byte.
/// @throws gendiv::error when an index is out of range (naming its position in the list).
template <class T>
void gather_rows(const xt::xtensor<std::uint8_t, 2>& images, const std::size_t* index,
                 std::size_t n, T* out, detail::non_deduced_t<T> scale = T(1)) {
    static_assert(std::is_floating_point_v<T>, "gendiv::gather_rows: T must be float or double");
    const std::size_t rows = images.shape()[0], d = images.shape()[1];
    for (std::size_t i = 0; i < n; ++i)
        if (index[i] >= rows)
            detail::fail("gather_rows", "index[", i, "] = ", index[i],
                         " is out of range for 'images' of shape ",
                         detail::shape_string(images.shape()));
    for (std::size_t i = 0; i < n; ++i)
        detail::convert_row(images.data() + index[i] * d, d, scale, out + i * d);
}

/// Fills `out` (B, D) with the rows index[0], ..., index[B−1]; reuses out's storage.
template <class T>
void gather_rows(const xt::xtensor<std::uint8_t, 2>& images, const std::size_t* index,
                 xt::xtensor<T, 2>& out, detail::non_deduced_t<T> scale = T(1)) {
    detail::check_batch_out("gather_rows", images, out);
    gather_rows(images, index, out.shape()[0], out.data(), scale);
}

/// Rows [first, first + n) as a new (n, D) array of T.
template <class T = float>
xt::xtensor<T, 2> rows_as(const xt::xtensor<std::uint8_t, 2>& images, std::size_t first,
                          std::size_t n, detail::non_deduced_t<T> scale = T(1)) {
    detail::check_row_range("rows_as", images, first, n);
    auto out = xt::xtensor<T, 2>::from_shape({n, images.shape()[1]});
    copy_rows(images, first, n, out.data(), scale);
    return out;
}

/// The rows named by `index` as a new (index.size(), D) array of T.
template <class T = float>
xt::xtensor<T, 2> gather_as(const xt::xtensor<std::uint8_t, 2>& images,
                            const std::vector<std::size_t>& index,
                            detail::non_deduced_t<T> scale = T(1)) {
    auto out = xt::xtensor<T, 2>::from_shape({index.size(), images.shape()[1]});
    gather_rows(images, index.data(), index.size(), out.data(), scale);
    return out;
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

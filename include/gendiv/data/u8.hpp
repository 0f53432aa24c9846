// gendiv/data/u8.hpp: raw binarized image matrices: N·D bytes, each 0 or 1, no header.
//
// The simplest exchange format for binarized data: a `.u8` file is an (N, D) row-major byte
// matrix (D = 784 for MNIST-sized images), so its size must be a positive multiple of D and
// every byte 0 or 1. `write_u8` writes the same layout, e.g. to freeze a binarized split for
// another program (numpy: np.fromfile(path, np.uint8).reshape(-1, 784)).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "gendiv/data/dataset.hpp"
#include "gendiv/data/file.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::data {

/// Reads an (N, dim) matrix of 0/1 bytes with no header.
/// @throws gendiv::error when the file is missing, empty, gzip-compressed, not a multiple of
/// `dim` bytes long, or holds a byte other than 0 and 1 (named by example and pixel).
inline xt::xtensor<std::uint8_t, 2> read_u8(const std::string& path, std::size_t dim = 784) {
    constexpr const char* fn = "read_u8";
    detail::require(dim > 0, fn, "dim must be positive");
    byte_source src(fn, path);
    if (src.gzip())
        detail::fail(fn, "'", path,
                     "' is gzip-compressed; a .u8 file is raw bytes (decompress it)");
    const std::uint64_t size = src.file_size();
    if (size == 0) detail::fail(fn, "'", path, "' is empty: it holds no examples");
    if (size % dim != 0)
        detail::fail(fn, "'", path, "' has ", size, " bytes, not a multiple of ", dim,
                     " bytes an example (", size / dim, " examples and ", size % dim,
                     " bytes left over)");
    auto images = make_images(static_cast<std::size_t>(size / dim), dim);
    src.read_exact(images.data(), images.size(), "the " + std::to_string(size / dim) + " examples");
    src.expect_end("the " + std::to_string(size / dim) + " examples");
    check_binary(fn, "'" + path + "'", images);
    return images;
}

/// Writes `images` as raw bytes (the layout read_u8 reads).
/// @throws gendiv::error when a value is not 0 or 1, or the file cannot be written.
inline void write_u8(const std::string& path, const xt::xtensor<std::uint8_t, 2>& images) {
    constexpr const char* fn = "write_u8";
    check_binary(fn, "argument 'images'", images);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        const int e = errno;
        detail::fail(fn, "cannot create '", path, "': ", std::strerror(e));
    }
    const std::size_t n = images.size();
    const bool wrote = std::fwrite(images.data(), 1, n, f) == n;
    const int e = errno;
    const bool closed = std::fclose(f) == 0;
    if (!wrote || !closed)
        detail::fail(fn, "error writing '", path, "': ", std::strerror(wrote ? errno : e));
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

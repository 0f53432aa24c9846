// gendiv/data/dataset.hpp: a dataset of images kept as bytes, with optional labels.
//
// Images are an (N, D) row-major xt::xtensor<std::uint8_t, 2>: grey levels 0..255 as loaded, or
// 0/1 after binarization (gendiv/data/binarize.hpp). One byte a pixel keeps Fashion-MNIST's
// 70,000 images at 55 MB; a training loop converts one batch at a time to float with
// gendiv/data/batch.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <zlib.h>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::data {

/// Images (N, D) as bytes and, when the source has them, one label per image.
struct dataset {
    xt::xtensor<std::uint8_t, 2> images = xt::xtensor<std::uint8_t, 2>::from_shape({0, 0});
    /// Empty when the source has no labels; otherwise exactly N entries.
    std::vector<int> labels;

    std::size_t size() const { return images.shape()[0]; }
    std::size_t dim() const { return images.shape()[1]; }
    bool has_labels() const { return !labels.empty(); }
};

/// An uninitialized (n, d) byte matrix.
inline xt::xtensor<std::uint8_t, 2> make_images(std::size_t n, std::size_t d) {
    return xt::xtensor<std::uint8_t, 2>::from_shape({n, d});
}

/// CRC-32 (zlib) of the images' bytes in row-major order, followed by the shape and the labels
/// as 4-byte little-endian integers. Equal data gives an equal fingerprint on every machine, so
/// printing it makes a split's bits checkable across runs and hosts.
inline std::uint32_t fingerprint(const dataset& d) {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    const std::uint8_t* p = d.images.data();
    std::size_t left = d.images.size();
    while (left > 0) {
        const std::size_t n = std::min<std::size_t>(left, std::size_t(1) << 30);
        crc = ::crc32(crc, p, static_cast<uInt>(n));
        p += n;
        left -= n;
    }
    auto put32 = [&crc](std::uint32_t v) {
        const unsigned char b[4] = {
            static_cast<unsigned char>(v), static_cast<unsigned char>(v >> 8),
            static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 24)};
        crc = ::crc32(crc, b, 4);
    };
    put32(static_cast<std::uint32_t>(d.size()));
    put32(static_cast<std::uint32_t>(d.dim()));
    for (int l : d.labels) put32(static_cast<std::uint32_t>(l));
    return static_cast<std::uint32_t>(crc);
}

/// Throws unless every pixel is 0 or 1, naming the first offender by example and pixel.
/// `where` describes the data (e.g. "'train.u8'").
inline void check_binary(const char* function, const std::string& where,
                         const xt::xtensor<std::uint8_t, 2>& images) {
    const std::uint8_t* p = images.data();
    const std::size_t n = images.size();
    std::uint8_t any_high = 0;
    for (std::size_t i = 0; i < n; ++i) any_high |= static_cast<std::uint8_t>(p[i] & 0xFEu);
    if (any_high == 0) return;
    const std::size_t d = images.shape()[1];
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] > 1)
            detail::fail(function, where, " holds the value ", static_cast<int>(p[i]),
                         " at example ", i / d, ", pixel ", i % d, " (byte offset ", i,
                         "); binarized data must be 0 or 1");
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

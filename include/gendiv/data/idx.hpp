// gendiv/data/idx.hpp: MNIST and Fashion-MNIST files in the IDX format, plain or gzip.
//
// IDX (LeCun, Cortes and Burges, "The MNIST database", the file-format section): a 4-byte magic
// number — two zero bytes, a type byte (0x08: unsigned byte, the only type MNIST uses) and the
// number of dimensions — then one big-endian 32-bit extent per dimension, then the data in
// row-major order. Image files have magic 2051 (0x00000803: N, rows, cols), label files 2049
// (0x00000801: N). A file that starts with 1f 8b is decompressed on the fly (file.hpp).
//
// Every size is checked against the header: a short file, extra bytes after the data, another
// magic, a zero row or column extent, or images and labels that disagree in number each throw
// gendiv::error naming the function, the path, and what was expected against what was found. A
// count N of 0 is a valid, empty file (load_splits refuses an empty test split itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gendiv/data/dataset.hpp"
#include "gendiv/data/file.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::data {

/// Magic numbers of IDX unsigned-byte files with 3 dimensions (images) and 1 (labels).
inline constexpr std::uint32_t idx_images_magic = 2051;
inline constexpr std::uint32_t idx_labels_magic = 2049;

/// Streams the items of one IDX unsigned-byte file: the header is read and checked on
/// construction, then `read` hands out consecutive items (so a caller can split a file into
/// several arrays without a second copy) and `finish` checks that nothing is left over.
class idx_reader {
public:
    /// @param dimensions 3 for image files, 1 for label files.
    idx_reader(const char* function, const std::string& path, std::size_t dimensions)
        : src_(function, path) {
        const std::uint32_t expected = 0x0800u + static_cast<std::uint32_t>(dimensions);
        unsigned char head[4];
        src_.read_exact(head, 4, "the IDX magic number");
        const std::uint32_t magic = be32(head);
        if (magic != expected) {
            const char* hint = magic == idx_labels_magic   ? " (an IDX label file)"
                               : magic == idx_images_magic ? " (an IDX image file)"
                               : (head[0] == 0 && head[1] == 0 && head[2] != 0x08)
                                   ? " (an IDX file of another element type; only unsigned bytes, "
                                     "type 0x08, are supported)"
                                   : " (not an IDX file)";
            detail::fail(function, "'", path, "' has magic number ", magic, " (", hex(magic), ")",
                         hint, " but an IDX ", kind(dimensions), " file must have ", expected, " (",
                         hex(expected), ")");
        }
        dims_.resize(dimensions);
        std::uint64_t item = 1;
        for (std::size_t k = 0; k < dimensions; ++k) {
            unsigned char b[4];
            src_.read_exact(b, 4, "the IDX header's extent " + std::to_string(k));
            dims_[k] = be32(b);
            if (k > 0) {
                if (dims_[k] == 0)
                    detail::fail(function, "'", path, "' declares extent ", k, " as 0 (shape ",
                                 detail::shape_string(dims_), "): corrupt header");
                if (item > std::numeric_limits<std::uint64_t>::max() / dims_[k])
                    detail::fail(function, "'", path, "' declares an item of more than 2^64 "
                                 "bytes (extents ", detail::shape_string(dims_), "): corrupt header");
                item *= dims_[k];
            }
        }
        item_size_ = static_cast<std::size_t>(item);
        const std::uint64_t header = 4 + 4 * static_cast<std::uint64_t>(dimensions);
        const std::uint64_t count = dims_[0];
        const bool overflow = item != 0 && count > std::numeric_limits<std::uint64_t>::max() / item;
        const std::uint64_t bytes = overflow ? 0 : count * item;
        if (overflow || bytes > src_.remaining_bound()) {
            const std::uint64_t have = src_.gzip() ? 0 : src_.file_size();
            if (src_.gzip())
                detail::fail(function, "'", path, "': the header declares ", count, " ",
                             kind(dimensions), "s of shape ", shape_of_item(), ", more than ",
                             src_.file_size(),
                             " compressed bytes can hold: corrupt header or truncated file");
            detail::fail(
                function, "'", path, "' is truncated: the header declares ", count, " ",
                kind(dimensions), "s of shape ", shape_of_item(), " (",
                overflow ? std::string("overflowing 64 bits") : std::to_string(header + bytes),
                " bytes with the header) but the file has ", have, " bytes");
        }
    }

    /// Number of items (the first extent).
    std::size_t count() const { return dims_[0]; }
    /// All extents, as in the header.
    const std::vector<std::size_t>& dims() const { return dims_; }
    /// Bytes per item: rows·cols for images, 1 for labels.
    std::size_t item_size() const { return item_size_; }
    /// Items read so far.
    std::size_t position() const { return next_; }
    const std::string& path() const { return src_.path(); }

    /// Reads the next n items into dst (n·item_size() bytes).
    /// @throws gendiv::error when fewer than n items are left by the header or in the data.
    void read(std::uint8_t* dst, std::size_t n) {
        if (n > count() - next_)
            detail::fail(src_.function(), "asked for ", n, " more ", kind(dims_.size()), "s from '",
                         path(), "' at ", kind(dims_.size()), " ", next_,
                         " but the header declares ", count(), " in all");
        const std::size_t want = n * item_size_;
        const std::uint64_t start = src_.offset();
        const std::size_t got = src_.read_some(dst, want);
        if (got != want) {
            const std::uint64_t header = 4 + 4 * dims_.size();
            detail::fail(src_.function(), "'", path(), "' is truncated: the header declares ",
                         count(), " ", kind(dims_.size()), "s of shape ", shape_of_item(), " (",
                         header + count() * item_size_, " bytes with the header) but the ",
                         src_.gzip() ? "uncompressed data ends" : "file ends", " after ",
                         start + got, " bytes, inside ", kind(dims_.size()), " ",
                         next_ + got / item_size_);
        }
        next_ += n;
    }

    /// Checks that every declared item was read and that no bytes follow the last one.
    void finish() {
        if (next_ != count())
            detail::fail(src_.function(), "read ", next_, " of the ", count(), " ",
                         kind(dims_.size()), "s in '", path(), "'");
        src_.expect_end("the " + std::to_string(count()) + " " + kind(dims_.size()) +
                        "s that the header declares");
    }

private:
    static std::uint32_t be32(const unsigned char* b) {
        return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) |
               (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
    }
    static std::string hex(std::uint32_t v) {
        static const char digits[] = "0123456789abcdef";
        std::string s = "0x";
        for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xFu];
        return s;
    }
    static const char* kind(std::size_t dimensions) {
        return dimensions == 3 ? "image" : dimensions == 1 ? "label" : "item";
    }
    std::string shape_of_item() const {
        if (dims_.size() == 1) return "()";
        return detail::shape_string(std::vector<std::size_t>(dims_.begin() + 1, dims_.end()));
    }

    byte_source src_;
    std::vector<std::size_t> dims_;
    std::size_t item_size_ = 1;
    std::size_t next_ = 0;
};

/// Images of an IDX image file, one row of rows·cols bytes per image.
struct idx_images {
    xt::xtensor<std::uint8_t, 2> pixels = xt::xtensor<std::uint8_t, 2>::from_shape({0, 0});
    std::size_t rows = 0, cols = 0;
};

/// Reads an IDX image file (magic 2051), plain or gzip, into (N, rows·cols) bytes.
/// @throws gendiv::error on a missing, truncated, oversized or corrupt file or another magic.
inline idx_images read_idx_images(const std::string& path) {
    idx_reader r("read_idx_images", path, 3);
    idx_images out;
    out.rows = r.dims()[1];
    out.cols = r.dims()[2];
    out.pixels = make_images(r.count(), r.item_size());
    r.read(out.pixels.data(), r.count());
    r.finish();
    return out;
}

/// Reads an IDX label file (magic 2049), plain or gzip: one label (0..255) per item.
/// @throws gendiv::error on a missing, truncated, oversized or corrupt file or another magic.
inline std::vector<int> read_idx_labels(const std::string& path) {
    idx_reader r("read_idx_labels", path, 1);
    std::vector<std::uint8_t> bytes(r.count());
    r.read(bytes.data(), r.count());
    r.finish();
    return std::vector<int>(bytes.begin(), bytes.end());
}

}  // namespace gendiv::data

namespace gendiv::detail {
inline void check_idx_counts(const char* function, const std::string& images_path,
                             std::size_t images, const std::string& labels_path,
                             std::size_t labels) {
    if (images != labels)
        fail(function, "'", images_path, "' holds ", images, " images but '", labels_path,
             "' holds ", labels, " labels; they must agree");
}
}  // namespace gendiv::detail

namespace gendiv::data {

/// Reads an image file and its label file into one dataset (grey levels 0..255).
/// @throws gendiv::error as read_idx_images and read_idx_labels do, and when the two files
/// hold different numbers of items.
inline dataset read_idx_dataset(const std::string& images_path, const std::string& labels_path) {
    constexpr const char* fn = "read_idx_dataset";
    idx_reader ri(fn, images_path, 3);
    idx_reader rl(fn, labels_path, 1);
    detail::check_idx_counts(fn, images_path, ri.count(), labels_path, rl.count());
    dataset d;
    d.images = make_images(ri.count(), ri.item_size());
    ri.read(d.images.data(), ri.count());
    ri.finish();
    std::vector<std::uint8_t> bytes(rl.count());
    rl.read(bytes.data(), rl.count());
    rl.finish();
    d.labels.assign(bytes.begin(), bytes.end());
    return d;
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

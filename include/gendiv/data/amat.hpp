// gendiv/data/amat.hpp: Larochelle's binarized MNIST in `.amat` text form.
//
// The files binarized_mnist_{train,valid,test}.amat (Larochelle and Murray, "The neural
// autoregressive distribution estimator", AISTATS 2011; 50,000 / 10,000 / 10,000 examples) hold
// one example a line: 784 values, each the character 0 or 1, separated by spaces or tabs. A
// carriage return before the newline is accepted and the last line may lack its newline. Any
// other line — a blank one, one with 783 or 785 values, one holding a 2 or a 0.5 — throws
// gendiv::error naming the file and the line number. Plain or gzip (file.hpp).
//
// The file is read twice: once to count the lines, so that the (N, 784) byte matrix is
// allocated once at its final size, and once to parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gendiv/data/dataset.hpp"
#include "gendiv/data/file.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// Number of lines: newlines, plus one when the last line lacks its newline.
inline std::size_t count_text_lines(const char* function, const std::string& path) {
    data::byte_source src(function, path);
    char buf[1 << 16];
    std::size_t lines = 0;
    char last = '\n';
    for (std::size_t r; (r = src.read_some(buf, sizeof buf)) > 0;) {
        for (std::size_t i = 0; i < r; ++i) lines += buf[i] == '\n';
        last = buf[r - 1];
    }
    return lines + (last != '\n');
}

}  // namespace gendiv::detail

namespace gendiv::data {

/// Reads a `.amat` file of 0/1 values, `dim` a line (784 for MNIST), into (N, dim) bytes.
/// @throws gendiv::error when the file is missing, empty, or a line holds another number of
/// values or a value other than 0 and 1 (the message names the line and the value).
inline xt::xtensor<std::uint8_t, 2> read_amat(const std::string& path, std::size_t dim = 784) {
    constexpr const char* fn = "read_amat";
    detail::require(dim > 0, fn, "dim must be positive");
    const std::size_t lines = detail::count_text_lines(fn, path);
    if (lines == 0) detail::fail(fn, "'", path, "' is empty: it holds no examples");
    auto images = make_images(lines, dim);
    std::uint8_t* out = images.data();

    byte_source src(fn, path);
    std::size_t line = 0;    // 0-based index of the line being parsed
    std::size_t values = 0;  // values seen on this line
    std::string token;       // the token being read (only its first characters are kept)
    std::size_t token_len = 0;
    auto end_token = [&]() {
        if (token_len == 0) return;
        const bool ok = token_len == 1 && (token[0] == '0' || token[0] == '1');
        if (!ok)
            detail::fail(fn, "'", path, "' line ", line + 1, ", value ", values + 1, " is '", token,
                         token_len > token.size() ? "..." : "",
                         "'; binarized MNIST values must be 0 or 1");
        if (values < dim) out[line * dim + values] = static_cast<std::uint8_t>(token[0] - '0');
        ++values;
        token.clear();
        token_len = 0;
    };
    auto end_line = [&]() {
        end_token();
        if (line >= lines)
            detail::fail(fn, "'", path, "' changed while being read (it had ", lines,
                         " lines at first)");
        if (values != dim)
            detail::fail(fn, "'", path, "' line ", line + 1, " has ", values, " values, expected ",
                         dim);
        ++line;
        values = 0;
    };

    char buf[1 << 16];
    bool pending = false;  // characters seen since the last newline
    for (std::size_t r; (r = src.read_some(buf, sizeof buf)) > 0;) {
        for (std::size_t i = 0; i < r; ++i) {
            const char c = buf[i];
            if (c == '\n') {
                end_line();
                pending = false;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                end_token();
                pending = true;
            } else {
                if (token.size() < 16) token += c;
                ++token_len;
                pending = true;
            }
        }
    }
    if (pending) end_line();
    if (line != lines)
        detail::fail(fn, "'", path, "' changed while being read (", lines, " lines at first, ",
                     line, " now)");
    return images;
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

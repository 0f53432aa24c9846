// gendiv/data/amat.hpp: Larochelle's binarized MNIST in `.amat` text form.
//
// The files binarized_mnist_{train,valid,test}.amat (Larochelle and Murray, "The neural
// autoregressive distribution estimator", AISTATS 2011; 50,000 / 10,000 / 10,000 examples) hold
// one example a line: 784 values, each the character 0 or 1, separated by spaces or tabs. A
// carriage return before the newline is accepted and the last line may lack its newline. Any
// other line — a blank one, one with 783 or 785 values, one holding a 2 or a 0.5 — throws
// gendiv::error naming the file and the line number. Plain or gzip (file.hpp).
//
// The file is read once. Each line's values go to a buffer that grows with the lines parsed, so
// memory follows the data that is actually there (a value takes at least two bytes of text, so
// the buffer never exceeds the text read), and the (N, 784) byte matrix is copied from it at the
// end. (Until 2026-12-03 a first pass counted the newlines and allocated N x 784 bytes from that
// count alone: a 4 MiB file of newlines asked for 3.3 GB, a 64 KB gzip of them for 53 GB, and
// a file that grew between the passes was written past the matrix.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gendiv/data/dataset.hpp"
#include "gendiv/data/file.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/xtensor.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::data {

/// Reads a `.amat` file of 0/1 values, `dim` a line (784 for MNIST), into (N, dim) bytes.
/// @throws gendiv::error when the file is missing, empty, or a line holds another number of
/// values or a value other than 0 and 1 (the message names the line and the value).
inline xt::xtensor<std::uint8_t, 2> read_amat(const std::string& path, std::size_t dim = 784) {
    constexpr const char* fn = "read_amat";
    detail::require(dim > 0, fn, "dim must be positive");
    byte_source src(fn, path);
    std::vector<std::uint8_t> rows;  // the lines parsed so far, dim values each
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
        if (values < dim) rows.push_back(static_cast<std::uint8_t>(token[0] - '0'));
        ++values;
        token.clear();
        token_len = 0;
    };
    auto end_line = [&]() {
        end_token();
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
    if (line == 0) detail::fail(fn, "'", path, "' is empty: it holds no examples");
    auto images = make_images(line, dim);
    std::copy(rows.begin(), rows.end(), images.data());
    return images;
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

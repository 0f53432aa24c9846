// Tests for gendiv/data/amat.hpp: Larochelle's binarized-MNIST text format, valid and broken.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>

#include "gendiv/data/amat.hpp"
#include "support/counting_new.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::message_has;
using gendiv::test::temp_dir;
using gendiv::test::write_text;
namespace gd = gendiv::data;

namespace {

// A line of `n` values; value j is (j·7 + row) mod 3 == 0, so rows differ.
std::string line(std::size_t n, int row, const std::string& sep = " ") {
    std::string s;
    for (std::size_t j = 0; j < n; ++j) {
        if (j) s += sep;
        s += ((j * 7 + static_cast<std::size_t>(row)) % 3 == 0) ? '1' : '0';
    }
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_784_values_a_line) {
    temp_dir dir("amat");
    write_text(dir / "a.amat", line(784, 0) + "\n" + line(784, 1) + "\n" + line(784, 2) + "\n");
    const auto x = gd::read_amat(dir / "a.amat");
    BOOST_TEST(x.shape()[0] == 3u);
    BOOST_TEST(x.shape()[1] == 784u);
    for (std::size_t r = 0; r < 3; ++r)
        for (std::size_t j = 0; j < 784; ++j)
            BOOST_TEST(int(x(r, j)) == int((j * 7 + r) % 3 == 0), "row " << r << " column " << j);
}

BOOST_AUTO_TEST_CASE(accepts_crlf_tabs_and_a_missing_last_newline_and_gzip) {
    temp_dir dir("amat");
    const std::string text = line(5, 0, "\t") + "\r\n" + line(5, 1, "  ") + " \r\n" + line(5, 2);
    write_text(dir / "a.amat", text);
    gendiv::test::write_gzip(dir / "a.amat.gz", gendiv::test::bytes(text.begin(), text.end()));
    for (const char* name : {"a.amat", "a.amat.gz"}) {
        const auto x = gd::read_amat(dir / name, 5);
        BOOST_TEST(x.shape()[0] == 3u);
        BOOST_TEST(x.shape()[1] == 5u);
        BOOST_TEST(int(x(0, 0)) == 1);
        BOOST_TEST(int(x(1, 2)) == 1);  // (2·7 + 1) mod 3 == 0
        BOOST_TEST(int(x(2, 2)) == 0);
    }
}

BOOST_AUTO_TEST_CASE(wrong_value_counts_name_the_line) {
    temp_dir dir("amat");
    write_text(dir / "short.amat", line(784, 0) + "\n" + line(783, 1) + "\n" + line(784, 2) + "\n");
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "short.amat"), error,
                          (message_has{"gendiv::read_amat", dir / "short.amat",
                                       "line 2 has 783 values, expected 784"}));
    write_text(dir / "long.amat", line(784, 0) + "\n" + line(784, 1) + "\n" + line(785, 2));
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "long.amat"), error,
                          (message_has{"line 3 has 785 values, expected 784"}));
    write_text(dir / "blank.amat", line(784, 0) + "\n\n" + line(784, 2) + "\n");
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "blank.amat"), error,
                          (message_has{"line 2 has 0 values"}));
}

BOOST_AUTO_TEST_CASE(values_other_than_0_and_1_name_the_line_and_value) {
    temp_dir dir("amat");
    std::string bad = line(784, 2);
    bad[2 * 9] = '2';  // value 10 of the line
    write_text(dir / "two.amat", line(784, 0) + "\n" + line(784, 1) + "\n" + bad + "\n");
    BOOST_CHECK_EXCEPTION(
        gd::read_amat(dir / "two.amat"), error,
        (message_has{dir / "two.amat", "line 3, value 10 is '2'", "must be 0 or 1"}));
    write_text(dir / "half.amat", "0 0.5 1\n");
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "half.amat", 3), error,
                          (message_has{"line 1, value 2 is '0.5'"}));
    write_text(dir / "pad.amat", "0 01 1\n");
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "pad.amat", 3), error,
                          (message_has{"line 1, value 2 is '01'"}));
    write_text(dir / "long.amat", "0 " + std::string(40, '1') + " 1\n");
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "long.amat", 3), error,
                          (message_has{"value 2 is '1111111111111111...'"}));
}

BOOST_AUTO_TEST_CASE(empty_and_missing_files) {
    temp_dir dir("amat");
    write_text(dir / "empty.amat", "");
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "empty.amat"), error,
                          (message_has{dir / "empty.amat", "is empty"}));
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "missing.amat"), error,
                          (message_has{"gendiv::read_amat", "cannot open", "missing.amat"}));
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "x", 0), error,
                          (message_has{"dim must be positive"}));
}

BOOST_AUTO_TEST_CASE(memory_follows_the_parsed_lines_not_the_newline_count) {
    // 4 MiB of newlines, plain and as a 4 KB gzip: 4 Mi "lines". A reader that sized the
    // (N, 784) matrix from the newline count asked for 3.3 GB here (and for 53 GB with a gzip of
    // 64 KB, which ended in std::bad_alloc). Line 1 is already wrong, and nothing near a
    // megabyte may be requested before that is found.
    temp_dir dir("amat");
    const std::string newlines(std::size_t(4) << 20, '\n');
    write_text(dir / "nl.amat", newlines);
    gendiv::test::write_gzip(dir / "nl.amat.gz", gendiv::test::bytes(newlines.begin(), newlines.end()));
    for (const char* name : {"nl.amat", "nl.amat.gz"}) {
        gendiv::test::largest_allocation = 0;
        BOOST_CHECK_EXCEPTION(gd::read_amat(dir / name), error,
                              (message_has{dir / name, "line 1 has 0 values, expected 784"}));
        BOOST_TEST(gendiv::test::largest_allocation.load() < (std::size_t(1) << 20), name);
    }
    // A valid file's matrix is the only large request: 3 lines of 784 values.
    write_text(dir / "ok.amat", line(784, 0) + "\n" + line(784, 1) + "\n" + line(784, 2) + "\n");
    gendiv::test::largest_allocation = 0;
    BOOST_TEST(gd::read_amat(dir / "ok.amat").shape()[0] == 3u);
    BOOST_TEST(gendiv::test::largest_allocation.load() < std::size_t(64) << 10);
}

BOOST_AUTO_TEST_CASE(a_huge_dim_is_a_value_count_error_not_an_allocation) {
    // lines x dim used to wrap around for dim = 2^63 and two lines, and the parse wrote into a
    // matrix of 0 bytes.
    temp_dir dir("amat");
    write_text(dir / "two.amat", "1\n1\n");
    BOOST_CHECK_EXCEPTION(gd::read_amat(dir / "two.amat", std::size_t(1) << 63), error,
                          (message_has{"line 1 has 1 values, expected 9223372036854775808"}));
}

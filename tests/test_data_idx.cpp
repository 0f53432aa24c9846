// Tests for gendiv/data/idx.hpp and the reader under it (gendiv/data/file.hpp): IDX files
// written here, plain and gzip, valid and broken in every way the loader promises to report.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "gendiv/data/idx.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::bytes;
using gendiv::test::idx_file;
using gendiv::test::message_has;
using gendiv::test::temp_dir;
using gendiv::test::write_file;
using gendiv::test::write_gzip;
namespace gd = gendiv::data;

namespace {

// Three 2×3 images whose pixel values are 10·image + pixel.
bytes three_images() {
    bytes px;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 6; ++j) px.push_back(static_cast<unsigned char>(10 * i + j));
    return idx_file(2051, {3, 2, 3}, px);
}

bytes three_labels() { return idx_file(2049, {3}, {7, 0, 9}); }

void check_three_images(const gd::idx_images& im) {
    BOOST_TEST(im.rows == 2u);
    BOOST_TEST(im.cols == 3u);
    BOOST_TEST(im.pixels.shape()[0] == 3u);
    BOOST_TEST(im.pixels.shape()[1] == 6u);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 6; ++j) BOOST_TEST(int(im.pixels(i, j)) == int(10 * i + j));
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_plain_and_gzip_images_and_labels) {
    temp_dir dir("idx");
    write_file(dir / "im", three_images());
    write_gzip(dir / "im.gz", three_images());
    write_file(dir / "lb", three_labels());
    write_gzip(dir / "lb.gz", three_labels());
    check_three_images(gd::read_idx_images(dir / "im"));
    check_three_images(gd::read_idx_images(dir / "im.gz"));
    for (const char* name : {"lb", "lb.gz"}) {
        const auto labels = gd::read_idx_labels(dir / name);
        BOOST_TEST(labels == (std::vector<int>{7, 0, 9}), boost::test_tools::per_element());
    }
    const auto d = gd::read_idx_dataset(dir / "im.gz", dir / "lb");
    BOOST_TEST(d.size() == 3u);
    BOOST_TEST(d.dim() == 6u);
    BOOST_TEST(d.labels == (std::vector<int>{7, 0, 9}), boost::test_tools::per_element());
    BOOST_TEST(int(d.images(2, 5)) == 25);
}

BOOST_AUTO_TEST_CASE(zero_images_is_a_valid_empty_file) {
    temp_dir dir("idx");
    write_file(dir / "im", idx_file(2051, {0, 28, 28}, {}));
    const auto im = gd::read_idx_images(dir / "im");
    BOOST_TEST(im.pixels.shape()[0] == 0u);
    BOOST_TEST(im.pixels.shape()[1] == 784u);
}

BOOST_AUTO_TEST_CASE(image_and_label_counts_must_agree) {
    temp_dir dir("idx");
    write_file(dir / "im", three_images());
    write_file(dir / "lb", idx_file(2049, {2}, {1, 2}));
    BOOST_CHECK_EXCEPTION(gd::read_idx_dataset(dir / "im", dir / "lb"), error,
                          (message_has{"gendiv::read_idx_dataset", dir / "im", "holds 3 images",
                                       dir / "lb", "holds 2 labels"}));
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_plain_file_is_reported) {
    temp_dir dir("idx");
    const bytes full = three_images();
    for (std::size_t n = 0; n < full.size(); ++n) {
        write_file(dir / "im", bytes(full.begin(), full.begin() + static_cast<long>(n)));
        BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im"), error,
                              (message_has{"gendiv::read_idx_images", dir / "im", "truncated"}));
    }
    // Cut inside the data: the message gives the declared and the actual size.
    write_file(dir / "im", bytes(full.begin(), full.end() - 1));
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im"), error,
                          (message_has{"declares 3 images of shape (2, 3)",
                                       "34 bytes with the header", "the file has 33 bytes"}));
    // Cut inside the header.
    write_file(dir / "im", bytes(full.begin(), full.begin() + 6));
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im"), error,
                          (message_has{"extent 0", "needs 4 bytes", "only 2 remain"}));
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_gzip_file_is_reported) {
    temp_dir dir("idx");
    const bytes gz = gendiv::test::gzip_bytes(three_images(), dir / "scratch");
    for (std::size_t n = 0; n < gz.size(); ++n) {
        write_file(dir / "im.gz", bytes(gz.begin(), gz.begin() + static_cast<long>(n)));
        BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im.gz"), error,
                              (message_has{"gendiv::read_idx_images", dir / "im.gz"}));
    }
    // Without its 8-byte trailer the stream lacks its end: zlib's "unexpected end of file".
    write_file(dir / "im.gz", bytes(gz.begin(), gz.end() - 8));
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im.gz"), error,
                          (message_has{"truncated", "gzip stream ends before"}));
}

BOOST_AUTO_TEST_CASE(gzip_data_shorter_than_the_header_declares) {
    temp_dir dir("idx");
    bytes short_data = three_images();
    short_data.resize(short_data.size() - 4);  // a complete gzip stream of too few bytes
    write_gzip(dir / "im.gz", short_data);
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im.gz"), error,
                          (message_has{"truncated", "declares 3 images",
                                       "uncompressed data ends after 30", "inside image 2"}));
}

BOOST_AUTO_TEST_CASE(corrupt_gzip_is_reported) {
    temp_dir dir("idx");
    const bytes gz = gendiv::test::gzip_bytes(three_images(), dir / "scratch");
    // A wrong CRC-32 in the trailer: zlib's "incorrect data check".
    bytes bad_crc = gz;
    bad_crc[bad_crc.size() - 8] ^= 0xFF;
    write_file(dir / "im.gz", bad_crc);
    BOOST_CHECK_EXCEPTION(
        gd::read_idx_images(dir / "im.gz"), error,
        (message_has{dir / "im.gz", "not a valid gzip stream", "incorrect data check"}));
    // An unknown compression method in the gzip header.
    bytes bad_method = gz;
    bad_method[2] = 7;
    write_file(dir / "im.gz", bad_method);
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im.gz"), error,
                          (message_has{dir / "im.gz", "not a valid gzip stream"}));
    // Every single-byte corruption past the 10-byte gzip header is caught, by zlib or by the
    // IDX checks (a changed byte in the deflate data or the trailer breaks the CRC or the stream).
    for (std::size_t i = 10; i < gz.size(); ++i) {
        bytes b = gz;
        b[i] ^= 0x5A;
        write_file(dir / "im.gz", b);
        BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im.gz"), error,
                              (message_has{"gendiv::read_idx_images", dir / "im.gz"}));
    }
}

BOOST_AUTO_TEST_CASE(extra_bytes_after_the_data_are_reported) {
    temp_dir dir("idx");
    bytes b = three_images();
    b.push_back(1);
    b.push_back(2);
    write_file(dir / "im", b);
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "im"), error,
                          (message_has{dir / "im", "2 unexpected bytes", "after the 3 images",
                                       "size 36, expected 34"}));
    write_gzip(dir / "lb.gz", idx_file(2049, {3}, {1, 2, 3, 4}));
    BOOST_CHECK_EXCEPTION(gd::read_idx_labels(dir / "lb.gz"), error,
                          (message_has{"gendiv::read_idx_labels", "1 unexpected byte ",
                                       "uncompressed size 12, expected 11"}));
}

BOOST_AUTO_TEST_CASE(wrong_magic_numbers_are_named) {
    temp_dir dir("idx");
    write_file(dir / "lb", three_labels());
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "lb"), error,
                          (message_has{dir / "lb", "magic number 2049 (0x00000801)",
                                       "an IDX label file", "must have 2051 (0x00000803)"}));
    write_file(dir / "im", three_images());
    BOOST_CHECK_EXCEPTION(
        gd::read_idx_labels(dir / "im"), error,
        (message_has{"magic number 2051", "an IDX image file", "must have 2049"}));
    // IDX floats (type 0x0D) are a real IDX type that gendiv does not read.
    write_file(dir / "f", idx_file(0x00000D03, {1, 1, 1}, {0, 0, 0, 0}));
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "f"), error,
                          (message_has{"0x00000d03", "another element type"}));
    write_file(dir / "text", bytes{'h', 'e', 'l', 'l', 'o', '\n'});
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "text"), error,
                          (message_has{"not an IDX file"}));
}

BOOST_AUTO_TEST_CASE(wrong_dimensions_are_reported) {
    temp_dir dir("idx");
    write_file(dir / "zero", idx_file(2051, {3, 0, 28}, {}));
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "zero"), error,
                          (message_has{"declares extent 1 as 0", "corrupt header"}));
    // A header that claims far more than the file holds fails before any allocation.
    write_file(dir / "huge", idx_file(2051, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {1, 2, 3}));
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "huge"), error,
                          (message_has{"truncated", "overflowing"}));
    write_file(dir / "big", idx_file(2051, {60000, 28, 28}, bytes(784, 0)));
    BOOST_CHECK_EXCEPTION(
        gd::read_idx_images(dir / "big"), error,
        (message_has{"declares 60000 images of shape (28, 28)", "47040016 bytes with the header",
                     "the file has 800 bytes"}));
    bytes noise(784);  // incompressible, so that 1000 images fit the deflate bound below
    std::uint32_t state = 12345;
    for (auto& v : noise)
        v = static_cast<unsigned char>((state = state * 1664525u + 1013904223u) >> 24);
    write_gzip(dir / "big.gz", idx_file(2051, {1000, 28, 28}, noise));
    const auto compressed = gendiv::test::read_file(dir / "big.gz").size();
    write_gzip(dir / "huge.gz", idx_file(2051, {4000000000u, 28, 28}, bytes(784, 0)));
    BOOST_CHECK_EXCEPTION(gd::read_idx_images(dir / "huge.gz"), error,
                          (message_has{"declares 4000000000 images", "compressed bytes can hold"}));
    // Within the deflate bound the gzip reader finds the shortfall while reading.
    BOOST_TEST(compressed * 1032 > 784016u);
    BOOST_CHECK_EXCEPTION(
        gd::read_idx_images(dir / "big.gz"), error,
        (message_has{"truncated", "declares 1000 images", "uncompressed data ends after 800 bytes",
                     "inside image 1"}));
    // Labels whose header disagrees with the data length: 3 declared, 5 present.
    write_file(dir / "lb", idx_file(2049, {3}, {1, 2, 3, 4, 5}));
    BOOST_CHECK_EXCEPTION(gd::read_idx_labels(dir / "lb"), error,
                          (message_has{"2 unexpected bytes", "after the 3 labels"}));
}

BOOST_AUTO_TEST_CASE(missing_files_and_directories) {
    temp_dir dir("idx");
    BOOST_CHECK_EXCEPTION(
        gd::read_idx_images(dir / "nope"), error,
        (message_has{"gendiv::read_idx_images", "cannot open", dir / "nope", "No such file"}));
    BOOST_CHECK_EXCEPTION(gd::read_idx_labels(dir.str()), error,
                          (message_has{"not a regular file"}));
}

BOOST_AUTO_TEST_CASE(reader_streams_a_file_into_pieces) {
    temp_dir dir("idx");
    write_gzip(dir / "im.gz", three_images());
    gd::idx_reader r("test", dir / "im.gz", 3);
    BOOST_TEST(r.count() == 3u);
    BOOST_TEST(r.item_size() == 6u);
    std::vector<std::uint8_t> a(6), b(12);
    r.read(a.data(), 1);
    r.read(b.data(), 2);
    BOOST_TEST(int(a[5]) == 5);
    BOOST_TEST(int(b[11]) == 25);
    r.finish();
    // Asking for more items than the header declares, and finishing early, are errors.
    gd::idx_reader r2("test", dir / "im.gz", 3);
    BOOST_CHECK_EXCEPTION(r2.read(b.data(), 4), error,
                          (message_has{"asked for 4 more images", "declares 3"}));
    r2.read(a.data(), 1);
    BOOST_CHECK_EXCEPTION(r2.finish(), error, (message_has{"read 1 of the 3 images"}));
}

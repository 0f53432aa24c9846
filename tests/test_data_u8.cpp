// Tests for gendiv/data/u8.hpp: raw 0/1 byte matrices.
#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "gendiv/data/u8.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::bytes;
using gendiv::test::message_has;
using gendiv::test::temp_dir;
using gendiv::test::write_file;
namespace gd = gendiv::data;

BOOST_AUTO_TEST_CASE(write_then_read_round_trips) {
    temp_dir dir("u8");
    auto x = gd::make_images(3, 784);
    for (std::size_t i = 0; i < x.size(); ++i)
        x.data()[i] = static_cast<std::uint8_t>((i * 31) % 7 < 3);
    gd::write_u8(dir / "train.u8", x);
    BOOST_TEST(gendiv::test::read_file(dir / "train.u8").size() == 3u * 784u);
    const auto y = gd::read_u8(dir / "train.u8");
    BOOST_TEST(y.shape()[0] == 3u);
    BOOST_TEST(y.shape()[1] == 784u);
    BOOST_TEST(y == x);
    const auto z = gd::read_u8(dir / "train.u8", 392);  // another row length, same bytes
    BOOST_TEST(z.shape()[0] == 6u);
}

BOOST_AUTO_TEST_CASE(size_must_be_a_positive_multiple_of_the_row) {
    temp_dir dir("u8");
    write_file(dir / "odd.u8", bytes(2 * 784 - 1, 0));
    BOOST_CHECK_EXCEPTION(
        gd::read_u8(dir / "odd.u8"), error,
        (message_has{"gendiv::read_u8", dir / "odd.u8", "has 1567 bytes", "not a multiple of 784",
                     "1 examples and 783 bytes left over"}));
    write_file(dir / "empty.u8", bytes{});
    BOOST_CHECK_EXCEPTION(gd::read_u8(dir / "empty.u8"), error, (message_has{"is empty"}));
    BOOST_CHECK_EXCEPTION(gd::read_u8(dir / "none.u8"), error,
                          (message_has{"cannot open", "none.u8"}));
    BOOST_CHECK_EXCEPTION(gd::read_u8(dir / "none.u8", 0), error,
                          (message_has{"dim must be positive"}));
}

BOOST_AUTO_TEST_CASE(values_must_be_0_or_1) {
    temp_dir dir("u8");
    bytes b(2 * 784, 1);
    b[784 + 3] = 2;
    b[784 + 9] = 255;
    write_file(dir / "two.u8", b);
    BOOST_CHECK_EXCEPTION(gd::read_u8(dir / "two.u8"), error,
                          (message_has{dir / "two.u8", "holds the value 2 at example 1, pixel 3",
                                       "byte offset 787"}));
    auto x = gd::make_images(1, 4);
    x(0, 0) = 0;
    x(0, 1) = 1;
    x(0, 2) = 1;
    x(0, 3) = 7;
    BOOST_CHECK_EXCEPTION(gd::write_u8(dir / "w.u8", x), error,
                          (message_has{"gendiv::write_u8", "value 7 at example 0, pixel 3"}));
}

BOOST_AUTO_TEST_CASE(gzip_and_unwritable_paths_are_refused) {
    temp_dir dir("u8");
    gendiv::test::write_gzip(dir / "z.u8", bytes(784, 1));
    BOOST_CHECK_EXCEPTION(gd::read_u8(dir / "z.u8"), error, (message_has{"gzip-compressed"}));
    auto x = gd::make_images(1, 784);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = 0;
    BOOST_CHECK_EXCEPTION(gd::write_u8(dir / "no/such/dir.u8", x), error,
                          (message_has{"cannot create", "no/such/dir.u8"}));
}

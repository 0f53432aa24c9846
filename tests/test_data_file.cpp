// Tests for gendiv/data/file.hpp (and detail/regular_file.hpp): byte_source refuses what is not a
// regular file without waiting on it, and read_all stops at its limit, before allocating for a
// plain file and as it reads a gzip stream.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <string>

#include "gendiv/data/file.hpp"
#include "support/counting_new.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::message_has;
using gendiv::test::temp_dir;
namespace gd = gendiv::data;

BOOST_AUTO_TEST_CASE(read_all_stops_at_its_limit) {
    temp_dir dir("file");
    const std::string text(100000, 'x');
    gendiv::test::write_text(dir / "plain", text);
    gendiv::test::write_gzip(dir / "packed", gendiv::test::bytes(text.begin(), text.end()));
    for (const char* name : {"plain", "packed"}) {
        BOOST_TEST(gd::byte_source("f", dir / name).read_all(100000) == text, name);
        gd::byte_source src("gendiv::test_fn", dir / name);
        gendiv::test::largest_allocation = 0;
        BOOST_CHECK_EXCEPTION(src.read_all(99999), error,
                              (message_has{"test_fn", dir / name, "holds more than 99999 bytes",
                                           "the most this reader accepts"}));
        // a plain file is refused from its size (the largest requests are the message's); a gzip
        // stream once more than the limit has come out of it, its string at most twice the limit
        BOOST_TEST(gendiv::test::largest_allocation.load() <= (std::string(name) == "plain" ? 4096u : 2 * 99999u),
                   name << ": " << gendiv::test::largest_allocation.load());
    }
    BOOST_CHECK_EXCEPTION(gd::byte_source("f", dir / "packed").read_all(99999), error,
                          (message_has{"more than 99999 bytes uncompressed"}));
}

BOOST_AUTO_TEST_CASE(fifos_and_directories_are_refused_at_once) {
    temp_dir dir("file");
    const std::string fifo = dir / "pipe";
    const std::string what = gendiv::test::open_of_fifo(fifo, [&] { gd::byte_source("gendiv::f", fifo); });
    BOOST_TEST(what.find("'" + fifo + "' is not a regular file") != std::string::npos, what);
    BOOST_CHECK_EXCEPTION(gd::byte_source("gendiv::f", dir.str()), error,
                          (message_has{"gendiv::f", dir.str(), "is not a regular file"}));
    BOOST_CHECK_EXCEPTION(gd::byte_source("gendiv::f", dir / "none"), error,
                          (message_has{"cannot open", dir / "none", "No such file"}));
}

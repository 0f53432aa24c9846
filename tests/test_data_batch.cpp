// Tests for gendiv/data/batch.hpp: copying byte rows into float batches, in order or by index.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "gendiv/data/batch.hpp"
#include "gendiv/data/dataset.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::message_has;
namespace gd = gendiv::data;

namespace {
// 5 rows of 4: value 10·row + column (as grey levels).
xt::xtensor<std::uint8_t, 2> sample() {
    auto x = gd::make_images(5, 4);
    for (std::size_t i = 0; i < 5; ++i)
        for (std::size_t j = 0; j < 4; ++j) x(i, j) = static_cast<std::uint8_t>(10 * i + j);
    return x;
}
}  // namespace

BOOST_AUTO_TEST_CASE(copy_rows_in_order_with_scale) {
    const auto x = sample();
    std::vector<float> out(2 * 4, -1.f);
    gd::copy_rows(x, 2, 2, out.data());
    const std::vector<float> expected = {20, 21, 22, 23, 30, 31, 32, 33};
    BOOST_TEST(out == expected, boost::test_tools::per_element());
    std::vector<double> scaled(4);
    gd::copy_rows(x, 4, 1, scaled.data(), 1.0 / 255);
    BOOST_TEST(scaled[3] == 43.0 / 255);
    xt::xtensor<float, 2> batch = xt::xtensor<float, 2>::from_shape({3, 4});
    gd::copy_rows(x, 1, batch);
    BOOST_TEST(batch(0, 0) == 10.f);
    BOOST_TEST(batch(2, 3) == 33.f);
    const auto r = gd::rows_as<double>(x, 3, 2, 0.5);
    BOOST_TEST(r.shape()[0] == 2u);
    BOOST_TEST(r(1, 2) == 21.0);
    gd::copy_rows(x, 5, 0, out.data());  // an empty range at the end is fine
}

BOOST_AUTO_TEST_CASE(gather_rows_by_index) {
    const auto x = sample();
    const std::vector<std::size_t> idx = {4, 0, 4, 2};
    std::vector<float> out(4 * 4);
    gd::gather_rows(x, idx.data(), idx.size(), out.data());
    BOOST_TEST(out[0] == 40.f);
    BOOST_TEST(out[4 + 1] == 1.f);
    BOOST_TEST(out[8 + 3] == 43.f);
    BOOST_TEST(out[12 + 2] == 22.f);
    xt::xtensor<float, 2> batch = xt::xtensor<float, 2>::from_shape({2, 4});
    gd::gather_rows(x, idx.data() + 2, batch);  // a slice of a permutation
    BOOST_TEST(batch(0, 0) == 40.f);
    BOOST_TEST(batch(1, 0) == 20.f);
    const auto g = gd::gather_as<float>(x, idx, 2.f);
    BOOST_TEST(g.shape()[0] == 4u);
    BOOST_TEST(g(3, 1) == 42.f);
}

BOOST_AUTO_TEST_CASE(out_of_range_rows_and_indices_are_reported) {
    const auto x = sample();
    std::vector<float> out(64);
    BOOST_CHECK_EXCEPTION(
        gd::copy_rows(x, 4, 2, out.data()), error,
        (message_has{"gendiv::copy_rows", "rows [4, 6) are out of range", "(5, 4)"}));
    BOOST_CHECK_EXCEPTION(gd::rows_as<float>(x, 6, 0), error,
                          (message_has{"gendiv::rows_as", "[6, 6)"}));
    const std::vector<std::size_t> idx = {1, 5, 2};
    BOOST_CHECK_EXCEPTION(
        gd::gather_rows(x, idx.data(), idx.size(), out.data()), error,
        (message_has{"gendiv::gather_rows", "index[1] = 5 is out of range", "(5, 4)"}));
    BOOST_CHECK_EXCEPTION(gd::gather_as<float>(x, idx), error, (message_has{"index[1] = 5"}));
    xt::xtensor<float, 2> wrong = xt::xtensor<float, 2>::from_shape({2, 3});
    BOOST_CHECK_EXCEPTION(
        gd::copy_rows(x, 0, wrong), error,
        (message_has{"gendiv::copy_rows", "'out' has shape (2, 3)", "needs 4 columns"}));
    BOOST_CHECK_EXCEPTION(gd::gather_rows(x, idx.data(), wrong), error,
                          (message_has{"gendiv::gather_rows", "needs 4 columns"}));
}

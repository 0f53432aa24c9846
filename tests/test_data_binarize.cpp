// Tests for gendiv/data/binarize.hpp: the integer rule, reference bits from an independent
// implementation, reproducibility, stream continuity, and the binomial statistics of the bits.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gendiv/data/binarize.hpp"
#include "gendiv/data/dataset.hpp"

namespace gd = gendiv::data;

BOOST_AUTO_TEST_CASE(engine_is_the_standard_mt19937_64) {
    // [rand.predef]: the 10,000th output of a default-constructed std::mt19937_64.
    std::mt19937_64 rng;
    rng.discard(9999);
    BOOST_TEST(rng() == 9981545732273789042ULL);
}

BOOST_AUTO_TEST_CASE(pixel_rule_boundaries) {
    const std::uint64_t all_ones = ~std::uint64_t(0);
    BOOST_TEST(int(gd::binarize_pixel(0, 0)) == 0);  // g = 0 never fires
    BOOST_TEST(int(gd::binarize_pixel(0, all_ones)) == 0);
    BOOST_TEST(int(gd::binarize_pixel(255, 0)) == 1);  // g = 255 always fires
    BOOST_TEST(int(gd::binarize_pixel(255, all_ones)) == 1);
    // For grey g the bit is 1 exactly when u = x >> 11 < ceil(g·2^53 / 255); the low 11 bits
    // of x do not matter.
    for (int g : {1, 2, 17, 128, 200, 254}) {
        const std::uint64_t scaled = std::uint64_t(g) << 53;
        const std::uint64_t first_zero = scaled / 255 + (scaled % 255 != 0);
        BOOST_TEST(int(gd::binarize_pixel(std::uint8_t(g), (first_zero - 1) << 11 | 0x7FF)) == 1,
                   "g=" << g);
        BOOST_TEST(int(gd::binarize_pixel(std::uint8_t(g), first_zero << 11)) == 0, "g=" << g);
        // ... which is u/2^53 < g/255 to within one step of the 53-bit grid.
        BOOST_TEST(std::abs(double(first_zero) / 9007199254740992.0 - g / 255.0) < 1.2e-16);
    }
}

BOOST_AUTO_TEST_CASE(reference_bits) {
    // Greys (37k) mod 256, k = 0..31, binarized with std::mt19937_64(42). Expected bits from
    // tests/reference/data_reference.py (exact integer arithmetic, independent MT19937-64).
    const std::vector<int> expected = {0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0,
                                       0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1};
    auto x = gd::make_images(2, 16);
    for (std::size_t k = 0; k < 32; ++k) x.data()[k] = static_cast<std::uint8_t>((37 * k) % 256);
    gd::binarize(x, std::uint64_t(42));
    std::vector<int> got(x.begin(), x.end());
    BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(same_seed_same_bits_and_pieces_equal_the_whole) {
    auto grey = gd::make_images(50, 784);
    std::mt19937_64 fill(7);
    for (auto& v : grey) v = static_cast<std::uint8_t>(fill() >> 56);
    auto a = grey, b = grey, c = grey;
    gd::binarize(a, std::uint64_t(1234));
    gd::binarize(b, std::uint64_t(1234));
    gd::binarize(c, std::uint64_t(1235));
    BOOST_TEST(a == b);
    BOOST_TEST(!(a == c));
    for (auto v : a) BOOST_TEST_REQUIRE(int(v) <= 1);
    // One engine over two halves equals one pass over the whole.
    auto top = gd::make_images(20, 784), bottom = gd::make_images(30, 784);
    std::copy(grey.begin(), grey.begin() + 20 * 784, top.begin());
    std::copy(grey.begin() + 20 * 784, grey.end(), bottom.begin());
    std::mt19937_64 rng(1234);
    gd::binarize(top, rng);
    gd::binarize(bottom, rng);
    BOOST_TEST(std::equal(top.begin(), top.end(), a.begin()));
    BOOST_TEST(std::equal(bottom.begin(), bottom.end(), a.begin() + 20 * 784));
}

BOOST_AUTO_TEST_CASE(mean_of_bits_matches_grey_over_255) {
    // Each bit is Bernoulli(g/255), so the count of ones over n pixels of grey g has mean
    // n·g/255 and standard deviation sqrt(n·p·(1−p)). With a fixed seed the check is exact to
    // reproduce; 5 standard deviations leave a 6e-7 chance per level that a correct rule fails.
    const std::size_t per_level = 4000;
    auto x = gd::make_images(256, per_level);
    for (std::size_t g = 0; g < 256; ++g)
        for (std::size_t j = 0; j < per_level; ++j) x(g, j) = static_cast<std::uint8_t>(g);
    gd::binarize(x, std::uint64_t(20240601));
    double total = 0, total_mean = 0, total_var = 0;
    for (std::size_t g = 0; g < 256; ++g) {
        double ones = 0;
        for (std::size_t j = 0; j < per_level; ++j) ones += x(g, j);
        const double p = g / 255.0, n = double(per_level);
        const double sd = std::sqrt(n * p * (1 - p));
        if (g == 0 || g == 255) {
            BOOST_TEST(ones == n * p);  // deterministic levels
        } else {
            BOOST_TEST(std::abs(ones - n * p) < 5 * sd,
                       "grey " << g << ": " << ones << " ones, expected " << n * p << " ± " << sd);
        }
        total += ones;
        total_mean += n * p;
        total_var += n * p * (1 - p);
    }
    BOOST_TEST(std::abs(total - total_mean) < 5 * std::sqrt(total_var));
}

BOOST_AUTO_TEST_CASE(pointer_form_matches_the_array_form) {
    std::vector<std::uint8_t> v(100);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i * 2);
    auto x = gd::make_images(10, 10);
    std::copy(v.begin(), v.end(), x.begin());
    std::mt19937_64 r1(99), r2(99);
    gd::binarize(v.data(), v.size(), r1);
    gd::binarize(x, r2);
    BOOST_TEST(std::equal(v.begin(), v.end(), x.begin()));
}

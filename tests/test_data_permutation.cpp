// Tests for gendiv/data/permutation.hpp: machine-independent bounded integers and shuffles.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "gendiv/data/permutation.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::message_has;
namespace gd = gendiv::data;

namespace {

// An engine that plays back a script, to test the rejection rule draw by draw.
struct scripted {
    using result_type = std::uint64_t;
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<std::uint64_t>::max(); }
    std::vector<std::uint64_t> values;
    std::size_t next = 0;
    result_type operator()() { return values.at(next++); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(uniform_below_reference_values) {
    // tests/reference/data_reference.py: uniform_below(1000) eight times from mt19937_64(123).
    std::mt19937_64 rng(123);
    std::vector<std::uint64_t> got;
    for (int i = 0; i < 8; ++i) got.push_back(gd::uniform_below(rng, 1000));
    const std::vector<std::uint64_t> expected = {504, 771, 101, 790, 380, 388, 888, 406};
    BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(uniform_below_rejects_the_biased_tail) {
    const std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
    // m = 3: 2^64 mod 3 = 1, so only x = 2^64 − 1 is rejected.
    scripted s{{top, top - 1, 5}};
    BOOST_TEST(gd::uniform_below(s, 3) == (top - 1) % 3);
    BOOST_TEST(s.next == 2u);
    // m = 2^63 + 1: 2^64 mod m = 2^63 − 1, so every x ≥ 2^63 + 1 is rejected.
    const std::uint64_t m = (std::uint64_t(1) << 63) + 1;
    scripted t{{top, m, m - 1}};
    BOOST_TEST(gd::uniform_below(t, m) == m - 1);
    BOOST_TEST(t.next == 3u);
    // Powers of two reject nothing.
    scripted u{{top}};
    BOOST_TEST(gd::uniform_below(u, 8) == 7u);
    scripted w{{42}};
    BOOST_TEST(gd::uniform_below(w, 1) == 0u);
    BOOST_CHECK_EXCEPTION(gd::uniform_below(w, 0), error,
                          (message_has{"gendiv::uniform_below", "must be positive"}));
}

BOOST_AUTO_TEST_CASE(permutation_reference_and_reproducibility) {
    // tests/reference/data_reference.py: permutation(10) from mt19937_64(7).
    std::mt19937_64 rng(7);
    const auto p = gd::permutation(10, rng);
    const std::vector<std::size_t> expected = {0, 7, 4, 9, 3, 1, 2, 8, 6, 5};
    BOOST_TEST(p == expected, boost::test_tools::per_element());
    std::mt19937_64 a(11), b(11);
    BOOST_TEST(gd::permutation(1000, a) == gd::permutation(1000, b));
    std::mt19937_64 c(12);
    auto q = gd::permutation(1000, c);
    std::sort(q.begin(), q.end());
    for (std::size_t i = 0; i < q.size(); ++i) BOOST_TEST_REQUIRE(q[i] == i);
    BOOST_TEST(gd::permutation(0, c).empty());
    BOOST_TEST(gd::permutation(1, c) == std::vector<std::size_t>{0});
}

BOOST_AUTO_TEST_CASE(all_orders_are_equally_likely) {
    // 24,000 shuffles of 4 items: each of the 24 orders expects 1000. Pearson's chi-square has
    // 23 degrees of freedom (mean 23, sd 6.8); P(chi2 > 70) < 1e-6, so only a biased shuffle
    // fails. The seed is fixed: the value is reproducible.
    std::mt19937_64 rng(2718);
    std::map<std::vector<int>, int> counts;
    for (int t = 0; t < 24000; ++t) {
        std::vector<int> v = {0, 1, 2, 3};
        gd::shuffle(v, rng);
        ++counts[v];
    }
    BOOST_TEST(counts.size() == 24u);
    double chi2 = 0;
    for (const auto& kv : counts) chi2 += (kv.second - 1000.0) * (kv.second - 1000.0) / 1000.0;
    BOOST_TEST(chi2 < 70.0);
    // The classic mistake (swap with any position, j in [0, n)) gives unequal orders: check
    // that this test would see it.
    std::map<std::vector<int>, int> naive;
    std::mt19937_64 rng2(2718);
    for (int t = 0; t < 24000; ++t) {
        std::vector<int> v = {0, 1, 2, 3};
        for (std::size_t i = 0; i < 4; ++i) std::swap(v[i], v[gd::uniform_below(rng2, 4)]);
        ++naive[v];
    }
    double chi2_naive = 0;
    for (const auto& kv : naive) chi2_naive += (kv.second - 1000.0) * (kv.second - 1000.0) / 1000.0;
    BOOST_TEST(chi2_naive > 70.0);
}

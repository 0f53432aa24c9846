// examples/common/options.hpp: the flags every example shares, parsed with CLI11 (header-only,
// packaged in Debian, generates --help from the declarations, validates types and ranges).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#if defined(_OPENMP)
#include <omp.h>
#endif

extern "C" void openblas_set_num_threads(int);

namespace examples {

struct common_options {
    std::string data = "fashion";
    std::string data_root;
    int epochs = 1;
    std::size_t batch_size = 64;
    double lr = 1e-3;
    std::uint64_t seed = 1;
    int threads = 2;
    std::string out = "out";
    bool resume = false;
};

/// The data root: --data-root, else $GENDIV_DATA, else the data/ directory of the source tree
/// that scripts/fetch_data.sh fills.
inline std::string default_data_root() {
    if (const char* env = std::getenv("GENDIV_DATA")) return env;
#if defined(GENDIV_SOURCE_DIR)
    return std::string(GENDIV_SOURCE_DIR) + "/data";
#else
    return "data";
#endif
}

/// Declares the shared flags on `app`; an example sets its own defaults in `o` beforehand.
inline void add_common_options(CLI::App& app, common_options& o, const char* data_help) {
    app.add_option("--data", o.data, data_help)->capture_default_str();
    app.add_option("--data-root", o.data_root,
                   "where scripts/fetch_data.sh put the data (default: $GENDIV_DATA or <source>/data)");
    app.add_option("--epochs", o.epochs, "passes over the training set")->check(CLI::Range(0, 100000))->capture_default_str();
    app.add_option("--batch-size", o.batch_size, "examples per step")->check(CLI::Range(1, 1 << 20))->capture_default_str();
    app.add_option("--lr", o.lr, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--seed", o.seed, "seed of every random draw (initialization, noise, shuffling)")->capture_default_str();
    app.add_option("--threads", o.threads, "threads for BLAS and OpenMP")->check(CLI::Range(1, 256))->capture_default_str();
    app.add_option("--out", o.out, "output directory (created): checkpoint, CSV, PNG files")->capture_default_str();
    app.add_flag("--resume", o.resume, "continue from the checkpoint in --out");
}

/// Threads of OpenBLAS alone (e.g. 1 inside an OpenMP region whose threads each run gemms).
inline void set_blas_threads(int threads) { openblas_set_num_threads(threads); }

/// Applies --threads to OpenBLAS and OpenMP.
inline void apply_threads(int threads) {
    openblas_set_num_threads(threads);
#if defined(_OPENMP)
    omp_set_num_threads(threads);
#endif
}

}  // namespace examples

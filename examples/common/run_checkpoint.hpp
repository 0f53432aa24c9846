// examples/common/run_checkpoint.hpp: what the training examples (vae, wgan_gp) keep in their
// checkpoint so that --resume continues a run bit for bit: the run's fingerprint (the options
// and data that must match), the random engine, the table of finished epochs, and each Adam
// optimizer's moments and step count. The model's parameters are the caller's; gendiv::checkpoint
// writes the file atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <gendiv/checkpoint.hpp>
#include <gendiv/detail/error.hpp>
#include <gendiv/nn/adam.hpp>
#include "random.hpp"

namespace examples {

/// The checkpoint at `path` when --resume asks for it and the file exists, nothing otherwise.
/// @throws gendiv::error naming `program` when the file belongs to another run (its fingerprint
/// differs), with both fingerprints; whatever gendiv::checkpoint::read throws for a bad file.
inline std::optional<gendiv::checkpoint> read_for_resume(const std::string& program, bool resume,
                                                         const std::string& path, const std::string& fingerprint) {
    if (!resume || !std::filesystem::exists(path)) return std::nullopt;
    gendiv::checkpoint c = gendiv::checkpoint::read(path);
    if (c.get_text("run") != fingerprint)
        throw gendiv::error(program + ": checkpoint " + path + " belongs to another run:\n  saved:   " +
                            c.get_text("run") + "\n  current: " + fingerprint);
    return c;
}

/// A checkpoint holding the run's fingerprint, the engine's state and the epoch table (CSV text),
/// for the caller to add its model and optimizers to and write.
inline gendiv::checkpoint run_checkpoint(const std::string& fingerprint, const engine& rng,
                                         const std::string& table_csv) {
    gendiv::checkpoint c;
    c.put_text("run", fingerprint);
    c.put_text("rng", save_engine(rng));
    c.put_text("table", table_csv);
    return c;
}

/// An Adam optimizer's state as the sections <name>_m, <name>_v and <name>_steps.
template <class T>
void put_adam(gendiv::checkpoint& c, const std::string& name, const gendiv::nn::adam<T>& opt) {
    c.put(name + "_m", opt.m(), opt.size());
    c.put(name + "_v", opt.v(), opt.size());
    c.put_scalar(name + "_steps", opt.step_count());
}

/// Restores what put_adam saved under `name`. @throws gendiv::error when a section is missing or
/// its size is not the optimizer's.
template <class T>
void get_adam(const gendiv::checkpoint& c, const std::string& name, gendiv::nn::adam<T>& opt) {
    const auto m = c.get<T>(name + "_m"), v = c.get<T>(name + "_v");
    opt.restore(c.get_scalar<std::uint64_t>(name + "_steps"), m.data(), m.size(), v.data(), v.size());
}

}  // namespace examples

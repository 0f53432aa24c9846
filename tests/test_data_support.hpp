// tests/test_data_support.hpp: helpers for the data-layer and checkpoint tests: a temporary
// directory that cleans up after itself, writing plain and gzip files, IDX headers, and a
// predicate on gendiv::error messages for BOOST_CHECK_EXCEPTION.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gendiv/detail/error.hpp"
#include "support/errors.hpp"

namespace gendiv::test {

using bytes = std::vector<unsigned char>;

/// A fresh directory under the system temporary directory, removed with its contents.
class temp_dir {
public:
    explicit temp_dir(const std::string& tag) {
        static std::atomic<int> counter{0};
        path_ =
            std::filesystem::temp_directory_path() /
            ("gendiv-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    /// The path of `name` inside the directory.
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::string& path, const bytes& data) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!f) throw std::runtime_error("test: cannot write " + path);
}

inline void write_text(const std::string& path, const std::string& text) {
    write_file(path, bytes(text.begin(), text.end()));
}

inline bytes read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

/// The gzip (RFC 1952) compression of `data`, as zlib's gz* interface writes it.
inline bytes gzip_bytes(const bytes& data, const std::string& scratch_path) {
    gzFile g = gzopen(scratch_path.c_str(), "wb");
    if (g == nullptr) throw std::runtime_error("test: gzopen failed");
    if (!data.empty() && gzwrite(g, data.data(), static_cast<unsigned>(data.size())) == 0)
        throw std::runtime_error("test: gzwrite failed");
    gzclose(g);
    bytes out = read_file(scratch_path);
    std::filesystem::remove(scratch_path);
    return out;
}

inline void write_gzip(const std::string& path, const bytes& data) {
    write_file(path, gzip_bytes(data, path + ".scratch"));
}

inline void put_be32(bytes& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}

/// An IDX file: magic, big-endian extents, then `data`.
inline bytes idx_file(std::uint32_t magic, std::initializer_list<std::uint32_t> dims,
                      const bytes& data) {
    bytes b;
    put_be32(b, magic);
    for (auto d : dims) put_be32(b, d);
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

/// Makes a FIFO at `path` and runs `open_it`, which opens that path for reading, on a thread.
/// Returns the message of what it threw, "returned" when it threw nothing, or "waited" when it was
/// still blocked after five seconds (a blocking open of a FIFO waits for a writer; the FIFO is
/// then opened for writing, which lets the call go on, so the test ends either way).
inline std::string open_of_fifo(const std::string& path, const std::function<void()>& open_it) {
    if (::mkfifo(path.c_str(), 0600) != 0) throw std::runtime_error("test: mkfifo failed for " + path);
    auto outcome = std::make_shared<std::promise<std::string>>();
    std::future<std::string> done = outcome->get_future();
    std::thread t([open_it, outcome] {
        try {
            open_it();
            outcome->set_value("returned");
        } catch (const std::exception& e) {
            outcome->set_value(e.what());
        }
    });
    if (done.wait_for(std::chrono::seconds(5)) == std::future_status::ready) {
        t.join();
        return done.get();
    }
    const int writer = ::open(path.c_str(), O_WRONLY);  // meets the blocked reader
    if (writer >= 0) ::close(writer);
    t.join();
    return "waited";
}

}  // namespace gendiv::test

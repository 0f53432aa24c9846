// gendiv/data/file.hpp: sequential reading of a data file that may be gzip-compressed, with
// errors that name the caller, the path and what was expected against what was found.
//
// A file whose first two bytes are the gzip magic 1f 8b (RFC 1952, section 2.3.1) is read
// through zlib's gz* interface (which checks the stream's CRC-32 and length trailer); any other
// file is read as it is. Every loader in gendiv/data/ reads through `byte_source`, so a short or
// corrupt file becomes a gendiv::error, never a crash or a silently partial dataset.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include <unistd.h>
#include <zlib.h>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/regular_file.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::data {

/// Reads a plain or gzip-compressed file front to back. Offsets count uncompressed bytes.
class byte_source {
public:
    /// Opens `path`; `function` names the public caller in every error message.
    /// @throws gendiv::error when the file cannot be opened or is not a regular file (a FIFO
    /// included: it is refused, not waited on).
    byte_source(const char* function, std::string path)
        : function_(function), path_(std::move(path)) {
        const detail::regular_file f = detail::open_regular_file(function_, path_);
        fd_ = f.fd;
        file_size_ = f.size;
        unsigned char magic[2] = {0, 0};
        const bool has_magic = ::pread(fd_, magic, 2, 0) == 2;
        gzip_ = has_magic && magic[0] == 0x1f && magic[1] == 0x8b;
        if (gzip_) {
            gz_ = ::gzdopen(fd_, "rb");  // owns fd_ from here on
            if (gz_ == nullptr) {
                ::close(fd_);
                detail::fail(function_, "cannot start gzip decompression of '", path_, "'");
            }
            ::gzbuffer(gz_, 1u << 17);
        }
    }

    byte_source(const byte_source&) = delete;
    byte_source& operator=(const byte_source&) = delete;

    ~byte_source() {
        if (gz_ != nullptr)
            ::gzclose(gz_);
        else if (fd_ >= 0)
            ::close(fd_);
    }

    const std::string& path() const { return path_; }
    const char* function() const { return function_; }
    /// True when the file starts with the gzip magic 1f 8b.
    bool gzip() const { return gzip_; }
    /// Size of the file on disk (compressed size for gzip).
    std::uint64_t file_size() const { return file_size_; }
    /// Uncompressed bytes read so far.
    std::uint64_t offset() const { return offset_; }

    /// An upper bound on the uncompressed bytes left: exact for a plain file; for gzip, the
    /// compressed size times 1032, deflate's largest possible expansion ratio (zlib FAQ). Loaders
    /// compare header-declared sizes with it before allocating, so a corrupt header cannot make
    /// them allocate terabytes.
    std::uint64_t remaining_bound() const {
        if (!gzip_) return file_size_ > offset_ ? file_size_ - offset_ : 0;
        return file_size_ * 1032u + 1024u;
    }

    /// Reads up to n bytes; returns fewer only at the end of the data.
    /// @throws gendiv::error on an I/O error or a corrupt or truncated gzip stream.
    std::size_t read_some(void* dst, std::size_t n) {
        auto* out = static_cast<unsigned char*>(dst);
        std::size_t got = 0;
        if (n > 0 && peek_ >= 0) {
            out[0] = static_cast<unsigned char>(peek_);
            peek_ = -1;
            got = 1;
        }
        got += raw_read(out + got, n - got);
        offset_ += got;
        return got;
    }

    /// Reads exactly n bytes of `what` (e.g. "the header", "image 17").
    /// @throws gendiv::error naming the expected and the available byte counts when the data
    /// ends early.
    void read_exact(void* dst, std::size_t n, const std::string& what) {
        const std::uint64_t start = offset_;
        const std::size_t got = read_some(dst, n);
        if (got != n)
            detail::fail(function_, "'", path_, "' is truncated: ", what, " needs ", n,
                         " bytes at ", gzip_ ? "uncompressed " : "", "offset ", start, " but only ",
                         got, " remain (", gzip_ ? "uncompressed" : "file", " size ", start + got,
                         ")");
    }

    /// Reads everything that is left (JSON and other whole-file formats), at most `limit` bytes.
    /// @throws gendiv::error naming the limit when more than `limit` bytes are left (a plain file
    /// is checked against its size before anything is allocated; a gzip stream, which may
    /// expand 1032-fold, as it is read).
    std::string read_all(std::uint64_t limit) {
        auto too_large = [&]() {
            detail::fail(function_, "'", path_, "' holds more than ", limit, " bytes",
                         gzip_ ? " uncompressed" : "", ", the most this reader accepts");
        };
        std::string s;
        if (!gzip_) {
            if (remaining_bound() > limit) too_large();
            s.reserve(static_cast<std::size_t>(remaining_bound()));
        }
        char buf[1 << 16];
        for (std::size_t r; (r = read_some(buf, sizeof buf)) > 0;) {
            if (s.size() + r > limit) too_large();
            s.append(buf, r);
        }
        return s;
    }

    /// True when no data is left (reads ahead by one byte, which the next read returns).
    bool at_end() {
        if (peek_ >= 0) return false;
        unsigned char c = 0;
        if (raw_read(&c, 1) == 0) return true;
        peek_ = c;
        return false;
    }

    /// @throws gendiv::error when data is left after `what`, the last thing the format allows,
    /// saying how many bytes are left over.
    void expect_end(const std::string& what) {
        if (at_end()) return;
        const std::uint64_t expected = offset_;
        std::uint64_t extra = 0;
        unsigned char buf[1 << 14];
        for (std::size_t r; (r = read_some(buf, sizeof buf)) > 0;) extra += r;
        detail::fail(function_, "'", path_, "' has ", extra, " unexpected byte",
                     extra == 1 ? "" : "s", " after ", what, " (", gzip_ ? "uncompressed " : "",
                     "size ", expected + extra, ", expected ", expected, ")");
    }

private:
    std::size_t raw_read(unsigned char* out, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            const std::size_t want = std::min<std::size_t>(n - got, std::size_t(1) << 30);
            if (gzip_) {
                const int r = ::gzread(gz_, out + got, static_cast<unsigned>(want));
                if (r > 0) got += static_cast<std::size_t>(r);
                if (r < 0 || static_cast<std::size_t>(r) < want) {
                    check_gzip_state();
                    break;
                }
            } else {
                const ssize_t r = ::read(fd_, out + got, want);
                if (r < 0) {
                    if (errno == EINTR) continue;
                    const int e = errno;
                    detail::fail(function_, "error reading '", path_, "' at byte ", offset_ + got,
                                 ": ", std::strerror(e));
                }
                if (r == 0) break;
                got += static_cast<std::size_t>(r);
            }
        }
        return got;
    }

    void check_gzip_state() {
        int err = Z_OK;
        const char* msg = ::gzerror(gz_, &err);
        if (err == Z_OK) return;
        if (err == Z_BUF_ERROR)
            detail::fail(function_, "'", path_,
                         "' is truncated: its gzip stream ends before the end-of-stream marker "
                         "(",
                         file_size_, " compressed bytes)");
        if (err == Z_ERRNO) {
            const int e = errno;
            detail::fail(function_, "error reading '", path_, "': ", std::strerror(e));
        }
        detail::fail(function_, "'", path_,
                     "' is not a valid gzip stream: ", msg != nullptr ? msg : "zlib error",
                     " (zlib error ", err, ")");
    }

    const char* function_;
    std::string path_;
    int fd_ = -1;
    gzFile gz_ = nullptr;
    bool gzip_ = false;
    int peek_ = -1;  // a byte at_end() read ahead, or -1
    std::uint64_t file_size_ = 0;
    std::uint64_t offset_ = 0;
};

}  // namespace gendiv::data

GENDIV_DIAGNOSTICS_POP

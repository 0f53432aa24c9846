// gendiv/detail/regular_file.hpp: opening a file for reading only when it is a regular file.
//
// The loaders (data/file.hpp) and checkpoint::read read files whose size they check before they
// allocate, which only a regular file has. Opening with O_NONBLOCK first means that a FIFO at the
// path is refused at once: a blocking open of a FIFO waits until some process opens it for
// writing, so read_amat on a named pipe used to hang.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// A descriptor open for reading on a regular file, and that file's size.
struct regular_file {
    int fd;
    std::uint64_t size;
};

/// Opens `path` for reading (close-on-exec, blocking reads).
/// @throws gendiv::error naming `function` and `path` when it cannot be opened or is not a
/// regular file (a directory, a FIFO, a device).
inline regular_file open_regular_file(const char* function, const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int e = errno;
        fail(function, "cannot open '", path, "': ", std::strerror(e));
    }
    struct stat st {};
    const int flags = ::fcntl(fd, F_GETFL);
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || flags < 0 ||
        ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        ::close(fd);
        fail(function, "'", path, "' is not a regular file");
    }
    return {fd, static_cast<std::uint64_t>(st.st_size)};
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

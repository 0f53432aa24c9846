// gendiv/checkpoint.hpp: training state in one checked binary file, replaced atomically.
//
// A checkpoint is a list of named sections — raw bytes, UTF-8 text, or arrays of float, double,
// int64 or uint64 — so the examples can store parameter vectors, Adam moments, step counters,
// an RNG's state (as text: `os << rng`) and epoch tables without a schema. The file layout
// (every integer little-endian, so a file moves between machines):
//
//   offset  bytes  field
//   0       8      magic 89 47 44 56 43 4b 50 54 ("\x89GDVCKPT": the high first byte catches
//                  7-bit transfers, as PNG's does)
//   8       4      format version (1)
//   12      4      number of sections S
//   16      8      total file size in bytes, this header and the checksum included
//   24      ...    S sections, each: name length L (4 bytes, 1 to 1024), L bytes of name,
//                  type (1 byte: 0 bytes, 1 text, 2 f32, 3 f64, 4 i64, 5 u64), payload size P
//                  (8 bytes), P bytes of payload (floats as their IEEE-754 bit patterns)
//   end−4   4      CRC-32 (zlib's crc32, the gzip polynomial) of every byte before it
//
// `write` never leaves a half-written target: it writes PATH.tmp in the same directory, fsyncs
// it, renames it over PATH (atomic on POSIX file systems) and fsyncs the directory so that the
// rename itself survives a crash. A crash at any point leaves either the old checkpoint or the
// new one at PATH; a stale PATH.tmp from an interrupted write is simply overwritten next time.
// Writers of one PATH take turns: each holds an exclusive flock(2) on PATH.tmp from before it
// truncates it until after the rename, so two writers (two threads, or a periodic save and a
// save on a signal) never write into one temporary file, and the second writes after the first
// has renamed. PATH.tmp is opened with O_NOFOLLOW: a symbolic link there is an error, never a
// file written through.
// `read` checks, in order, the magic, the version, the size the header declares against the
// file's, the checksum, then each section's bounds, and throws gendiv::error naming the file and
// what is wrong (truncated, not a checkpoint, newer format, checksum mismatch, corrupt section).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/regular_file.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv {

/// Named sections of training state, written and read as one checked file (layout above).
class checkpoint {
public:
    enum class type : std::uint8_t { bytes = 0, text = 1, f32 = 2, f64 = 3, i64 = 4, u64 = 5 };

    static constexpr std::uint32_t format_version = 1;
    static constexpr unsigned char magic[8] = {0x89, 'G', 'D', 'V', 'C', 'K', 'P', 'T'};
    static constexpr std::size_t header_size = 24;
    static constexpr std::size_t max_name_length = 1024;

    /// Stores n bytes under `name` (replacing a section of that name).
    void put_bytes(const std::string& name, const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        entry(name, type::bytes).assign(p, p + n);
    }

    /// Stores a string under `name` (replacing a section of that name).
    void put_text(const std::string& name, const std::string& text) {
        entry(name, type::text).assign(text.begin(), text.end());
    }

    /// Stores n values of T (float, double, std::int64_t or std::uint64_t) under `name`.
    template <class T>
    void put(const std::string& name, const T* data, std::size_t n) {
        static_assert(is_element<T>,
                      "gendiv::checkpoint::put: the element type must be float, "
                      "double, std::int64_t or std::uint64_t (convert first)");
        auto& bytes = entry(name, type_for<T>());
        bytes.resize(n * sizeof(T));
        for (std::size_t i = 0; i < n; ++i) encode(data[i], bytes.data() + i * sizeof(T));
    }

    /// Stores a contiguous container (std::vector, xt::xtensor, ...) of elements as put does.
    template <class C, class = decltype(std::declval<const C&>().data()),
              class = decltype(std::declval<const C&>().size())>
    void put(const std::string& name, const C& values) {
        put(name, values.data(), static_cast<std::size_t>(values.size()));
    }

    /// Stores one value as an array of length 1.
    template <class T>
    void put_scalar(const std::string& name, T value) {
        put(name, &value, 1);
    }

    bool has(const std::string& name) const { return find(name) != nullptr; }

    /// Section names in the order they were first put (or read).
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& s : sections_) out.push_back(s.name);
        return out;
    }

    type type_of(const std::string& name) const { return at("type_of", name).kind; }

    /// Number of elements of an array section (bytes for a bytes or text section).
    std::size_t count(const std::string& name) const {
        const auto& s = at("count", name);
        return s.payload.size() / element_size(s.kind);
    }

    /// @throws gendiv::error when the section is missing or holds another type.
    std::vector<unsigned char> get_bytes(const std::string& name) const {
        return checked("get_bytes", name, type::bytes).payload;
    }

    std::string get_text(const std::string& name) const {
        const auto& p = checked("get_text", name, type::text).payload;
        return std::string(p.begin(), p.end());
    }

    /// The section's values.
    /// @throws gendiv::error when the section is missing or holds another type.
    template <class T>
    std::vector<T> get(const std::string& name) const {
        const auto& s = checked("get", name, type_for<T>());
        std::vector<T> out(s.payload.size() / sizeof(T));
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = decode<T>(s.payload.data() + i * sizeof(T));
        return out;
    }

    /// Copies the section into `out`, which must have room for exactly n values: the way to
    /// restore a parameter buffer of known size without a temporary.
    /// @throws gendiv::error when the section is missing, of another type or another length.
    template <class T>
    void get_into(const std::string& name, T* out, std::size_t n) const {
        const auto& s = checked("get_into", name, type_for<T>());
        const std::size_t have = s.payload.size() / sizeof(T);
        if (have != n)
            detail::fail("checkpoint::get_into", where(), ": section '", name, "' holds ", have,
                         " values but the destination has room for ", n);
        for (std::size_t i = 0; i < n; ++i) out[i] = decode<T>(s.payload.data() + i * sizeof(T));
    }

    /// The single value of a section of length 1.
    template <class T>
    T get_scalar(const std::string& name) const {
        T v{};
        const auto& s = checked("get_scalar", name, type_for<T>());
        if (s.payload.size() != sizeof(T))
            detail::fail("checkpoint::get_scalar", where(), ": section '", name, "' holds ",
                         s.payload.size() / sizeof(T), " values, not 1");
        v = decode<T>(s.payload.data());
        return v;
    }

    /// Writes the checkpoint to `path` atomically (see the header comment).
    /// @throws gendiv::error when any step fails. PATH then still holds what it held before,
    /// except when a step after the rename fails (the fsync of PATH's directory, or closing the
    /// synced file): the new checkpoint is then at PATH, and the message says "wrote PATH".
    void write(const std::string& path) const {
        constexpr const char* fn = "checkpoint::write";
        const std::string tmp = path + ".tmp";
        const int fd = lock_temporary(fn, tmp);
        file_writer w{fd};
        // Until the rename the lock is held (w.fd open), and a failed write removes its own
        // temporary file before it lets the next writer in.
        auto abandon = [&](const std::string& what, int e) {
            ::unlink(tmp.c_str());
            ::close(w.fd);
            detail::fail(fn, what, ": ", std::strerror(e), " ('", path, "' is unchanged)");
        };
        unsigned char head[header_size];
        std::memcpy(head, magic, 8);
        put_le(head + 8, format_version, 4);
        put_le(head + 12, sections_.size(), 4);
        put_le(head + 16, file_size(), 8);
        bool ok = w.put(head, header_size);
        for (const auto& s : sections_) {
            unsigned char b[8];
            put_le(b, s.name.size(), 4);
            ok = ok && w.put(b, 4) && w.put(s.name.data(), s.name.size());
            b[0] = static_cast<unsigned char>(s.kind);
            ok = ok && w.put(b, 1);
            put_le(b, s.payload.size(), 8);
            ok = ok && w.put(b, 8) && w.put(s.payload.data(), s.payload.size());
        }
        unsigned char crc[4];
        put_le(crc, w.crc, 4);
        ok = ok && w.put_raw(crc, 4) && w.flush();
        if (!ok) abandon("error writing '" + tmp + "'", w.error);
        if (::fsync(w.fd) != 0) {
            const int e = errno;
            abandon("fsync of '" + tmp + "' failed", e);
        }
        if (::rename(tmp.c_str(), path.c_str()) != 0) {
            const int e = errno;
            abandon("cannot rename '" + tmp + "' to '" + path + "'", e);
        }
        const bool closed = ::close(w.fd) == 0;  // releases the lock
        const int close_errno = errno;
        // Make the rename durable: fsync the directory that holds the entry.
        const std::string::size_type slash = path.find_last_of('/');
        const std::string dir =
            slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
        const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || ::fsync(dfd) != 0) {
            const int e = errno;
            if (dfd >= 0) ::close(dfd);
            detail::fail(fn, "wrote '", path, "' but could not fsync its directory '", dir,
                         "': ", std::strerror(e), " (a crash now could lose the rename)");
        }
        ::close(dfd);
        if (!closed)  // after a successful fsync of the file: its data are on disk
            detail::fail(fn, "wrote '", path, "' (file and directory synced) but closing it failed: ",
                         std::strerror(close_errno));
    }

    /// Reads and verifies a checkpoint written by `write`.
    /// @throws gendiv::error when the file is missing, truncated, not a checkpoint, of a newer
    /// format, fails its checksum, or holds a malformed section.
    static checkpoint read(const std::string& path) {
        constexpr const char* fn = "checkpoint::read";
        file_reader r(fn, path);
        const std::uint64_t size = r.size;
        constexpr std::uint64_t smallest = header_size + 4;
        unsigned char head[header_size] = {};
        const std::size_t head_n =
            static_cast<std::size_t>(std::min<std::uint64_t>(size, header_size));
        r.read_at(0, head, head_n);
        if (std::memcmp(head, magic, std::min<std::size_t>(head_n, 8)) != 0)
            detail::fail(fn, "'", path, "' is not a gendiv checkpoint (its first bytes are ",
                         hex_bytes(head, std::min<std::size_t>(head_n, 8)),
                         "; a checkpoint starts with ", hex_bytes(magic, 8), ")");
        if (size < smallest)
            detail::fail(fn, "'", path, "' is truncated: it has ", size, " bytes, fewer than the ",
                         smallest, " of an empty checkpoint");
        const auto version = static_cast<std::uint32_t>(get_le(head + 8, 4));
        if (version != format_version)
            detail::fail(fn, "'", path, "' has format version ", version,
                         "; this build of gendiv reads version ", format_version);
        const std::uint64_t declared = get_le(head + 16, 8);
        if (declared != size)
            detail::fail(fn, "'", path, "' ", size < declared ? "is truncated" : "has extra bytes",
                         ": its header declares ", declared, " bytes but the file has ", size);
        // Checksum over everything before the last 4 bytes.
        uLong crc = ::crc32(0L, Z_NULL, 0);
        {
            std::vector<unsigned char> buf(1 << 16);
            std::uint64_t pos = 0;
            while (pos < size - 4) {
                const auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - 4 - pos));
                r.read_at(pos, buf.data(), n);
                crc = ::crc32(crc, buf.data(), static_cast<uInt>(n));
                pos += n;
            }
        }
        unsigned char tail[4];
        r.read_at(size - 4, tail, 4);
        const auto stored = static_cast<std::uint32_t>(get_le(tail, 4));
        if (stored != static_cast<std::uint32_t>(crc))
            detail::fail(fn, "'", path, "' is corrupt: checksum mismatch (stored CRC-32 ",
                         hex32(stored), ", computed ", hex32(static_cast<std::uint32_t>(crc)), ")");
        // Sections, each bounded by what is left before the checksum.
        checkpoint c;
        c.source_ = path;
        const auto n_sections = static_cast<std::uint32_t>(get_le(head + 12, 4));
        std::uint64_t pos = header_size;
        const std::uint64_t end = size - 4;
        auto corrupt = [&](std::uint32_t k, const std::string& what) {
            detail::fail(fn, "'", path, "' is corrupt: section ", k, " (at byte ", pos, ") ", what);
        };
        for (std::uint32_t k = 0; k < n_sections; ++k) {
            if (end - pos < 4 + 1 + 8) corrupt(k, "does not fit before the checksum");
            unsigned char b[8];
            r.read_at(pos, b, 4);
            const std::uint64_t len = get_le(b, 4);
            if (len == 0 || len > max_name_length)
                corrupt(k, "has a name length of " + std::to_string(len) + " (valid: 1 to " +
                               std::to_string(max_name_length) + ")");
            if (end - pos - 4 < len + 1 + 8) corrupt(k, "does not fit before the checksum");
            std::string name(static_cast<std::size_t>(len), '\0');
            r.read_at(pos + 4, name.data(), name.size());
            r.read_at(pos + 4 + len, b, 1);
            const unsigned kind = b[0];
            if (kind > static_cast<unsigned>(type::u64))
                corrupt(k, "'" + name + "' has unknown type " + std::to_string(kind));
            r.read_at(pos + 5 + len, b, 8);
            const std::uint64_t bytes = get_le(b, 8);
            const std::uint64_t body = pos + 13 + len;
            if (bytes > end - body)
                corrupt(k, "'" + name + "' declares " + std::to_string(bytes) +
                               " bytes of payload but " + std::to_string(end - body) +
                               " remain before the checksum");
            const std::size_t esize = element_size(static_cast<type>(kind));
            if (bytes % esize != 0)
                corrupt(k, "'" + name + "' has " + std::to_string(bytes) +
                               " bytes of payload, not a multiple of its element size " +
                               std::to_string(esize));
            if (c.find(name) != nullptr) corrupt(k, "repeats the name '" + name + "'");
            section s{name, static_cast<type>(kind),
                      std::vector<unsigned char>(static_cast<std::size_t>(bytes))};
            r.read_at(body, s.payload.data(), s.payload.size());
            c.sections_.push_back(std::move(s));
            pos = body + bytes;
        }
        if (pos != end)
            detail::fail(fn, "'", path, "' is corrupt: ", end - pos,
                         " bytes follow the last of its ", n_sections, " sections");
        return c;
    }

private:
    struct section {
        std::string name;
        type kind;
        std::vector<unsigned char> payload;
    };

    template <class T>
    static constexpr bool is_element =
        std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t> ||
        std::is_same_v<T, std::uint64_t>;

    template <class T>
    static constexpr type type_for() {
        static_assert(is_element<T>,
                      "gendiv::checkpoint: the element type must be float, double, "
                      "std::int64_t or std::uint64_t");
        if constexpr (std::is_same_v<T, float>)
            return type::f32;
        else if constexpr (std::is_same_v<T, double>)
            return type::f64;
        else if constexpr (std::is_same_v<T, std::int64_t>)
            return type::i64;
        else
            return type::u64;
    }

    static std::size_t element_size(type t) {
        switch (t) {
            case type::f32:
                return 4;
            case type::f64:
            case type::i64:
            case type::u64:
                return 8;
            default:
                return 1;
        }
    }

    static const char* type_name(type t) {
        switch (t) {
            case type::bytes:
                return "bytes";
            case type::text:
                return "text";
            case type::f32:
                return "f32";
            case type::f64:
                return "f64";
            case type::i64:
                return "i64";
            default:
                return "u64";
        }
    }

    static void put_le(unsigned char* p, std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
    }
    static std::uint64_t get_le(const unsigned char* p, int n) {
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= std::uint64_t(p[i]) << (8 * i);
        return v;
    }

    template <class T>
    static void encode(T value, unsigned char* p) {
        if constexpr (sizeof(T) == 4) {
            std::uint32_t bits;
            std::memcpy(&bits, &value, 4);
            put_le(p, bits, 4);
        } else {
            std::uint64_t bits;
            std::memcpy(&bits, &value, 8);
            put_le(p, bits, 8);
        }
    }
    template <class T>
    static T decode(const unsigned char* p) {
        T value;
        if constexpr (sizeof(T) == 4) {
            const auto bits = static_cast<std::uint32_t>(get_le(p, 4));
            std::memcpy(&value, &bits, 4);
        } else {
            const std::uint64_t bits = get_le(p, 8);
            std::memcpy(&value, &bits, 8);
        }
        return value;
    }

    static std::string hex32(std::uint32_t v) {
        static const char digits[] = "0123456789abcdef";
        std::string s = "0x";
        for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xFu];
        return s;
    }
    static std::string hex_bytes(const unsigned char* p, std::size_t n) {
        static const char digits[] = "0123456789abcdef";
        if (n == 0) return "(none: the file is empty)";
        std::string s;
        for (std::size_t i = 0; i < n; ++i) {
            if (i) s += ' ';
            s += digits[p[i] >> 4];
            s += digits[p[i] & 0xFu];
        }
        return s;
    }

    std::string where() const {
        return source_.empty() ? std::string("checkpoint") : "checkpoint '" + source_ + "'";
    }

    const section* find(const std::string& name) const {
        for (const auto& s : sections_)
            if (s.name == name) return &s;
        return nullptr;
    }

    const section& at(const char* function, const std::string& name) const {
        const section* s = find(name);
        if (s == nullptr) {
            std::string list;
            for (const auto& t : sections_) list += (list.empty() ? "'" : ", '") + t.name + "'";
            detail::fail((std::string("checkpoint::") + function).c_str(), where(),
                         " has no section '", name, "' (it has ",
                         list.empty() ? std::string("none") : list, ")");
        }
        return *s;
    }

    const section& checked(const char* function, const std::string& name, type want) const {
        const section& s = at(function, name);
        if (s.kind != want)
            detail::fail((std::string("checkpoint::") + function).c_str(), where(), ": section '",
                         name, "' holds ", type_name(s.kind), ", not ", type_name(want));
        return s;
    }

    std::vector<unsigned char>& entry(const std::string& name, type kind) {
        if (name.empty() || name.size() > max_name_length)
            detail::fail("checkpoint::put", "a section name must have 1 to ", max_name_length,
                         " bytes; got ", name.size());
        for (auto& s : sections_)
            if (s.name == name) {
                s.kind = kind;
                return s.payload;
            }
        sections_.push_back(section{name, kind, {}});
        return sections_.back().payload;
    }

    std::uint64_t file_size() const {
        std::uint64_t n = header_size + 4;
        for (const auto& s : sections_) n += 4 + s.name.size() + 1 + 8 + s.payload.size();
        return n;
    }

    /// Opens `tmp` for writing (created 0644 less the umask, never through a symbolic link),
    /// waits for an exclusive flock on it and truncates it; returns the descriptor. The lock is
    /// taken on the open file, and another writer may have renamed that file over PATH while
    /// this one waited; so after locking, the descriptor must still be the file named `tmp`
    /// (same device and inode), or it is closed and `tmp` opened again.
    static int lock_temporary(const char* fn, const std::string& tmp) {
        for (;;) {
            const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (fd < 0) {
                const int e = errno;
                detail::fail(fn, "cannot create '", tmp, "': ", std::strerror(e),
                             e == ELOOP ? " (it is a symbolic link)" : "");
            }
            int r;
            while ((r = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
            }
            const int lock_errno = errno;
            struct stat held {}, named {};
            if (r != 0 || ::fstat(fd, &held) != 0) {
                const int e = r != 0 ? lock_errno : errno;
                ::close(fd);
                detail::fail(fn, "cannot lock '", tmp, "': ", std::strerror(e));
            }
            if (::lstat(tmp.c_str(), &named) == 0 && named.st_dev == held.st_dev && named.st_ino == held.st_ino) {
                if (::ftruncate(fd, 0) != 0) {
                    const int e = errno;
                    ::close(fd);
                    detail::fail(fn, "cannot truncate '", tmp, "': ", std::strerror(e));
                }
                return fd;
            }
            ::close(fd);  // renamed by the writer before us: open the name afresh
        }
    }

    /// Buffered writes to a file descriptor with a running CRC-32 of everything put.
    struct file_writer {
        int fd;
        uLong crc = ::crc32(0L, Z_NULL, 0);
        int error = 0;  // errno of the first failed write
        std::vector<unsigned char> buf = std::vector<unsigned char>();

        bool put(const void* data, std::size_t n) {
            const auto* p = static_cast<const unsigned char*>(data);
            for (std::size_t left = n; left > 0;) {
                const std::size_t k = std::min<std::size_t>(left, std::size_t(1) << 30);
                crc = ::crc32(crc, p, static_cast<uInt>(k));
                if (!put_raw(p, k)) return false;
                p += k;
                left -= k;
            }
            return true;
        }
        bool put_raw(const unsigned char* p, std::size_t n) {
            constexpr std::size_t cap = std::size_t(1) << 16;
            if (buf.size() + n > cap && !flush()) return false;
            if (n >= cap) return write_all(p, n);
            buf.insert(buf.end(), p, p + n);
            return true;
        }
        bool flush() {
            const bool ok = write_all(buf.data(), buf.size());
            buf.clear();
            return ok;
        }
        bool write_all(const unsigned char* p, std::size_t n) {
            while (n > 0) {
                const ssize_t w = ::write(fd, p, n);
                if (w < 0) {
                    if (errno == EINTR) continue;
                    error = errno;
                    return false;
                }
                p += w;
                n -= static_cast<std::size_t>(w);
            }
            return true;
        }
    };

    /// Positioned reads of a regular file; a short read means the file changed under us.
    struct file_reader {
        const char* fn;
        std::string path;
        int fd = -1;
        std::uint64_t size = 0;

        file_reader(const char* function, const std::string& p) : fn(function), path(p) {
            const detail::regular_file f = detail::open_regular_file(fn, path);
            fd = f.fd;
            size = f.size;
        }
        file_reader(const file_reader&) = delete;
        file_reader& operator=(const file_reader&) = delete;
        ~file_reader() { ::close(fd); }

        void read_at(std::uint64_t offset, void* dst, std::size_t n) {
            auto* p = static_cast<unsigned char*>(dst);
            while (n > 0) {
                const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) {
                    const int e = errno;
                    detail::fail(fn, "error reading '", path, "' at byte ", offset, ": ",
                                 r == 0 ? "unexpected end of file (did it change while being read?)"
                                        : std::strerror(e));
                }
                p += r;
                n -= static_cast<std::size_t>(r);
                offset += static_cast<std::uint64_t>(r);
            }
        }
    };

    std::vector<section> sections_;
    std::string source_;  // the path read from, for messages
};

}  // namespace gendiv

GENDIV_DIAGNOSTICS_POP

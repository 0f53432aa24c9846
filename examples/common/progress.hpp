// examples/common/progress.hpp: a one-line progress bar on stderr, drawn only when stderr is a
// terminal (so logs and CTest output stay clean). No suitable library is packaged in Debian 12
// (indicators is not), and a bar is a dozen lines.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace examples {

class progress_bar {
public:
    progress_bar(std::string label, std::size_t total)
        : label_(std::move(label)), total_(total), enabled_(::isatty(STDERR_FILENO) == 1),
          start_(std::chrono::steady_clock::now()) {}

    ~progress_bar() { finish(); }

    void update(std::size_t done, double loss) {
        if (!enabled_ || total_ == 0) return;
        const auto now = std::chrono::steady_clock::now();
        if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        const int width = 30;
        const int filled = static_cast<int>(width * done / total_);
        const double secs = std::chrono::duration<double>(now - start_).count();
        std::fprintf(stderr, "\r%s [%s%s] %zu/%zu  loss %.3f  %.1fs", label_.c_str(),
                     std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done,
                     total_, loss, secs);
        std::fflush(stderr);
        drawn_ = true;
    }

    void finish() {
        if (drawn_) std::fprintf(stderr, "\r\033[K");
        drawn_ = false;
    }

private:
    std::string label_;
    std::size_t total_;
    bool enabled_, drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace examples

// examples/common/png.hpp: grey-level image grids as PNG files, written with libpng.
// libpng is the reference PNG implementation, in every distribution, and handles the format's
// checksums and compression for us; we only lay pixels out.
#pragma once

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace examples {

/// An 8-bit grey canvas.
struct canvas {
    std::size_t width = 0, height = 0;
    std::vector<std::uint8_t> pixels;  // row-major, 0 = black

    canvas(std::size_t w, std::size_t h, std::uint8_t fill = 0) : width(w), height(h), pixels(w * h, fill) {}

    /// Pastes an image of h×w values in [0, 1] (clamped) with its top-left corner at (x0, y0).
    template <class T>
    void paste(const T* img, std::size_t h, std::size_t w, std::size_t x0, std::size_t y0) {
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w; ++x) {
                const double v = std::clamp(static_cast<double>(img[y * w + x]), 0.0, 1.0);
                pixels[(y0 + y) * width + x0 + x] = static_cast<std::uint8_t>(std::lround(v * 255.0));
            }
    }
};

/// A grid of `rows` × `cols` cells of h×w images with `pad` pixels of border.
inline canvas make_grid_canvas(std::size_t rows, std::size_t cols, std::size_t h, std::size_t w,
                               std::size_t pad = 2) {
    return canvas(cols * (w + pad) + pad, rows * (h + pad) + pad, 64);
}

/// Pastes image number `k` of a row-major (N × h·w) buffer into cell (r, c) of a grid canvas.
template <class T>
void paste_cell(canvas& cv, const T* images, std::size_t k, std::size_t r, std::size_t c,
                std::size_t h, std::size_t w, std::size_t pad = 2) {
    cv.paste(images + k * h * w, h, w, pad + c * (w + pad), pad + r * (h + pad));
}

/// Writes the canvas as an 8-bit grey PNG. Throws std::runtime_error on any I/O failure.
inline void write_png(const std::string& path, const canvas& cv) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot open " + path + " for writing");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        throw std::runtime_error("libpng failed writing " + path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, static_cast<png_uint_32>(cv.width), static_cast<png_uint_32>(cv.height), 8,
                 PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (std::size_t y = 0; y < cv.height; ++y)
        png_write_row(png, const_cast<png_bytep>(cv.pixels.data() + y * cv.width));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    if (std::fclose(f) != 0) throw std::runtime_error("cannot close " + path);
}

/// A grid of the first rows·cols images of a (N × h·w) buffer of values in [0, 1].
template <class T>
void write_image_grid(const std::string& path, const T* images, std::size_t rows, std::size_t cols,
                      std::size_t h = 28, std::size_t w = 28) {
    canvas cv = make_grid_canvas(rows, cols, h, w);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < cols; ++c) paste_cell(cv, images, r * cols + c, r, c, h, w);
    write_png(path, cv);
}

}  // namespace examples

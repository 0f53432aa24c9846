// gendiv/nn/buffer.hpp: the storage of nn/: a std::vector over 64-byte aligned memory.
//
// Memory comes from the aligned global operator new, so a program (or a test) that replaces
// operator new sees every allocation nn/ makes.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

#include "gendiv/detail/config.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::nn {

/// Allocates T arrays on 64-byte (cache-line, AVX-512) boundaries.
template <class T>
struct aligned_allocator {
    using value_type = T;
    static constexpr std::size_t alignment = 64;

    aligned_allocator() noexcept = default;
    template <class U>
    aligned_allocator(const aligned_allocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{alignment}));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{alignment}); }

    template <class U>
    friend bool operator==(const aligned_allocator&, const aligned_allocator<U>&) noexcept {
        return true;
    }
    template <class U>
    friend bool operator!=(const aligned_allocator&, const aligned_allocator<U>&) noexcept {
        return false;
    }
};

/// A contiguous, 64-byte aligned array of T.
template <class T>
using buffer = std::vector<T, aligned_allocator<T>>;

}  // namespace gendiv::nn

GENDIV_DIAGNOSTICS_POP

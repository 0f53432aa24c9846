// tests/support/counting_new.hpp: a global operator new that counts its calls and records the
// largest request, for the tests that promise no allocation after a first call or no allocation
// beyond what the data need. It replaces the program's operator new, so a
// test program includes it in exactly one translation unit (each test here is one).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace gendiv::test {
/// How many times the global operator new has run (the plain and the aligned forms).
inline std::atomic<long> allocations{0};
/// The largest size requested since it was last set to 0.
inline std::atomic<std::size_t> largest_allocation{0};

inline void record_allocation(std::size_t n) {
    ++allocations;
    std::size_t seen = largest_allocation.load();
    while (n > seen && !largest_allocation.compare_exchange_weak(seen, n)) {
    }
}
}  // namespace gendiv::test

// The replacements pair malloc / aligned_alloc with free, which is correct; GCC's
// -Wmismatched-new-delete cannot see that the replaced operator new is the one in use.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
    gendiv::test::record_allocation(n);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a) {
    gendiv::test::record_allocation(n);
    const std::size_t al = static_cast<std::size_t>(a);
    if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

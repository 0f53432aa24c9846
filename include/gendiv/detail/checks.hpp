// gendiv/detail/checks.hpp: value checks over flat buffers (SIMD scan, then a scalar search
// for the first offender so the message can name it).
#pragma once

#include <cstddef>

#include "gendiv/detail/array.hpp"
#include "gendiv/detail/config.hpp"
#include "gendiv/detail/error.hpp"
#include "gendiv/detail/kernels.hpp"
#include "gendiv/detail/simd.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::detail {

/// Throws unless every value of `a` lies in [0, 1] (NaN fails), naming the first offender.
template <class T>
void check_unit_interval(const char* function, const char* name, const flat<T>& a,
                         const char* why) {
    const T* p = a.data();
    bool ok = true;
    simd_for<T>(a.size(), [&](std::size_t i, auto tag) {
        using V = typename decltype(tag)::type;
        ok = ok && all_true(in_unit_interval_fn{}(load<V>(p + i)));
    });
    if (ok) return;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(p[i] >= T(0) && p[i] <= T(1)))
            fail(function, "argument '", name, "' (shape ", shape_string(a.shape()), ") holds ",
                 p[i], " at flat index ", i, "; ", why);
}

}  // namespace gendiv::detail

GENDIV_DIAGNOSTICS_POP

// gendiv/detail/xtensor.hpp: the single place where gendiv includes xtensor, so a version change
// or a workaround lives in one file (xsimd alone comes through detail/simd.hpp). device/ never
// includes this header.
#pragma once

#include "gendiv/detail/config.hpp"

// Inside the diagnostics region (config.hpp): when gendiv is the first to include xtensor and
// xsimd, g++ 12's false uninitialized warnings in their out-of-line functions (xsimd's log1p of
// double batches, instantiated by gendiv's kernels) are silenced too.
GENDIV_DIAGNOSTICS_PUSH
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xeval.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#include <xsimd/xsimd.hpp>
GENDIV_DIAGNOSTICS_POP

#if !defined(XTENSOR_VERSION_MAJOR) || (XTENSOR_VERSION_MAJOR == 0 && XTENSOR_VERSION_MINOR < 24)
#error "gendiv needs xtensor 0.24 or newer"
#endif

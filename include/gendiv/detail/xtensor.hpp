// gendiv/detail/xtensor.hpp: the single place where gendiv includes xtensor, so a version change
// or a workaround lives in one file (xsimd alone comes through detail/simd.hpp). device/ never
// includes this header.
#pragma once

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xeval.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#include <xsimd/xsimd.hpp>

#if !defined(XTENSOR_VERSION_MAJOR) || (XTENSOR_VERSION_MAJOR == 0 && XTENSOR_VERSION_MINOR < 24)
#error "gendiv needs xtensor 0.24 or newer"
#endif

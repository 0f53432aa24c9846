// gendiv/gendiv.hpp: everything at once, for convenience. Prefer the one header you need.
#pragma once

#include "gendiv/estimators.hpp"
#include "gendiv/f_divergence.hpp"
#include "gendiv/kl.hpp"
#include "gendiv/likelihood.hpp"
#include "gendiv/log_sum_exp.hpp"
#include "gendiv/penalty.hpp"

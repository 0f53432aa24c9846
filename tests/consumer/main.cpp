// A downstream program: uses gendiv through its CMake target only.
#include <cmath>
#include <cstdio>

#include <gendiv/gendiv.hpp>

int main() {
    xt::xtensor<double, 2> x = {{0.0, std::log(3.0)}};
    const double v = gendiv::log_sum_exp(x)(0);  // log(1 + 3) = log 4
    std::printf("log_sum_exp = %.17g\n", v);
    return std::abs(v - std::log(4.0)) < 1e-15 ? 0 : 1;
}

// gendiv/device/f_divergence.hpp: the f-GAN and Wasserstein critic objectives of
// f_divergence.hpp over Thrust ranges of raw critic outputs, with their gradients. The
// divergences are the tag types of detail/f_divergence_kernels.hpp (gendiv::squared_hellinger,
// ...), whose static members the host path calls too.
//
// Objectives are means, returned as a scalar T (the value type of critic_real): each mean is a
// transform_reduce accumulated in double and rounded to T once. Gradients are element-wise.
// Arguments, policies and containers: device/arguments.hpp.
#pragma once

#include <cstddef>

#include "gendiv/detail/config.hpp"
#include "gendiv/detail/f_divergence_kernels.hpp"
#include "gendiv/device/rows.hpp"

GENDIV_DIAGNOSTICS_PUSH

namespace gendiv::device {
namespace detail {

/// scale·K(v), element-wise.
template <class T, class K>
struct scaled_kernel {
    T scale;
    template <class X>
    GENDIV_HD T operator()(X v) const {
        return scale * K{}(static_cast<T>(v));
    }
};

inline void check_critic_count(const char* function, const char* name, std::size_t n) {
    if (n == 0)
        gendiv::detail::fail(function, "argument '", name, "' holds 0 critic outputs",
                             ": the mean over an empty batch is undefined");
}

template <class D>
constexpr void check_divergence_type() {
    static_assert(gendiv::is_f_divergence_v<D>,
                  "gendiv: the template argument must be an f-divergence tag type such as "
                  "gendiv::squared_hellinger (see gendiv/detail/f_divergence_kernels.hpp)");
}

}  // namespace detail

/// The f-GAN lower bound of D_f(P‖Q) from raw critic outputs (Nowozin et al. 2016, eq. 6; see
/// gendiv::f_gan_objective):
/// @f$ \hat F = \frac1n\sum_i g_f(V^{real}_i) - \frac1m\sum_j f^*(g_f(V^{fake}_j)) @f$.
/// @tparam D an f-divergence tag type. @param critic_real n values; @param critic_fake m values.
/// @throws gendiv::error when n or m is 0 or a container's size disagrees.
template <class D, class Policy, class R, class F, detail::if_policy<Policy> = 0>
auto f_gan_objective(const Policy& exec, R&& critic_real, F&& critic_fake, std::size_t n_real,
                     std::size_t n_fake) {
    detail::check_divergence_type<D>();
    constexpr const char* fn = "device::f_gan_objective";
    using T = detail::value_of_t<R>;
    detail::check_critic_count(fn, "critic_real", n_real);
    detail::check_critic_count(fn, "critic_fake", n_fake);
    auto r = detail::range_begin(fn, "critic_real", critic_real, detail::count_extent(n_real, "n_real"));
    auto f = detail::range_begin(fn, "critic_fake", critic_fake, detail::count_extent(n_fake, "n_fake"));
    return detail::mean_of<T>(exec, r, n_real, gendiv::detail::f_activation_fn<D>{}) -
           detail::mean_of<T>(exec, f, n_fake, gendiv::detail::f_conjugate_of_activation_fn<D>{});
}

template <class D, class R, class F, detail::if_not_policy<R> = 0>
auto f_gan_objective(R&& critic_real, F&& critic_fake, std::size_t n_real, std::size_t n_fake) {
    return f_gan_objective<D>(detail::system_of(critic_real, critic_fake), critic_real, critic_fake,
                              n_real, n_fake);
}

/// Gradient of f_gan_objective (see gendiv::f_gan_objective_grad):
/// g_real[i] = g_f'(V^real_i)/n, g_fake[j] = −(f*∘g_f)'(V^fake_j)/m.
template <class D, class Policy, class R, class F, class GR, class GF, detail::if_policy<Policy> = 0>
void f_gan_objective_grad(const Policy& exec, R&& critic_real, F&& critic_fake, std::size_t n_real,
                          std::size_t n_fake, GR&& g_real, GF&& g_fake) {
    detail::check_divergence_type<D>();
    constexpr const char* fn = "device::f_gan_objective_grad";
    using T = detail::value_of_t<GR>;
    detail::check_critic_count(fn, "critic_real", n_real);
    detail::check_critic_count(fn, "critic_fake", n_fake);
    const auto er = detail::count_extent(n_real, "n_real"), ef = detail::count_extent(n_fake, "n_fake");
    auto r = detail::range_begin(fn, "critic_real", critic_real, er);
    auto f = detail::range_begin(fn, "critic_fake", critic_fake, ef);
    thrust::transform(exec, r, r + n_real, detail::range_begin(fn, "g_real", g_real, er),
                      detail::scaled_kernel<T, gendiv::detail::f_activation_prime_fn<D>>{
                          T(1) / static_cast<T>(n_real)});
    thrust::transform(exec, f, f + n_fake, detail::range_begin(fn, "g_fake", g_fake, ef),
                      detail::scaled_kernel<T, gendiv::detail::f_conjugate_of_activation_prime_fn<D>>{
                          T(-1) / static_cast<T>(n_fake)});
}

template <class D, class R, class F, class GR, class GF, detail::if_not_policy<R> = 0>
void f_gan_objective_grad(R&& critic_real, F&& critic_fake, std::size_t n_real, std::size_t n_fake,
                          GR&& g_real, GF&& g_fake) {
    f_gan_objective_grad<D>(detail::system_of(critic_real, critic_fake, g_real, g_fake), critic_real,
                            critic_fake, n_real, n_fake, g_real, g_fake);
}

/// The Wasserstein critic objective (see gendiv::wasserstein_objective):
/// @f$ \frac1n\sum_i V^{real}_i - \frac1m\sum_j V^{fake}_j @f$.
template <class Policy, class R, class F, detail::if_policy<Policy> = 0>
auto wasserstein_objective(const Policy& exec, R&& critic_real, F&& critic_fake, std::size_t n_real,
                           std::size_t n_fake) {
    constexpr const char* fn = "device::wasserstein_objective";
    using T = detail::value_of_t<R>;
    detail::check_critic_count(fn, "critic_real", n_real);
    detail::check_critic_count(fn, "critic_fake", n_fake);
    auto r = detail::range_begin(fn, "critic_real", critic_real, detail::count_extent(n_real, "n_real"));
    auto f = detail::range_begin(fn, "critic_fake", critic_fake, detail::count_extent(n_fake, "n_fake"));
    return detail::mean_of<T>(exec, r, n_real, detail::identity_fn{}) -
           detail::mean_of<T>(exec, f, n_fake, detail::identity_fn{});
}

template <class R, class F, detail::if_not_policy<R> = 0>
auto wasserstein_objective(R&& critic_real, F&& critic_fake, std::size_t n_real, std::size_t n_fake) {
    return wasserstein_objective(detail::system_of(critic_real, critic_fake), critic_real, critic_fake,
                                 n_real, n_fake);
}

/// Gradient of wasserstein_objective: 1/n into every g_real, −1/m into every g_fake.
template <class Policy, class R, class F, class GR, class GF, detail::if_policy<Policy> = 0>
void wasserstein_objective_grad(const Policy& exec, R&& critic_real, F&& critic_fake,
                                std::size_t n_real, std::size_t n_fake, GR&& g_real, GF&& g_fake) {
    constexpr const char* fn = "device::wasserstein_objective_grad";
    using T = detail::value_of_t<GR>;
    detail::check_critic_count(fn, "critic_real", n_real);
    detail::check_critic_count(fn, "critic_fake", n_fake);
    const auto er = detail::count_extent(n_real, "n_real"), ef = detail::count_extent(n_fake, "n_fake");
    // The critic outputs are read only for their sizes (the gradient is constant).
    (void)detail::range_begin(fn, "critic_real", critic_real, er);
    (void)detail::range_begin(fn, "critic_fake", critic_fake, ef);
    thrust::fill_n(exec, detail::range_begin(fn, "g_real", g_real, er), n_real,
                   T(1) / static_cast<T>(n_real));
    thrust::fill_n(exec, detail::range_begin(fn, "g_fake", g_fake, ef), n_fake,
                   T(-1) / static_cast<T>(n_fake));
}

template <class R, class F, class GR, class GF, detail::if_not_policy<R> = 0>
void wasserstein_objective_grad(R&& critic_real, F&& critic_fake, std::size_t n_real,
                                std::size_t n_fake, GR&& g_real, GF&& g_fake) {
    wasserstein_objective_grad(detail::system_of(critic_real, critic_fake, g_real, g_fake), critic_real,
                               critic_fake, n_real, n_fake, g_real, g_fake);
}

}  // namespace gendiv::device

GENDIV_DIAGNOSTICS_POP

// examples/common/frechet.hpp: the Fréchet distance between two Gaussians fitted to feature sets,
// in double precision, with a symmetric eigendecomposition from LAPACK (xtensor-blas's eigh).
//
//   d²(N(μ₁, Σ₁), N(μ₂, Σ₂)) = ‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}
//
// is the squared 2-Wasserstein distance between the two Gaussians (Dowson and Landau 1982;
// Heusel et al. 2017, arXiv 1706.08500, use it on Inception features as "FID"). Both square roots
// are of symmetric positive semi-definite matrices, so each is taken through an eigendecomposition
// V diag(λ) Vᵀ as V diag(√max(λ, 0)) Vᵀ: eigenvalues that rounding pushes below zero (a feature
// with no variance, fewer samples than dimensions) count as 0 instead of giving NaN. The middle
// matrix is symmetrized before its decomposition, and only its eigenvalues are needed
// (Tr M^{1/2} = Σ √λ_i(M)). Σ₁^{1/2} Σ₂ Σ₁^{1/2} is similar to Σ₁Σ₂, so this equals the
// Tr (Σ₁Σ₂)^{1/2} of the usual implementations (scipy.linalg.sqrtm of a non-symmetric product)
// without their complex round-off.
//
// The examples use it on the penultimate-layer features of their own small classifier: such a
// number ranks generators trained on the same data, but it is NOT the Inception-based FID and
// is not comparable with published FID values.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

namespace examples {

/// The mean and (unbiased, 1/(n−1)) covariance of n feature vectors of dimension d.
struct gaussian_moments {
    std::vector<double> mean;      // d
    xt::xtensor<double, 2> cov;    // d × d, symmetric
    std::size_t count = 0;         // n

    std::size_t dim() const { return mean.size(); }
};

/// Moments of the rows of a row-major (n × d) buffer, accumulated in double: the mean first,
/// then the covariance of the centred rows (two passes, no cancellation of E[x²] − E[x]²).
/// @throws std::invalid_argument for n < 2 or d = 0.
template <class T>
gaussian_moments feature_moments(const T* x, std::size_t n, std::size_t d) {
    if (n < 2 || d == 0)
        throw std::invalid_argument("feature_moments: need at least 2 rows of dimension >= 1, got " +
                                    std::to_string(n) + " × " + std::to_string(d));
    gaussian_moments m;
    m.count = n;
    m.mean.assign(d, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) m.mean[j] += static_cast<double>(x[i * d + j]);
    for (auto& v : m.mean) v /= static_cast<double>(n);
    xt::xtensor<double, 2> c = xt::xtensor<double, 2>::from_shape({n, d});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) c(i, j) = static_cast<double>(x[i * d + j]) - m.mean[j];
    m.cov = xt::linalg::dot(xt::transpose(c), c);  // dgemm
    m.cov /= static_cast<double>(n - 1);
    for (std::size_t i = 0; i < d; ++i)  // exact symmetry
        for (std::size_t j = i + 1; j < d; ++j) m.cov(j, i) = m.cov(i, j) = 0.5 * (m.cov(i, j) + m.cov(j, i));
    return m;
}

/// The Gaussian moments given directly (for tests and closed forms).
inline gaussian_moments make_moments(std::vector<double> mean, xt::xtensor<double, 2> cov) {
    const std::size_t d = mean.size();
    if (cov.shape()[0] != d || cov.shape()[1] != d)
        throw std::invalid_argument("make_moments: the covariance must be " + std::to_string(d) + " × " +
                                    std::to_string(d));
    gaussian_moments m;
    m.mean = std::move(mean);
    m.cov = std::move(cov);
    return m;
}

/// The principal square root of a symmetric positive semi-definite matrix, V diag(√max(λ,0)) Vᵀ.
inline xt::xtensor<double, 2> psd_sqrt(const xt::xtensor<double, 2>& a) {
    const auto [w, v] = xt::linalg::eigh(a);
    const std::size_t d = a.shape()[0];
    xt::xtensor<double, 2> vs = xt::xtensor<double, 2>::from_shape({d, d});
    for (std::size_t k = 0; k < d; ++k) {
        const double s = std::sqrt(std::max(w(k), 0.0));
        for (std::size_t i = 0; i < d; ++i) vs(i, k) = v(i, k) * s;
    }
    return xt::linalg::dot(vs, xt::transpose(v));
}

/// Tr M^{1/2} for a symmetric positive semi-definite M: Σ_i √max(λ_i, 0).
inline double trace_sqrt_psd(const xt::xtensor<double, 2>& m) {
    const xt::xtensor<double, 1> w = xt::linalg::eigvalsh(m);
    double s = 0;
    for (double l : w) s += std::sqrt(std::max(l, 0.0));
    return s;
}

/// The Fréchet distance d² above between the Gaussians with moments a and b.
/// @throws std::invalid_argument when the dimensions differ.
inline double frechet_distance(const gaussian_moments& a, const gaussian_moments& b) {
    const std::size_t d = a.dim();
    if (b.dim() != d || a.cov.shape()[0] != d || b.cov.shape()[0] != d)
        throw std::invalid_argument("frechet_distance: dimensions differ (" + std::to_string(d) + " and " +
                                    std::to_string(b.dim()) + ")");
    double mean_term = 0, trace_a = 0, trace_b = 0;
    for (std::size_t i = 0; i < d; ++i) {
        const double diff = a.mean[i] - b.mean[i];
        mean_term += diff * diff;
        trace_a += a.cov(i, i);
        trace_b += b.cov(i, i);
    }
    const xt::xtensor<double, 2> sa = psd_sqrt(a.cov);
    xt::xtensor<double, 2> mid = xt::linalg::dot(sa, xt::linalg::dot(b.cov, sa));
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = i + 1; j < d; ++j) mid(j, i) = mid(i, j) = 0.5 * (mid(i, j) + mid(j, i));
    return mean_term + trace_a + trace_b - 2.0 * trace_sqrt_psd(mid);
}

}  // namespace examples

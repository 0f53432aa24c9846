// Tests of gendiv/nn/adam.hpp: PyTorch reference values, the closed form for a constant
// gradient, a scalar re-implementation over a long buffer (SIMD body, tail and the OpenMP
// path), checkpoint save/restore, float against double, and errors.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gendiv/nn/adam.hpp"
#include "support/errors.hpp"
#include "support/numeric.hpp"

using gendiv::nn::adam;
using gendiv::nn::adam_options;

namespace {

const std::vector<double> p0 = {0.5, -1.25, 3.0, 1e-3};
const std::vector<std::vector<double>> grads = {{0.1, -2.0, 1e-6, 0.0},
                                                {0.3, 1.5, -1e-6, 0.0},
                                                {-0.2, 0.25, 4.0, 1e-9},
                                                {0.05, -3.0, 0.5, -1e-9},
                                                {1.0, 0.0, -0.5, 2.0}};

}  // namespace

BOOST_AUTO_TEST_CASE(matches_pytorch_reference) {
    // Made by tests/reference/adam_reference.py with torch.optim.Adam of PyTorch 1.13.1 in
    // float64: the parameters after each of 5 steps, and the final exp_avg / exp_avg_sq.
    const double ref_default[5][4] = {
        {0.49900000010000001, -1.2490000000050001, 2.999009900990099, 0.001},
        {0.49808221902205591, -1.2489106749981, 2.9990620114643045, 0.001},
        {0.49782431522889792, -1.2489055857198688, 2.9984231978820439, 0.00096511473989782973},
        {0.49753788086612383, -1.2484571470531716, 2.9978318498620093, 0.00096783043710934257},
        {0.49694205571586525, -1.2480781141236219, 2.9974030451752847, 0.00042234119325555469}};
    const double m_default[4] = {0.11673099999999997, -0.27161999999999997, 0.31899999270999996,
                                 0.19999999999099996};
    const double v_default[4] = {0.0011421078698700109, 0.015280655794254014, 0.016467766000002011,
                                 0.0040000000000000036};
    const double ref_custom[5][4] = {
        {0.47019867549668876, -1.2200141110065852, 2.9700996674429652, -0.001727272727272727},
        {0.439292769067334, -1.2235739374294021, 2.9402423058492331, 0.0004202497028915511},
        {0.43531922533703826, -1.2270428363681896, 2.9106858489954539, 0.00071718894442539564},
        {0.42592400658324742, -1.2039101045256666, 2.8889751593919408, -0.00018095100187383382},
        {0.39465201344317274, -1.190003362532746, 2.8785798208231839, -0.031483472728655156}};

    {
        adam<double> opt(4);
        BOOST_TEST(opt.options().lr == 1e-3);
        BOOST_TEST(opt.options().beta1 == 0.9);
        BOOST_TEST(opt.options().beta2 == 0.999);
        BOOST_TEST(opt.options().eps == 1e-8);
        std::vector<double> p = p0;
        for (int s = 0; s < 5; ++s) {
            opt.step(p, grads[s]);
            for (int i = 0; i < 4; ++i)
                BOOST_TEST(p[i] == ref_default[s][i], boost::test_tools::tolerance(1e-14));
        }
        BOOST_TEST(opt.step_count() == 5u);
        for (int i = 0; i < 4; ++i) {
            BOOST_TEST(opt.m()[i] == m_default[i], boost::test_tools::tolerance(1e-14));
            BOOST_TEST(opt.v()[i] == v_default[i], boost::test_tools::tolerance(1e-14));
        }
    }
    {
        adam_options o;
        o.lr = 3e-2;
        o.beta1 = 0.5;
        o.beta2 = 0.9;
        o.eps = 1e-3;
        o.weight_decay = 0.1;
        adam<double> opt(4, o);
        std::vector<double> p = p0;
        for (int s = 0; s < 5; ++s) {
            opt.step(p, grads[s]);
            for (int i = 0; i < 4; ++i)
                BOOST_TEST(p[i] == ref_custom[s][i], boost::test_tools::tolerance(1e-13));
        }
    }
}

BOOST_AUTO_TEST_CASE(constant_gradient_closed_form) {
    // With a constant g, m̂ = g and v̂ = g² after every step, so each step moves a parameter by
    // exactly lr·g/(|g| + eps): ±lr for |g| ≫ eps, and lr·g/(|g|+eps) ≈ lr/2 at |g| = eps.
    const std::vector<double> g = {1.0, -3.5, 1e-8, -2e-8, 1e-12, 0.0, 250.0};
    const double lr = 1e-2, eps = 1e-8;
    adam_options o;
    o.lr = lr;
    adam<double> opt(g.size(), o);
    std::vector<double> p(g.size(), 1.0);
    for (int t = 1; t <= 25; ++t) {
        opt.step(p, g);
        for (std::size_t i = 0; i < g.size(); ++i) {
            const double expected = 1.0 - t * lr * g[i] / (std::abs(g[i]) + eps);
            BOOST_TEST_INFO("t=" << t << " i=" << i);
            BOOST_TEST(p[i] == expected, boost::test_tools::tolerance(1e-12));
        }
    }
}

BOOST_AUTO_TEST_CASE(long_buffer_matches_scalar_reference) {
    // 300,007 parameters: above the OpenMP threshold (run serial and parallel), several chunks,
    // a SIMD tail. The reference is the PyTorch formula written out per element in long double.
    const std::size_t n = 300007;
    for (bool parallel : {false, true}) {
        adam_options o;
        o.lr = 5e-3;
        o.weight_decay = 1e-2;
        o.parallel = parallel;
        adam<double> opt(n, o);
        auto p = gendiv::test::uniform<double>({n}, -1, 1, 1);
        std::vector<long double> pr(p.begin(), p.end()), m(n, 0), v(n, 0);
        for (int t = 1; t <= 4; ++t) {
            const auto g = gendiv::test::uniform<double>({n}, -2, 2, 100 + t);
            opt.step(p, g);
            const long double bc1 = 1 - std::pow(0.9L, t), bc2 = 1 - std::pow(0.999L, t);
            for (std::size_t i = 0; i < n; ++i) {
                const long double gi = g(i) + 1e-2L * pr[i];
                m[i] = 0.9L * m[i] + 0.1L * gi;
                v[i] = 0.999L * v[i] + 0.001L * gi * gi;
                pr[i] -= (5e-3L / bc1) * m[i] / (std::sqrt(v[i]) / std::sqrt(bc2) + 1e-8L);
            }
        }
        double worst = 0;
        for (std::size_t i = 0; i < n; ++i)
            worst = std::max(worst, std::abs(p(i) - static_cast<double>(pr[i])) / (std::abs(static_cast<double>(pr[i])) + 1e-3));
        BOOST_TEST_INFO("parallel " << parallel);
        BOOST_TEST(worst < 1e-13);
    }
}

BOOST_AUTO_TEST_CASE(float_tracks_double) {
    const std::size_t n = 1001;
    adam<double> od(n);
    adam<float> of(n);
    auto pd = gendiv::test::uniform<double>({n}, -1, 1, 3);
    auto pf = xt::xarray<float>(xt::cast<float>(pd));
    for (int t = 0; t < 10; ++t) {
        const auto g = gendiv::test::uniform<double>({n}, -1, 1, 200 + t);
        const xt::xarray<float> gf = xt::cast<float>(g);
        od.step(pd, g);
        of.step(pf, gf);
    }
    BOOST_TEST(xt::allclose(pf, pd, 1e-5, 1e-6));
}

BOOST_AUTO_TEST_CASE(checkpoint_restore_continues_identically) {
    const std::size_t n = 37;
    adam<float> a(n);
    auto p = xt::xarray<float>(gendiv::test::uniform<float>({n}, -1, 1, 5));
    for (int t = 0; t < 5; ++t) a.step(p, gendiv::test::uniform<float>({n}, -1, 1, 50 + t));
    // Save.
    const std::uint64_t step = a.step_count();
    const std::vector<float> m(a.m(), a.m() + n), v(a.v(), a.v() + n);
    const xt::xarray<float> p_saved = p;
    for (int t = 5; t < 8; ++t) a.step(p, gendiv::test::uniform<float>({n}, -1, 1, 50 + t));
    // Restore into a fresh optimizer and redo the last three steps.
    adam<float> b(n);
    b.restore(step, m.data(), m.size(), v.data(), v.size());
    BOOST_TEST(b.step_count() == 5u);
    xt::xarray<float> q = p_saved;
    for (int t = 5; t < 8; ++t) b.step(q, gendiv::test::uniform<float>({n}, -1, 1, 50 + t));
    BOOST_TEST(xt::all(xt::equal(p, q)));
    BOOST_TEST(b.step_count() == 8u);
    // A fresh optimizer without the state takes a different path (the state matters).
    adam<float> c(n);
    xt::xarray<float> r = p_saved;
    for (int t = 5; t < 8; ++t) c.step(r, gendiv::test::uniform<float>({n}, -1, 1, 50 + t));
    BOOST_TEST(!xt::all(xt::equal(p, r)));
    b.reset();
    BOOST_TEST(b.step_count() == 0u);
    BOOST_TEST(b.m()[0] == 0.0f);
}

BOOST_AUTO_TEST_CASE(errors_name_function_and_sizes) {
    adam<double> opt(10);
    std::vector<double> p(10), g(9);
    GENDIV_CHECK_ERROR(opt.step(p, g), "adam::step", "'grads' has 9");
    GENDIV_CHECK_ERROR(opt.step(p.data(), g.data(), 9), "adam::step", "10 parameters");
    GENDIV_CHECK_ERROR(opt.step(nullptr, g.data(), 10), "adam::step", "'params' is null");
    std::vector<double> m(10), v(11), vbad(10, 0.0);
    GENDIV_CHECK_ERROR(opt.restore(3, m.data(), m.size(), v.data(), v.size()), "adam::restore", "11 second");
    vbad[4] = -1.0;
    GENDIV_CHECK_ERROR(opt.restore(3, m.data(), m.size(), vbad.data(), vbad.size()), "adam::restore", "v[4]");
    // The largest step count would wrap to 0 at the next step (bias correction 0: NaN parameters).
    GENDIV_CHECK_ERROR(opt.restore(std::numeric_limits<std::uint64_t>::max(), m.data(), m.size(), v.data(), 10),
                       "adam::restore", "18446744073709551615", "wrap");
    adam_options o;
    o.beta2 = 1.0;
    GENDIV_CHECK_ERROR(adam<float>(3, o), "adam", "beta2");
    o = {};
    o.lr = -1;
    GENDIV_CHECK_ERROR(adam<float>(3, o), "adam", "learning rate");
    BOOST_TEST(opt.step_count() == 0u);  // failed calls did not count as steps
}

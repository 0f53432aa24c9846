// tests/support/errors.hpp: checking that a call throws gendiv::error and that its message names
// what it should (the function, the argument, the shapes). Every test of an error path uses
// these two.
#pragma once

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <vector>

#include "gendiv/detail/error.hpp"

namespace gendiv::test {

/// A predicate for BOOST_CHECK_EXCEPTION: true when the message of the error holds every one of
/// `parts`. Each part it lacks fails a check that prints the whole message, so a failing test
/// shows what was thrown.
struct message_has {
    std::vector<std::string> parts;
    message_has(std::initializer_list<std::string> p) : parts(p) {}
    bool operator()(const gendiv::error& e) const {
        const std::string m = e.what();
        bool all = true;
        for (const auto& p : parts) {
            const bool found = m.find(p) != std::string::npos;
            BOOST_CHECK_MESSAGE(found, "message \"" << m << "\" lacks \"" << p << "\"");
            all = all && found;
        }
        return all;
    }
};

}  // namespace gendiv::test

/// Checks that `expr` throws gendiv::error whose message holds every listed piece. (An
/// expression whose commas stand outside parentheses, a lambda's body say, goes in parentheses.)
#define GENDIV_CHECK_ERROR(expr, ...)                                                        \
    BOOST_CHECK_EXCEPTION((void)(expr), gendiv::error, (gendiv::test::message_has{__VA_ARGS__}))

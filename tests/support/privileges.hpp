#pragma once
// Privilege checks for tests that need root (raw sockets, network namespaces, TUN).
//
// Unprivileged developers get a skip with the reason. CI exports
// REQUIRE_PRIVILEGED_TESTS=1, which turns every such skip into a failure,
// so a privileged test can never silently stop running there.
#include <gtest/gtest.h>

#include <string>

namespace netstab::test {

// True when the process can create network namespaces and raw sockets.
bool have_root();

// True when CI asked that privileged tests must run (REQUIRE_PRIVILEGED_TESTS=1).
bool privileged_required();

}  // namespace netstab::test

// Use as the first statement of a test body.
#define NETSTAB_REQUIRE_ROOT()                                                                     \
  do {                                                                                             \
    if (!::netstab::test::have_root()) {                                                           \
      if (::netstab::test::privileged_required()) {                                                \
        FAIL() << "this test needs root and REQUIRE_PRIVILEGED_TESTS=1 forbids a skip";            \
      }                                                                                            \
      GTEST_SKIP() << "needs root (network namespaces, TUN, raw ICMP); run as root to include it"; \
    }                                                                                              \
  } while (false)

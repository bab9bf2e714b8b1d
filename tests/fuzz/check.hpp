#pragma once
// The one assertion of the fuzz targets. It stays on in every build type (RelWithDebInfo defines NDEBUG, which
// would silence assert) and aborts, which libFuzzer reports as a crash and saves the input for.
#include <cstdio>
#include <cstdlib>

namespace netstab::fuzz {

[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
  std::abort();
}

}  // namespace netstab::fuzz

// A macro so that the message names the condition and the line; the only macro of the fuzz targets.
#define FUZZ_REQUIRE(condition)                                                          \
  do {                                                                                   \
    if (!(condition)) ::netstab::fuzz::invariant_failed(#condition, __FILE__, __LINE__); \
  } while (false)

#pragma once
// Helpers of the configuration tests: a private temporary directory for one test (files written into it are
// removed with it), the path of a fixture file, and the error a load request ends with.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "tests/support/temp_dir.hpp"

namespace netstab::config::testing {

using temp_dir = test::temp_dir;

inline std::string fixture(std::string_view name) {
  return std::string(NETSTAB_SOURCE_DIR) + "/tests/config/fixtures/" + std::string(name);
}

// The message of the config_error that building `request` throws, or "(no error)".
inline std::string error_of(const load_request& request) {
  try {
    build(request);
  } catch (const config_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace netstab::config::testing

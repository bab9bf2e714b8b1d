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

namespace netstab::config::testing {

class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("netstab-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  // Writes `content` to `name` inside the directory and returns the full path.
  std::string write(std::string_view name, std::string_view content) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    return file.string();
  }

  std::string path(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

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

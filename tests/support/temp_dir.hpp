#pragma once
// A private temporary directory for one test: files written into it are removed with it. Test thread only.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace netstab::test {

class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "netstab-test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  // The full path of `name` inside the directory.
  std::string path(std::string_view name) const { return (path_ / name).string(); }
  const std::filesystem::path& dir() const { return path_; }
  // Writes `content` to `name` inside the directory and returns the full path.
  std::string write(std::string_view name, std::string_view content) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace netstab::test

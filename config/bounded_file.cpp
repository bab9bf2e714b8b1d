#include "config/bounded_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace netstab::config {
namespace {

// strerror is not thread-safe; the category's message is.
std::string error_text(int error) { return std::generic_category().message(error); }

// Owns one descriptor from open(); closes it on every path out. Keeps open's errno when it failed.
class descriptor {
 public:
  explicit descriptor(int fd) : fd_(fd), open_error_(fd < 0 ? errno : 0) {}
  ~descriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  descriptor(const descriptor&) = delete;
  descriptor& operator=(const descriptor&) = delete;

  int get() const { return fd_; }
  int open_error() const { return open_error_; }

 private:
  int fd_;
  int open_error_;
};

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISCHR(mode)) {
    return "a character device";
  }
  if (S_ISBLK(mode)) {
    return "a block device";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  return "something else";
}

std::string too_large(std::size_t max_bytes) {
  return "it is larger than the limit of " + format_byte_limit(max_bytes);
}

// Opens `path` for reading without blocking: a plain open of a FIFO without a writer would wait for one.
// O_NOCTTY keeps a terminal from becoming ours. A negative descriptor means the open failed (errno is set).
int open_non_blocking(const std::string& path) {
  return ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

// Checks with fstat on the opened descriptor (not on the path, which may be replaced meanwhile) that it is a
// regular file of at most max_bytes bytes; stores its size.
bool is_small_regular_file(const descriptor& fd, std::size_t max_bytes, std::size_t& size, std::string& problem) {
  if (fd.get() < 0) {
    problem = error_text(fd.open_error());
    return false;
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    problem = error_text(errno);
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    problem = std::string("it is ") + kind_of(info.st_mode) + ", not a regular file";
    return false;
  }
  if (info.st_size < 0 || static_cast<std::size_t>(info.st_size) > max_bytes) {
    problem = too_large(max_bytes);
    return false;
  }
  size = static_cast<std::size_t>(info.st_size);
  return true;
}

}  // namespace

std::string format_byte_limit(std::size_t bytes) {
  constexpr std::size_t kib = 1024;
  constexpr std::size_t mib = kib * 1024;
  if (bytes != 0 && bytes % mib == 0) {
    return std::to_string(bytes / mib) + " MiB";
  }
  if (bytes != 0 && bytes % kib == 0) {
    return std::to_string(bytes / kib) + " KiB";
  }
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::optional<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes, std::string& problem) {
  const descriptor fd(open_non_blocking(path));
  std::size_t size = 0;
  if (!is_small_regular_file(fd, max_bytes, size, problem)) {
    return std::nullopt;
  }
  // The size from fstat is a hint: the file may grow or shrink while it is read. Reading asks for at most
  // max_bytes + 1 bytes in total, so that a file grown past the limit is noticed without reading all of it.
  std::string content;
  content.reserve(size);
  std::array<char, 65536> buffer{};
  while (content.size() <= max_bytes) {
    const std::size_t want = std::min(buffer.size(), max_bytes + 1 - content.size());
    const ssize_t n = ::read(fd.get(), buffer.data(), want);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      problem = error_text(errno);
      return std::nullopt;
    }
    if (n == 0) {
      return content;
    }
    content.append(buffer.data(), static_cast<std::size_t>(n));
  }
  problem = too_large(max_bytes);
  return std::nullopt;
}

std::optional<std::string> check_bounded_file(const std::string& path, std::size_t max_bytes) {
  const descriptor fd(open_non_blocking(path));
  std::size_t size = 0;
  std::string problem;
  if (!is_small_regular_file(fd, max_bytes, size, problem)) {
    return problem;
  }
  return std::nullopt;
}

}  // namespace netstab::config

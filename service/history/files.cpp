#include "service/history/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace netstab::service::history {
namespace {

std::string directory_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::string compact_time(core::wall_time now) {
  // 20261201T000000Z: sorts, and holds no ':' (awkward in file names on some systems).
  const std::time_t secs = static_cast<std::time_t>(now.count() / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

lock_file& lock_file::operator=(lock_file&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

lock_file::~lock_file() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

core::result<lock_file> lock_file::acquire(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return core::error{unwritable_advice(path, db_path, errno)};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    const std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("unknown");
    if (err == EWOULDBLOCK) {
      return core::error{"history: " + db_path + " is in use by another netstab process (pid " +
                         pid.substr(0, pid.find('\n')) + " holds " + path +
                         "); each netstab process needs its own history.path"};
    }
    return core::error{"history: cannot lock " + path + ": " + std::strerror(err)};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The pid is only for the message a second writer gets; the lock itself is held.
  }
  lock_file l;
  l.fd_ = fd;
  return l;
}

core::result<std::string> move_aside(const std::string& db_path, core::wall_time now) {
  const std::string base = db_path + ".corrupt-" + compact_time(now);
  std::string target = base;
  for (int i = 2; exists(target) || exists(target + "-wal"); ++i) {
    target = base + "-" + std::to_string(i);
  }
  if (::rename(db_path.c_str(), target.c_str()) != 0) {
    return core::error{"history: cannot move the damaged " + db_path + " aside to " + target + ": " +
                       std::strerror(errno)};
  }
  const std::string wal = db_path + "-wal";
  if (exists(wal)) {
    ::rename(wal.c_str(), (target + "-wal").c_str());  // kept beside the copy, for whoever looks into it
  }
  ::unlink((db_path + "-shm").c_str());
  return target;
}

std::string unwritable_advice(const std::string& what, const std::string& db_path, int err) {
  const std::string dir = directory_of(db_path);
  std::string fix;
  if (err == ENOENT) {
    fix = "the directory " + dir + " does not exist: create it";
  } else if (err == EROFS) {
    fix = dir + " is on a read-only file system: point history.path at a writable one";
  } else {
    fix = "the directory " + dir + " must be writable by the user netstab runs as (uid " + std::to_string(::getuid()) +
          "): give it to that user";
  }
  return "history: cannot create " + what + ": " + std::strerror(err) + ". Fix: " + fix +
         " (systemd: StateDirectory=netstab; Docker: mount a volume there), or set history.path to a writable "
         "file. History is off; probing goes on.";
}

}  // namespace netstab::service::history

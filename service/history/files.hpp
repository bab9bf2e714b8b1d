#pragma once
// File-level care of the history database: the one-writer lock, moving a corrupt file aside, and the sentence
// that tells a person how to fix a path netstab cannot write.
//
// The lock is an flock(2) on a sidecar file `<path>.lock` that holds the writer's pid. It is not SQLite's own
// locking: readers (`netstab history --db`, the reader thread) never take it, so they read while the writer
// runs, and a second writer on the same file is refused at once with the holder's pid. The kernel releases it
// when the process dies, also after kill -9.
//
// Writer thread (lock, move_aside) or any thread (unwritable_advice); never the loop.
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"

namespace netstab::service::history {

class lock_file {
 public:
  lock_file() = default;
  lock_file(lock_file&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  lock_file& operator=(lock_file&& o) noexcept;
  lock_file(const lock_file&) = delete;
  lock_file& operator=(const lock_file&) = delete;
  ~lock_file();

  // Creates (if needed) and locks `<db_path>.lock`. Errors: the holder's pid when another process holds it, or
  // the unwritable-path advice when the file cannot be created.
  static core::result<lock_file> acquire(const std::string& db_path);
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Renames db_path (and its -wal file, when present) to `<db_path>.corrupt-<UTC time>` (and `...-wal`), removes
// its -shm file, and returns the new name of the database file. A name already taken gets a counter.
core::result<std::string> move_aside(const std::string& db_path, core::wall_time now);

// "cannot create <what>: <strerror>. ..." with the fix for the error number (a missing directory, no permission,
// a read-only file system).
std::string unwritable_advice(const std::string& what, const std::string& db_path, int err);

}  // namespace netstab::service::history

#pragma once
// The history file (SQLite, one file in WAL mode) as the writer sees it: open with its checks, write one batch
// per transaction, roll minutes up into hours and hours into days, apply retention, record runs.
//
// Open: takes the one-writer lock (files.hpp); a file that is not a database, fails its quick check or is
// shorter than its header says is moved aside (`<path>.corrupt-<time>`) and a new one is created; a file newer
// than this code is refused untouched; then migrations, WAL mode with synchronous=NORMAL (a committed batch
// survives the process being killed; a power cut may lose the last ones but never corrupts), and a new run row.
// Runs a previous process left without a stop are marked crashed: their end is their last heartbeat.
//
// Rollups: a minute row that arrives for a later hour than a target's newest one completes the hours before it;
// each completed hour is rebuilt from its minute rows by merging them (histograms added, never percentiles
// averaged) and the day holding it is rebuilt from its hour rows, so a day row is at most an hour behind. A row
// for a period the store already holds (a restart within a minute, a clock stepped back) is merged into it.
//
// Retention: retention_step deletes rows older than each table's retention, at most retention_batch rows a
// call, in one short transaction, so a large backlog never holds the file for long. Incidents and runs follow
// the day retention. Targets are never deleted (removed ones keep their name and removal time).
//
// One thread (the writer's) uses a store; SQL failures come back as write_status, never as exceptions.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/history_recorder.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace netstab::service::history {

struct retention_policy {
  std::chrono::seconds minutes{14LL * 86400};
  std::chrono::seconds hours{400LL * 86400};
  std::chrono::seconds days{3650LL * 86400};
  std::chrono::seconds raw{86400};
};

struct store_options {
  std::string path;
  retention_policy keep;
  std::size_t retention_batch = 5000;  // rows one retention_step deletes at most
  bool check_on_open = true;           // PRAGMA quick_check at open (reads the whole file once)
  std::string version;                 // netstab's version, recorded with each run
  std::size_t page_cache_kib = 2048;   // SQLite page cache of the writer's connection, at most
};

enum class failure : std::uint8_t { none, disk_full, corrupt, other };

struct write_status {
  failure kind = failure::none;
  std::string message;
  bool ok() const { return kind == failure::none; }
};

struct open_notes {
  bool created = false;     // a new file was made
  std::string moved_aside;  // where a damaged file went, empty if none
  std::string damage;       // what was wrong with it
};

class store {
 public:
  // Opens or creates the file; the error is a sentence for the log and the state (unwritable path, in use by
  // another process, schema too new, a damaged file that could not be moved aside).
  static core::result<std::unique_ptr<store>> open(const store_options& opt, core::wall_time now, open_notes& notes);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // Writes the batch in one transaction; on an error none of it is kept.
  write_status write(const core::history_batch& b);
  // Deletes at most retention_batch expired rows; `deleted` gets how many (when that equals the batch size,
  // more may remain).
  write_status retention_step(core::wall_time now, std::uint64_t& deleted);
  // Records the run's stop.
  write_status stop(core::wall_time now);

  std::int64_t run_id() const;
  const std::string& path() const;

 private:
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

}  // namespace netstab::service::history

#pragma once
// The history writer: a thread of its own that owns the store (the write connection) and writes the batches the
// loop hands it, one transaction per batch, applies retention when idle, and records the run's stop.
//
// Threads: submit() and counters() may be called from any thread (the loop calls submit); they take a mutex
// held only to move a batch into or out of the queue, never across disk work, so the caller never waits for
// the disk. Everything else runs on the writer thread, including the report callback given at construction
// (the loop's side forwards each report into its inbox). The store is opened on the writer thread, so
// construction returns at once even when the open checks a large file.
//
// Bounds: the queue holds at most max_queued_rows rows (a batch that does not fit is dropped whole and
// counted); a batch that cannot be written is dropped and counted too.
//
// Failures (each reported once when it starts, and in counters()):
// - the path cannot be written, another process holds the file, or the file is from a newer netstab: the
//   writer stays disabled (report `disabled`, counters().error names the path and the fix); batches are
//   dropped and counted; probing is not affected.
// - disk full: history pauses (report `paused`, counters().paused); batches that come while paused are
//   dropped and counted, except one every retry_interval, which is tried; when one is written again the writer
//   resumes (report `resumed`, with what was dropped meanwhile).
// - a damaged file at open or during writing: moved aside to `<path>.corrupt-<time>` with a log line and a
//   report `recovered`; a new file is started.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/history_recorder.hpp"
#include "core/time.hpp"
#include "service/history/store.hpp"

namespace netstab::service::history {

struct writer_options {
  store_options store;
  std::size_t max_queued_rows = 50'000;
  std::chrono::milliseconds retry_interval{30'000};      // a paused writer tries a batch this often
  std::chrono::milliseconds retention_interval{60'000};  // an idle writer applies retention this often
};

struct history_report {
  enum class kind : std::uint8_t { opened, disabled, recovered, paused, resumed, write_failed, stopped } what;
  std::string message;
};
std::string_view to_string(history_report::kind k);  // "opened", "disabled", ...

// For the state message.
struct history_counters {
  bool enabled = false;  // the store is open
  bool paused = false;   // writes fail for lack of space; retrying
  std::string path;
  std::string error;  // why disabled or paused; empty otherwise
  std::uint64_t batches_written = 0, rows_written = 0;
  std::uint64_t batches_dropped = 0, rows_dropped = 0;  // queue full, paused, disabled or failed
  std::uint64_t queued_rows = 0;
  std::uint64_t retention_deleted = 0;
};

class writer {
 public:
  // clock: wall time of the run's start and stop, retention and corrupt-file names; must be callable from the
  // writer thread. report: called on the writer thread.
  writer(writer_options opt, const core::clock& clock, std::function<void(history_report)> report);
  ~writer();
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Any thread; never waits for the disk. False when the batch was dropped (queue full, stopped).
  bool submit(core::history_batch&& b);
  // Writes what is queued, records the run's stop and closes the file.
  // Waits for the writer thread; idempotent. Not from the writer thread (the report callback).
  void stop();
  history_counters counters() const;

 private:
  void run();
  void open_store();
  void handle(core::history_batch& b);
  void on_written(std::size_t rows, bool was_paused);
  void on_failed(const write_status& st, std::chrono::steady_clock::time_point now, bool was_paused);
  void maintain();
  void recover(const std::string& why);
  void report(history_report::kind k, std::string message);
  void drop(std::size_t rows);

  writer_options opt_;
  const core::clock& clock_;
  std::function<void(history_report)> report_;
  std::unique_ptr<store> store_;  // writer thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<core::history_batch> queue_;
  history_counters counters_;
  bool stopping_ = false;

  std::chrono::steady_clock::time_point next_retry_{};      // writer thread only
  std::chrono::steady_clock::time_point next_retention_{};  // writer thread only
  bool failing_ = false;                                    // writer thread only: a non-space failure streak
  std::uint64_t dropped_at_pause_ = 0;                      // writer thread only
  std::thread thread_;
};

}  // namespace netstab::service::history

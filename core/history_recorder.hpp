#pragma once
// The loop's side of history: per-target minute accumulators, the raw samples of the first targets, incidents
// and target changes, gathered into a batch that the loop hands to the history writer (a thread of its own).
//
// Cost: on_sent and on_sample are O(1) (a slot index, a few counters, one histogram insert into a vector that
// stops growing once it holds the minute's spread of latencies). A finished minute is moved into the pending
// batch once per target and minute, its histogram with it (the next minute's histogram grows again: a few
// allocations a minute, where a copy would hold every target's histogram twice until the writer is done); raw samples
// are appended to the batch (amortised vector growth, and target names up to 15 bytes fit the string's inline buffer).
// Nothing here does I/O.
//
// Raw samples are kept for the first raw_max_targets targets added (a slot freed by a removed raw target goes
// to the next target added).
//
// Handles are slot indexes, stable while the target exists; a removed target's slot is reused.
// Not thread-safe; one owner (the loop thread).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/history_rollup.hpp"
#include "core/sample.hpp"
#include "core/stats_snapshot.hpp"
#include "core/time.hpp"

namespace netstab::core {

struct target_minute {
  std::string target;
  rollup minute;
};

struct raw_sample {
  std::string target;
  wall_time wall{};
  std::uint32_t seq = 0;
  probe_status status = probe_status::ok;
  std::optional<nanos> rtt, process;
};

// An incident as it opened or closed; the store keeps one row per (run, target, id) and updates it.
struct incident_record {
  std::string target;
  incident inc;
  std::string verdict;  // fault verdict at the incident, empty when none
  std::string path;     // the path (hops) as text when known, empty otherwise
};

struct target_change {
  std::string target;
  wall_time at{};
  bool removed = false;  // false: added (or still present at start-up)
};

// What the loop hands to the writer; one SQLite transaction.
struct history_batch {
  std::vector<target_change> targets;
  std::vector<target_minute> minutes;
  std::vector<raw_sample> raw;
  std::vector<incident_record> incidents;
  wall_time heartbeat{};  // the loop's wall time when the batch was taken: the run was alive then

  std::size_t rows() const { return targets.size() + minutes.size() + raw.size() + incidents.size(); }
};

struct recorder_options {
  std::size_t raw_max_targets = 10;
};

class history_recorder {
 public:
  using handle = std::uint32_t;

  explicit history_recorder(recorder_options opt) : opt_(opt) {}

  // Room for n targets without growing (a vector doubled past the target count holds up to twice their slots).
  void reserve(std::size_t n) { slots_.reserve(n); }
  handle add_target(std::string name, wall_time now);
  // Finishes the target's open minute into the batch and records the removal; the handle is invalid afterwards.
  void remove_target(handle h, wall_time now);

  void on_sent(handle h, wall_time t);
  void on_sample(handle h, const sample& s, health status);
  void set_verdict(handle h, std::string_view verdict);
  void on_incident(handle h, const incident& inc, std::string_view verdict = {}, std::string_view path = {});

  // Finishes every open minute that ended at or before now (targets that probe less than once a minute).
  void close_ended(wall_time now);
  // Finishes every open minute (shutdown).
  void close_all();
  // The pending batch, with heartbeat = now; the recorder starts a new one.
  history_batch take_batch(wall_time now);
  // Rows waiting in the pending batch.
  std::size_t pending_rows() const { return batch_.rows(); }
  bool records_raw(handle h) const { return slots_.at(h).raw; }

 private:
  struct slot {
    std::string name;
    minute_accumulator acc;
    bool used = false;
    bool raw = false;
  };
  void push_done(slot& s);

  recorder_options opt_;
  std::vector<slot> slots_;
  std::vector<handle> free_;
  std::size_t raw_targets_ = 0;
  history_batch batch_;
  rollup done_;  // scratch for finished minutes, reused
};

}  // namespace netstab::core

#pragma once
// Outage log of one target: the last N incidents, oldest first, the open one (if any) last.
//
// An incident opens when the target goes BAD or its RTO streak reaches the BAD
// threshold, and closes when the status is no longer BAD and the streak is 0
// (target_monitor decides; this type only keeps the record). While open, every
// lost probe is counted and the duration follows the latest wall time seen, so a
// copy taken while open (the incident_start event, a published incident list)
// holds the duration up to that moment: 0 at the start. Readers that show a
// running duration compute now - start themselves.
// probes_lost starts at the number of probes already lost in a row when the
// incident opens (the streak that led to it), so an outage detected on its 4th
// timeout reports 4 lost probes. worst stays BAD: incidents only exist at BAD.
// Bounded: opening an incident when N are stored drops the oldest. With N = 0
// only the open incident is kept, and dropped when it closes.
//
// Memory: libstdc++'s std::deque allocates ~0.5 KB as soon as it is constructed,
// so the deque is created with the first incident; until then incidents()
// returns a shared immutable empty deque. Most targets never have an incident.
// A reference from incidents() is valid until the next open().
//
// Not thread-safe; owned by a target_monitor on the loop thread.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/stats_snapshot.hpp"
#include "core/time.hpp"

namespace netstab::core {

class incident_log {
 public:
  explicit incident_log(std::size_t max_incidents) : max_(max_incidents) {}

  bool is_open() const { return open_; }
  // Opens a new incident and returns a copy of it. Precondition: none is open.
  incident open(wall_time start, std::string reason, std::uint64_t probes_lost_so_far);
  // Counts one lost probe against the open incident (no-op when none is open).
  void on_lost();
  // Updates the open incident's duration to now - start (no-op when none is open).
  void touch(wall_time now);
  // Closes the open incident at end and returns a copy of it. Precondition: one is open.
  incident close(wall_time end);

  const std::deque<incident>& incidents() const;
  // The latest incident kept (the open one while one is open), for the owner to annotate; nullptr when none.
  incident* latest() { return log_ && !log_->empty() ? &log_->back() : nullptr; }
  std::uint64_t opened_total() const { return next_id_ - 1; }
  std::size_t heap_bytes() const;

 private:
  std::unique_ptr<std::deque<incident>> log_;  // created by the first open()
  std::size_t max_;
  std::uint64_t next_id_ = 1;
  bool open_ = false;  // when true, log_->back() is the open incident
};

}  // namespace netstab::core

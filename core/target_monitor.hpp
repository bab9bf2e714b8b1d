#pragma once
// Everything the prober keeps per target: windowed statistics (one primary
// window plus optional extra windows), jitter, the RTO streak, the status with
// hysteresis, and the incident log. The prober feeds sends and samples; sinks
// read snapshots; status changes and incidents come back as events.
//
// How outcomes count (sample.status):
// - ok: received, both latencies, jitter; resets the RTO streak.
// - timeout: lost and an RTO; the streak grows.
// - unreachable / error: lost, not an RTO, but the streak still grows: the
//   streak counts consecutive probes that got no reply, so a host behind an
//   "unreachable" router goes BAD as fast as a silent one.
// - late: the late counter only (the probe was already counted lost; it neither
//   resets the streak nor counts as a reply).
// - duplicate: the duplicate counter only.
// Each ok / timeout / unreachable / error sample is one status evaluation (late
// and duplicate replies are not, so they cannot speed up recovery).
// Outcomes go to the bucket of sample.at, sends to the bucket of on_sent's time.
// "last" latencies are reported only while their sample is inside the window.
//
// Memory (memory_bytes()) follows the distinct latency values in the windows, not the number of samples; the
// TargetMonitor tests bound it and docs/benchmarks.md has the measured sizes.
//
// Not thread-safe; one owner (the loop thread).
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/incidents.hpp"
#include "core/jitter.hpp"
#include "core/sample.hpp"
#include "core/stats_snapshot.hpp"
#include "core/status.hpp"
#include "core/time.hpp"
#include "core/window_stats.hpp"

namespace netstab::core {

struct monitor_config {
  nanos window{std::chrono::seconds(60)};
  std::vector<nanos> extra_windows;
  unsigned buckets = 12;  // per window, primary and extra alike
  status_thresholds thresholds;
  std::size_t max_incidents = 20;
};

struct monitor_event {
  enum class kind : std::uint8_t { status_change, incident_start, incident_end } what;
  health from = health::ok, to = health::ok;  // status_change
  std::string reason;                         // the status reason after the change (all kinds)
  incident inc;                               // incident_start / incident_end: a copy of the incident
};

class target_monitor {
 public:
  // Throws std::invalid_argument for a window shorter than its bucket count in
  // nanoseconds or zero buckets.
  explicit target_monitor(const monitor_config& cfg);

  void on_sent(mono_time t);
  // Feeds one outcome and appends the events it causes (status change, incident start/end) to out.
  void on_sample(const sample& s, std::vector<monitor_event>& out);
  // Forces BAD with reason (e.g. resolve failure) / clears it; appends events.
  void set_fault(std::string reason, mono_time now, wall_time wall, std::vector<monitor_event>& out);
  void clear_fault(mono_time now, wall_time wall, std::vector<monitor_event>& out);

  // Statistics of one window as seen at now; 0 = primary window, 1.. = extra
  // windows in configuration order. Throws std::out_of_range for a bad index.
  stats_snapshot snapshot(mono_time now, std::size_t window_index = 0) const;
  // The primary window's figures a verdict reads (window_stats::fill_verdict) and the status; the rest empty.
  // The verdict evaluates every target once a second, so it does not build whole snapshots.
  stats_snapshot verdict_snapshot(mono_time now) const;
  std::size_t window_count() const { return windows_.size(); }
  // The length of a window (index as for snapshot). Throws std::out_of_range for a bad index.
  nanos window_length(std::size_t window_index) const { return windows_.at(window_index).window(); }

  health status() const { return status_.level(); }
  const std::string& reason() const { return status_.reason(); }
  std::uint64_t rto_streak() const { return streak_; }
  const std::deque<incident>& incidents() const { return incidents_.incidents(); }  // oldest first, open last
  bool incident_open() const { return incidents_.is_open(); }
  // The latest incident kept (the open one while one is open), for the owner to annotate with what the monitor
  // does not know (incident::fault_json, incident::path); nullptr when none is kept.
  incident* latest_incident() { return incidents_.latest(); }

  std::size_t memory_bytes() const;  // approximate heap + inline footprint, for the benchmark

 private:
  void evaluate(wall_time wall, std::vector<monitor_event>& out);
  void emit_changes(health before, bool changed, wall_time wall, std::vector<monitor_event>& out);
  void record_last(latency_series s, mono_time at, std::uint32_t us);

  std::vector<window_stats> windows_;
  status_tracker status_;
  incident_log incidents_;
  jitter_tracker jitter_;
  std::uint64_t streak_ = 0;
  std::array<mono_time, 2> last_at_{};  // per latency_series
  std::array<std::uint32_t, 2> last_us_{};
  std::array<bool, 2> has_last_{};
};

}  // namespace netstab::core

#pragma once
// Turns the raw fault of each evaluation into the reported one, without flapping (one per target, one for the
// agent).
//
// Rules, with N = confirm_after and M = clear_after:
// - While ok is reported, a fault is reported once N consecutive evaluations are not ok (any faults: a fault
//   whose blamed hop wavers between two hops is still a fault). The one reported is the latest raw fault, and
//   `since` is the wall time of the first of those N evaluations: when the degradation began (or the raw
//   fault's own since when it is earlier: the agent's verdict carries its targets' since).
// - While a fault is reported, a raw fault with the same place and kind (same_fault) refreshes its values and
//   reason and keeps its since. A different fault in the same segment (another hop, another metric) replaces
//   it only after N consecutive evaluations of that same different fault, one in another segment only after
//   max(N, M): moving the blame needs as much evidence as clearing it. Its since is the first of them.
//   Anything else in between restarts that count.
// - While a fault is reported, ok is reported after M consecutive ok evaluations; a fault in between restarts
//   the count (and is compared with the reported fault as above).
// So a fault is reported N evaluations after the window first shows it, and cleared M evaluations after the
// window is clean; an input that alternates faster than that changes nothing.
//
// Every change of the reported fault comes back as a fault_change (from, to) for a `fault_change` event.
// worst() is the most severe fault reported (more_severe: level, then loss > latency > host, then value) since
// the current degradation began; it stays readable after ok is reported, until the next degradation, so that
// an incident that closes with the fault can record it.
//
// Time is passed in: mono for durations, wall for since. The reason of the reported fault is rebuilt at each
// evaluation as headline, "since HH:MM UTC" and context (core/verdict_text.hpp).
//
// Not thread-safe; one owner (the loop thread).
#include <cstdint>
#include <memory>
#include <optional>

#include "core/time.hpp"
#include "core/verdict.hpp"

namespace netstab::core {

struct tracker_config {
  std::uint32_t confirm_after = 3;  // N: consecutive evaluations before a new fault is reported (>= 1)
  std::uint32_t clear_after = 10;   // M: consecutive ok evaluations before ok is reported (>= 1)
};

struct fault_change {
  fault from, to;
};

class fault_tracker {
 public:
  explicit fault_tracker(const tracker_config& cfg = {}) : cfg_(cfg) {}

  // One evaluation with the raw fault of this evaluation; returns the change of the reported fault, if any.
  std::optional<fault_change> evaluate(const fault& raw, mono_time now, wall_time wall);
  // The same with a verdict; an unjudged one (too few samples) changes nothing and counts for nothing.
  std::optional<fault_change> evaluate(const verdict& v, mono_time now, wall_time wall);

  const fault& reported() const { return reported_; }
  const fault& worst() const;
  // How long the reported fault has lasted at now (since its first evaluation); zero while ok.
  nanos duration(mono_time now) const;

 private:
  // A raw fault waiting to be confirmed.
  struct candidate {
    fault f;
    std::uint32_t count = 0;
    mono_time first_mono{};
    wall_time first_wall{};
  };

  std::optional<fault_change> on_fault(const fault& raw, mono_time now, wall_time wall);
  std::optional<fault_change> on_ok(const fault& raw, wall_time wall);
  std::optional<fault_change> report(fault next, mono_time since_mono, wall_time since_wall, wall_time wall);
  void refresh(const fault& raw, wall_time wall);

  void set_worst(const fault& f);

  tracker_config cfg_;
  fault reported_;
  // The worst fault and the candidate exist only once a target degraded (every target has a tracker, and at
  // 10,000 targets two faults kept for each healthy one cost 3.4 MB).
  std::unique_ptr<fault> worst_;        // null: none since start (worst() is ok)
  std::unique_ptr<candidate> pending_;  // null: no candidate waiting
  mono_time reported_mono_{};
  std::uint32_t ok_count_ = 0;
};

}  // namespace netstab::core

#pragma once
// The verdict of one target, wired: its readings built from the target's and the hops' windowed statistics,
// judged (core/verdict.hpp), confirmed and held (core/fault_tracker.hpp), with the RTT baselines fed after each
// judgment (core/baseline.hpp), and the rows of the path payload (hop, address, segment, statistics,
// rate-limited) from the same snapshots.
//
// Input per evaluation: the target's address, its primary-window snapshot and status; its path (nullptr when
// path monitoring is off for it), the hop table, the default gateway and the segment overrides. Without path
// monitoring the target is judged alone: a host fault from the dual latency, and a degradation that cannot be
// placed is `unknown` ("path monitoring is off"): blaming the far end (`remote`) would blame it for every fault of
// the LAN and the ISP too.
//
// Cadence (the owner's): due() once per max(the target's interval, 1 s). Baselines: the target's is reset when
// its path changes (path_changed), as are the baselines of the hops from the first changed TTL on.
//
// Not thread-safe; one owner (the loop thread). Time is passed in.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/baseline.hpp"
#include "core/fault_tracker.hpp"
#include "core/hop_table.hpp"
#include "core/ip_address.hpp"
#include "core/path.hpp"
#include "core/path_engine.hpp"
#include "core/stats_snapshot.hpp"
#include "core/verdict.hpp"

namespace netstab::core {

struct target_verdict_config {
  verdict_config judge;
  tracker_config tracker;
  path_config segments;
  nanos baseline_period{std::chrono::hours(1)};
};

// One row of the path payload; the target itself is the last row.
struct hop_row {
  unsigned ttl = 0;
  std::optional<ip_address> address;  // nullopt: the hop never answered
  segment where = segment::unknown;
  std::uint64_t sent = 0, lost = 0;
  double loss_pct = 0.0;
  std::optional<double> rtt_p50_ms, rtt_p95_ms;
  bool rate_limited = false;
};

struct verdict_input {
  ip_address target;
  const stats_snapshot* stats = nullptr;  // the target's primary window (verdict_snapshot's figures suffice)
  health status = health::ok;
  const path_state* path = nullptr;  // nullptr: path monitoring is off
  hop_table* hops = nullptr;         // with a path
  std::optional<ip_address> gateway;
};

class target_verdict {
 public:
  // With a copy of its own, or sharing one: every target of a prober has the same configuration, and thousands
  // of targets need not hold thousands of copies.
  explicit target_verdict(const target_verdict_config& cfg);
  explicit target_verdict(std::shared_ptr<const target_verdict_config> cfg);

  // Whether an evaluation is due at now (period: max(interval, 1 s)).
  bool due(mono_time now) const { return now >= next_; }
  // Judges, tracks and feeds the baselines; returns the change of the reported fault. Fills rows (when given)
  // with the path payload's rows of this evaluation, and judged (when given) with its judgement. The judgement is
  // not kept: only the tracker's faults outlive an evaluation (a kept verdict cost 200 bytes per target).
  std::optional<fault_change> evaluate(const verdict_input& in, mono_time now, wall_time wall, nanos interval,
                                       std::vector<hop_row>* rows = nullptr, verdict* judged = nullptr);
  // The path changed from TTL first_changed on (1-based): baselines of what lies behind it start again.
  void path_changed(hop_table& hops, const traced_path& now_path, unsigned first_changed);

  const fault& reported() const { return tracker_.reported(); }
  const fault& worst() const { return tracker_.worst(); }

 private:
  std::shared_ptr<const target_verdict_config> cfg_;  // never null
  fault_tracker tracker_;
  baseline_tracker baseline_;
  mono_time next_{};
};

// The first TTL at which two paths differ (1-based); 0 when they are the same.
unsigned first_difference(const traced_path& a, const traced_path& b);

}  // namespace netstab::core

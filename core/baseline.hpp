#pragma once
// The RTT baseline of one target or hop: the lowest windowed RTT p50 seen over a trailing period (default one
// hour), against which the verdict measures added latency (core/verdict.hpp).
//
// Why the lowest p50: the median of a window ignores the odd slow reply, and its lowest value over an hour is
// what the path delivers when nothing queues on it. An hour is long enough to span a busy spell and short
// enough to follow a route change; after a known change of path (a different address at a TTL, a new target
// address) the owner calls reset() so that the old path's shorter RTT does not count as the new one's baseline.
//
// Data structure: a ring of B buckets, each covering period / B of monotonic time and holding the lowest value
// fed during it; bucket epoch e covers [e * length, (e + 1) * length) and lives in slot e mod B. The baseline at
// `now` is the lowest value of the B epochs ending with now's epoch: between (B - 1) and B bucket lengths of
// history, never more. Memory is B slots whatever the feed rate.
//
// Feed it only readings worth trusting: a window that resolved at least min_samples probes. Values that are
// not finite or are negative are ignored, and so is a time older than the ring.
//
// Not thread-safe; one owner (the loop thread).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/time.hpp"

namespace netstab::core {

class baseline_tracker {
 public:
  static constexpr unsigned max_buckets = 64;

  // Throws std::invalid_argument when buckets is not in 1..64 or period is shorter than buckets nanoseconds.
  explicit baseline_tracker(nanos period = std::chrono::hours(1), unsigned buckets = 6);

  void feed(mono_time now, double p50_ms);
  // The lowest value fed within the trailing period as seen at now; nullopt when there is none.
  std::optional<double> baseline(mono_time now) const;
  void reset();

  nanos period() const { return period_; }
  std::size_t memory_bytes() const;  // sizeof(*this) plus heap owned

 private:
  struct slot {
    std::int64_t epoch = 0;
    double min_ms = 0.0;
    bool used = false;
  };

  std::int64_t epoch_of(mono_time t) const;

  std::vector<slot> slots_;
  nanos period_;
  nanos bucket_len_;
};

}  // namespace netstab::core

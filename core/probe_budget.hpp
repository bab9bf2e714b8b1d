#pragma once
// The budget of path probes: every trace and hop probe of every target together, at most max_pps in any span of
// one second, sent evenly, whatever the configuration's targets and the commands ask for.
//
// A probe must pass two rules:
// - a token bucket refilled at max_pps tokens a second and holding at most `burst` of them (max_pps / 20, at
//   least 1), so that probes leave evenly rather than a second's worth at once, and a budget that was short
//   does not catch up in a burst when it recovers;
// - a sliding window: the send times of the probes of the last second are kept (at most max_pps of them), and a
//   probe is refused while max_pps were sent within the last second. A bucket alone lets burst + max_pps through
//   in one second; with the window "never more than max_pps in any second" holds exactly.
// A refused probe is the caller's to defer (never to drop or to burst later); the caller counts each deferred
// probe once with note_deferred(), however long it waits. peak_per_second() is the most probes sent within any
// one second (any span, not calendar seconds): it never exceeds max_pps, which the state message shows.
//
// Memory: one time per probe of the last second, at most max_pps of them. Time is passed in; not thread-safe
// (one owner, the loop thread).
#include <cstdint>
#include <vector>

#include "core/time.hpp"

namespace netstab::core {

struct budget_counters {
  std::uint32_t max_pps = 0;
  std::uint64_t sent = 0;
  std::uint64_t deferred = 0;         // probes that had to wait for the budget, each counted once
  std::uint32_t peak_per_second = 0;  // the most probes sent within any one-second span
};

class probe_budget {
 public:
  // max_pps >= 1 (0 is taken as 1).
  probe_budget(std::uint32_t max_pps, mono_time now);

  // Takes one probe's share when both rules allow it at now; false (nothing taken) otherwise.
  bool try_take(mono_time now);
  // The earliest time at which try_take can succeed (now when it can already).
  mono_time next_free(mono_time now) const;
  void note_deferred() { ++counters_.deferred; }

  // Probes sent within the second before now (after the last try_take at or before now).
  std::uint32_t sent_last_second() const { return size_; }
  const budget_counters& counters() const { return counters_; }
  std::uint32_t burst() const { return burst_; }

 private:
  std::int64_t credit_at(mono_time now) const;
  void refill(mono_time now);
  void forget_older_than(mono_time limit);

  // Token arithmetic in integers, so that "one token every 1/max_pps s" holds to the nanosecond: a token is worth
  // one second of credit, and each nanosecond adds max_pps nanoseconds of it.
  static constexpr std::int64_t token = 1'000'000'000;
  std::uint32_t rate_;
  std::uint32_t burst_;
  std::int64_t credit_;
  mono_time refilled_at_;
  std::vector<mono_time> ring_;  // send times of the last second, oldest at head_
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
  budget_counters counters_;
};

}  // namespace netstab::core

#pragma once
// History rows: what one target did during one period (a minute, an hour, a day, or a coarser step merged for a
// graph), and the per-target minute accumulator the loop feeds sample by sample.
//
// A rollup keeps only what merges exactly: counters, sums, minimum and maximum, and the latency distribution as
// a sparse histogram (channel 0 the ICMP RTT, channel 1 the process latency, microseconds). Hours are merged
// from minutes and days from hours by merge(), which adds histograms; the percentiles of a merged period are
// read from the merged histogram, never averaged from the parts' percentiles (an hour with one busy minute has
// a p99 near that minute's RTTs, while the mean of sixty p99s is near the calm ones).
//
// How outcomes count (as in target_monitor): ok is received, with both latencies and the IPDV |D| to the
// previous reply (kept across minutes, so the pair that straddles a boundary counts in the later minute);
// timeout, unreachable and error are lost; late and duplicate only count themselves. Outcomes go to the minute
// of their wall time (sample.wall), sends to the minute of the send.
//
// The worst status of a period is the highest target status seen after any of its samples; its verdict is the
// fault verdict in effect at the last sample taken at that worst status (empty when none was in effect).
//
// Plain values and pure functions; the accumulator has one owner (the loop thread).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/histogram.hpp"
#include "core/sample.hpp"
#include "core/stats_snapshot.hpp"
#include "core/time.hpp"

namespace netstab::core {

inline constexpr unsigned rollup_rtt = 0;      // histogram channel of the ICMP RTT
inline constexpr unsigned rollup_process = 1;  // histogram channel of the process latency

struct rollup {
  std::int64_t start_s = 0;  // period start, Unix seconds (UTC), aligned to the period
  std::uint64_t sent = 0, received = 0, lost = 0, late = 0, duplicates = 0;
  std::uint64_t rtt_n = 0, rtt_sum_us = 0;
  std::uint32_t rtt_min_us = 0, rtt_max_us = 0;  // meaningful when rtt_n > 0
  std::uint64_t process_n = 0, process_sum_us = 0;
  std::uint64_t ipdv_n = 0, ipdv_sum_us = 0;
  sparse_histogram latency;
  health worst = health::ok;
  std::string verdict;

  bool empty() const { return sent == 0 && received == 0 && lost == 0 && late == 0 && duplicates == 0; }
};

// Adds from to into; into keeps its start_s. Worst status: the higher one, with its verdict (on a tie the
// verdict of into stays unless it is empty).
void merge(rollup& into, const rollup& from);

// Derived figures of a rollup, in milliseconds; each empty when the period has no value for it. Percentiles
// are nearest-rank estimates from the histogram (within a bin width, see histogram.hpp), clamped to the RTT
// minimum and maximum.
struct rollup_summary {
  std::optional<double> loss_pct;  // lost / (received + lost) * 100
  std::optional<double> rtt_min, rtt_max, rtt_mean;
  std::optional<double> rtt_p10, rtt_p25, rtt_p50, rtt_p75, rtt_p90, rtt_p99;
  std::optional<double> process_mean, process_p95;
  std::optional<double> jitter;  // mean |RTT_i - RTT_i-1| (RFC 3393 IPDV)
  std::optional<double> mos;     // core::window_mos of the period
};
rollup_summary summarize(const rollup& r);

// Start of the minute holding wall time t, in Unix seconds.
std::int64_t minute_of(wall_time t);

// One target's open minute. Each call that moves to another minute (a later one, or an earlier one after the
// system clock was stepped back) first finishes the open minute into `done` and returns true; the writer
// merges a finished minute into a row the store already holds for the same minute. Finishing moves the minute's
// histogram into `done` and gives done's buffer to the next minute: a caller that passes the same `done` each
// time allocates nothing once both buffers have grown to the spread of the target's latencies, and a caller that
// hands `done` on (the recorder, to the writer's batch) hands the buffer with it, so the next minute's grows
// again instead of a copy being held beside it.
class minute_accumulator {
 public:
  bool on_sent(wall_time t, rollup& done);
  // status: the target's status after this sample (target_monitor::status()).
  bool on_sample(const sample& s, health status, rollup& done);
  // The target's current fault verdict ("isp", ...; empty for none). Kept until changed.
  void set_verdict(std::string_view verdict);
  // Finishes the open minute if it ended at or before now (for targets that probe less than once a minute).
  bool close_if_ended(wall_time now, rollup& done);
  // Finishes the open minute whatever the time (target removed, shutdown).
  bool close(rollup& done);
  bool is_open() const { return open_; }

 private:
  bool move_to(std::int64_t minute, rollup& done);
  void finish(rollup& done);

  rollup cur_;
  std::string verdict_;
  std::uint32_t prev_rtt_us_ = 0;
  bool has_prev_rtt_ = false;
  bool open_ = false;
};

}  // namespace netstab::core

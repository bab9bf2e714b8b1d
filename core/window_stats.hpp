#pragma once
// Sliding-window statistics of one target over one window length.
//
// Data structure: a ring of B buckets, each covering bucket_length = window / B
// of monotonic time. Bucket "epoch" e covers [e * bucket_length, (e+1) * bucket_length).
// The ring holds the B epochs head-B+1 .. head, where head is the newest epoch
// fed in; epoch e lives in slot e mod B, so slots need not store their epoch.
// Feeding a later time expires the slots it passes (at most B of them). The
// window seen at time `now` is therefore the B epochs ending with now's epoch:
// between (B-1) and B bucket lengths long, never more.
//
// Per bucket: counters, sum / sum of squares / count / min / max per latency
// series (microseconds, integers, so sums are exact), and the IPDV sum and
// count. The buckets' latency histograms share one slot_histogram (channel
// slot * 2 + series), so a window has one vector of histogram entries rather
// than one per bucket. Window totals of the counters and an aggregate histogram
// are maintained incrementally (added on insert, subtracted when a bucket
// expires) so the per-sample status check reads them without walking the ring.
// Memory depends on B and on the number of distinct histogram bins, never on the
// probe rate.
//
// Outcomes are attributed to the bucket of their own time (sample.at), sends to
// the bucket of the send time. An input older than the ring is dropped.
//
// Not thread-safe; owned by a target_monitor on the loop thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/histogram.hpp"
#include "core/stats_snapshot.hpp"
#include "core/time.hpp"

namespace netstab::core {

enum class latency_series : std::uint8_t { rtt = 0, process = 1 };

// Counters over the ring as of the newest time fed in.
struct window_counts {
  std::uint64_t sent = 0, received = 0, lost = 0, rto = 0, late = 0, duplicates = 0;
  std::uint64_t ipdv_count = 0, ipdv_sum_us = 0;
  std::array<std::uint64_t, 2> latency_count{};  // per latency_series
};

class window_stats {
 public:
  static constexpr unsigned max_buckets = slot_histogram::channels / 2;  // 64

  // Throws std::invalid_argument when buckets is not in 1..64 or window is
  // shorter than buckets nanoseconds.
  window_stats(nanos window, unsigned buckets);

  nanos window() const { return window_; }
  nanos bucket_length() const { return bucket_len_; }
  unsigned bucket_count() const { return static_cast<unsigned>(buckets_.size()); }

  void on_sent(mono_time t);
  // One ok reply: latencies in microseconds, ipdv_us is |D| to the previous reply.
  void on_received(mono_time at, std::optional<std::uint32_t> rtt_us, std::optional<std::uint32_t> process_us,
                   std::optional<std::uint32_t> ipdv_us);
  // One probe counted lost; timeout marks it an RTO.
  void on_lost(mono_time at, bool timeout);
  void on_late(mono_time at);
  void on_duplicate(mono_time at);

  // Counters of the window as of the newest time fed in (cheap).
  const window_counts& counts() const { return totals_; }
  // Percentile (ms) of a series as of the newest time fed in, clamped to the
  // window's min and max; empty when the series has no value.
  std::optional<double> percentile_ms(latency_series s, double p) const;

  // Fills window, counters, rtt/process summaries (all but `last`), loss_pct and
  // jitter_ms as seen at `now`: buckets that have left the window by `now` are
  // left out even though no input expired them yet.
  void fill(mono_time now, stats_snapshot& out) const;
  // The figures a verdict reads, as seen at now: the counters, loss_pct, the RTT p50 and p95 and the process
  // p95, equal to fill()'s; the other summaries and the jitter are left empty. While the newest input is in
  // now's bucket (a target probed at least once a bucket) every bucket is inside the window and this reads the
  // running totals instead of walking the ring; otherwise it is fill().
  void fill_verdict(mono_time now, stats_snapshot& out) const;
  // Whether time t falls inside the window seen at now (a t after now counts as inside).
  bool contains(mono_time now, mono_time t) const;

  // sizeof(*this) plus heap owned.
  std::size_t memory_bytes() const;

 private:
  struct bucket {
    std::array<std::uint64_t, 2> sum_us{};
    std::array<double, 2> sumsq_us2{};  // integer-valued; exact below 2^53
    std::uint64_t ipdv_sum_us = 0;
    std::array<std::uint32_t, 2> count{};
    std::array<std::uint32_t, 2> min_us{};
    std::array<std::uint32_t, 2> max_us{};
    std::uint32_t sent = 0, received = 0, lost = 0, rto = 0, late = 0, duplicates = 0, ipdv_count = 0;
  };

  std::int64_t epoch_of(mono_time t) const;
  std::size_t slot_of(std::int64_t epoch) const;
  // Advances the ring to t and returns t's bucket, or nullptr when t is older than the ring.
  bucket* bucket_for(mono_time t);
  void expire(std::size_t slot);
  void add_latency(bucket& b, latency_series s, std::uint32_t us);

  std::vector<bucket> buckets_;
  slot_histogram slots_;  // channel slot * 2 + series: each bucket's histograms
  sparse_histogram aggregate_;
  window_counts totals_;
  nanos window_;
  nanos bucket_len_;
  std::int64_t head_epoch_ = 0;
  bool started_ = false;
};

}  // namespace netstab::core

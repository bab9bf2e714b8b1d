#include "core/window_stats.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>

namespace netstab::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr mono_time at_ms(std::int64_t ms) { return milliseconds(ms); }

window_stats minute_window() { return window_stats(seconds(60), 12); }  // 12 buckets of 5 s

stats_snapshot fill_at(const window_stats& w, mono_time now) {
  stats_snapshot s;
  w.fill(now, s);
  return s;
}

TEST(WindowStats, RejectsImpossibleShapes) {
  EXPECT_THROW(window_stats(seconds(60), 0), std::invalid_argument);
  EXPECT_THROW(window_stats(nanos(5), 12), std::invalid_argument);
  const window_stats w(seconds(60), 7);
  EXPECT_EQ(w.bucket_length(), nanos(60'000'000'000 / 7));
  EXPECT_EQ(w.bucket_count(), 7U);
}

TEST(WindowStats, SummariesOfAKnownSet) {
  window_stats w = minute_window();
  // RTT 10, 20, 30, 40 ms; process 11, 21, 31, 41 ms; |D| 10 ms after the first.
  for (std::uint32_t i = 0; i < 4; ++i) {
    const mono_time t = at_ms(1000 * (i + 1));
    w.on_sent(t - milliseconds(100));
    w.on_received(t, 10000 * (i + 1), 11000 + 10000 * i, i == 0 ? std::nullopt : std::optional<std::uint32_t>(10000));
  }
  const stats_snapshot s = fill_at(w, at_ms(5000));
  EXPECT_EQ(s.window, seconds(60));
  EXPECT_EQ(s.sent, 4U);
  EXPECT_EQ(s.received, 4U);
  EXPECT_EQ(s.lost, 0U);
  EXPECT_DOUBLE_EQ(s.loss_pct, 0.0);
  // Population stddev: deviations 15, 5, 5, 15 ms -> variance 500 / 4 = 125.
  EXPECT_DOUBLE_EQ(*s.rtt.min, 10.0);
  EXPECT_DOUBLE_EQ(*s.rtt.max, 40.0);
  EXPECT_DOUBLE_EQ(*s.rtt.avg, 25.0);
  EXPECT_NEAR(*s.rtt.stddev, std::sqrt(125.0), 1e-9);
  // p50 = 2nd value (20000 us), alone in bin [19968, 20480): its middle, 20224 us.
  EXPECT_DOUBLE_EQ(*s.rtt.p50, 20.224);
  // p95 / p99 = 4th value, in bin [39936, 40960): middle 40448 clamped to max 40000.
  EXPECT_DOUBLE_EQ(*s.rtt.p95, 40.0);
  EXPECT_DOUBLE_EQ(*s.rtt.p99, 40.0);
  EXPECT_FALSE(s.rtt.last);  // "last" belongs to the monitor
  EXPECT_DOUBLE_EQ(*s.process.min, 11.0);
  EXPECT_DOUBLE_EQ(*s.process.max, 41.0);
  EXPECT_DOUBLE_EQ(*s.process.avg, 26.0);
  EXPECT_NEAR(*s.process.stddev, std::sqrt(125.0), 1e-9);
  // 21000 us sits in bin [20992, 21504): middle 21248 us.
  EXPECT_DOUBLE_EQ(*s.process.p50, 21.248);
  EXPECT_DOUBLE_EQ(*s.jitter_ms, 10.0);
  // The head-time percentile used by the status agrees with the snapshot.
  EXPECT_DOUBLE_EQ(*w.percentile_ms(latency_series::rtt, 50), 20.224);
}

TEST(WindowStats, EmptyWindowHasNoSummaries) {
  const window_stats w = minute_window();
  const stats_snapshot s = fill_at(w, at_ms(0));
  EXPECT_EQ(s.sent, 0U);
  EXPECT_DOUBLE_EQ(s.loss_pct, 0.0);
  EXPECT_FALSE(s.rtt.avg);
  EXPECT_FALSE(s.rtt.p50);
  EXPECT_FALSE(s.process.min);
  EXPECT_FALSE(s.jitter_ms);
  EXPECT_FALSE(w.percentile_ms(latency_series::rtt, 95));
}

TEST(WindowStats, LossFollowsTheWindowAcrossBucketBoundaries) {
  window_stats w = minute_window();
  // One probe a second from t = 0: sent at t, outcome at t + 200 ms; the first
  // 10 time out, the next 50 are answered.
  for (std::int64_t t = 0; t < 60; ++t) {
    w.on_sent(at_ms(t * 1000));
    if (t < 10) {
      w.on_lost(at_ms(t * 1000 + 200), true);
    } else {
      w.on_received(at_ms(t * 1000 + 200), 20000, 20100, 0);
    }
  }
  struct row {
    std::int64_t now_ms;
    std::uint64_t sent, received, lost;
    double loss_pct;
  };
  const row rows[] = {
      {59'900, 60, 50, 10, 10.0 / 60 * 100},  // epochs 0..11
      {60'000, 55, 50, 5, 5.0 / 55 * 100},    // epoch 0 (0..5 s) has left
      {64'999, 55, 50, 5, 5.0 / 55 * 100},
      {65'000, 50, 50, 0, 0.0},  // epochs 2..13
      {70'000, 45, 45, 0, 0.0},
      {119'999, 0, 0, 0, 0.0},  // epoch 23: oldest 12, nothing left
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.now_ms);
    const stats_snapshot s = fill_at(w, at_ms(r.now_ms));
    EXPECT_EQ(s.sent, r.sent);
    EXPECT_EQ(s.received, r.received);
    EXPECT_EQ(s.lost, r.lost);
    EXPECT_EQ(s.rto, r.lost);
    EXPECT_NEAR(s.loss_pct, r.loss_pct, 1e-9);
  }
  // Feeding time expires buckets in the incremental totals too.
  w.on_sent(at_ms(60'000));
  EXPECT_EQ(w.counts().lost, 5U);
  EXPECT_EQ(w.counts().received, 50U);
  EXPECT_EQ(w.counts().sent, 56U);
}

TEST(WindowStats, SendsCountBySendTimeOutcomesByTheirOwnTime) {
  window_stats w = minute_window();
  w.on_sent(at_ms(4'900));
  w.on_received(at_ms(5'500), 600000, 600100, std::nullopt);
  const stats_snapshot before = fill_at(w, at_ms(59'999));
  EXPECT_EQ(before.sent, 1U);
  EXPECT_EQ(before.received, 1U);
  const stats_snapshot after = fill_at(w, at_ms(60'000));
  EXPECT_EQ(after.sent, 0U);
  EXPECT_EQ(after.received, 1U);
}

TEST(WindowStats, SnapshotLeavesOutExpiredBucketsWithoutInput) {
  window_stats w = minute_window();
  w.on_received(at_ms(1'000), 100000, 100000, std::nullopt);
  w.on_received(at_ms(30'000), 10000, 10000, 90000);
  const stats_snapshot full = fill_at(w, at_ms(59'000));
  EXPECT_DOUBLE_EQ(*full.rtt.max, 100.0);
  // 2nd of 2: 100000 us in bin [98304, 100352): middle 99328 us.
  EXPECT_DOUBLE_EQ(*full.rtt.p99, 99.328);
  EXPECT_DOUBLE_EQ(*full.jitter_ms, 90.0);

  const stats_snapshot later = fill_at(w, at_ms(62'000));
  EXPECT_EQ(later.received, 1U);
  EXPECT_DOUBLE_EQ(*later.rtt.min, 10.0);
  EXPECT_DOUBLE_EQ(*later.rtt.max, 10.0);
  EXPECT_DOUBLE_EQ(*later.rtt.p99, 10.0);
  EXPECT_DOUBLE_EQ(*later.rtt.stddev, 0.0);
  EXPECT_DOUBLE_EQ(*later.jitter_ms, 90.0);  // that pair's later reply is at 30 s

  // The head view agrees once time is fed in.
  EXPECT_DOUBLE_EQ(*w.percentile_ms(latency_series::rtt, 99), 99.328);
  w.on_sent(at_ms(62'000));
  EXPECT_DOUBLE_EQ(*w.percentile_ms(latency_series::rtt, 99), 10.0);
  EXPECT_EQ(w.counts().latency_count[0], 1U);
}

TEST(WindowStats, EverythingExpiresAfterAWholeWindowOfSilence) {
  window_stats w = minute_window();
  for (std::int64_t t = 0; t < 30; ++t) {
    w.on_sent(at_ms(t * 1000));
    w.on_received(at_ms(t * 1000 + 10), 5000, 5000, 0);
  }
  const stats_snapshot s = fill_at(w, at_ms(200'000));
  EXPECT_EQ(s.sent, 0U);
  EXPECT_EQ(s.received, 0U);
  EXPECT_FALSE(s.rtt.avg);
  EXPECT_FALSE(s.jitter_ms);
  w.on_lost(at_ms(200'000), false);
  EXPECT_EQ(w.counts().sent, 0U);
  EXPECT_EQ(w.counts().received, 0U);
  EXPECT_EQ(w.counts().lost, 1U);
  EXPECT_EQ(w.counts().rto, 0U);
  EXPECT_EQ(w.counts().latency_count[0], 0U);
  EXPECT_FALSE(w.percentile_ms(latency_series::rtt, 50));
}

TEST(WindowStats, CountsLossKindsLateAndDuplicates) {
  window_stats w = minute_window();
  w.on_lost(at_ms(1'000), true);
  w.on_lost(at_ms(2'000), true);
  w.on_lost(at_ms(3'000), false);  // unreachable / error: lost, not an RTO
  w.on_late(at_ms(3'500));
  w.on_duplicate(at_ms(4'000));
  w.on_duplicate(at_ms(4'100));
  const stats_snapshot s = fill_at(w, at_ms(5'000));
  EXPECT_EQ(s.lost, 3U);
  EXPECT_EQ(s.rto, 2U);
  EXPECT_EQ(s.late, 1U);
  EXPECT_EQ(s.duplicates, 2U);
  EXPECT_EQ(s.received, 0U);
  EXPECT_DOUBLE_EQ(s.loss_pct, 100.0);
}

TEST(WindowStats, InputsOlderThanTheRingAreDroppedOthersLandInTheirBucket) {
  window_stats w = minute_window();
  w.on_received(at_ms(100'000), 1000, 1000, std::nullopt);  // head epoch 20, ring 9..20
  w.on_received(at_ms(30'000), 2000, 2000, std::nullopt);   // epoch 6: dropped
  w.on_received(at_ms(50'000), 3000, 3000, std::nullopt);   // epoch 10: kept
  EXPECT_EQ(w.counts().received, 2U);
  const stats_snapshot s = fill_at(w, at_ms(100'000));
  EXPECT_EQ(s.received, 2U);
  EXPECT_DOUBLE_EQ(*s.rtt.max, 3.0);
  EXPECT_DOUBLE_EQ(*s.rtt.min, 1.0);
}

TEST(WindowStats, TwentyMillisecondP50IsWithinPointThreeMilliseconds) {
  struct row {
    const char* name;
    std::uint32_t first_us, step_us, count;
    double true_p50_ms;
  };
  const row rows[] = {
      {"constant", 20000, 0, 60, 20.0},
      {"19.6..20.4 ms", 19600, 10, 81, 20.0},
      {"19..21 ms", 19000, 50, 41, 20.0},
      {"19.9..20.5 ms", 19900, 100, 7, 20.2},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    window_stats w = minute_window();
    for (std::uint32_t i = 0; i < r.count; ++i) {
      const std::uint32_t v = r.first_us + r.step_us * i;
      w.on_received(at_ms(i * 500), v, v, std::nullopt);
    }
    const stats_snapshot s = fill_at(w, at_ms(40'000));
    ASSERT_EQ(s.received, r.count);
    EXPECT_NEAR(*s.rtt.p50, r.true_p50_ms, 0.3);
    EXPECT_NEAR(*w.percentile_ms(latency_series::rtt, 50), r.true_p50_ms, 0.3);
  }
  window_stats w = minute_window();
  for (std::uint32_t i = 0; i < 60; ++i) {
    w.on_received(at_ms(i * 500), 20000, 20000, std::nullopt);
  }
  EXPECT_DOUBLE_EQ(*fill_at(w, at_ms(40'000)).rtt.p50, 20.0);  // clamped to min = max
}

// Feeds n probes at random gaps of up to 300 ms with random outcomes (lost, late, duplicate, received with random
// latencies), each 5 ms after its send; returns the time of the last send in ms.
std::int64_t feed_random(window_stats& w, std::uint64_t seed, int n) {
  std::uint64_t x = seed;
  std::int64_t t = 0;
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    t += static_cast<std::int64_t>((x >> 40) % 300);
    w.on_sent(at_ms(t));
    switch ((x >> 20) % 5) {
      case 0:
        w.on_lost(at_ms(t + 5), (x & 1) != 0);
        break;
      case 1:
        w.on_late(at_ms(t + 5));
        break;
      case 2:
        w.on_duplicate(at_ms(t + 5));
        break;
      default:
        w.on_received(at_ms(t + 5), static_cast<std::uint32_t>(x >> 50), static_cast<std::uint32_t>(x >> 48), 3);
        break;
    }
  }
  return t;
}

TEST(WindowStats, HeadCountsMatchTheSnapshotAtTheHead) {
  window_stats w(seconds(10), 5);
  const std::int64_t t = feed_random(w, 7, 2000);
  const stats_snapshot s = fill_at(w, at_ms(t + 5));
  const window_counts& c = w.counts();
  EXPECT_EQ(s.sent, c.sent);
  EXPECT_EQ(s.received, c.received);
  EXPECT_EQ(s.lost, c.lost);
  EXPECT_EQ(s.rto, c.rto);
  EXPECT_EQ(s.late, c.late);
  EXPECT_EQ(s.duplicates, c.duplicates);
  EXPECT_GT(c.received, 0U);
  EXPECT_DOUBLE_EQ(*s.rtt.p95, *w.percentile_ms(latency_series::rtt, 95));
}

// fill_verdict reads the running totals while the newest input is in now's bucket and walks the ring after
// that; either way its figures are fill()'s.
TEST(WindowStats, VerdictFiguresAreTheSnapshotsAtAndAfterTheHead) {
  window_stats w(seconds(10), 5);
  const std::int64_t t = feed_random(w, 11, 500);
  // The head, later in the head's bucket, two buckets on (partly expired) and a whole window on (empty).
  for (const std::int64_t later : {0, 1, 2500, 4500, 20000}) {
    const mono_time now = at_ms(t + 5 + later);
    const stats_snapshot all = fill_at(w, now);
    stats_snapshot v;
    v.rtt.avg = 1.0;  // left over from an earlier use: emptied
    w.fill_verdict(now, v);
    SCOPED_TRACE(later);
    EXPECT_EQ(v.window, all.window);
    EXPECT_EQ(v.sent, all.sent);
    EXPECT_EQ(v.received, all.received);
    EXPECT_EQ(v.lost, all.lost);
    EXPECT_EQ(v.rto, all.rto);
    EXPECT_EQ(v.late, all.late);
    EXPECT_EQ(v.duplicates, all.duplicates);
    EXPECT_DOUBLE_EQ(v.loss_pct, all.loss_pct);
    EXPECT_EQ(v.rtt.p50, all.rtt.p50);
    EXPECT_EQ(v.rtt.p95, all.rtt.p95);
    EXPECT_EQ(v.process.p95, all.process.p95);
    if (later == 0) {  // the totals' path: only the verdict's figures
      EXPECT_FALSE(v.rtt.p99.has_value());
      EXPECT_FALSE(v.rtt.avg.has_value());
      EXPECT_TRUE(all.rtt.avg.has_value());
    }
  }
  EXPECT_GT(fill_at(w, at_ms(t + 5)).lost, 0U);
  EXPECT_EQ(fill_at(w, at_ms(t + 20005)).received, 0U);
}

}  // namespace
}  // namespace netstab::core

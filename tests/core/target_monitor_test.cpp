#include "core/target_monitor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <vector>

namespace netstab::core {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using kind = monitor_event::kind;

// Sends one probe at the clock's time, resolves it 100 ms later (a timeout at
// the same offset, which keeps the arithmetic simple) and moves the clock on by
// the interval.
class probe_driver {
 public:
  probe_driver(target_monitor& m, nanos interval = seconds(1)) : m_(m), interval_(interval) {}

  std::vector<monitor_event> ok(double rtt_ms, std::optional<double> process_ms = std::nullopt) {
    return probe(probe_status::ok, rtt_ms, process_ms.value_or(rtt_ms + 0.5));
  }
  std::vector<monitor_event> probe(probe_status st, double rtt_ms = 0, double process_ms = 0) {
    const mono_time sent = clock_.now();
    m_.on_sent(sent);
    sample s;
    s.seq = seq_++;
    s.status = st;
    s.sent_at = sent;
    s.at = sent + milliseconds(100);
    s.wall = clock_.wall_now() + milliseconds(100);
    if (st == probe_status::ok) {
      s.rtt = microseconds(static_cast<std::int64_t>(std::llround(rtt_ms * 1000)));
      s.process = microseconds(static_cast<std::int64_t>(std::llround(process_ms * 1000)));
      s.clock = rtt_clock::kernel;
    }
    last_wall_ = s.wall;
    std::vector<monitor_event> events;
    m_.on_sample(s, events);
    clock_.advance(interval_);
    return events;
  }
  // A late or duplicate reply handled now, without a new probe.
  std::vector<monitor_event> reply_only(probe_status st) {
    sample s;
    s.status = st;
    s.at = clock_.now();
    s.wall = clock_.wall_now();
    s.rtt = milliseconds(1500);
    std::vector<monitor_event> events;
    m_.on_sample(s, events);
    return events;
  }

  fake_clock& clock() { return clock_; }
  wall_time last_wall() const { return last_wall_; }

 private:
  target_monitor& m_;
  nanos interval_;
  fake_clock clock_;
  std::uint32_t seq_ = 0;
  wall_time last_wall_{};
};

// Thresholds where only the RTO streak rule can fire.
monitor_config streak_only() {
  monitor_config cfg;
  cfg.thresholds.loss_warn_pct = 100;
  cfg.thresholds.loss_bad_pct = 100;
  cfg.thresholds.rtt_p95_warn_ms = 1e9;
  cfg.thresholds.rtt_p95_bad_ms = 1e9;
  cfg.thresholds.jitter_warn_ms = 1e9;
  cfg.thresholds.jitter_bad_ms = 1e9;
  return cfg;
}

TEST(TargetMonitor, OneSecondProbesGiveHandComputedStatistics) {
  target_monitor m{monitor_config{}};
  probe_driver d(m);
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(d.ok(i % 2 == 0 ? 20.0 : 22.0).empty());
  }
  const stats_snapshot s = m.snapshot(d.clock().now());
  EXPECT_EQ(s.sent, 10U);
  EXPECT_EQ(s.received, 10U);
  EXPECT_EQ(s.lost, 0U);
  EXPECT_DOUBLE_EQ(*s.rtt.min, 20.0);
  EXPECT_DOUBLE_EQ(*s.rtt.max, 22.0);
  EXPECT_DOUBLE_EQ(*s.rtt.avg, 21.0);
  EXPECT_DOUBLE_EQ(*s.rtt.stddev, 1.0);
  EXPECT_DOUBLE_EQ(*s.rtt.last, 22.0);
  EXPECT_DOUBLE_EQ(*s.process.avg, 21.5);
  EXPECT_DOUBLE_EQ(*s.process.last, 22.5);
  // Nine pairs, each |D| = 2 ms.
  EXPECT_DOUBLE_EQ(*s.jitter_ms, 2.0);
  // J after nine |D| = 2000 us from 0: 2000 * (1 - (15/16)^9) us.
  EXPECT_NEAR(*s.jitter_rfc3550_ms, 2.0 * (1.0 - std::pow(15.0 / 16.0, 9)), 1e-12);
  // L = 21 + 2 * 2 + 10 = 35, R = 93.2 - 35/40 = 92.325,
  // MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R) = 4.391712192203125.
  EXPECT_NEAR(*s.mos, 4.391712192203125, 1e-9);
  EXPECT_EQ(s.status, health::ok);
  EXPECT_EQ(s.reason, "ok");
  EXPECT_EQ(s.rto_streak, 0U);
}

TEST(TargetMonitor, OutcomeKindsCountAndDriveTheStreak) {
  target_monitor m{streak_only()};
  probe_driver d(m);
  struct step {
    probe_status st;
    std::uint64_t streak;
  };
  const step steps[] = {
      {probe_status::ok, 0},        {probe_status::timeout, 1}, {probe_status::unreachable, 2}, {probe_status::late, 2},
      {probe_status::duplicate, 2}, {probe_status::error, 3},   {probe_status::ok, 0},
  };
  for (const step& s : steps) {
    SCOPED_TRACE(to_string(s.st));
    if (s.st == probe_status::late || s.st == probe_status::duplicate) {
      d.reply_only(s.st);
    } else if (s.st == probe_status::ok) {
      d.ok(10);
    } else {
      d.probe(s.st);
    }
    EXPECT_EQ(m.rto_streak(), s.streak);
  }
  const stats_snapshot snap = m.snapshot(d.clock().now());
  EXPECT_EQ(snap.sent, 5U);
  EXPECT_EQ(snap.received, 2U);
  EXPECT_EQ(snap.lost, 3U);
  EXPECT_EQ(snap.rto, 1U);  // only the timeout
  EXPECT_EQ(snap.late, 1U);
  EXPECT_EQ(snap.duplicates, 1U);
  EXPECT_DOUBLE_EQ(snap.loss_pct, 60.0);
  EXPECT_DOUBLE_EQ(*snap.rtt.max, 10.0);  // late / duplicate RTTs are not latency samples
}

// Every probe answered by "destination unreachable": lost, never a timeout, and the
// streak (probes lost in a row) still grows; the reason says what it counts.
TEST(TargetMonitor, AllUnreachableIsLossWithoutTimeouts) {
  target_monitor m{streak_only()};
  probe_driver d(m);
  for (int i = 0; i < 11; ++i) {
    d.probe(probe_status::unreachable);
  }
  const stats_snapshot snap = m.snapshot(d.clock().now());
  EXPECT_EQ(snap.sent, 11U);
  EXPECT_EQ(snap.lost, 11U);
  EXPECT_EQ(snap.rto, 0U);
  EXPECT_EQ(snap.rto_streak, 11U);
  EXPECT_EQ(m.status(), health::bad);
  EXPECT_EQ(m.reason(), "11 probes lost in a row");
  ASSERT_TRUE(m.incident_open());
  EXPECT_EQ(m.incidents().back().probes_lost, 11U);
}

TEST(TargetMonitor, TimeoutStreakOpensAnIncidentAndRecoveryClosesIt) {
  target_monitor m{streak_only()};
  probe_driver d(m);
  for (int i = 0; i < 5; ++i) {
    d.ok(10);
  }
  EXPECT_TRUE(d.probe(probe_status::timeout).empty());
  auto ev = d.probe(probe_status::timeout);
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].what, kind::status_change);
  EXPECT_EQ(ev[0].from, health::ok);
  EXPECT_EQ(ev[0].to, health::warn);
  EXPECT_EQ(ev[0].reason, "2 probes lost in a row");
  EXPECT_TRUE(d.probe(probe_status::timeout).empty());

  ev = d.probe(probe_status::timeout);
  const wall_time start = d.last_wall();
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].what, kind::status_change);
  EXPECT_EQ(ev[0].from, health::warn);
  EXPECT_EQ(ev[0].to, health::bad);
  EXPECT_EQ(ev[0].reason, "4 probes lost in a row");
  EXPECT_EQ(ev[1].what, kind::incident_start);
  EXPECT_EQ(ev[1].inc.id, 1U);
  EXPECT_EQ(ev[1].inc.start, start);
  EXPECT_EQ(ev[1].inc.probes_lost, 4U);  // the streak that led to it
  EXPECT_EQ(ev[1].inc.reason, "4 probes lost in a row");
  EXPECT_FALSE(ev[1].inc.end);
  EXPECT_EQ(ev[1].inc.duration, nanos{0});  // the copy at the start; the log's copy keeps growing
  EXPECT_TRUE(m.incident_open());

  EXPECT_TRUE(d.probe(probe_status::unreachable).empty());
  EXPECT_EQ(m.incidents().back().probes_lost, 5U);
  EXPECT_EQ(m.incidents().back().duration, seconds(1));
  EXPECT_EQ(m.reason(), "5 probes lost in a row");

  // Replies again: BAD holds for recover_after = 3 calm evaluations.
  EXPECT_TRUE(d.ok(10).empty());
  EXPECT_TRUE(d.ok(10).empty());
  EXPECT_EQ(m.status(), health::bad);
  ev = d.ok(10);
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].what, kind::status_change);
  EXPECT_EQ(ev[0].to, health::warn);
  EXPECT_EQ(ev[1].what, kind::incident_end);
  EXPECT_EQ(ev[1].inc.id, 1U);
  EXPECT_EQ(ev[1].inc.end, d.last_wall());
  EXPECT_EQ(ev[1].inc.duration, seconds(4));  // 4th timeout -> 3rd reply
  EXPECT_EQ(ev[1].inc.probes_lost, 5U);
  EXPECT_FALSE(m.incident_open());
  ASSERT_EQ(m.incidents().size(), 1U);
  EXPECT_EQ(m.incidents().front().end, d.last_wall());

  EXPECT_TRUE(d.ok(10).empty());
  EXPECT_TRUE(d.ok(10).empty());
  ev = d.ok(10);
  ASSERT_EQ(ev.size(), 1U);
  EXPECT_EQ(ev[0].to, health::ok);
  EXPECT_EQ(ev[0].reason, "ok");
}

TEST(TargetMonitor, LossRuleOpensAnIncidentOnceMinSamplesAreThere) {
  target_monitor m{monitor_config{}};
  probe_driver d(m);
  EXPECT_TRUE(d.probe(probe_status::timeout).empty());  // 1 of 1 lost, but fewer than 5 samples
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(d.ok(10).empty());
  }
  const auto ev = d.ok(10);  // 5 resolved, 1 lost: 20%
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].to, health::bad);
  EXPECT_EQ(ev[0].reason, "loss 20.0% > 5%");
  EXPECT_EQ(ev[1].what, kind::incident_start);
  EXPECT_EQ(ev[1].inc.probes_lost, 0U);  // opened on a reply: no streak
}

TEST(TargetMonitor, VerdictSnapshotHasThePrimaryWindowsFiguresAndTheStatus) {
  monitor_config cfg;
  cfg.extra_windows = {seconds(10)};
  target_monitor m{cfg};
  probe_driver d(m);
  d.probe(probe_status::timeout);
  for (int i = 0; i < 19; ++i) d.ok(10.0 + i, 30.0);
  const mono_time now = d.clock().now() - milliseconds(900);  // just after the last reply
  const stats_snapshot all = m.snapshot(now);
  const stats_snapshot v = m.verdict_snapshot(now);
  EXPECT_EQ(v.received, 19U);
  EXPECT_EQ(v.lost, 1U);
  EXPECT_DOUBLE_EQ(v.loss_pct, all.loss_pct);
  EXPECT_EQ(v.rtt.p50, all.rtt.p50);
  EXPECT_EQ(v.rtt.p95, all.rtt.p95);
  EXPECT_EQ(v.process.p95, all.process.p95);
  EXPECT_EQ(v.status, all.status);
  EXPECT_NE(v.status, health::ok);  // the early loss (1 of 5) made it BAD; recovery has hysteresis
}

TEST(TargetMonitor, FaultOpensAndClosesAnIncident) {
  target_monitor m{monitor_config{}};
  fake_clock clock;
  std::vector<monitor_event> ev;
  m.set_fault("resolve failed: no such host", clock.now(), clock.wall_now(), ev);
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].what, kind::status_change);
  EXPECT_EQ(ev[0].to, health::bad);
  EXPECT_EQ(ev[0].reason, "resolve failed: no such host");
  EXPECT_EQ(ev[1].what, kind::incident_start);
  EXPECT_EQ(ev[1].inc.reason, "resolve failed: no such host");
  EXPECT_EQ(m.snapshot(clock.now()).reason, "resolve failed: no such host");
  EXPECT_EQ(m.snapshot(clock.now()).status, health::bad);

  ev.clear();
  clock.advance(seconds(30));
  m.clear_fault(clock.now(), clock.wall_now(), ev);
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].what, kind::status_change);
  EXPECT_EQ(ev[0].from, health::bad);
  EXPECT_EQ(ev[0].to, health::ok);
  EXPECT_EQ(ev[1].what, kind::incident_end);
  EXPECT_EQ(ev[1].inc.duration, seconds(30));
  EXPECT_EQ(m.status(), health::ok);
}

TEST(TargetMonitor, KeepsTheLastIncidentsOnly) {
  monitor_config cfg;
  cfg.max_incidents = 3;
  target_monitor m{cfg};
  fake_clock clock;
  std::vector<monitor_event> ev;
  for (int i = 0; i < 5; ++i) {
    m.set_fault("down", clock.now(), clock.wall_now(), ev);
    clock.advance(seconds(1));
    m.clear_fault(clock.now(), clock.wall_now(), ev);
  }
  m.set_fault("down", clock.now(), clock.wall_now(), ev);
  ASSERT_EQ(m.incidents().size(), 3U);
  EXPECT_EQ(m.incidents()[0].id, 4U);
  EXPECT_EQ(m.incidents()[2].id, 6U);
  EXPECT_FALSE(m.incidents()[2].end);
  EXPECT_TRUE(m.incidents()[1].end);
  EXPECT_EQ(ev.size(), 6U * 2 + 5U * 2);
}

TEST(TargetMonitor, ExtraWindowsKeepTheirOwnView) {
  monitor_config cfg;
  cfg.extra_windows = {seconds(12)};  // 12 buckets of 1 s
  target_monitor m{cfg};
  probe_driver d(m);
  for (int i = 0; i < 5; ++i) {
    d.probe(probe_status::timeout);
  }
  for (int i = 0; i < 25; ++i) {
    d.ok(10);
  }
  ASSERT_EQ(m.window_count(), 2U);
  const mono_time now = milliseconds(29'500);  // last probe resolved at 29.1 s
  const stats_snapshot primary = m.snapshot(now, 0);
  EXPECT_EQ(primary.window, seconds(60));
  EXPECT_EQ(primary.lost, 5U);
  EXPECT_EQ(primary.received, 25U);
  const stats_snapshot shorter = m.snapshot(now, 1);
  EXPECT_EQ(shorter.window, seconds(12));
  EXPECT_EQ(shorter.lost, 0U);
  EXPECT_EQ(shorter.received, 12U);  // probes at 18..29 s
  EXPECT_EQ(shorter.sent, 12U);
  EXPECT_DOUBLE_EQ(shorter.loss_pct, 0.0);
  EXPECT_THROW((void)m.snapshot(now, 2), std::out_of_range);
}

TEST(TargetMonitor, LastAndMosLeaveWithTheWindow) {
  target_monitor m{monitor_config{}};
  probe_driver d(m);
  d.ok(20);
  d.probe(probe_status::timeout);
  const stats_snapshot now = m.snapshot(seconds(2));
  EXPECT_DOUBLE_EQ(*now.rtt.last, 20.0);
  EXPECT_TRUE(now.mos);
  EXPECT_FALSE(now.jitter_ms);  // one reply: no pair yet
  EXPECT_FALSE(now.jitter_rfc3550_ms);
  const stats_snapshot later = m.snapshot(seconds(120));
  EXPECT_FALSE(later.rtt.last);
  EXPECT_FALSE(later.process.last);
  EXPECT_FALSE(later.mos);
  EXPECT_EQ(later.received + later.lost, 0U);
  EXPECT_EQ(later.rto_streak, 1U);  // not windowed

  target_monitor dark{monitor_config{}};
  probe_driver dd(dark);
  for (int i = 0; i < 3; ++i) {
    dd.probe(probe_status::timeout);
  }
  EXPECT_DOUBLE_EQ(*dark.snapshot(seconds(3)).mos, 1.0);  // everything lost
}

TEST(TargetMonitor, TwentyMillisecondP50) {
  target_monitor m{monitor_config{}};
  probe_driver d(m);
  for (int i = 0; i <= 40; ++i) {
    d.ok(19.5 + 0.025 * i);  // 19.5 .. 20.5 ms, median 20.0
  }
  EXPECT_NEAR(*m.snapshot(d.clock().now()).rtt.p50, 20.0, 0.3);
}

TEST(TargetMonitor, RejectsImpossibleWindows) {
  monitor_config cfg;
  cfg.buckets = 0;
  EXPECT_THROW(target_monitor{cfg}, std::invalid_argument);
  cfg.buckets = 12;
  cfg.extra_windows = {nanos(3)};
  EXPECT_THROW(target_monitor{cfg}, std::invalid_argument);
}

// Deterministic pseudo-random stream for latency spreads.
class lcg {
 public:
  explicit lcg(std::uint64_t seed) : x_(seed) {}
  double uniform() {  // [0, 1)
    x_ = x_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(x_ >> 11) / 9007199254740992.0;
  }

 private:
  std::uint64_t x_;
};

TEST(TargetMonitor, MemoryAtOneHertzIsSmallAndStopsGrowing) {
  struct row {
    const char* name;
    double base_ms, spread_ms;
    std::size_t limit;
  };
  // Realistic: 20 ms +- 2 ms. Worst case for the histograms: every RTT and
  // process latency in its own bin (1 .. 500 ms spread).
  const row rows[] = {
      {"20 ms +- 2 ms", 18.0, 4.0, 3072},
      {"1 .. 500 ms", 1.0, 499.0, 3584},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    target_monitor m{monitor_config{}};
    probe_driver d(m);
    lcg rng(42);
    for (int i = 0; i < 600; ++i) {
      d.ok(r.base_ms + r.spread_ms * rng.uniform());
    }
    const std::size_t after_10_min = m.memory_bytes();
    for (int i = 0; i < 3000; ++i) {
      d.ok(r.base_ms + r.spread_ms * rng.uniform());
    }
    const std::size_t after_1_hour = m.memory_bytes();
    std::cout << "[ memory   ] 60 s window, 1 Hz, " << r.name << ": " << after_10_min << " B after 10 min, "
              << after_1_hour << " B after 1 h\n";
    EXPECT_LE(after_1_hour, r.limit);
    EXPECT_LE(after_1_hour, after_10_min + after_10_min / 10);  // steady state: no growth with time
  }
}

TEST(TargetMonitor, MemoryIsBoundedAtOneHundredHertzForAnHourWindow) {
  monitor_config cfg;
  cfg.window = hours(1);
  target_monitor m{cfg};
  probe_driver d(m, milliseconds(10));
  lcg rng(7);
  const auto run = [&](nanos how_long) {
    for (nanos t{0}; t < how_long; t += milliseconds(10)) {
      if (rng.uniform() < 0.02) {
        d.probe(probe_status::timeout);
      } else {
        d.ok(1.0 + 999.0 * rng.uniform());  // 1 .. 1000 ms: about 330 bins per series
      }
    }
  };
  run(hours(1));
  const std::size_t after_1h = m.memory_bytes();
  run(minutes(30));
  const std::size_t after_90m = m.memory_bytes();
  std::cout << "[ memory   ] 1 h window, 100 Hz, 1 .. 1000 ms: " << after_1h << " B after 1 h, " << after_90m
            << " B after 1.5 h\n";
  // Bound from the layout: 12 buckets' and the aggregate's histograms of at most
  // 2 x 896 four-byte entries each, plus the fixed part; this spread fills ~30% of it.
  EXPECT_LE(after_90m, 13U * 2 * 896 * 4 + 4096);
  EXPECT_EQ(after_90m, after_1h);
  const stats_snapshot s = m.snapshot(d.clock().now());
  // The window at 1.5 h holds 11 whole 5 min buckets (330,000 probes, 2% lost).
  EXPECT_GT(s.received, 320'000U);
  EXPECT_NEAR(*s.rtt.p50, 500.5, 500.5 * 0.02);
}

}  // namespace
}  // namespace netstab::core

#include "core/status.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

status_inputs loss(double pct, std::uint64_t resolved = 60) {
  status_inputs in;
  in.resolved = resolved;
  in.loss_pct = pct;
  return in;
}

status_inputs streak(std::uint64_t n) {
  status_inputs in;
  in.rto_streak = n;
  return in;
}

TEST(Status, EachRuleAgainstDefaultThresholds) {
  struct row {
    const char* name;
    status_inputs in;
    health level;
    std::string reason;
  };
  status_inputs p95_bad = loss(0);
  p95_bad.rtt_p95_ms = 312.4;
  status_inputs p95_warn = loss(0);
  p95_warn.rtt_p95_ms = 150;
  status_inputs p95_at_threshold = loss(0);
  p95_at_threshold.rtt_p95_ms = 100;
  status_inputs jitter_bad = loss(0);
  jitter_bad.jitter_ms = 61;
  status_inputs jitter_warn = loss(0);
  jitter_warn.jitter_ms = 20.5;
  status_inputs too_few = loss(50, 4);
  too_few.rtt_p95_ms = 900;
  too_few.jitter_ms = 900;
  status_inputs streak_without_samples = streak(4);
  status_inputs mixed = loss(3);  // WARN by loss, BAD by p95: the BAD rule names the reason
  mixed.rtt_p95_ms = 300;
  status_inputs both_bad = loss(10);  // 10 / 5 = 2x beats 60 / 50 = 1.2x
  both_bad.jitter_ms = 60;

  const std::vector<row> rows = {
      {"nothing wrong", loss(0), health::ok, "ok"},
      {"loss bad", loss(7.5), health::bad, "loss 7.5% > 5%"},
      {"loss warn", loss(3), health::warn, "loss 3.0% > 2%"},
      {"loss at the warn threshold", loss(2), health::ok, "ok"},
      {"loss at the bad threshold", loss(5), health::warn, "loss 5.0% > 2%"},
      {"p95 bad", p95_bad, health::bad, "p95 rtt 312.4 ms > 250 ms"},
      {"p95 warn", p95_warn, health::warn, "p95 rtt 150.0 ms > 100 ms"},
      {"p95 at the warn threshold", p95_at_threshold, health::ok, "ok"},
      {"jitter bad", jitter_bad, health::bad, "jitter 61.0 ms > 50 ms"},
      {"jitter warn", jitter_warn, health::warn, "jitter 20.5 ms > 20 ms"},
      {"streak bad", streak(4), health::bad, "4 probes lost in a row"},
      {"streak beyond bad", streak(9), health::bad, "9 probes lost in a row"},
      {"streak warn", streak(2), health::warn, "2 probes lost in a row"},
      {"streak of one", streak(1), health::ok, "ok"},
      {"below min_samples", too_few, health::ok, "ok"},
      {"streak needs no samples", streak_without_samples, health::bad, "4 probes lost in a row"},
      {"worst level wins", mixed, health::bad, "p95 rtt 300.0 ms > 250 ms"},
      {"largest ratio wins a tie", both_bad, health::bad, "loss 10.0% > 5%"},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    status_tracker t{status_thresholds{}};
    EXPECT_EQ(t.evaluate(r.in), r.level != health::ok);
    EXPECT_EQ(t.level(), r.level);
    EXPECT_EQ(t.reason(), r.reason);
  }
}

TEST(Status, DisabledStreakRuleNeverFires) {
  status_thresholds th;
  th.rto_streak_warn = 0;
  th.rto_streak_bad = 0;
  status_tracker t{th};
  EXPECT_FALSE(t.evaluate(streak(100)));
  EXPECT_EQ(t.level(), health::ok);
}

TEST(Status, HysteresisSequence) {
  // Defaults: loss WARN > 2, BAD > 5; calm below 80%: 1.6 (WARN) and 4 (BAD);
  // recover_after 3, one level at a time.
  struct step {
    double loss_pct;
    health level;
    std::string reason;
  };
  const std::vector<step> steps = {
      {1.0, health::ok, "ok"},
      {6.0, health::bad, "loss 6.0% > 5%"},              // rises at once
      {4.5, health::bad, "recovering: loss 4.5% > 4%"},  // above the calm line
      {3.9, health::bad, "recovering (1/3)"},            // calm 1
      {3.9, health::bad, "recovering (2/3)"},            // calm 2
      {4.2, health::bad, "recovering: loss 4.2% > 4%"},  // not calm: count restarts
      {3.0, health::bad, "recovering (1/3)"},
      {3.0, health::bad, "recovering (2/3)"},
      {3.0, health::warn, "loss 3.0% > 2%"},  // calm 3: down one level
      {1.7, health::warn, "recovering: loss 1.7% > 1.6%"},
      {1.5, health::warn, "recovering (1/3)"},
      {1.5, health::warn, "recovering (2/3)"},
      {5.5, health::bad, "loss 5.5% > 5%"},  // rises at once again
      {0.0, health::bad, "recovering (1/3)"},
      {0.0, health::bad, "recovering (2/3)"},
      {0.0, health::warn, "recovering (0/3)"},  // BAD -> WARN
      {0.0, health::warn, "recovering (1/3)"},
      {0.0, health::warn, "recovering (2/3)"},
      {0.0, health::ok, "ok"},  // WARN -> OK: 6 calm evaluations in all
  };
  status_tracker t{status_thresholds{}};
  int i = 0;
  for (const step& s : steps) {
    SCOPED_TRACE(i++);
    const health before = t.level();
    EXPECT_EQ(t.evaluate(loss(s.loss_pct)), before != s.level);
    EXPECT_EQ(t.level(), s.level);
    EXPECT_EQ(t.reason(), s.reason);
  }
}

TEST(Status, DoesNotFlapAroundAThreshold) {
  struct row {
    const char* name;
    double low, high;
    health settles_at;
  };
  const row rows[] = {
      {"around the bad threshold", 4.9, 5.1, health::bad},
      {"around the warn threshold", 1.9, 2.1, health::warn},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    status_tracker t{status_thresholds{}};
    int changes = 0;
    for (int i = 0; i < 40; ++i) {
      changes += t.evaluate(loss(i % 2 == 0 ? r.high : r.low)) ? 1 : 0;
    }
    EXPECT_EQ(t.level(), r.settles_at);
    EXPECT_EQ(changes, 1);
  }
}

TEST(Status, StreakHysteresisUsesTheScaledStreak) {
  // BAD at 4; calm for BAD below 3.2, i.e. a streak of 3 or less.
  status_tracker t{status_thresholds{}};
  t.evaluate(streak(4));
  ASSERT_EQ(t.level(), health::bad);
  for (int i = 0; i < 5; ++i) {
    t.evaluate(streak(4));  // streak stays at the threshold: never calm
  }
  EXPECT_EQ(t.level(), health::bad);
  t.evaluate(streak(0));
  t.evaluate(streak(0));
  EXPECT_EQ(t.level(), health::bad);
  EXPECT_TRUE(t.evaluate(streak(0)));
  EXPECT_EQ(t.level(), health::warn);
}

TEST(Status, FaultForcesBadUntilCleared) {
  status_tracker t{status_thresholds{}};
  EXPECT_TRUE(t.set_fault("resolve failed: no such host"));
  EXPECT_EQ(t.level(), health::bad);
  EXPECT_EQ(t.reason(), "resolve failed: no such host");
  EXPECT_TRUE(t.faulted());
  EXPECT_FALSE(t.evaluate(loss(0)));  // metrics are fine, the fault still rules
  EXPECT_EQ(t.level(), health::bad);
  EXPECT_EQ(t.reason(), "resolve failed: no such host");
  EXPECT_TRUE(t.clear_fault());
  EXPECT_EQ(t.level(), health::ok);  // latest metrics, no hysteresis
  EXPECT_EQ(t.reason(), "ok");
  EXPECT_FALSE(t.clear_fault());
}

TEST(Status, FaultOverBadMetricsAndClearingBackToThem) {
  status_tracker t{status_thresholds{}};
  t.evaluate(loss(3));
  ASSERT_EQ(t.level(), health::warn);
  EXPECT_TRUE(t.set_fault("resolve failed: timeout"));
  EXPECT_FALSE(t.set_fault("resolve failed: again"));  // already BAD: no change, new reason
  EXPECT_EQ(t.reason(), "resolve failed: again");
  t.evaluate(loss(8));
  EXPECT_EQ(t.reason(), "resolve failed: again");
  EXPECT_FALSE(t.clear_fault());  // metrics say BAD too
  EXPECT_EQ(t.level(), health::bad);
  EXPECT_EQ(t.reason(), "loss 8.0% > 5%");
}

TEST(Status, DescribeNamesEachRule) {
  EXPECT_EQ(describe(rule_finding{}), "ok");
  EXPECT_EQ(describe(rule_finding{health::bad, status_rule::loss, 7.5, 5}), "loss 7.5% > 5%");
  EXPECT_EQ(describe(rule_finding{health::bad, status_rule::rto_streak, 4, 4}), "4 probes lost in a row");
  EXPECT_EQ(describe(rule_finding{health::warn, status_rule::jitter, 20.04, 20}), "jitter 20.0 ms > 20 ms");
}

}  // namespace
}  // namespace netstab::core

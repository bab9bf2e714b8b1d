#include "core/fault_tracker.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

using namespace std::chrono_literals;

// The fake clock starts at 2023-11-14T22:13:20Z.
fault raw(segment where, fault_metric metric, std::optional<unsigned> hop, const char* address, double value,
          health level = health::warn) {
  fault f;
  f.where = where;
  f.metric = metric;
  f.hop = hop;
  if (address) f.address = ip_address::parse(address);
  f.level = level;
  f.value = value;
  f.headline = std::string(to_string(metric)) + " " + std::to_string(static_cast<int>(value)) + "% at " +
               std::string(to_string(where));
  f.context = "hops 1–2 clean";
  f.reason = f.headline + "; " + f.context;
  return f;
}

fault ok() {
  fault f;
  f.headline = f.reason = "ok";
  return f;
}

const fault isp_loss = raw(segment::isp, fault_metric::loss, 3, "100.64.0.1", 8);
const fault isp_loss_hop4 = raw(segment::isp, fault_metric::loss, 4, "203.0.113.1", 8);
const fault remote_loss = raw(segment::remote, fault_metric::loss, std::nullopt, "198.51.100.7", 8);

// Feeds one fault per second; returns the changes, as "from->to" segment names, by evaluation index.
struct run {
  fault_tracker tracker;
  fake_clock clock;
  std::vector<std::string> changes;

  explicit run(tracker_config cfg = {}) : tracker(cfg) {}
  void feed(const fault& f, int times = 1) {
    for (int i = 0; i < times; ++i) {
      if (const auto c = tracker.evaluate(f, clock.now(), clock.wall_now())) {
        changes.push_back(std::string(to_string(c->from.where)) + "->" + std::string(to_string(c->to.where)));
      }
      clock.advance(1s);
    }
  }
};

TEST(FaultTracker, ReportsAfterConfirmAndClearsAfterClear) {
  run r;
  r.feed(isp_loss, 2);
  EXPECT_TRUE(r.changes.empty());
  EXPECT_EQ(r.tracker.reported().where, segment::ok);
  r.feed(isp_loss);
  ASSERT_EQ(r.changes, std::vector<std::string>{"ok->isp"});
  EXPECT_EQ(r.tracker.reported().since, r.clock.wall_now() - 3s);  // the first of the three evaluations
  EXPECT_EQ(r.tracker.reported().reason, "loss 8% at isp since 22:13 UTC; hops 1–2 clean");
  EXPECT_EQ(r.tracker.duration(r.clock.now()), 3s);
  r.feed(ok(), 9);
  EXPECT_EQ(r.changes.size(), 1U);
  r.feed(ok());
  EXPECT_EQ(r.changes, (std::vector<std::string>{"ok->isp", "isp->ok"}));
  EXPECT_EQ(r.tracker.reported().reason, "ok");
  EXPECT_FALSE(r.tracker.reported().since);
  EXPECT_EQ(r.tracker.duration(r.clock.now()), 0s);
}

TEST(FaultTracker, FlappingInputDoesNotFlap) {
  struct row {
    const char* name;
    std::vector<fault> pattern;  // repeated 30 times
    std::vector<std::string> changes;
  };
  const std::vector<row> rows = {
      {"fault, ok alternating never confirms", {isp_loss, ok()}, {}},
      {"two faults, one ok never confirms", {isp_loss, isp_loss, ok()}, {}},
      {"three faults, one ok: confirmed once, never cleared", {isp_loss, isp_loss, isp_loss, ok()}, {"ok->isp"}},
      {"a wavering hop is still one fault", {isp_loss, isp_loss_hop4}, {"ok->isp"}},
      {"a fault wavering between segments is reported once and held", {isp_loss, remote_loss}, {"ok->isp"}},
      {"nine oks between faults never clear",
       {isp_loss, isp_loss, isp_loss, ok(), ok(), ok(), ok(), ok(), ok(), ok(), ok(), ok()},
       {"ok->isp"}},
  };
  for (const row& rw : rows) {
    SCOPED_TRACE(rw.name);
    run r;
    for (int i = 0; i < 30; ++i) {
      for (const fault& f : rw.pattern) r.feed(f);
    }
    EXPECT_EQ(r.changes, rw.changes);
  }
}

TEST(FaultTracker, ADifferentFaultNeedsItsOwnConfirmation) {
  run r;
  r.feed(isp_loss, 3);
  const wall_time first_since = *r.tracker.reported().since;
  r.feed(remote_loss, 2);
  r.feed(isp_loss);  // the same as reported: restarts the count of the other one
  r.feed(remote_loss, 2);
  EXPECT_EQ(r.tracker.reported().where, segment::isp);
  EXPECT_EQ(r.tracker.reported().since, first_since);
  r.feed(ok());  // anything else restarts the count as well
  const wall_time switch_start = r.clock.wall_now();
  // Another segment needs clear_after (10) evaluations, as many as ok would.
  r.feed(remote_loss, 9);
  EXPECT_EQ(r.tracker.reported().where, segment::isp);
  r.feed(remote_loss);
  EXPECT_EQ(r.changes, (std::vector<std::string>{"ok->isp", "isp->remote"}));
  EXPECT_EQ(r.tracker.reported().since, switch_start);
}

TEST(FaultTracker, AnotherHopOfTheSameSegmentNeedsOnlyConfirmAfter) {
  run r;
  r.feed(isp_loss, 3);
  r.feed(isp_loss_hop4, 2);
  EXPECT_EQ(r.tracker.reported().hop, 3U);
  r.feed(isp_loss_hop4);
  EXPECT_EQ(r.tracker.reported().hop, 4U);
  EXPECT_EQ(r.changes, (std::vector<std::string>{"ok->isp", "isp->isp"}));
}

TEST(FaultTracker, WaveringFaultsReportTheLatestWithTheDegradationsStart) {
  run r;
  const wall_time start = r.clock.wall_now();
  r.feed(isp_loss);
  r.feed(isp_loss_hop4);
  r.feed(isp_loss);
  ASSERT_EQ(r.changes.size(), 1U);
  EXPECT_EQ(r.tracker.reported().hop, 3U);
  EXPECT_EQ(r.tracker.reported().since, start);
}

TEST(FaultTracker, SameFaultRefreshesValuesAndKeepsSince) {
  run r;
  r.feed(isp_loss, 3);
  const wall_time since = *r.tracker.reported().since;
  r.feed(raw(segment::isp, fault_metric::loss, 3, "100.64.0.1", 12));
  EXPECT_EQ(r.changes.size(), 1U);
  EXPECT_DOUBLE_EQ(r.tracker.reported().value, 12);
  EXPECT_EQ(r.tracker.reported().since, since);
  EXPECT_EQ(r.tracker.reported().reason, "loss 12% at isp since 22:13 UTC; hops 1–2 clean");
}

TEST(FaultTracker, WorstIsKeptForTheIncident) {
  run r;
  r.feed(raw(segment::isp, fault_metric::latency, 3, "100.64.0.1", 40), 3);
  EXPECT_EQ(r.tracker.worst().metric, fault_metric::latency);
  r.feed(raw(segment::isp, fault_metric::loss, 3, "100.64.0.1", 8, health::bad), 3);
  EXPECT_EQ(r.tracker.worst().metric, fault_metric::loss);
  r.feed(raw(segment::isp, fault_metric::latency, 3, "100.64.0.1", 90), 3);  // milder: worst stays
  EXPECT_EQ(r.tracker.worst().metric, fault_metric::loss);
  EXPECT_EQ(r.tracker.worst().level, health::bad);
  r.feed(raw(segment::isp, fault_metric::loss, 3, "100.64.0.1", 20, health::bad), 3);
  EXPECT_DOUBLE_EQ(r.tracker.worst().value, 20);
  r.feed(ok(), 10);
  EXPECT_EQ(r.tracker.reported().where, segment::ok);
  EXPECT_EQ(r.tracker.worst().metric, fault_metric::loss);  // readable after the degradation ends
  r.feed(remote_loss, 3);                                   // a new degradation starts afresh
  EXPECT_EQ(r.tracker.worst().where, segment::remote);
  EXPECT_EQ(r.tracker.worst().level, health::warn);
}

TEST(FaultTracker, UnjudgedVerdictsCountForNothing) {
  run r;
  verdict thin;
  thin.f.headline = thin.f.reason = "too few samples";
  verdict lossy;
  lossy.judged = true;
  lossy.f = isp_loss;
  const auto feed = [&](const verdict& v) {
    const bool changed = r.tracker.evaluate(v, r.clock.now(), r.clock.wall_now()).has_value();
    r.clock.advance(1s);
    return changed;
  };
  EXPECT_FALSE(feed(lossy));
  EXPECT_FALSE(feed(thin));
  EXPECT_FALSE(feed(lossy));
  EXPECT_TRUE(feed(lossy));
  EXPECT_EQ(r.tracker.reported().where, segment::isp);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(feed(thin));
  EXPECT_EQ(r.tracker.reported().where, segment::isp);
}

TEST(FaultTracker, SinceNamesTheDayWhenItIsNotToday) {
  run r;
  r.feed(isp_loss, 3);
  r.clock.advance(24h);
  r.feed(isp_loss);
  EXPECT_EQ(r.tracker.reported().reason, "loss 8% at isp since 2023-11-14 22:13 UTC; hops 1–2 clean");
}

TEST(FaultTracker, AnEarlierSinceOfTheInputIsKept) {
  run r(tracker_config{1, 1});
  fault agent = isp_loss;
  agent.since = r.clock.wall_now() - 10min;
  r.feed(agent);
  ASSERT_EQ(r.changes.size(), 1U);
  EXPECT_EQ(r.tracker.reported().since, agent.since);
  EXPECT_EQ(r.tracker.reported().reason, "loss 8% at isp since 22:03 UTC; hops 1–2 clean");
  r.feed(ok());
  EXPECT_EQ(r.changes.size(), 2U);
}

TEST(FaultTracker, ZeroCountsActLikeOne) {
  run r(tracker_config{0, 0});
  r.feed(isp_loss);
  r.feed(ok());
  EXPECT_EQ(r.changes, (std::vector<std::string>{"ok->isp", "isp->ok"}));
}

TEST(FaultTracker, OkReasonFollowsTheLatestEvaluation) {
  run r;
  fault limited = ok();
  limited.context = "hop 4 drops ICMP to itself (rate-limited), not blamed";
  r.feed(limited);
  EXPECT_TRUE(r.changes.empty());
  EXPECT_EQ(r.tracker.reported().reason, "ok; hop 4 drops ICMP to itself (rate-limited), not blamed");
}

}  // namespace
}  // namespace netstab::core

#include "core/path_verdict.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/path_payloads.hpp"

namespace netstab::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ip_address ip(const char* text) { return *ip_address::parse(text); }

const std::vector<const char*> chain{"192.168.1.1", "100.64.1.1", "203.0.113.2", "198.51.100.2"};
const char* const target_address = "192.0.2.2";

// A traced chain with 60 s hop windows, each hop fed one probe a second: loss_every[i] drops every n-th reply of
// hop i + 1 (0: none).
struct wired {
  hop_table hops{hop_table_config{seconds(60), 12, seconds(1)}};
  path_state path;
  mono_time now{seconds(1000)};
  wall_time wall{seconds(1'700'000'000)};

  wired() {
    path.traced = true;
    path.traced_at = wall;
    path.path.target_ttl = 5;
    std::vector<std::pair<ip_address, unsigned>> routes;
    for (std::size_t i = 0; i < chain.size(); ++i) {
      path.path.hops.push_back(ip(chain[i]));
      routes.emplace_back(ip(chain[i]), static_cast<unsigned>(i + 1));
    }
    hops.set_routes(1, routes, now);
  }

  void feed(const std::vector<unsigned>& loss_every, int seconds_of_probes) {
    for (int s = 0; s < seconds_of_probes; ++s) {
      for (std::size_t i = 0; i < chain.size(); ++i) {
        const unsigned every = i < loss_every.size() ? loss_every[i] : 0;
        if (every != 0 && s % static_cast<int>(every) == 0) {
          hops.on_lost(ip(chain[i]), now, now + seconds(1));
        } else {
          hops.on_reply(ip(chain[i]), now, now + milliseconds(2), milliseconds(2 * (i + 1)));
        }
      }
      now += seconds(1);
      wall += seconds(1);
    }
  }
};

stats_snapshot target_stats(double loss_pct, double p95 = 12.0, double process_p95 = 12.5) {
  stats_snapshot s;
  s.window = seconds(60);
  s.lost = static_cast<std::uint64_t>(loss_pct * 60 / 100 + 0.5);
  s.received = 60 - s.lost;
  s.sent = 60;
  s.loss_pct = loss_pct;
  s.rtt.p50 = 10.0;
  s.rtt.p95 = p95;
  s.process.p95 = process_p95;
  return s;
}

target_verdict_config config() {
  target_verdict_config c;
  c.tracker = tracker_config{3, 10};
  return c;
}

TEST(PathVerdict, LossCarriedFromTheIspIsReportedAfterThreeEvaluations) {
  wired w;
  w.feed({0, 10, 10, 10}, 60);  // hops 2-4 lose 10 %
  target_verdict v(config());
  const stats_snapshot st = target_stats(10.0);
  verdict_input in{ip(target_address), &st, health::bad, &w.path, &w.hops, ip("192.168.1.1")};
  std::vector<hop_row> rows;
  EXPECT_FALSE(v.evaluate(in, w.now, w.wall, seconds(1), &rows));
  EXPECT_FALSE(v.due(w.now + milliseconds(999)));
  EXPECT_TRUE(v.due(w.now + seconds(1)));
  EXPECT_FALSE(v.evaluate(in, w.now + seconds(1), w.wall + seconds(1), seconds(1), &rows));
  const auto change = v.evaluate(in, w.now + seconds(2), w.wall + seconds(2), seconds(1), &rows);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->from.where, segment::ok);
  EXPECT_EQ(change->to.where, segment::isp);
  EXPECT_EQ(change->to.hop, 2U);
  EXPECT_EQ(v.reported().address, ip("100.64.1.1"));
  EXPECT_NE(v.reported().reason.find("loss 10.0% from hop 2 (100.64.1.1, ISP) to the target since"), std::string::npos)
      << v.reported().reason;
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_EQ(rows[0].where, segment::lan);
  EXPECT_EQ(rows[1].where, segment::isp);
  EXPECT_EQ(rows[4].address, ip(target_address));
  EXPECT_EQ(rows[4].ttl, 5U);
  EXPECT_EQ(rows[4].where, segment::remote);
  EXPECT_GE(rows[0].sent, 50U);
  EXPECT_NEAR(rows[2].loss_pct, 10.0, 1.5);
}

TEST(PathVerdict, AHopThatDropsItsOwnAnswersIsRateLimitedAndTheVerdictOk) {
  wired w;
  w.feed({0, 0, 2, 0}, 60);  // hop 3 answers half its probes, the target is clean
  target_verdict v(config());
  const stats_snapshot st = target_stats(0.0);
  verdict_input in{ip(target_address), &st, health::ok, &w.path, &w.hops, std::nullopt};
  std::vector<hop_row> rows;
  verdict judged;
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(v.evaluate(in, w.now + seconds(i), w.wall, seconds(1), &rows, &judged));
  EXPECT_EQ(v.reported().where, segment::ok);
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_FALSE(rows[1].rate_limited);
  EXPECT_TRUE(rows[2].rate_limited);
  EXPECT_NE(judged.f.reason.find("hop 3 drops ICMP to itself (rate-limited)"), std::string::npos);
}

TEST(PathVerdict, WithoutPathMonitoringTheHostIsStillNamed) {
  target_verdict v(config());
  const stats_snapshot slow = target_stats(0.0, 12.0, 300.0);
  verdict_input in{ip(target_address), &slow, health::warn, nullptr, nullptr, std::nullopt};
  std::optional<fault_change> change;
  mono_time now{seconds(10)};
  for (int i = 0; i < 3; ++i) change = v.evaluate(in, now + seconds(i), wall_time{seconds(i)}, seconds(1));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->to.where, segment::host);
}

TEST(PathVerdict, WithoutPathMonitoringLossIsUnknown) {
  target_verdict v(config());
  const stats_snapshot lossy = target_stats(10.0);
  verdict_input in{ip(target_address), &lossy, health::bad, nullptr, nullptr, std::nullopt};
  for (int i = 0; i < 3; ++i) (void)v.evaluate(in, mono_time{seconds(i)}, wall_time{seconds(i)}, seconds(1));
  EXPECT_EQ(v.reported().where, segment::unknown);
  EXPECT_NE(v.reported().reason.find("path monitoring is off"), std::string::npos) << v.reported().reason;
}

TEST(PathVerdict, EvaluatesAtMostOnceASecondOrOncePerInterval) {
  target_verdict v(config());
  const stats_snapshot st = target_stats(0.0);
  verdict_input in{ip(target_address), &st, health::ok, nullptr, nullptr, std::nullopt};
  (void)v.evaluate(in, mono_time{seconds(10)}, wall_time{}, milliseconds(200));
  EXPECT_FALSE(v.due(mono_time{seconds(10)} + milliseconds(999)));
  EXPECT_TRUE(v.due(mono_time{seconds(11)}));
  (void)v.evaluate(in, mono_time{seconds(11)}, wall_time{}, seconds(5));
  EXPECT_FALSE(v.due(mono_time{seconds(15)}));
  EXPECT_TRUE(v.due(mono_time{seconds(16)}));
}

TEST(PathVerdict, BaselinesLearnAfterJudgingAndStartAgainOnAPathChange) {
  wired w;
  w.feed({}, 60);
  target_verdict v(config());
  const stats_snapshot st = target_stats(0.0);
  verdict_input in{ip(target_address), &st, health::ok, &w.path, &w.hops, std::nullopt};
  (void)v.evaluate(in, w.now, w.wall, seconds(1));
  const hop_table::hop* h3 = w.hops.find(ip("203.0.113.2"));
  ASSERT_TRUE(h3->baseline.baseline(w.now));
  traced_path changed = w.path.path;
  v.path_changed(w.hops, changed, 3);
  EXPECT_FALSE(h3->baseline.baseline(w.now));
  EXPECT_TRUE(w.hops.find(ip("100.64.1.1"))->baseline.baseline(w.now)) << "hops before the change keep theirs";
}

TEST(PathVerdict, FirstDifference) {
  traced_path a{{ip("192.168.1.1"), ip("100.64.1.1")}, 3};
  traced_path b = a;
  EXPECT_EQ(first_difference(a, b), 0U);
  b.hops[1] = ip("100.64.1.2");
  EXPECT_EQ(first_difference(a, b), 2U);
  b = a;
  b.target_ttl = 4;
  b.hops.push_back(std::nullopt);
  EXPECT_EQ(first_difference(a, b), 4U);
}

TEST(PathPayloads, PathJsonListsTheHopsAndTheTargetLast) {
  std::vector<hop_row> rows(3);
  rows[0] = hop_row{1, ip("192.168.1.1"), segment::lan, 60, 0, 0.0, 0.5, 0.9, false};
  rows[1] = hop_row{2, std::nullopt, segment::isp, 0, 0, 0.0, std::nullopt, std::nullopt, false};
  rows[2] = hop_row{3, ip("192.0.2.2"), segment::remote, 60, 3, 5.0, 12.25, 14.5, false};
  fault f;
  f.headline = f.reason = "ok";
  std::string out;
  append_path_json(out, "example.org", "192.0.2.2", wall_time{seconds(1'764'090'000)},
                   wall_time{seconds(1'764'089'990)}, rows, f);
  EXPECT_EQ(out, R"({"target":"example.org","address":"192.0.2.2","ts":"2025-11-25T17:00:00.000Z",)"
                 R"("traced_at":"2025-11-25T16:59:50.000Z","hops":[)"
                 R"({"ttl":1,"address":"192.168.1.1","segment":"lan","sent":60,"lost":0,"loss_pct":0.000,)"
                 R"("rtt_ms":{"p50":0.500,"p95":0.900},"rate_limited":false},)"
                 R"({"ttl":2,"address":null,"segment":"isp","sent":0,"lost":0,"loss_pct":0.000,)"
                 R"("rtt_ms":{"p50":null,"p95":null},"rate_limited":false},)"
                 R"({"ttl":3,"address":"192.0.2.2","segment":"remote","sent":60,"lost":3,"loss_pct":5.000,)"
                 R"("rtt_ms":{"p50":12.250,"p95":14.500},"rate_limited":false}],)"
                 R"("fault":{"segment":"ok","metric":"none","hop":null,"address":null,"since":null,"reason":"ok"}})");
  out.clear();
  append_path_json(out, "t", "192.0.2.2", wall_time{}, std::nullopt, {}, f, "path");
  EXPECT_EQ(out.rfind(R"({"type":"path","target":"t",)", 0), 0U) << out;
  EXPECT_NE(out.find(R"("traced_at":null,"hops":[])"), std::string::npos) << out;
}

}  // namespace
}  // namespace netstab::core

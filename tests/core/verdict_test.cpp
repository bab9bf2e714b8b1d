#include "core/verdict.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "tests/core/verdict_fixtures.hpp"

namespace netstab::core {
namespace {

using namespace verdict_fixtures;
TEST(Verdict, LossIsBlamedWhereItCarriesFrom) {
  std::vector<hop> lan_path = path();
  lan_path[1] = hop(2, "10.0.0.1", segment::lan);
  lan_path[2] = hop(3, "100.64.0.1", segment::isp);
  for (hop& h : lan_path) {
    if (h.r.ttl >= 3) h.loss(8);
  }
  check({
      {"clean path", path(), target(), segment::ok, fault_metric::none, std::nullopt, "ok"},
      {"loss from hop 1: the LAN", lossy_from(1, 8), target().loss(8), segment::lan, fault_metric::loss, 1,
       "loss 8.0% from hop 1 (192.168.1.1, LAN) to the target"},
      {"loss from the first ISP hop", lossy_from(2, 8), target().loss(8), segment::isp, fault_metric::loss, 2,
       "loss 8.0% from hop 2 (100.64.0.1, ISP) to the target; hop 1 clean"},
      {"the issue's example", lan_path, target().loss(8), segment::isp, fault_metric::loss, 3,
       "loss 8.0% from hop 3 (100.64.0.1, ISP) to the target; hops 1–2 clean"},
      {"loss only at the target: remote", path(), target().loss(8), segment::remote, fault_metric::loss, std::nullopt,
       "loss 8.0% at the target (203.0.113.7); hops 1–6 clean"},
      {"loss from upstream", lossy_from(5, 10), target().loss(10), segment::upstream, fault_metric::loss, 5,
       "loss 10.0% from hop 5 (192.0.2.1, upstream) to the target; hops 1–4 clean"},
      {"hops carry at half the target's loss", lossy_from(3, 4), target().loss(8), segment::isp, fault_metric::loss, 3,
       "loss 8.0% from hop 3 (203.0.113.1, ISP) to the target; hops 1–2 clean"},
      {"at the warn threshold is not degraded", lossy_from(1, 2), target().loss(2), segment::ok, fault_metric::none,
       std::nullopt, "ok"},
  });
}

TEST(Verdict, RateLimitedHopsAreNeverBlamed) {
  std::vector<hop> broken_carry = lossy_from(3, 8);
  broken_carry[4].loss(0);  // hop 5 clean: the loss does not carry from hops 3 and 4
  std::vector<hop> worse_then_clean = with(lossy_from(5, 8), 3, hop(3, "203.0.113.1", segment::isp).loss(40));
  check({
      {"a lossy hop before a clean one",
       with(path(), 4, hop(4, "198.51.100.1", segment::isp).loss(30)),
       target().loss(8),
       segment::remote,
       fault_metric::loss,
       std::nullopt,
       "loss 8.0% at the target (203.0.113.7); hops 1–3, 5–6 clean; hop 4 drops ICMP to itself (rate-limited), "
       "not blamed",
       {4}},
      {"a hop worse than the target that carries is blamed, with the target's loss",
       with(lossy_from(3, 8), 3, hop(3, "203.0.113.1", segment::isp).loss(40)), target().loss(8), segment::isp,
       fault_metric::loss, 3, "loss 8.0% from hop 3 (203.0.113.1, ISP) to the target; hops 1–2 clean"},
      {"a hop worse than the target followed by a clean one",
       worse_then_clean,
       target().loss(8),
       segment::upstream,
       fault_metric::loss,
       5,
       "loss 8.0% from hop 5 (192.0.2.1, upstream) to the target; hops 1–2, 4 clean; hop 3 drops ICMP to itself "
       "(rate-limited), not blamed",
       {3}},
      {"a clean hop breaks the run",
       broken_carry,
       target().loss(8),
       segment::upstream,
       fault_metric::loss,
       6,
       "loss 8.0% from hop 6 (192.0.2.33, upstream) to the target; hops 1–2, 5 clean; hops 3–4 drop ICMP to "
       "themselves (rate-limited), not blamed",
       {3, 4}},
      {"target clean with lossy hops: ok",
       with(with(path(), 2, hop(2, "100.64.0.1", segment::isp).loss(30)), 4,
            hop(4, "198.51.100.1", segment::isp).loss(50)),
       target(),
       segment::ok,
       fault_metric::none,
       std::nullopt,
       "ok; hops 2, 4 drop ICMP to themselves (rate-limited), not blamed",
       {2, 4}},
      {"a hop that stopped answering while the target is fine",
       with(path(), 3, hop(3, "203.0.113.1", segment::isp).loss(100)),
       target(),
       segment::ok,
       fault_metric::none,
       std::nullopt,
       "ok; hop 3 drops ICMP to itself (rate-limited), not blamed",
       {3}},
  });
}

TEST(Verdict, CarryToleratesSamplingNoise) {
  // Target 8% of 60: the carry level is 4% (2.4 probes of 60), one standard deviation 1.5 probes.
  std::vector<hop> one_lost = lossy_from(3, 8);
  one_lost[4].loss(100.0 / 60);  // hop 5 lost 1 of 60: within noise of 2.4
  struct noise_row {
    const char* name;
    double noise_sd;
    std::optional<unsigned> blamed;
  };
  const noise_row rows[] = {
      {"one lost probe is within noise of the carry level", 1, 3},
      {"without the allowance it breaks the carry", 0, 6},
  };
  const std::vector<hop_reading> readings(one_lost.begin(), one_lost.end());
  for (const noise_row& r : rows) {
    SCOPED_TRACE(r.name);
    verdict_config cfg;
    cfg.carry_noise_sd = r.noise_sd;
    EXPECT_EQ(judge(readings, target().loss(8).r, cfg).f.hop, r.blamed);
  }
  const std::vector<hop> none_lost = with(lossy_from(3, 8), 5, hop(5, "192.0.2.1", segment::upstream));
  const std::vector<hop_reading> clean(none_lost.begin(), none_lost.end());
  EXPECT_EQ(judge(clean, target().loss(8).r, verdict_config{}).f.hop, 6U);  // no lost probe never shows
}

TEST(Verdict, HopsWithoutDataNeitherConfirmNorBreak) {
  std::vector<hop> all_silent;
  for (unsigned ttl = 1; ttl <= 4; ++ttl) all_silent.emplace_back(ttl, nullptr, segment::upstream);
  check({
      {"silent and thin hops inside a carrying run",
       with(with(lossy_from(2, 8), 3, hop(3, nullptr, segment::isp)), 4, hop(4, "198.51.100.1", segment::isp).thin()),
       target().loss(8), segment::isp, fault_metric::loss, 2,
       "loss 8.0% from hop 2 (100.64.0.1, ISP) to the target; hop 1 clean"},
      {"a silent hop right before the run", with(lossy_from(5, 8), 4, hop(4, nullptr, segment::isp)), target().loss(8),
       segment::upstream, fault_metric::loss, 5,
       "loss 8.0% from hop 5 (192.0.2.1, upstream) to the target; hops 1–3 clean; no data from hop 4"},
      {"a silent hop right before the target", with(path(), 6, hop(6, nullptr, segment::upstream)), target().loss(8),
       segment::remote, fault_metric::loss, std::nullopt,
       "loss 8.0% at the target (203.0.113.7); hops 1–5 clean; no data from hop 6"},
      {"a silent first hop", with(lossy_from(2, 8), 1, hop(1, nullptr, segment::lan)), target().loss(8), segment::isp,
       fault_metric::loss, 2, "loss 8.0% from hop 2 (100.64.0.1, ISP) to the target; no data from hop 1"},
      {"a thin lossy hop is not flagged", with(path(), 3, hop(3, "203.0.113.1", segment::isp).loss(50).thin()),
       target(), segment::ok, fault_metric::none, std::nullopt, "ok"},
      {"every hop silent: unknown", all_silent, target().loss(8), segment::unknown, fault_metric::loss, std::nullopt,
       "loss 8.0% to the target (203.0.113.7); no hop has enough data to place it"},
  });
}

TEST(Verdict, PathsWithoutHops) {
  check({
      {"single-hop path: the target is the gateway",
       {},
       target("192.168.1.1", segment::lan).loss(8),
       segment::lan,
       fault_metric::loss,
       std::nullopt,
       "loss 8.0% at the target (192.168.1.1, LAN)"},
      {"path not traced yet",
       {},
       target("203.0.113.7", segment::unknown).loss(8),
       segment::unknown,
       fault_metric::loss,
       std::nullopt,
       "loss 8.0% to the target (203.0.113.7); path not traced yet"},
      {"clean without hops",
       {},
       target("192.168.1.1", segment::lan),
       segment::ok,
       fault_metric::none,
       std::nullopt,
       "ok"},
  });
}

TEST(Verdict, Ipv6Path) {
  const std::vector<hop> v6 = {hop(1, "fd00::1", segment::lan), hop(2, "2001:db8:1::1", segment::isp).loss(8),
                               hop(3, "2001:db8:2::1", segment::isp).loss(9),
                               hop(4, "2001:db8:3::1", segment::upstream).loss(8)};
  check({
      {"IPv6 loss from the first ISP hop", v6, target("2001:db8:ffff::7").loss(8), segment::isp, fault_metric::loss, 2,
       "loss 8.0% from hop 2 (2001:db8:1::1, ISP) to the target; hop 1 clean"},
      {"IPv6 loss at the target",
       {hop(1, "fd00::1", segment::lan), hop(2, "2001:db8:1::1", segment::isp)},
       target("2001:db8:ffff::7").loss(8),
       segment::remote,
       fault_metric::loss,
       std::nullopt,
       "loss 8.0% at the target (2001:db8:ffff::7); hops 1–2 clean"},
  });
}

TEST(Verdict, TooFewSamplesIsNotJudged) {
  target t;
  t.r.received = 4;
  const verdict v = judge({}, t.r, verdict_config{});
  EXPECT_FALSE(v.judged);
  EXPECT_EQ(v.f.where, segment::ok);
  EXPECT_EQ(v.f.reason, "too few samples");
}

TEST(Verdict, LevelFollowsTheTargetStatus) {
  const std::vector<hop> p = path();
  const std::vector<hop_reading> hops(p.begin(), p.end());
  EXPECT_EQ(judge(hops, target().loss(8).r, verdict_config{}).f.level, health::warn);
  EXPECT_EQ(judge(hops, target().loss(8).status(health::bad).r, verdict_config{}).f.level, health::bad);
  EXPECT_EQ(judge(hops, target().r, verdict_config{}).f.level, health::ok);
  EXPECT_DOUBLE_EQ(judge(hops, target().loss(8).r, verdict_config{}).f.value, 8.0);
}

TEST(Verdict, HopOrderDoesNotMatter) {
  const std::vector<hop> p = lossy_from(3, 8);
  std::vector<hop_reading> readings(p.begin(), p.end());
  std::reverse(readings.begin(), readings.end());
  const verdict v = judge(readings, target().loss(8).r, verdict_config{});
  EXPECT_EQ(v.f.hop, 3U);
  ASSERT_EQ(v.hops.size(), 6U);
  EXPECT_EQ(v.hops.front().ttl, 1U);
  EXPECT_EQ(v.f.reason, "loss 8.0% from hop 3 (203.0.113.1, ISP) to the target; hops 1–2 clean");
}

TEST(Verdict, ConfigFromStatusThresholds) {
  status_thresholds t;
  t.loss_warn_pct = 3;
  t.rtt_p95_warn_ms = 150;
  t.min_samples = 10;
  const verdict_config c = verdict_config_from(t);
  EXPECT_DOUBLE_EQ(c.loss_pct, 3);
  EXPECT_DOUBLE_EQ(c.rtt_p95_ms, 150);
  EXPECT_EQ(c.min_samples, 10U);
  EXPECT_DOUBLE_EQ(c.carry_share, verdict_config{}.carry_share);
}

TEST(Verdict, SeverityOrderAndIdentity) {
  fault loss_warn;
  loss_warn.where = segment::isp;
  loss_warn.metric = fault_metric::loss;
  loss_warn.level = health::warn;
  loss_warn.value = 8;
  fault latency_bad = loss_warn;
  latency_bad.metric = fault_metric::latency;
  latency_bad.level = health::bad;
  fault loss_worse = loss_warn;
  loss_worse.value = 12;
  loss_worse.reason = "other text";
  fault host = loss_warn;
  host.where = segment::host;
  host.metric = fault_metric::host;
  EXPECT_TRUE(more_severe(latency_bad, loss_warn));  // level first
  EXPECT_TRUE(more_severe(loss_warn, host));         // then the metric
  EXPECT_TRUE(more_severe(loss_worse, loss_warn));   // then the value
  EXPECT_FALSE(more_severe(loss_warn, loss_warn));
  EXPECT_TRUE(same_fault(loss_warn, loss_worse));
  EXPECT_FALSE(same_fault(loss_warn, latency_bad));
  EXPECT_EQ(to_string(fault_metric::latency), "latency");
}

}  // namespace
}  // namespace netstab::core

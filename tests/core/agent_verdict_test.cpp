#include "core/agent_verdict.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

using namespace std::chrono_literals;

fault ok() {
  fault f;
  f.headline = f.reason = "ok";
  return f;
}

fault blamed(segment where, fault_metric metric, std::optional<unsigned> hop, const char* address, const char* headline,
             double value = 8, health level = health::warn) {
  fault f;
  f.where = where;
  f.metric = metric;
  f.hop = hop;
  if (address) f.address = ip_address::parse(address);
  f.level = level;
  f.value = value;
  f.headline = f.reason = headline;
  return f;
}

const fault isp2 =
    blamed(segment::isp, fault_metric::loss, 2, "100.64.1.1", "loss 8.0% from hop 2 (100.64.1.1, ISP) to the target");
const fault isp3 =
    blamed(segment::isp, fault_metric::loss, 3, "100.64.2.1", "loss 8.0% from hop 3 (100.64.2.1, ISP) to the target");
const fault lan1 =
    blamed(segment::lan, fault_metric::loss, 1, "192.168.1.1", "loss 8.0% from hop 1 (192.168.1.1, LAN) to the target");
const fault remote_a =
    blamed(segment::remote, fault_metric::loss, std::nullopt, "198.51.100.9", "loss 8.0% at the target (198.51.100.9)");
const fault remote_b =
    blamed(segment::remote, fault_metric::loss, std::nullopt, "203.0.113.7", "loss 8.0% at the target (203.0.113.7)");

struct row {
  const char* name;
  std::vector<fault> faults;  // targets t1, t2, ... in order
  segment where;
  std::optional<unsigned> hop;
  std::string reason;
};

const std::vector<std::string> names = {"t1", "t2", "t3", "t4", "t5", "t6", "t7"};

fault verdict_of(const std::vector<fault>& faults) {
  std::vector<target_fault> in;
  for (std::size_t i = 0; i < faults.size(); ++i) in.push_back({names.at(i), &faults[i]});
  return agent_verdict(in);
}

TEST(AgentVerdict, Table) {
  fault isp2_latency = isp2;
  isp2_latency.metric = fault_metric::latency;
  fault isp2_hop3 = isp2;  // the same address seen at another TTL (a longer LAN on that path)
  isp2_hop3.hop = 3;
  const fault up5 = blamed(segment::upstream, fault_metric::loss, 5, "192.0.2.1", "up5");
  const fault up7 = blamed(segment::upstream, fault_metric::loss, 7, "192.0.2.77", "up7");
  const fault host_a = blamed(segment::host, fault_metric::host, std::nullopt, nullptr, "host", 120);
  const fault host_b = blamed(segment::host, fault_metric::host, std::nullopt, nullptr, "host", 300);
  const std::vector<row> rows = {
      {"nothing degraded", {ok(), ok(), ok()}, segment::ok, std::nullopt, "ok"},
      {"a single target: its own fault",
       {isp2},
       segment::isp,
       2,
       "loss 8.0% from hop 2 (100.64.1.1, ISP) to the target"},
      {"one of four degraded: the shared path is fine",
       {ok(), remote_a, ok(), ok()},
       segment::ok,
       std::nullopt,
       "ok; 1 of 4 targets degraded: t2 (loss 8.0% at the target (198.51.100.9)); the others are fine"},
      {"three of four lose packets from the same ISP hop",
       {isp2, isp2, ok(), isp2},
       segment::isp,
       2,
       "3 of 4 targets lose packets from hop 2 (100.64.1.1, ISP); t1, t2, t4"},
      {"ISP faults at different addresses share nothing",
       {isp2, isp3, ok(), ok()},
       segment::unknown,
       std::nullopt,
       "2 of 4 targets degraded in different places; t1 (ISP hop 2), t2 (ISP hop 3)"},
      {"remote faults share nothing",
       {remote_a, remote_b},
       segment::unknown,
       std::nullopt,
       "2 of 2 targets degraded in different places; t1 (target), t2 (target)"},
      {"the largest group wins over a stray",
       {isp2, remote_a, isp2},
       segment::isp,
       2,
       "2 of 3 targets lose packets from hop 2 (100.64.1.1, ISP); t1, t3"},
      {"a tie goes to the segment nearer the agent",
       {isp2, lan1, isp2, lan1},
       segment::lan,
       1,
       "2 of 4 targets lose packets from hop 1 (192.168.1.1, LAN); t2, t4"},
      {"upstream faults share the segment",
       {up5, up7, ok()},
       segment::upstream,
       std::nullopt,
       "2 of 3 targets lose packets in the upstream segment; t1, t2"},
      {"host faults share the host",
       {host_a, host_b, ok()},
       segment::host,
       std::nullopt,
       "2 of 3 targets: host slow, process latency above rtt by up to 300.0 ms; t1, t2"},
      {"mixed metrics from one hop",
       {isp2, isp2_latency},
       segment::isp,
       2,
       "2 of 2 targets degrade from hop 2 (100.64.1.1, ISP); t1, t2"},
      {"one address at different TTLs",
       {isp2, isp2_hop3},
       segment::isp,
       std::nullopt,
       "2 of 2 targets lose packets from 100.64.1.1 (ISP); t1, t2"},
      {"more than five names",
       {isp2, isp2, isp2, isp2, isp2, isp2, ok()},
       segment::isp,
       2,
       "6 of 7 targets lose packets from hop 2 (100.64.1.1, ISP); t1, t2, t3, t4, t5 and 1 more"},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    const fault f = verdict_of(r.faults);
    EXPECT_EQ(f.where, r.where);
    EXPECT_EQ(f.hop, r.hop);
    EXPECT_EQ(f.reason, r.reason);
    // The same verdict from the degraded targets alone and the number of targets, as the prober keeps them.
    std::vector<target_fault> degraded;
    for (std::size_t i = 0; i < r.faults.size(); ++i) {
      if (r.faults[i].where != segment::ok) degraded.push_back({names.at(i), &r.faults[i]});
    }
    const fault g = agent_verdict(degraded, r.faults.size());
    EXPECT_EQ(g.where, r.where);
    EXPECT_EQ(g.hop, r.hop);
    EXPECT_EQ(g.reason, r.reason);
  }
}

TEST(AgentVerdict, GroupTakesTheWorstLevelAndValueAndTheEarliestSince) {
  fault a = isp2;
  a.since = wall_time{1'700'000'000s};
  fault b = blamed(segment::isp, fault_metric::loss, 2, "100.64.1.1", "x", 20, health::bad);
  b.since = wall_time{1'699'999'000s};
  fault c = isp2;
  const fault f = verdict_of({a, b, c});
  EXPECT_EQ(f.level, health::bad);
  EXPECT_DOUBLE_EQ(f.value, 20);
  EXPECT_EQ(f.since, b.since);
  EXPECT_EQ(f.metric, fault_metric::loss);
  EXPECT_EQ(f.address, ip_address::parse("100.64.1.1"));
}

TEST(AgentVerdict, ScatteredFaultsKeepTheirWorstLevel) {
  fault a = remote_a;
  a.level = health::bad;
  const fault f = verdict_of({a, remote_b, ok()});
  EXPECT_EQ(f.where, segment::unknown);
  EXPECT_EQ(f.level, health::bad);
  EXPECT_EQ(f.metric, fault_metric::loss);
}

TEST(AgentVerdict, NoTargets) {
  const fault f = agent_verdict({});
  EXPECT_EQ(f.where, segment::ok);
  EXPECT_EQ(f.reason, "ok");
}

}  // namespace
}  // namespace netstab::core

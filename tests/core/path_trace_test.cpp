#include "core/path_trace.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ip_address ip(const char* text) { return *ip_address::parse(text); }

std::optional<ip_address> opt(const char* text) { return text == nullptr ? std::nullopt : ip_address::parse(text); }

// A path the fake network answers along: hops[i] answers TTL i + 1 (nullptr: silent); the target answers from
// TTL hops.size() + 1 on.
struct fake_path {
  std::vector<const char*> hops;
  // Sends everything due at now, answering at once; returns the TTLs sent.
  std::vector<unsigned> round_trip(path_trace& tr, mono_time now) const {
    std::vector<unsigned> sent;
    while (auto ttl = tr.due(now)) {
      tr.on_sent(*ttl, now);
      sent.push_back(*ttl);
      if (*ttl > hops.size()) {
        tr.on_target(*ttl);
      } else if (hops[*ttl - 1] != nullptr) {
        tr.on_hop(*ttl, ip(hops[*ttl - 1]));
      }
    }
    return sent;
  }
};

TEST(PathTrace, RoundsStopAtTheTargetAndAreASecondApart) {
  path_trace tr;
  fake_path net{{"192.168.1.1", "100.64.1.1", "203.0.113.2", "198.51.100.2"}};
  mono_time t{seconds(5)};
  tr.start(t);
  EXPECT_EQ(net.round_trip(tr, t), (std::vector<unsigned>{1, 2, 3, 4, 5}));
  EXPECT_FALSE(tr.due(t + milliseconds(999)));
  EXPECT_EQ(tr.next_event(t), t + seconds(1));
  t += seconds(1);
  EXPECT_EQ(net.round_trip(tr, t), (std::vector<unsigned>{1, 2, 3, 4, 5}));
  t += seconds(1);
  EXPECT_EQ(net.round_trip(tr, t), (std::vector<unsigned>{1, 2, 3, 4, 5}));
  // The last round was answered in full: finished without waiting out the timeout.
  EXPECT_TRUE(tr.finished(t));
  const trace_result r = tr.result();
  EXPECT_EQ(r.target_ttl, 5U);
  EXPECT_EQ(r.hops, (std::vector<std::optional<ip_address>>{opt("192.168.1.1"), opt("100.64.1.1"), opt("203.0.113.2"),
                                                            opt("198.51.100.2")}));
  EXPECT_EQ(tr.sent(), 15U);
}

TEST(PathTrace, ASilentHopIsUnknownAndTheLastRoundWaitsForTheTimeout) {
  path_trace tr(trace_config{30, 2, seconds(1), seconds(1)});
  fake_path net{{"192.168.1.1", nullptr, "203.0.113.2"}};
  mono_time t{0};
  tr.start(t);
  net.round_trip(tr, t);
  t += seconds(1);
  net.round_trip(tr, t);
  EXPECT_FALSE(tr.finished(t + milliseconds(999)));
  EXPECT_EQ(tr.next_event(t), t + seconds(1));
  EXPECT_TRUE(tr.finished(t + seconds(1)));
  const trace_result r = tr.result();
  EXPECT_EQ(r.target_ttl, 4U);
  EXPECT_EQ(r.hops, (std::vector<std::optional<ip_address>>{opt("192.168.1.1"), std::nullopt, opt("203.0.113.2")}));
}

// Answers arrive after the round went on (the budget paced it, the network is slow): the target's TTL still
// caps the later rounds, and the probes past it are not sent again.
TEST(PathTrace, LateTargetAnswerCapsTheLaterRounds) {
  path_trace tr(trace_config{10, 2, seconds(1), seconds(1)});
  mono_time t{0};
  tr.start(t);
  for (unsigned ttl = 1; ttl <= 10; ++ttl) {
    ASSERT_EQ(tr.due(t), ttl);
    tr.on_sent(ttl, t);
  }
  tr.on_hop(1, ip("192.168.1.1"));
  for (unsigned ttl = 2; ttl <= 10; ++ttl) tr.on_target(ttl);
  t += seconds(1);
  ASSERT_EQ(tr.due(t), 1U);
  tr.on_sent(1, t);
  ASSERT_EQ(tr.due(t), 2U);
  tr.on_sent(2, t);
  EXPECT_FALSE(tr.due(t));
  EXPECT_EQ(tr.result().target_ttl, 2U);
}

TEST(PathTrace, TheAddressSeenMostWinsAtATtl) {
  path_trace tr(trace_config{5, 3, seconds(1), seconds(1)});
  tr.start(mono_time{0});
  tr.on_hop(2, ip("10.0.0.2"));
  tr.on_hop(2, ip("10.0.0.3"));
  tr.on_hop(2, ip("10.0.0.3"));
  tr.on_hop(1, ip("10.0.0.1"));
  tr.on_hop(3, ip("10.0.0.9"));  // a tie goes to the first seen
  tr.on_hop(3, ip("10.0.0.8"));
  tr.on_target(4);
  const trace_result r = tr.result();
  EXPECT_EQ(r.hops, (std::vector<std::optional<ip_address>>{opt("10.0.0.1"), opt("10.0.0.3"), opt("10.0.0.9")}));
}

TEST(PathTrace, WithoutTheTargetTheHopsEndAtTheLastAnsweringTtl) {
  path_trace tr(trace_config{8, 1, seconds(1), seconds(1)});
  fake_path net{{"192.168.1.1", nullptr, "203.0.113.2", nullptr, nullptr, nullptr, nullptr, nullptr}};
  mono_time t{0};
  tr.start(t);
  EXPECT_EQ(net.round_trip(tr, t).size(), 8U);
  const trace_result r = tr.result();
  EXPECT_FALSE(r.target_ttl);
  EXPECT_EQ(r.hops, (std::vector<std::optional<ip_address>>{opt("192.168.1.1"), std::nullopt, opt("203.0.113.2")}));
  EXPECT_TRUE(tr.finished(t + seconds(1)));
}

TEST(PathTrace, TheGatewayAsTargetHasNoHops) {
  path_trace tr(trace_config{30, 1, seconds(1), seconds(1)});
  fake_path net{{}};
  tr.start(mono_time{0});
  EXPECT_EQ(net.round_trip(tr, mono_time{0}), (std::vector<unsigned>{1}));
  EXPECT_TRUE(tr.finished(mono_time{0}));
  EXPECT_EQ(tr.result().target_ttl, 1U);
  EXPECT_TRUE(tr.result().hops.empty());
}

struct merge_case {
  const char* name;
  std::vector<const char*> before;
  std::optional<unsigned> before_ttl;
  std::vector<const char*> fresh;
  std::optional<unsigned> fresh_ttl;
  std::vector<const char*> want;
  std::optional<unsigned> want_ttl;
  bool changed;
  const char* reason;
};

std::vector<std::optional<ip_address>> addresses(const std::vector<const char*>& list) {
  std::vector<std::optional<ip_address>> out;
  for (const char* a : list) out.push_back(opt(a));
  return out;
}

TEST(PathTrace, MergeRules) {
  const merge_case cases[] = {
      {"same path",
       {"192.168.1.1", "100.64.1.1"},
       3,
       {"192.168.1.1", "100.64.1.1"},
       3,
       {"192.168.1.1", "100.64.1.1"},
       3,
       false,
       ""},
      {"a hop going silent keeps its address",
       {"192.168.1.1", "100.64.1.1"},
       3,
       {"192.168.1.1", nullptr},
       3,
       {"192.168.1.1", "100.64.1.1"},
       3,
       false,
       ""},
      {"an unknown hop answering fills in",
       {"192.168.1.1", nullptr},
       3,
       {"192.168.1.1", "100.64.1.1"},
       3,
       {"192.168.1.1", "100.64.1.1"},
       3,
       false,
       ""},
      {"route switch",
       {"192.168.1.1", "100.64.1.1", "203.0.113.2", "198.51.100.2"},
       5,
       {"192.168.1.1", "100.64.1.1", "203.0.113.6", "198.51.100.6"},
       5,
       {"192.168.1.1", "100.64.1.1", "203.0.113.6", "198.51.100.6"},
       5,
       true,
       "hop 3 changed 203.0.113.2 -> 203.0.113.6; hop 4 changed 198.51.100.2 -> 198.51.100.6"},
      {"longer",
       {"192.168.1.1"},
       2,
       {"192.168.1.1", nullptr},
       3,
       {"192.168.1.1", nullptr},
       3,
       true,
       "path now 3 hops to the target (was 2)"},
      {"a trace that missed the target says nothing of the length",
       {"192.168.1.1", "100.64.1.1", "203.0.113.2"},
       4,
       {"192.168.1.1"},
       std::nullopt,
       {"192.168.1.1", "100.64.1.1", "203.0.113.2"},
       4,
       false,
       ""},
  };
  for (const auto& c : cases) {
    const traced_path before{addresses(c.before), c.before_ttl};
    const path_update u = merge_trace(before, true, trace_result{addresses(c.fresh), c.fresh_ttl});
    EXPECT_EQ(u.path.hops, addresses(c.want)) << c.name;
    EXPECT_EQ(u.path.target_ttl, c.want_ttl) << c.name;
    EXPECT_EQ(u.changed, c.changed) << c.name;
    EXPECT_EQ(u.reason, c.reason) << c.name;
  }
}

TEST(PathTrace, TheFirstTraceIsThePathWithoutAChange) {
  const path_update u = merge_trace(traced_path{}, false, trace_result{addresses({"192.168.1.1"}), 2});
  EXPECT_FALSE(u.changed);
  EXPECT_EQ(u.path.hops, addresses({"192.168.1.1"}));
  EXPECT_EQ(u.path.target_ttl, 2U);
}

}  // namespace
}  // namespace netstab::core

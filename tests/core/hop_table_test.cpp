#include "core/hop_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace netstab::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ip_address ip(const char* text) { return *ip_address::parse(text); }

TEST(HopTable, ARouterOnSeveralPathsIsOneHopProbedInTurn) {
  hop_table t(hop_table_config{seconds(60), 12, seconds(1)});
  const mono_time now{seconds(100)};
  t.add_route(ip("192.168.1.1"), hop_route{1, 1}, now);
  t.add_route(ip("192.168.1.1"), hop_route{2, 1}, now);
  t.add_route(ip("192.168.1.1"), hop_route{2, 1}, now);  // the same route twice is one
  ASSERT_EQ(t.size(), 1U);
  hop_table::hop* h = t.find(ip("192.168.1.1"));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->routes.size(), 2U);
  EXPECT_EQ(t.due(now - seconds(1)), nullptr);
  EXPECT_EQ(t.due(now + seconds(1)), h);
  EXPECT_EQ(t.on_probe(*h, now + seconds(1)).target, 1U);
  EXPECT_EQ(t.due(now + milliseconds(1999)), nullptr);
  EXPECT_EQ(t.next_due(), now + seconds(2));
  EXPECT_EQ(t.on_probe(*h, now + seconds(2)).target, 2U);
  EXPECT_EQ(t.on_probe(*h, now + seconds(3)).target, 1U);
}

TEST(HopTable, NewHopsAreStaggeredWithinAnInterval) {
  hop_table t(hop_table_config{seconds(60), 12, seconds(1)});
  const mono_time now{seconds(5)};
  for (int i = 1; i <= 8; ++i) {
    t.add_route(ip(("10.0.0." + std::to_string(i)).c_str()), hop_route{1, static_cast<unsigned>(i)}, now);
  }
  std::set<mono_time> firsts;
  for (int i = 1; i <= 8; ++i) {
    const mono_time first = t.find(ip(("10.0.0." + std::to_string(i)).c_str()))->next_probe;
    EXPECT_GE(first, now);
    EXPECT_LT(first, now + seconds(1));
    firsts.insert(first);
  }
  EXPECT_EQ(firsts.size(), 8U);
}

TEST(HopTable, SetRoutesKeepsWhatStaysWithItsStatistics) {
  hop_table t(hop_table_config{seconds(60), 12, seconds(1)});
  mono_time now{seconds(10)};
  t.set_routes(7, {{ip("192.168.1.1"), 1}, {ip("203.0.113.2"), 3}}, now);
  t.add_route(ip("192.168.1.1"), hop_route{8, 1}, now);
  t.on_reply(ip("192.168.1.1"), now, now + milliseconds(1), milliseconds(1));
  t.on_lost(ip("203.0.113.2"), now, now + seconds(1));
  now += seconds(2);
  t.set_routes(7, {{ip("192.168.1.1"), 1}, {ip("203.0.113.6"), 3}}, now);
  EXPECT_EQ(t.size(), 2U);
  EXPECT_EQ(t.find(ip("203.0.113.2")), nullptr);
  const hop_table::hop* gw = t.find(ip("192.168.1.1"));
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(t.snapshot(*gw, now).received, 1U);
  t.remove_target(7);
  EXPECT_EQ(t.size(), 1U) << "the gateway is still on target 8's path";
  t.remove_target(8);
  EXPECT_EQ(t.size(), 0U);
}

TEST(HopTable, RepliesAndLossesMakeTheHopsWindow) {
  hop_table t(hop_table_config{seconds(20), 10, seconds(1)});
  mono_time now{seconds(10)};
  t.add_route(ip("100.64.1.1"), hop_route{1, 2}, now);
  for (int i = 0; i < 10; ++i) {
    if (i % 5 == 4) {
      t.on_lost(ip("100.64.1.1"), now, now + seconds(1));
    } else {
      t.on_reply(ip("100.64.1.1"), now, now + milliseconds(5), milliseconds(4 + i % 2));
    }
    now += seconds(1);
  }
  t.on_reply(ip("10.9.9.9"), now, now, milliseconds(1));  // not a hop: ignored
  const stats_snapshot s = t.snapshot(*t.find(ip("100.64.1.1")), now);
  EXPECT_EQ(s.received, 8U);
  EXPECT_EQ(s.lost, 2U);
  EXPECT_DOUBLE_EQ(s.loss_pct, 20.0);
  ASSERT_TRUE(s.rtt.p50);
  EXPECT_NEAR(*s.rtt.p50, 4.5, 0.6);
  ASSERT_TRUE(s.jitter_ms);
}

}  // namespace
}  // namespace netstab::core

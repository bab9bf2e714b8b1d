#include "core/path_engine.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ip_address ip(const std::string& text) { return *ip_address::parse(text); }

// A fake network for the engine: per target, the routers along its path (TTL 1 first; "" is a router that
// never answers) and the target's address; every probe is answered at once unless dropped.
struct fake_network {
  struct route {
    std::vector<std::string> hops;
    std::string target;
  };
  std::map<std::uint32_t, route> routes;
  std::map<std::string, unsigned> drop_every;               // router -> every n-th answer lost
  std::map<std::string, unsigned> answered;                 // router -> answers attempted
  std::map<std::string, std::vector<mono_time>> probes_at;  // router or target -> when a probe reached it
  bool silent_target = false;

  void deliver(path_engine& e, const path_probe& p, mono_time now) {
    const route& r = routes.at(p.target);
    if (p.ttl > r.hops.size()) {
      probes_at[r.target].push_back(now);
      if (!silent_target) e.on_answer(p.target, p.seq, path_answer::echo_reply, ip(r.target), std::nullopt);
      return;
    }
    const std::string& router = r.hops[p.ttl - 1];
    probes_at[router].push_back(now);
    if (router.empty()) return;
    const unsigned n = ++answered[router];
    if (auto it = drop_every.find(router); it != drop_every.end() && n % it->second == 0) return;
    e.on_answer(p.target, p.seq, path_answer::time_exceeded, ip(router), std::nullopt);
  }
};

struct harness {
  explicit harness(path_engine_config cfg = defaults()) : engine(cfg, clk) {}

  static path_engine_config defaults() {
    path_engine_config c;
    c.hops.window = seconds(60);
    return c;
  }

  void add(std::uint32_t id, std::vector<std::string> hops, std::string target) {
    net.routes[id] = fake_network::route{std::move(hops), target};
    engine.add_target(id, ip(target));
  }

  // Runs the engine for d as the prober does: woken at next_wake() only, sending and answering what it asks
  // (answers arrive at once), so a wake-up the engine forgets to ask for stalls the test.
  void run(nanos d) {
    const mono_time end = clk.now() + d;
    while (clk.now() < end) {
      engine.advance();
      for (const auto& c : engine.take_changes()) changes.push_back(c);
      while (auto p = engine.next_probe()) {
        engine.on_sent(*p, clk.now(), clk.wall_now(), true);
        sends.push_back(clk.now());
        net.deliver(engine, *p, clk.now());
      }
      const auto wake = engine.next_wake();
      ASSERT_TRUE(!wake || *wake > clk.now()) << "a wake-up in the past would spin";
      clk.set(wake ? std::min(*wake, end) : end);
    }
  }

  fake_clock clk{mono_time{seconds(1000)}};
  path_engine engine;
  fake_network net;
  std::vector<path_change> changes;
  std::vector<mono_time> sends;
};

std::vector<std::optional<ip_address>> addresses(const std::vector<std::string>& list) {
  std::vector<std::optional<ip_address>> out;
  for (const auto& a : list) out.push_back(a.empty() ? std::nullopt : std::optional<ip_address>(ip(a)));
  return out;
}

// The most probes within any one second to one destination.
std::size_t peak_per_second(const std::vector<mono_time>& at) {
  std::size_t best = 0;
  std::deque<mono_time> window;
  for (const mono_time t : at) {
    window.push_back(t);
    while (window.front() <= t - seconds(1)) window.pop_front();
    best = std::max(best, window.size());
  }
  return best;
}

const std::vector<std::string> chain{"192.168.1.1", "100.64.1.1", "203.0.113.2", "198.51.100.2"};

TEST(PathEngine, TracesANewTargetAndMonitorsItsHops) {
  harness h;
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(4));
  const path_state* s = h.engine.state(7);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->traced);
  EXPECT_EQ(s->path.hops, addresses(chain));
  EXPECT_EQ(s->path.target_ttl, 5U);
  EXPECT_TRUE(h.changes.empty()) << "the first trace is not a change";
  EXPECT_EQ(h.engine.hops().size(), 4U);
  h.run(seconds(20));
  for (const auto& router : chain) {
    const hop_table::hop* hop = h.engine.hops().find(ip(router));
    ASSERT_NE(hop, nullptr) << router;
    const stats_snapshot st = h.engine.hops().snapshot(*hop, h.clk.now());
    EXPECT_GE(st.received, 18U) << router;
    EXPECT_EQ(st.lost, 0U) << router;
    // Trace rounds and hop probes together: never more than one probe per second to a hop once traced.
    const auto& at = h.net.probes_at[router];
    std::vector<mono_time> after_trace;
    for (const mono_time t : at) {
      if (t >= h.clk.now() - seconds(20)) after_trace.push_back(t);
    }
    EXPECT_LE(peak_per_second(after_trace), 1U) << router;
  }
}

TEST(PathEngine, AHopSharedByPathsIsProbedOnce) {
  harness h;
  h.add(1, {"192.168.1.1", "100.64.1.1"}, "192.0.2.2");
  h.add(2, {"192.168.1.1", "100.64.2.1"}, "198.51.100.77");
  h.add(3, {"192.168.1.1"}, "192.0.2.99");
  h.run(seconds(5));
  ASSERT_EQ(h.engine.hops().size(), 3U);
  EXPECT_EQ(h.engine.hops().find(ip("192.168.1.1"))->routes.size(), 3U);
  const std::size_t before = h.net.probes_at["192.168.1.1"].size();
  h.run(seconds(30));
  const std::size_t hop_probes = h.net.probes_at["192.168.1.1"].size() - before;
  EXPECT_GE(hop_probes, 29U);
  EXPECT_LE(hop_probes, 31U) << "one probe a second, not one per path";
}

TEST(PathEngine, LossAtAHopShowsInItsWindow) {
  harness h;
  h.net.drop_every["203.0.113.2"] = 4;  // 25 %
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(64));
  const hop_table::hop* hop = h.engine.hops().find(ip("203.0.113.2"));
  ASSERT_NE(hop, nullptr);
  const stats_snapshot st = h.engine.hops().snapshot(*hop, h.clk.now());
  EXPECT_NEAR(st.loss_pct, 25.0, 4.0);
  EXPECT_EQ(h.engine.hops().snapshot(*h.engine.hops().find(ip("100.64.1.1")), h.clk.now()).lost, 0U);
}

// Many targets and hops against a small budget: the budget holds in every second, probes wait (deferred) rather
// than disappear, and every hop is still probed.
TEST(PathEngine, TheBudgetHoldsWhateverTheTargetsAsk) {
  path_engine_config cfg = harness::defaults();
  cfg.max_pps = 20;
  harness h(cfg);
  for (std::uint32_t id = 1; id <= 10; ++id) {
    std::vector<std::string> hops{"192.168.1.1"};
    for (int k = 2; k <= 12; ++k) hops.push_back("10." + std::to_string(id) + ".0." + std::to_string(k));
    h.add(id, hops, "198.51.100." + std::to_string(id));
  }
  h.run(seconds(120));
  EXPECT_LE(peak_per_second(h.sends), 20U);
  EXPECT_EQ(h.engine.budget().peak_per_second, peak_per_second(h.sends));
  EXPECT_GT(h.engine.budget().deferred, 0U);
  EXPECT_EQ(h.engine.budget().sent, h.sends.size());
  for (std::uint32_t id = 1; id <= 10; ++id) EXPECT_TRUE(h.engine.state(id)->traced) << id;
  EXPECT_EQ(h.engine.hops().size(), 1U + 10U * 11U);
}

TEST(PathEngine, ARouteChangeIsTracedAgainAndReported) {
  path_engine_config cfg = harness::defaults();
  cfg.retrace_min = seconds(5);
  harness h(cfg);
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(10));
  ASSERT_TRUE(h.changes.empty());
  h.net.routes[7].hops = {"192.168.1.1", "100.64.1.1", "203.0.113.6", "198.51.100.6"};
  h.run(seconds(8));
  ASSERT_EQ(h.changes.size(), 1U);
  EXPECT_EQ(h.changes[0].target, 7U);
  EXPECT_EQ(h.changes[0].reason,
            "hop 3 changed 203.0.113.2 -> 203.0.113.6; hop 4 changed 198.51.100.2 -> 198.51.100.6");
  EXPECT_EQ(h.engine.state(7)->path.hops, addresses(h.net.routes[7].hops));
  EXPECT_EQ(h.engine.hops().find(ip("203.0.113.2")), nullptr) << "a router left by every path is forgotten";
  EXPECT_NE(h.engine.hops().find(ip("203.0.113.6")), nullptr);
}

TEST(PathEngine, TriggeredTracesAreThrottled) {
  path_engine_config cfg = harness::defaults();
  cfg.retrace_min = seconds(30);
  harness h(cfg);
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(5));
  ASSERT_EQ(h.engine.counters().traces, 1U);
  for (int i = 0; i < 20; ++i) {
    h.engine.request_retrace(7, "status OK -> BAD");
    h.run(seconds(1));
  }
  EXPECT_EQ(h.engine.counters().traces, 1U) << "not before 30 s after the last trace began";
  h.run(seconds(10));
  EXPECT_EQ(h.engine.counters().traces, 2U);
}

TEST(PathEngine, RetracesPeriodically) {
  path_engine_config cfg = harness::defaults();
  cfg.retrace = seconds(60);
  harness h(cfg);
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(59));
  EXPECT_EQ(h.engine.counters().traces, 1U);
  h.run(seconds(62));
  EXPECT_EQ(h.engine.counters().traces, 3U);
}

TEST(PathEngine, AnUnknownHopIsProbedSlowlyAndTracedWhenItAnswers) {
  path_engine_config cfg = harness::defaults();
  cfg.unknown_interval = seconds(10);
  cfg.retrace_min = seconds(5);
  harness h(cfg);
  h.add(7, {"192.168.1.1", "", "203.0.113.2"}, "192.0.2.2");
  h.run(seconds(4));
  ASSERT_EQ(h.engine.state(7)->path.hops[1], std::nullopt);
  const std::size_t before = h.net.probes_at[""].size();
  h.run(seconds(30));
  const std::size_t probes = h.net.probes_at[""].size() - before;
  EXPECT_GE(probes, 2U);
  EXPECT_LE(probes, 4U) << "one probe per unknown_interval";
  h.net.routes[7].hops[1] = "100.64.1.1";
  h.run(seconds(15));
  EXPECT_EQ(h.engine.state(7)->path.hops[1], ip("100.64.1.1"));
  EXPECT_TRUE(h.changes.empty()) << "a hop that starts answering is not a path change";
}

TEST(PathEngine, ANewTargetAddressIsTraced) {
  path_engine_config cfg = harness::defaults();
  cfg.retrace_min = seconds(2);
  harness h(cfg);
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(4));
  h.net.routes[7] = fake_network::route{{"192.168.1.1", "100.64.1.1"}, "192.0.2.50"};
  h.engine.set_address(7, ip("192.0.2.50"));
  h.run(seconds(5));
  ASSERT_EQ(h.changes.size(), 1U);
  EXPECT_EQ(h.changes[0].reason, "path now 3 hops to the target (was 5)");
}

TEST(PathEngine, RemovingATargetForgetsItsHops) {
  harness h;
  h.add(1, {"192.168.1.1", "100.64.1.1"}, "192.0.2.2");
  h.add(2, {"192.168.1.1", "100.64.2.1"}, "198.51.100.77");
  h.run(seconds(5));
  h.engine.remove_target(1);
  EXPECT_FALSE(h.engine.has(1));
  EXPECT_EQ(h.engine.hops().size(), 2U);
  EXPECT_EQ(h.engine.hops().find(ip("100.64.1.1")), nullptr);
  EXPECT_EQ(h.engine.hops().find(ip("192.168.1.1"))->routes.size(), 1U);
  h.run(seconds(5));
}

TEST(PathEngine, PausedItSendsNothingAndResumesWithATrace) {
  harness h;
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(4));
  h.engine.pause();
  const std::size_t sent = h.sends.size();
  h.run(seconds(10));
  EXPECT_EQ(h.sends.size(), sent);
  EXPECT_FALSE(h.engine.next_wake());
  h.engine.resume();
  h.run(seconds(5));
  EXPECT_GT(h.sends.size(), sent);
}

TEST(PathEngine, LateAndRepeatedAnswersCountOnce) {
  harness h;
  h.add(7, chain, "192.0.2.2");
  h.run(seconds(4));
  const auto p = h.engine.next_probe();
  if (p) {
    h.engine.on_sent(*p, h.clk.now(), h.clk.wall_now(), true);
    h.engine.on_answer(7, p->seq, path_answer::time_exceeded, ip(chain[p->ttl - 1]), std::nullopt);
    const auto answers = h.engine.counters().answers;
    h.engine.on_answer(7, p->seq, path_answer::time_exceeded, ip(chain[p->ttl - 1]), std::nullopt);
    EXPECT_EQ(h.engine.counters().answers, answers);
  }
  h.engine.on_answer(7, 999'999, path_answer::time_exceeded, ip(chain[0]), std::nullopt);
  h.engine.on_answer(99, 1, path_answer::time_exceeded, ip(chain[0]), std::nullopt);
}

TEST(PathEngine, ShortQuotesFindTheSequenceFromItsLow16Bits) {
  harness h;
  h.add(7, chain, "192.0.2.2");
  EXPECT_FALSE(h.engine.path_seq(7, 0));
  h.run(seconds(3));
  const path_probe p = *[&] {
    std::optional<path_probe> q;
    while (!(q = h.engine.next_probe())) h.clk.advance(milliseconds(1));
    return q;
  }();
  h.engine.on_sent(p, h.clk.now(), h.clk.wall_now(), true);
  EXPECT_EQ(h.engine.path_seq(7, static_cast<std::uint16_t>(p.seq & 0xffffU)), p.seq);
  EXPECT_FALSE(h.engine.path_seq(8, 0));
}

TEST(PathEngine, WakesForTheNextThingDueAndNotBefore) {
  harness h;
  EXPECT_FALSE(h.engine.next_wake());
  h.add(7, chain, "192.0.2.2");
  EXPECT_EQ(h.engine.next_wake(), h.clk.now() + nanos{std::chrono::microseconds(100)});
  h.run(seconds(5));
  const auto wake = h.engine.next_wake();
  ASSERT_TRUE(wake);
  EXPECT_GT(*wake, h.clk.now());
  EXPECT_LE(*wake, h.clk.now() + seconds(1));
}

}  // namespace
}  // namespace netstab::core

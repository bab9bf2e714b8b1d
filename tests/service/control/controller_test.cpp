// The controller on a real loop with a real prober feeding the real MQTT sink, a fake message bus and a fake clock:
// the rate limit, the access policy, the limits, the replies, and what a set_target leaves of the targets and
// their retained topics. The prober is never started but by set_target, which opens ICMP sockets (root only);
// the other tests run unprivileged.
#include "service/control/controller.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "service/loop/uv.hpp"
#include "tests/support/fake_message_bus.hpp"
#include "tests/support/privileges.hpp"

namespace netstab::service {
namespace {

using nlohmann::json;

struct fixture {
  explicit fixture(controller_options o = options())
      : ms(bus, topics, clk, {}),
        pr(lp.get(), clk, prober_options{}, ms),
        ctl(lp.get(), pr, ms, bus, topics, clk, std::move(o)) {}
  ~fixture() {
    ctl.close();
    pr.close();
    lp.close();
  }
  static controller_options options() {
    controller_options o;
    o.agent = "a1";
    o.version = "test";
    return o;
  }
  // Sends one command and returns the replies published since the last call.
  std::vector<json> send(const std::string& payload) {
    bus.clear();
    ctl.on_message({"netstab/a1/cmd", payload, {}, {}});
    return replies();
  }
  std::vector<json> replies() const {
    std::vector<json> out;
    for (const auto& m : bus.on_topic("netstab/a1/cmd/reply")) out.push_back(json::parse(m.payload));
    return out;
  }

  // The payloads published on topic since the last send().
  std::vector<std::string> payloads_on(const std::string& topic) const {
    std::vector<std::string> out;
    for (const auto& m : bus.on_topic(topic)) out.push_back(m.payload);
    return out;
  }
  // The target_added / target_removed events published since the last send(), as "type target".
  std::vector<std::string> target_events() const {
    std::vector<std::string> out;
    for (const auto& m : bus.on_topic("netstab/a1/events")) {
      const auto e = json::parse(m.payload);
      out.push_back(e["type"].get<std::string>() + " " + e["target"].get<std::string>());
    }
    return out;
  }

  loop lp;
  core::fake_clock clk;
  test::fake_message_bus bus;
  core::topic_builder topics{"netstab", "a1"};
  mqtt_sink ms;
  prober pr;
  controller ctl;
};

controller_options loopback_options() {
  auto o = fixture::options();
  o.access.allow_loopback = true;
  return o;
}

TEST(Controller, RateLimitRefusesBeyondTheBucketAndRefillsWithTime) {
  auto o = fixture::options();
  o.commands_per_minute = 2;
  fixture f(o);
  EXPECT_EQ(f.send(R"({"cmd":"status","id":1})").at(0)["ok"], true);
  EXPECT_EQ(f.send(R"({"cmd":"status","id":2})").at(0)["ok"], true);
  const auto refused = f.send(R"({"cmd":"status","id":3})").at(0);
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["id"], 3);
  EXPECT_EQ(refused["error"], "rate limit: more than 2 commands per minute");
  f.clk.advance(std::chrono::seconds(30));
  EXPECT_EQ(f.send(R"({"cmd":"status"})").at(0)["ok"], true);
}

TEST(Controller, AddTargetFollowsTheAccessPolicyAndLimits) {
  auto o = fixture::options();
  o.max_targets = 2;
  o.access.deny.push_back(*core::access_rule::parse("192.0.2.66"));
  fixture f(o);
  struct row {
    const char* payload;
    const char* error;  // "" when it must be accepted
  };
  const row rows[] = {
      {R"({"cmd":"add_target","target":"192.0.2.1"})", ""},
      {R"({"cmd":"add_target","target":"192.0.2.1"})", "target \"192.0.2.1\" is already monitored"},
      {R"({"cmd":"add_target","target":"127.0.0.1"})",
       "target not allowed: loopback addresses need control.allow_loopback = true"},
      {R"({"cmd":"add_target","target":"192.0.2.66"})", "target not allowed: \"192.0.2.66\" is on the deny list"},
      {R"({"cmd":"add_target","target":"192.0.2.2","interval_ms":50})", "interval_ms 50 is below the minimum of 100"},
      {R"({"cmd":"add_target","target":"192.0.2.2"})", ""},
      {R"({"cmd":"add_target","target":"192.0.2.3"})", "limit reached: at most 2 targets"},
      {R"({"cmd":"remove_target","target":"192.0.2.9"})", "target not found: \"192.0.2.9\""},
      {R"({"cmd":"set_interval","target":"192.0.2.9","interval_ms":500})", "target not found: \"192.0.2.9\""},
      {R"({"cmd":"set_interval","target":"192.0.2.1","interval_ms":500})", ""},
  };
  for (const auto& r : rows) {
    const auto replies = f.send(r.payload);
    ASSERT_EQ(replies.size(), 1U) << r.payload;
    EXPECT_EQ(replies[0]["ok"], std::string(r.error).empty()) << r.payload;
    if (std::string(r.error).empty()) continue;
    EXPECT_EQ(replies[0]["error"], r.error) << r.payload;
  }
  EXPECT_EQ(f.pr.target_count(), 2U) << "refused commands change nothing";
}

TEST(Controller, TheIntervalFloorAlsoHoldsForTheProbeDefaults) {
  auto o = fixture::options();
  o.defaults.interval = std::chrono::milliseconds(20);  // [probe] interval_ms below control.min_interval_ms
  fixture f(o);
  EXPECT_EQ(f.send(R"({"cmd":"add_target","target":"192.0.2.1"})").at(0)["error"],
            "interval_ms 20 is below the minimum of 100");
  EXPECT_EQ(f.send(R"({"cmd":"add_target","target":"192.0.2.1","interval_ms":200})").at(0)["ok"], true);
}

TEST(Controller, AHostNameIsAnsweredAfterItResolvesAndCheckedAgain) {
  // "localhost" is a name (resolved off the loop) for a loopback address: allowed by the switch.
  auto allowing = fixture::options();
  allowing.access.allow_loopback = true;
  fixture g(allowing);
  g.bus.clear();
  g.ctl.on_message(
      {"netstab/a1/cmd", R"({"cmd":"add_target","target":"localhost","id":"n","ip_version":"4"})", {}, {}});
  g.ctl.on_message({"netstab/a1/cmd", R"({"cmd":"status","id":"after"})", {}, {}});
  EXPECT_TRUE(g.replies().empty()) << "the name is not answered before it resolves, nor what waits behind it";
  EXPECT_EQ(g.ctl.waiting(), 2U);
  for (int i = 0; i < 1000 && g.replies().size() < 2; ++i) g.lp.run(UV_RUN_ONCE);
  const auto replies = g.replies();
  ASSERT_EQ(replies.size(), 2U);
  EXPECT_EQ(replies[0]["id"], "n");
  EXPECT_EQ(replies[0]["ok"], true) << replies[0].dump();
  EXPECT_EQ(replies[0]["address"], "127.0.0.1");
  EXPECT_EQ(replies[1]["id"], "after") << "commands keep their order";
}

TEST(Controller, BadPayloadsGetErrorRepliesWithTheirId) {
  fixture f;
  EXPECT_EQ(f.send("{").at(0)["ok"], false);
  const auto unknown = f.send(R"({"cmd":"fly","id":"x"})").at(0);
  EXPECT_EQ(unknown["id"], "x");
  EXPECT_EQ(unknown["ok"], false);
  EXPECT_FALSE(unknown["error"].get<std::string>().empty());
}

TEST(Controller, StatePublishesTheAgentAndItsTargets) {
  fixture f;
  ASSERT_EQ(f.send(R"({"cmd":"add_target","target":"192.0.2.1"})").at(0)["ok"], true);
  const auto states = f.bus.on_topic("netstab/a1/state");
  ASSERT_FALSE(states.empty());
  const auto st = json::parse(states.back().payload);
  EXPECT_EQ(st["agent"], "a1");
  EXPECT_EQ(st["running"], false);
  ASSERT_EQ(st["targets"].size(), 1U);
  EXPECT_EQ(st["targets"][0]["target"], "192.0.2.1");
  EXPECT_TRUE(states.back().retain);
}

// A set_target naming a monitored target keeps it, with its retained topics: only the others are removed and
// cleared. With the same settings nothing happens to it at all; with others it is replaced, its statistics stay
// until the new instance's replace them, and its incidents are republished (the new instance has none).
TEST(Controller, SetTargetKeepsTheTargetItNamesAndClearsOnlyTheOthers) {
  NETSTAB_REQUIRE_ROOT();  // set_target starts the prober: ICMP sockets
  fixture f(loopback_options());
  ASSERT_EQ(f.send(R"({"cmd":"add_target","target":"127.0.0.1"})").at(0)["ok"], true);
  ASSERT_EQ(f.send(R"({"cmd":"add_target","target":"127.0.0.2"})").at(0)["ok"], true);
  const std::string kept = "netstab/a1/targets/127.0.0.1/";
  const std::string gone = "netstab/a1/targets/127.0.0.2/";

  const auto same = f.send(R"({"cmd":"set_target","target":"127.0.0.1"})").at(0);
  EXPECT_EQ(same["ok"], true) << same.dump();
  EXPECT_EQ(f.pr.target_count(), 1U);
  EXPECT_EQ(f.target_events(), std::vector<std::string>{"target_removed 127.0.0.2"});
  EXPECT_EQ(f.payloads_on(gone + "stats"), std::vector<std::string>{""}) << "the other target is cleared";
  EXPECT_EQ(f.payloads_on(gone + "incidents"), std::vector<std::string>{""});
  EXPECT_TRUE(f.payloads_on(kept + "stats").empty()) << "the named target is left alone";
  EXPECT_TRUE(f.payloads_on(kept + "incidents").empty());

  const auto other = f.send(R"({"cmd":"set_target","target":"127.0.0.1","interval_ms":500})").at(0);
  EXPECT_EQ(other["ok"], true) << other.dump();
  EXPECT_EQ(f.target_events(), (std::vector<std::string>{"target_removed 127.0.0.1", "target_added 127.0.0.1"}));
  EXPECT_TRUE(f.payloads_on(kept + "stats").empty()) << "replaced, its statistics are not cleared";
  const auto incidents = f.payloads_on(kept + "incidents");
  ASSERT_EQ(incidents.size(), 1U);
  EXPECT_EQ(json::parse(incidents[0])["incidents"], json::array()) << "the new instance's incidents";
  ASSERT_NE(f.pr.find("127.0.0.1"), nullptr);
  EXPECT_EQ(f.pr.find("127.0.0.1")->spec().probe.interval, std::chrono::milliseconds(500));
}

// Before it changes anything, a set_target checks what adding its target would check: a refused one leaves every
// target (and every retained topic) as it was.
TEST(Controller, ARefusedSetTargetChangesNothing) {
  fixture f(loopback_options());
  ASSERT_EQ(f.send(R"({"cmd":"add_target","target":"127.0.0.1"})").at(0)["ok"], true);
  ASSERT_EQ(f.send(R"({"cmd":"add_target","target":"127.0.0.2"})").at(0)["ok"], true);
  const auto refused = f.send(R"({"cmd":"set_target","target":"127.0.0.3","ip_version":"6"})").at(0);
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["error"], "target \"127.0.0.3\" is an IPv4 address but ip_version is 6");
  EXPECT_EQ(f.pr.target_count(), 2U);
  EXPECT_TRUE(f.target_events().empty());
  EXPECT_TRUE(f.payloads_on("netstab/a1/targets/127.0.0.1/stats").empty());
}

}  // namespace
}  // namespace netstab::service

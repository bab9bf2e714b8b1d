// Home Assistant MQTT discovery: the publisher alone on a real libuv loop and a fake bus (when it publishes,
// coalescing, removals, the target cap). tests/e2e/discovery_test.cpp checks the real binary against a real
// mosquitto and Home Assistant's rules.
#include "service/publish/discovery_publisher.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "service/loop/uv.hpp"
#include "tests/support/fake_message_bus.hpp"

using nlohmann::json;

namespace {

// A target as the prober hands it to sinks; the publisher only reads its spec.
class fake_target final : public netstab::service::target_view {
 public:
  explicit fake_target(std::string host) { spec_.host = std::move(host); }
  const netstab::core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return spec_.host; }
  const netstab::core::target_monitor& monitor() const override { std::abort(); }  // not used by discovery
  std::uint64_t sent() const override { return 0; }
  std::uint32_t slot() const override { return 0; }  // the sink keeps no per-target state

 private:
  netstab::core::target_spec spec_;
};

struct publisher_fixture {
  publisher_fixture() : publisher(lp.get(), bus, options()) {}
  explicit publisher_fixture(netstab::service::discovery_publisher::options o) : publisher(lp.get(), bus, o) {}
  ~publisher_fixture() {
    publisher.close();
    lp.close();
  }
  static netstab::service::discovery_publisher::options options() {
    netstab::service::discovery_publisher::options o;
    o.agent = "a1";
    o.version = "1.0";
    o.max_removed = 2;
    return o;
  }
  void event(const std::string& host, netstab::core::target_event what) {
    publisher.on_target_event(fake_target(host), what);
  }
  // Runs the loop until nothing is pending (the zero-delay timer has fired).
  void run() { lp.run(UV_RUN_NOWAIT); }
  std::vector<json> payloads() const {
    std::vector<json> out;
    for (const auto& m : bus.on_topic("homeassistant/device/netstab_a1/config")) {
      EXPECT_TRUE(m.retain);
      EXPECT_EQ(m.qos, 1);
      out.push_back(json::parse(m.payload));
    }
    return out;
  }

  netstab::service::loop lp;
  netstab::test::fake_message_bus bus;
  netstab::service::discovery_publisher publisher;
};

using netstab::core::target_event;

}  // namespace

TEST(DiscoveryPublisher, PublishesOnConnectAndOnHomeAssistantBirthOnly) {
  publisher_fixture f;
  f.event("10.0.0.1", target_event::added);
  f.bus.set_connected(false);
  f.run();
  EXPECT_TRUE(f.bus.published.empty()) << "retained messages are not sent while offline";
  f.bus.set_connected(true);
  f.publisher.on_connected();
  ASSERT_EQ(f.payloads().size(), 1U);
  EXPECT_TRUE(f.payloads()[0]["cmps"].contains("t_10_2e0_2e0_2e1_rtt"));

  f.publisher.on_message({"homeassistant/status", "offline", {}, {}});
  f.publisher.on_message({"netstab/a1/cmd", "online", {}, {}});
  f.publisher.on_message({"other/status", "online", {}, {}});
  EXPECT_EQ(f.payloads().size(), 1U);
  f.publisher.on_message({"homeassistant/status", "online", {}, {}});
  EXPECT_EQ(f.payloads().size(), 2U);
}

TEST(DiscoveryPublisher, TargetChangesInOneIterationGiveOnePublish) {
  publisher_fixture f;
  f.event("10.0.0.1", target_event::added);
  f.event("10.0.0.2", target_event::added);
  f.event("10.0.0.1", target_event::resolved);
  f.run();
  ASSERT_EQ(f.payloads().size(), 1U);
  EXPECT_EQ(f.payloads()[0]["cmps"].size(), 5U + 9U + 9U);
  f.bus.clear();

  // set_target: every target removed, one added; one removal message, then the clean one.
  f.event("10.0.0.1", target_event::removed);
  f.event("10.0.0.2", target_event::removed);
  f.event("10.0.0.3", target_event::added);
  EXPECT_TRUE(f.bus.published.empty()) << "published before the iteration ended";
  f.run();
  const auto p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0]["cmps"]["t_10_2e0_2e0_2e1_rtt"], json({{"p", "sensor"}}));
  EXPECT_EQ(p[0]["cmps"]["t_10_2e0_2e0_2e2_interval"], json({{"p", "number"}}));
  EXPECT_TRUE(p[0]["cmps"]["t_10_2e0_2e0_2e3_rtt"].contains("state_topic"));
  EXPECT_EQ(p[1]["cmps"].size(), 5U + 9U);
  EXPECT_TRUE(p[1]["cmps"]["t_10_2e0_2e0_2e3_rtt"].contains("state_topic"));
}

TEST(DiscoveryPublisher, RemembersTheNewestRemovedTargetsUntilAddedAgain) {
  publisher_fixture f;  // max_removed = 2
  for (const char* host : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    f.event(host, target_event::added);
  }
  for (const char* host : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    f.event(host, target_event::removed);
  }
  f.event("10.0.0.3", target_event::added);
  f.run();
  const auto p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_FALSE(p[0]["cmps"].contains("t_10_2e0_2e0_2e1_rtt")) << "the oldest removal is forgotten";
  EXPECT_TRUE(p[0]["cmps"].contains("t_10_2e0_2e0_2e2_rtt"));
  EXPECT_TRUE(p[0]["cmps"]["t_10_2e0_2e0_2e3_rtt"].contains("state_topic")) << "added again: a live entity";
  EXPECT_EQ(p[1]["cmps"].size(), 5U + 9U);
}

// The stubs that make HA delete a removed target's entities go in the pair right after the removal, on every
// connection and when HA announces itself, never with a publish that only adds targets.
TEST(DiscoveryPublisher, StubsFollowTheRemovalThenOnlyConnectsAndHomeAssistantBirths) {
  publisher_fixture f;
  const auto stubbed = [](const json& p) { return p["cmps"].contains("t_10_2e0_2e0_2e1_rtt"); };
  f.event("10.0.0.1", target_event::added);
  f.event("10.0.0.2", target_event::added);
  f.run();
  f.bus.clear();

  f.event("10.0.0.1", target_event::removed);
  f.run();
  auto p = f.payloads();
  ASSERT_EQ(p.size(), 2U) << "the pair right after the removal";
  EXPECT_EQ(p[0]["cmps"]["t_10_2e0_2e0_2e1_rtt"], json({{"p", "sensor"}}));
  EXPECT_FALSE(stubbed(p[1]));
  f.bus.clear();

  f.event("10.0.0.3", target_event::added);
  f.run();
  p = f.payloads();
  ASSERT_EQ(p.size(), 1U) << "a later change carries no stub of an earlier removal";
  EXPECT_FALSE(stubbed(p[0]));
  EXPECT_TRUE(p[0]["cmps"].contains("t_10_2e0_2e0_2e3_rtt"));
  f.bus.clear();

  // A new removal's pair carries its own stubs only.
  f.event("10.0.0.2", target_event::removed);
  f.run();
  p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_TRUE(p[0]["cmps"].contains("t_10_2e0_2e0_2e2_rtt"));
  EXPECT_FALSE(stubbed(p[0]));
  f.bus.clear();

  // A connection and HA's birth carry every remembered removal.
  for (int i = 0; i < 2; ++i) {
    if (i == 0) {
      f.publisher.on_connected();
    } else {
      f.publisher.on_message({"homeassistant/status", "online", {}, {}});
    }
    p = f.payloads();
    ASSERT_EQ(p.size(), 2U) << i;
    EXPECT_TRUE(stubbed(p[0])) << i;
    EXPECT_TRUE(p[0]["cmps"].contains("t_10_2e0_2e0_2e2_rtt")) << i;
    EXPECT_EQ(p[1]["cmps"].size(), 5U + 9U) << i;
    f.bus.clear();
  }
}

TEST(DiscoveryPublisher, RemovalsWhileOfflineGoOutOnConnect) {
  publisher_fixture f;
  f.event("10.0.0.1", target_event::added);
  f.run();
  f.bus.clear();
  f.bus.set_connected(false);
  f.event("10.0.0.1", target_event::removed);
  f.run();
  EXPECT_TRUE(f.bus.published.empty());
  f.bus.set_connected(true);
  f.publisher.on_connected();
  const auto p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0]["cmps"]["t_10_2e0_2e0_2e1_interval"], json({{"p", "number"}}));
  EXPECT_EQ(p[1]["cmps"].size(), 5U);
}

TEST(DiscoveryPublisher, WithoutCommandsTheCommandEntitiesAreStubbedOnConnectAndBirthOnly) {
  auto o = publisher_fixture::options();
  o.commands = false;
  publisher_fixture f(o);
  f.event("10.0.0.1", target_event::added);
  f.publisher.on_connected();
  auto p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0]["cmps"]["monitoring"], json({{"p", "switch"}}));
  EXPECT_EQ(p[0]["cmps"]["t_10_2e0_2e0_2e1_interval"], json({{"p", "number"}}));
  EXPECT_FALSE(p[1]["cmps"].contains("monitoring"));
  f.bus.clear();

  // The publish the addition scheduled, and another addition: changes, so no stubs.
  f.run();
  f.event("10.0.0.2", target_event::added);
  f.run();
  p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  for (const auto& one : p) {
    EXPECT_FALSE(one["cmps"].contains("monitoring"));
  }
  EXPECT_TRUE(p[1]["cmps"].contains("t_10_2e0_2e0_2e2_rtt"));
  f.bus.clear();

  f.publisher.on_message({"homeassistant/status", "online", {}, {}});
  p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0]["cmps"]["stop"], json({{"p", "button"}}));
}

TEST(DiscoveryPublisher, OnlyTheFirstMaxTargetsGetEntities) {
  auto o = publisher_fixture::options();
  o.max_targets = 2;
  publisher_fixture f(o);
  for (const char* host : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    f.event(host, target_event::added);
  }
  f.run();
  auto p = f.payloads();
  ASSERT_EQ(p.size(), 1U);
  EXPECT_EQ(p[0]["cmps"].size(), 5U + 9U + 9U);
  EXPECT_TRUE(p[0]["cmps"].contains("t_10_2e0_2e0_2e2_rtt"));
  EXPECT_FALSE(p[0]["cmps"].contains("t_10_2e0_2e0_2e3_rtt"));
  f.bus.clear();

  // A target within the first two goes: the third moves up and gets its entities.
  f.event("10.0.0.1", target_event::removed);
  f.run();
  p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[1]["cmps"].size(), 5U + 9U + 9U);
  EXPECT_TRUE(p[1]["cmps"]["t_10_2e0_2e0_2e3_rtt"].contains("state_topic"));
  EXPECT_FALSE(p[1]["cmps"].contains("t_10_2e0_2e0_2e1_rtt"));
}

// Removals are taken out of the list in one pass (before a publish, or once they are half of it): a target removed
// and added again in between is listed once, at its new place at the end.
TEST(DiscoveryPublisher, ATargetRemovedAndAddedAgainMovesToTheEndOfTheOrder) {
  auto o = publisher_fixture::options();
  o.max_targets = 2;
  o.max_removed = 64;
  publisher_fixture f(o);
  for (const char* host : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) f.event(host, target_event::added);
  f.run();
  f.bus.clear();

  // The same iteration: 1 and 2 replaced, so 3 comes first, then 1; 2 is third.
  for (const char* host : {"10.0.0.1", "10.0.0.2"}) {
    f.event(host, target_event::removed);
    f.event(host, target_event::added);
  }
  f.run();
  auto p = f.payloads();
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.back()["cmps"].size(), 5U + 9U + 9U);
  EXPECT_TRUE(p.back()["cmps"]["t_10_2e0_2e0_2e3_rtt"].contains("state_topic"));
  EXPECT_TRUE(p.back()["cmps"]["t_10_2e0_2e0_2e1_rtt"].contains("state_topic"));
  EXPECT_FALSE(p.back()["cmps"].contains("t_10_2e0_2e0_2e2_rtt"));
  f.bus.clear();

  // Most of the list removed in one iteration (cleaned while it goes), and one of them added again at the end.
  for (const char* host : {"10.0.0.3", "10.0.0.1", "10.0.0.2"}) f.event(host, target_event::removed);
  for (const char* host : {"10.0.0.4", "10.0.0.2"}) f.event(host, target_event::added);
  f.run();
  p = f.payloads();
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.back()["cmps"].size(), 5U + 9U + 9U);
  EXPECT_TRUE(p.back()["cmps"]["t_10_2e0_2e0_2e4_rtt"].contains("state_topic"));
  EXPECT_TRUE(p.back()["cmps"]["t_10_2e0_2e0_2e2_rtt"].contains("state_topic"));
  EXPECT_FALSE(p.back()["cmps"].contains("t_10_2e0_2e0_2e3_rtt"));
}

TEST(DiscoveryPublisher, DisabledPublishesNothing) {
  netstab::service::loop lp;
  netstab::test::fake_message_bus bus;
  auto o = publisher_fixture::options();
  o.enabled = false;
  netstab::service::discovery_publisher publisher(lp.get(), bus, o);
  publisher.on_connected();
  publisher.on_message({"homeassistant/status", "online", {}, {}});
  publisher.on_target_event(fake_target("10.0.0.1"), target_event::added);
  lp.run(UV_RUN_NOWAIT);
  EXPECT_TRUE(bus.published.empty());
  auto on = publisher_fixture::options();
  EXPECT_EQ(netstab::service::discovery_publisher::subscriptions(on), std::vector<std::string>{"homeassistant/status"});
  EXPECT_TRUE(netstab::service::discovery_publisher::subscriptions(o).empty());
  publisher.close();
  lp.close();
}

// The digest in parts (stats.digest_part_size) from the real netstab to a real mosquitto: each part on its own
// retained topic with its targets in the order they were added, valid against the digest's schema, and a part
// the target set no longer fills cleared at the broker after a removal. Probes go to loopback only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"
#include "tests/support/wait.hpp"

using netstab::test::client_opts;
using netstab::test::expect_schema_valid;
using netstab::test::json_on;
using netstab::test::mosquitto_broker;
using netstab::test::mqtt_test_client;
using netstab::test::patience;
using netstab::test::payloads_on;
using netstab::test::received_message;
using nlohmann::json;
using agent = netstab::test::service_agent;

namespace {

std::vector<std::string> targets_of(const json& part) {
  std::vector<std::string> out;
  for (const json& e : part["targets"]) out.push_back(e["target"].get<std::string>());
  return out;
}

}  // namespace

TEST(DigestParts, EachPartHasItsTargetsOnItsOwnRetainedTopicAndAPartNoLongerFilledIsCleared) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/p5/#"));
  agent a(broker, "p5", {"--interval", "100", "--no-samples"},
          {{"NETSTAB_TARGETS", "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5"},
           {"NETSTAB_STATS_PER_TARGET", "false"},
           {"NETSTAB_STATS_DIGEST_INTERVAL_MS", "300"},
           {"NETSTAB_STATS_DIGEST_PART_SIZE", "2"}});
  const std::string base = "netstab/p5/";
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(sub.wait_count(base + "digest/" + std::to_string(k), 4, patience)) << a.proc->log();
  }
  EXPECT_TRUE(sub.on_topic(base + "digest").empty()) << "the parts replace the single message";
  const std::vector<std::vector<std::string>> members = {
      {"127.0.0.1", "127.0.0.2"}, {"127.0.0.3", "127.0.0.4"}, {"127.0.0.5"}};
  for (std::size_t k = 0; k < members.size(); ++k) {
    const std::string topic = base + "digest/" + std::to_string(k);
    const json last = json_on(sub, topic).back();
    EXPECT_EQ(last["part"], k) << last.dump();
    EXPECT_EQ(last["parts"], 3) << last.dump();
    EXPECT_EQ(last["interval_ms"], 300);
    EXPECT_EQ(targets_of(last), members[k]) << last.dump();
    for (const json& e : last["targets"]) {
      EXPECT_GE(e["received"].get<int>(), 3) << e.dump();
      EXPECT_EQ(e["lost"], 0) << e.dump();
    }
    expect_schema_valid("digest", payloads_on(sub, topic));
  }

  // Without 127.0.0.5 the digest has two parts, and the third is cleared: a retained empty payload.
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"remove_target","target":"127.0.0.5","id":1})"));
  const std::string third = base + "digest/2";
  ASSERT_TRUE(sub.wait_until(
      [&](const std::vector<received_message>& msgs) {
        for (const auto& m : msgs) {
          if (m.topic == third && m.payload.empty()) return true;
        }
        return false;
      },
      patience))
      << a.proc->log();
  ASSERT_TRUE(sub.wait_count(base + "digest/1", sub.on_topic(base + "digest/1").size() + 1, patience));
  const json second = json_on(sub, base + "digest/1").back();
  EXPECT_EQ(second["parts"], 2) << second.dump();
  EXPECT_EQ(targets_of(second), members[1]);
  // A client that subscribes now gets the two parts, retained (the broker sends them at once), and no third.
  mqtt_test_client late(client_opts(broker, "late"));
  ASSERT_TRUE(late.wait_connected());
  ASSERT_TRUE(late.subscribe(base + "digest/+"));
  ASSERT_TRUE(late.wait_count(base + "digest/1", 1, patience));
  ASSERT_TRUE(late.wait_count(base + "digest/0", 1, patience));
  EXPECT_TRUE(late.on_topic(third).empty()) << "the broker still held a third part";
}

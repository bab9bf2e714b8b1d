// The connection options of the MQTT issue against the real binary and a real mosquitto: MQTT over WebSocket,
// MQTT 3.1.1, credentials from the environment, QoS per kind of message, and the statistics cadence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/wait.hpp"

namespace netstab::test {
namespace {

using namespace std::chrono_literals;

// netstab in service mode probing 127.0.0.1 every 200 ms.
std::unique_ptr<service_agent> start_agent(const std::string& broker_url, const std::string& agent,
                                           std::map<std::string, std::string> env = {}) {
  return std::make_unique<service_agent>(
      broker_url, agent, std::vector<std::string>{"--target", "127.0.0.1", "--interval", "200"}, std::move(env));
}

TEST(Connection, MqttOverWebSocket) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_options mo;
  mo.websockets = true;
  mosquitto_broker broker(mo);
  mqtt_test_client sub(client_opts(broker, "ws-watch"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/ws1/#"));
  auto p = start_agent("ws://127.0.0.1:" + std::to_string(broker.ws_port()), "ws1");
  ASSERT_TRUE(sub.wait_count("netstab/ws1/targets/127.0.0.1/sample", 3, patience)) << p->proc->log();
  ASSERT_FALSE(sub.on_topic("netstab/ws1/availability").empty());
  EXPECT_EQ(sub.on_topic("netstab/ws1/availability").back().payload, "online");
  // Commands come back over the same WebSocket connection.
  ASSERT_TRUE(sub.publish("netstab/ws1/cmd", R"({"cmd":"status","id":"w"})"));
  ASSERT_TRUE(sub.wait_count("netstab/ws1/cmd/reply", 1, patience)) << p->proc->log();
  p->proc->signal(SIGTERM);
  EXPECT_EQ(p->proc->wait(patience), 0) << p->proc->log();
}

TEST(Connection, Mqtt311PublishesAndTakesCommands) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "v4-watch", 4));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/v311/#"));
  auto p = start_agent(broker.url(), "v311", {{"NETSTAB_MQTT_PROTOCOL", "3.1.1"}});
  ASSERT_TRUE(sub.wait_count("netstab/v311/targets/127.0.0.1/sample", 3, patience)) << p->proc->log();
  ASSERT_TRUE(sub.publish("netstab/v311/cmd", R"({"cmd":"stop","id":"s"})"));
  ASSERT_TRUE(sub.wait_count("netstab/v311/cmd/reply", 1, patience)) << p->proc->log();
  const auto reply = nlohmann::json::parse(sub.on_topic("netstab/v311/cmd/reply").front().payload);
  EXPECT_EQ(reply.value("ok", false), true) << reply.dump();
  EXPECT_EQ(reply.value("id", ""), "s");
  // mosquitto logs the protocol of each client: "p2" is MQTT 3.1.1, "p5" MQTT 5.
  EXPECT_NE(broker.log().find("as netstab-v311 (p2,"), std::string::npos) << broker.log();
  p->proc->signal(SIGTERM);
  EXPECT_EQ(p->proc->wait(patience), 0) << p->proc->log();
}

TEST(Connection, CredentialsFromTheEnvironment) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_options mo;
  mo.require_password = true;
  mosquitto_broker broker(mo);
  auto o = client_opts(broker, "cred-watch");
  o.user = mo.user;
  o.password = mo.password;
  mqtt_test_client sub(o);
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/env1/#"));
  auto p =
      start_agent(broker.url(), "env1", {{"NETSTAB_MQTT_USERNAME", mo.user}, {"NETSTAB_MQTT_PASSWORD", mo.password}});
  ASSERT_TRUE(sub.wait_count("netstab/env1/targets/127.0.0.1/sample", 3, patience)) << p->proc->log();
  EXPECT_EQ(p->proc->log().find(mo.password), std::string::npos) << "the password appears in the log";
  p->proc->signal(SIGTERM);
  EXPECT_EQ(p->proc->wait(patience), 0) << p->proc->log();
}

// Delivered QoS is the lower of the publish and the subscription QoS: a QoS 2 subscription shows what
// netstab published with.
TEST(Connection, QosPerKindOfMessage) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "qos-watch"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/#", 2));
  auto a = start_agent(broker.url(), "qos1");
  auto b =
      start_agent(broker.url(), "qos2",
                  {{"NETSTAB_MQTT_QOS_SAMPLE", "1"}, {"NETSTAB_MQTT_QOS_OTHER", "2"}, {"NETSTAB_MQTT_QOS_STATS", "1"}});
  ASSERT_TRUE(sub.wait_count("netstab/qos1/targets/127.0.0.1/stats", 2, patience)) << a->proc->log();
  ASSERT_TRUE(sub.wait_count("netstab/qos2/targets/127.0.0.1/stats", 2, patience)) << b->proc->log();
  const auto qos_of = [&](const std::string& topic) {
    std::vector<int> out;
    for (const auto& m : sub.on_topic(topic)) out.push_back(m.qos);
    return out;
  };
  for (const int q : qos_of("netstab/qos1/targets/127.0.0.1/sample")) EXPECT_EQ(q, 0);
  for (const int q : qos_of("netstab/qos1/targets/127.0.0.1/stats")) EXPECT_EQ(q, 0);
  for (const int q : qos_of("netstab/qos1/state")) EXPECT_EQ(q, 1);
  for (const int q : qos_of("netstab/qos2/targets/127.0.0.1/sample")) EXPECT_EQ(q, 1);
  for (const int q : qos_of("netstab/qos2/targets/127.0.0.1/stats")) EXPECT_EQ(q, 1);
  for (const int q : qos_of("netstab/qos2/state")) EXPECT_EQ(q, 2);
  EXPECT_FALSE(qos_of("netstab/qos1/targets/127.0.0.1/sample").empty());
  EXPECT_FALSE(qos_of("netstab/qos2/targets/127.0.0.1/sample").empty());
  EXPECT_FALSE(qos_of("netstab/qos2/state").empty());
  a->proc->signal(SIGTERM);
  b->proc->signal(SIGTERM);
  EXPECT_EQ(a->proc->wait(patience), 0);
  EXPECT_EQ(b->proc->wait(patience), 0);
}

using wall_point = std::chrono::system_clock::time_point;

// The ts of every non-empty payload on topic, in arrival order.
std::vector<wall_point> times_on(const mqtt_test_client& c, const std::string& topic) {
  std::vector<wall_point> out;
  for (const nlohmann::json& j : json_on(c, topic)) out.push_back(ts_of(j));
  return out;
}

long long ms_of(std::chrono::system_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Statistics follow resolved probes: at most once per period, and at the first sample at least the period (less
// a tenth of it, at most half an interval: the loop's jitter) after the previous publication
// (service/publish/mqtt_sink.cpp). Checked against the times of the samples themselves, so a machine that probes
// late changes nothing. A statistics message's ts is taken a moment after its sample's, both in whole
// milliseconds: 2 ms of slack.
void expect_stats_follow_the_samples(const std::vector<wall_point>& stats, const std::vector<wall_point>& samples,
                                     std::chrono::milliseconds period, std::chrono::milliseconds interval,
                                     const std::string& who) {
  ASSERT_GE(stats.size(), 2U) << who;
  const auto threshold = period - std::min(period / 10, interval / 2);
  const auto slack = std::chrono::milliseconds(2);
  for (std::size_t i = 1; i < stats.size(); ++i) {
    EXPECT_GE(stats[i] - stats[i - 1], threshold - slack)
        << who << ": statistics " << ms_of(stats[i] - stats[i - 1]) << " ms apart";
    for (const wall_point s : samples) {
      EXPECT_FALSE(s > stats[i - 1] + threshold + slack && s < stats[i] - slack)
          << who << ": the sample " << ms_of(s - stats[i - 1])
          << " ms after a publication brought none; the next came after " << ms_of(stats[i] - stats[i - 1]) << " ms";
    }
  }
}

// Statistics go out once per interval of their target by default, and every stats.publish_interval_ms when set;
// with the default mqtt.batch_ms (250) at most once per batch, the newest value.
TEST(Connection, StatisticsCadence) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "cad-watch"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/+/targets/+/stats"));
  ASSERT_TRUE(sub.subscribe("netstab/+/targets/+/sample"));
  // batch_ms 0: every statistics message goes out (a batch keeps only the newest per target).
  auto every = start_agent(broker.url(), "cad1", {{"NETSTAB_MQTT_BATCH_MS", "0"}});
  auto slow = start_agent(broker.url(), "cad2", {{"NETSTAB_STATS_PUBLISH_INTERVAL_MS", "1000"}});
  auto batched = start_agent(broker.url(), "cad3");
  const std::string cad1 = "netstab/cad1/targets/127.0.0.1/";
  const std::string cad2 = "netstab/cad2/targets/127.0.0.1/";
  const std::string cad3 = "netstab/cad3/targets/127.0.0.1/";
  ASSERT_TRUE(sub.wait_count(cad1 + "stats", 1, patience)) << every->proc->log();
  ASSERT_TRUE(sub.wait_count(cad2 + "stats", 1, patience)) << slow->proc->log();
  ASSERT_TRUE(sub.wait_count(cad3 + "stats", 1, patience)) << batched->proc->log();
  sub.clear();
  // Four statistics of the slow agent (about 3 s), and the samples up to the newest statistics of each agent.
  ASSERT_TRUE(sub.wait_count(cad2 + "stats", 4, patience)) << slow->proc->log();
  for (const std::string& t : {cad1, cad2}) {
    const wall_point last = times_on(sub, t + "stats").back();
    ASSERT_TRUE(poll_until([&] {
      const auto samples = times_on(sub, t + "sample");
      return !samples.empty() && samples.back() >= last;
    })) << t;
  }
  expect_stats_follow_the_samples(times_on(sub, cad1 + "stats"), times_on(sub, cad1 + "sample"), 200ms, 200ms,
                                  "every interval");
  expect_stats_follow_the_samples(times_on(sub, cad2 + "stats"), times_on(sub, cad2 + "sample"), 1000ms, 200ms,
                                  "publish_interval_ms 1000");
  // Batched: a value every 200 ms, a burst at most every 250 ms, so values are replaced while they wait: fewer
  // messages than values, each the newest (its sent count grows). At least a burst every fourth value on average
  // (about every other one on an idle machine; a stalled loop coalesces more).
  const auto b = json_on(sub, cad3 + "stats");
  ASSERT_GE(b.size(), 2U);
  const auto values = b.back()["sent"].get<std::uint64_t>() - b.front()["sent"].get<std::uint64_t>() + 1;
  for (std::size_t i = 1; i < b.size(); ++i) {
    EXPECT_GT(b[i]["sent"].get<std::uint64_t>(), b[i - 1]["sent"].get<std::uint64_t>()) << "not the newest value";
  }
  EXPECT_LT(b.size(), values) << "no value was replaced while it waited for the batch";
  EXPECT_GE(b.size() * 4, values) << b.size() << " messages for " << values << " values";
  every->proc->signal(SIGTERM);
  slow->proc->signal(SIGTERM);
  batched->proc->signal(SIGTERM);
  EXPECT_EQ(batched->proc->wait(patience), 0);
  EXPECT_EQ(every->proc->wait(patience), 0);
  EXPECT_EQ(slow->proc->wait(patience), 0);
}

// Forty targets at 200 ms would publish 200 statistics messages a second; stats.max_publish_rate 50 makes each
// target's period four intervals (800 ms), and the targets' publications are spread over those four intervals
// from the first one on. Beyond the limit a (re)connect sends the incident lists with the next statistics: after
// a broker restart every target's statistics and incident list are retained again.
TEST(Connection, BeyondTheMaxPublishRateTargetsPublishLessOftenSpreadOverThePeriod) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  const std::string targets = loopback_targets(40);
  mqtt_test_client sub(client_opts(broker, "lim-watch"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/lim/targets/+/stats"));
  service_agent a(
      broker.url(), "lim", {"--interval", "200"},
      {{"NETSTAB_TARGETS", targets}, {"NETSTAB_STATS_MAX_PUBLISH_RATE", "50"}, {"NETSTAB_MQTT_BATCH_MS", "0"}});
  std::map<std::string, std::vector<wall_point>> by_topic;
  const auto collect = [&] {
    by_topic.clear();
    for (const auto& m : sub.messages()) {
      if (!m.payload.empty()) by_topic[m.topic].push_back(ts_of(nlohmann::json::parse(m.payload)));
    }
  };
  ASSERT_TRUE(poll_until([&] {
    collect();
    return by_topic.size() == 40 &&
           std::all_of(by_topic.begin(), by_topic.end(), [](const auto& t) { return t.second.size() >= 3; });
  })) << by_topic.size()
      << " targets have published\n"
      << a.proc->log();
  wall_point first = by_topic.begin()->second.front();
  wall_point last_first = first;
  for (const auto& [topic, times] : by_topic) {
    first = std::min(first, times.front());
    last_first = std::max(last_first, times.front());
    for (std::size_t i = 1; i < times.size(); ++i) {
      EXPECT_GE(times[i] - times[i - 1], 720ms) << topic << ": " << ms_of(times[i] - times[i - 1]) << " ms apart";
    }
  }
  EXPECT_GE(last_first - first, 500ms) << "the first publications came within " << ms_of(last_first - first)
                                       << " ms: not spread over the period";
  broker.stop();
  broker.start();
  mqtt_test_client late(client_opts(broker, "lim-late"));
  ASSERT_TRUE(late.wait_connected());
  ASSERT_TRUE(late.subscribe("netstab/lim/targets/+/stats"));
  ASSERT_TRUE(late.subscribe("netstab/lim/targets/+/incidents"));
  std::set<std::string> stats, incidents;
  EXPECT_TRUE(poll_until([&] {
    stats.clear();
    incidents.clear();
    for (const auto& m : late.messages()) {
      if (m.payload.empty()) continue;
      (m.topic.ends_with("/stats") ? stats : incidents).insert(m.topic);
    }
    return stats.size() == 40 && incidents.size() == 40;
  })) << stats.size()
      << " statistics and " << incidents.size() << " incident lists after the restart\n"
      << a.proc->log();
  a.proc->signal(SIGTERM);
  EXPECT_EQ(a.proc->wait(patience), 0) << a.proc->log();
}

}  // namespace
}  // namespace netstab::test

namespace netstab::test {
namespace {

// A broker that demands client certificates: netstab with its certificate and key connects; without them the
// broker refuses the handshake and netstab keeps retrying without publishing.
TEST(Connection, TlsClientCertificateAndKey) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_options mo;
  mo.tls = true;
  mo.require_client_cert = true;
  mosquitto_broker broker(mo);
  mqtt_test_client sub(client_opts(broker, "cert-watch"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/+/targets/+/sample"));
  auto with = start_agent(broker.tls_url(), "cert1",
                          {{"NETSTAB_MQTT_TLS_CA_FILE", broker.ca_file()},
                           {"NETSTAB_MQTT_TLS_CERT_FILE", broker.client_cert_file()},
                           {"NETSTAB_MQTT_TLS_KEY_FILE", broker.client_key_file()}});
  auto without = start_agent(broker.tls_url(), "cert2", {{"NETSTAB_MQTT_TLS_CA_FILE", broker.ca_file()}});
  ASSERT_TRUE(sub.wait_count("netstab/cert1/targets/127.0.0.1/sample", 3, patience)) << with->proc->log();
  // Once a failed attempt is logged (the retry follows it) there was no connection to publish on.
  EXPECT_TRUE(poll_until([&] { return without->proc->log().find("mqtt: retrying") != std::string::npos; }))
      << without->proc->log();
  EXPECT_TRUE(sub.on_topic("netstab/cert2/targets/127.0.0.1/sample").empty()) << without->proc->log();
  with->proc->signal(SIGTERM);
  without->proc->signal(SIGTERM);
  EXPECT_EQ(with->proc->wait(patience), 0) << with->proc->log();
  EXPECT_EQ(without->proc->wait(patience), 0) << without->proc->log();
}

}  // namespace
}  // namespace netstab::test

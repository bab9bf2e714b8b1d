// The connection options of the MQTT issue against the real binary and a real mosquitto: MQTT over WebSocket,
// MQTT 3.1.1, credentials from the environment, QoS per kind of message, and the statistics cadence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"

namespace netstab::test {
namespace {

using namespace std::chrono_literals;

// netstab in service mode probing 127.0.0.1 every 200 ms.
std::unique_ptr<service_agent> start_agent(const std::string& broker_url, const std::string& agent,
                                           std::map<std::string, std::string> env = {}) {
  return std::make_unique<service_agent>(broker_url, agent,
                                         std::vector<std::string>{"--target", "127.0.0.1", "--interval", "200"},
                                         std::move(env));
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
  ASSERT_TRUE(sub.wait_count("netstab/ws1/targets/127.0.0.1/sample", 3, 10s)) << p->proc->log();
  ASSERT_FALSE(sub.on_topic("netstab/ws1/availability").empty());
  EXPECT_EQ(sub.on_topic("netstab/ws1/availability").back().payload, "online");
  // Commands come back over the same WebSocket connection.
  ASSERT_TRUE(sub.publish("netstab/ws1/cmd", R"({"cmd":"status","id":"w"})"));
  ASSERT_TRUE(sub.wait_count("netstab/ws1/cmd/reply", 1, 5s)) << p->proc->log();
  p->proc->signal(SIGTERM);
  EXPECT_EQ(p->proc->wait(3s), 0) << p->proc->log();
}

TEST(Connection, Mqtt311PublishesAndTakesCommands) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "v4-watch", 4));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/v311/#"));
  auto p = start_agent(broker.url(), "v311", {{"NETSTAB_MQTT_PROTOCOL", "3.1.1"}});
  ASSERT_TRUE(sub.wait_count("netstab/v311/targets/127.0.0.1/sample", 3, 10s)) << p->proc->log();
  ASSERT_TRUE(sub.publish("netstab/v311/cmd", R"({"cmd":"stop","id":"s"})"));
  ASSERT_TRUE(sub.wait_count("netstab/v311/cmd/reply", 1, 5s)) << p->proc->log();
  const auto reply = nlohmann::json::parse(sub.on_topic("netstab/v311/cmd/reply").front().payload);
  EXPECT_EQ(reply.value("ok", false), true) << reply.dump();
  EXPECT_EQ(reply.value("id", ""), "s");
  // mosquitto logs the protocol of each client: "p2" is MQTT 3.1.1, "p5" MQTT 5.
  EXPECT_NE(broker.log().find("as netstab-v311 (p2,"), std::string::npos) << broker.log();
  p->proc->signal(SIGTERM);
  EXPECT_EQ(p->proc->wait(3s), 0) << p->proc->log();
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
  auto p = start_agent(broker.url(), "env1",
                       {{"NETSTAB_MQTT_USERNAME", mo.user}, {"NETSTAB_MQTT_PASSWORD", mo.password}});
  ASSERT_TRUE(sub.wait_count("netstab/env1/targets/127.0.0.1/sample", 3, 10s)) << p->proc->log();
  EXPECT_EQ(p->proc->log().find(mo.password), std::string::npos) << "the password appears in the log";
  p->proc->signal(SIGTERM);
  EXPECT_EQ(p->proc->wait(3s), 0) << p->proc->log();
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
  auto b = start_agent(broker.url(), "qos2",
                       {{"NETSTAB_MQTT_QOS_SAMPLE", "1"}, {"NETSTAB_MQTT_QOS_OTHER", "2"}, {"NETSTAB_MQTT_QOS_STATS", "1"}});
  ASSERT_TRUE(sub.wait_count("netstab/qos1/targets/127.0.0.1/stats", 2, 10s)) << a->proc->log();
  ASSERT_TRUE(sub.wait_count("netstab/qos2/targets/127.0.0.1/stats", 2, 10s)) << b->proc->log();
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
  EXPECT_EQ(a->proc->wait(3s), 0);
  EXPECT_EQ(b->proc->wait(3s), 0);
}

// Statistics go out once per interval of their target by default, and every stats.publish_interval_ms when set;
// with the default mqtt.batch_ms (250) at most once per batch, the newest value.
TEST(Connection, StatisticsCadence) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "cad-watch"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/+/targets/+/stats"));
  // batch_ms 0: every statistics message goes out (a batch keeps only the newest per target).
  auto every = start_agent(broker.url(), "cad1", {{"NETSTAB_MQTT_BATCH_MS", "0"}});
  auto slow = start_agent(broker.url(), "cad2", {{"NETSTAB_STATS_PUBLISH_INTERVAL_MS", "1000"}});
  auto batched = start_agent(broker.url(), "cad3");
  ASSERT_TRUE(sub.wait_count("netstab/cad1/targets/127.0.0.1/stats", 1, 10s)) << every->proc->log();
  ASSERT_TRUE(sub.wait_count("netstab/cad2/targets/127.0.0.1/stats", 1, 10s)) << slow->proc->log();
  ASSERT_TRUE(sub.wait_count("netstab/cad3/targets/127.0.0.1/stats", 1, 10s)) << batched->proc->log();
  sub.clear();
  std::this_thread::sleep_for(3s);
  const auto n_every = sub.on_topic("netstab/cad1/targets/127.0.0.1/stats").size();
  const auto n_slow = sub.on_topic("netstab/cad2/targets/127.0.0.1/stats").size();
  const auto n_batched = sub.on_topic("netstab/cad3/targets/127.0.0.1/stats").size();
  // 3 s at 200 ms: 15 expected; at 1 s: 3 (a status change would add one at once: loopback stays OK).
  EXPECT_GE(n_every, 12U);
  EXPECT_LE(n_every, 17U);
  EXPECT_GE(n_slow, 2U);
  EXPECT_LE(n_slow, 4U);
  // A value every 200 ms, a burst at most every 250 ms: a burst every other value (about 7 in 3 s).
  EXPECT_GE(n_batched, 5U);
  EXPECT_LE(n_batched, 13U);
  every->proc->signal(SIGTERM);
  slow->proc->signal(SIGTERM);
  batched->proc->signal(SIGTERM);
  EXPECT_EQ(batched->proc->wait(3s), 0);
  EXPECT_EQ(every->proc->wait(3s), 0);
  EXPECT_EQ(slow->proc->wait(3s), 0);
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
  ASSERT_TRUE(sub.wait_count("netstab/cert1/targets/127.0.0.1/sample", 3, 10s)) << with->proc->log();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(sub.on_topic("netstab/cert2/targets/127.0.0.1/sample").empty()) << without->proc->log();
  with->proc->signal(SIGTERM);
  without->proc->signal(SIGTERM);
  EXPECT_EQ(with->proc->wait(3s), 0) << with->proc->log();
  EXPECT_EQ(without->proc->wait(3s), 0) << without->proc->log();
}

}  // namespace
}  // namespace netstab::test

// The real netstab binary in service mode against a real mosquitto: the MQTT
// contract, commands and their replies, bad commands, shutdown, last will,
// broker restarts, credentials and TLS. Probes go to loopback only.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using netstab::test::child_process;
using netstab::test::client_opts;
using netstab::test::expect_schema_valid;
using netstab::test::json_on;
using netstab::test::loopback_targets;
using netstab::test::mosquitto_broker;
using netstab::test::mosquitto_options;
using netstab::test::mqtt_test_client;
using netstab::test::payloads_on;
using netstab::test::received_message;
using netstab::test::reply_for;
using nlohmann::json;
using agent = netstab::test::service_agent;
using netstab::test::patience;
using netstab::test::poll_until;
using netstab::test::ts_of;

TEST(ServiceMode, PublishesTheContractAndEveryPayloadMatchesItsSchema) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c1/#"));
  agent a(broker, "c1", {"--target", "127.0.0.1", "--interval", "100"}, {{"NETSTAB_STATS_EXTRA_WINDOWS_S", "10"}});
  const std::string base = "netstab/c1/";
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.1/sample", 5, patience)) << a.proc->log();
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.1/stats", 2, patience)) << a.proc->log();
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.1/stats/10s", 1, patience)) << a.proc->log();

  const auto avail = sub.on_topic(base + "availability");
  ASSERT_FALSE(avail.empty());
  EXPECT_EQ(avail.back().payload, "online");

  for (const json& s : json_on(sub, base + "targets/127.0.0.1/sample")) {
    EXPECT_EQ(s["target"], "127.0.0.1");
    EXPECT_EQ(s["status"], "ok");
    EXPECT_TRUE(s["rtt_ms"].is_number());
    EXPECT_TRUE(s["process_ms"].is_number());
    EXPECT_LT(s["rtt_ms"].get<double>(), 50.0);
  }
  const json st = json_on(sub, base + "targets/127.0.0.1/stats").back();
  EXPECT_GE(st["received"].get<int>(), 1);
  EXPECT_EQ(st["lost"], 0);
  EXPECT_EQ(st["status"], "OK");
  const json state = json_on(sub, base + "state").back();
  EXPECT_TRUE(state["running"].get<bool>());
  ASSERT_EQ(state["targets"].size(), 1u);
  EXPECT_EQ(state["targets"][0]["interval_ms"], 100);

  // An event and a reply, so that every schema sees a real payload.
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":"127.0.0.2","id":"a"})"));
  ASSERT_TRUE(reply_for(sub, base + "cmd/reply", "a").has_value());
  ASSERT_TRUE(sub.wait_count(base + "events", 1, patience));

  expect_schema_valid("sample", payloads_on(sub, base + "targets/127.0.0.1/sample"));
  expect_schema_valid("stats", payloads_on(sub, base + "targets/127.0.0.1/stats"));
  expect_schema_valid("stats", payloads_on(sub, base + "targets/127.0.0.1/stats/10s"));
  expect_schema_valid("incidents", payloads_on(sub, base + "targets/127.0.0.1/incidents"));
  expect_schema_valid("state", payloads_on(sub, base + "state"));
  expect_schema_valid("event", payloads_on(sub, base + "events"));
  expect_schema_valid("reply", payloads_on(sub, base + "cmd/reply"));
}

TEST(ServiceMode, DigestCarriesEveryTargetsStatisticsInOneMessageWithoutPerTargetTopics) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c9/#"));
  agent a(broker, "c9", {"--interval", "100", "--no-samples"},
          {{"NETSTAB_TARGETS", "127.0.0.1,127.0.0.2,127.0.0.3"},
           {"NETSTAB_STATS_PER_TARGET", "false"},
           {"NETSTAB_STATS_DIGEST_INTERVAL_MS", "300"}});
  const std::string base = "netstab/c9/";
  ASSERT_TRUE(sub.wait_count(base + "digest", 6, patience)) << a.proc->log();
  const auto digests = json_on(sub, base + "digest");
  const json& last = digests.back();
  EXPECT_EQ(last["interval_ms"], 300);
  ASSERT_EQ(last["count"], 3) << last.dump();
  ASSERT_EQ(last["targets"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const json& e = last["targets"][i];
    EXPECT_EQ(e["target"], "127.0.0." + std::to_string(i + 1)) << "the order the targets were added";
    EXPECT_GE(e["received"].get<int>(), 3) << e.dump();
    EXPECT_EQ(e["lost"], 0) << e.dump();
    EXPECT_EQ(e["status"], "OK") << e.dump();
  }
  // Consecutive digests show the counts growing: each carries its targets' latest statistics, not the first ones.
  EXPECT_GT(last["targets"][0]["sent"].get<int>(), digests[1]["targets"][0]["sent"].get<int>());
  expect_schema_valid("digest", payloads_on(sub, base + "digest"));
  for (const char* t : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
    EXPECT_TRUE(sub.on_topic(base + "targets/" + t + "/stats").empty()) << t;
    EXPECT_TRUE(sub.on_topic(base + "targets/" + t + "/sample").empty()) << t;
  }
}

TEST(ServiceMode, CommandsStartStopAndSwitchTargets) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c2/#"));
  agent a(broker, "c2", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string base = "netstab/c2/";
  const std::string s1 = base + "targets/127.0.0.1/sample";
  ASSERT_TRUE(sub.wait_count(s1, 3, patience)) << a.proc->log();

  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"stop","id":1})"));
  auto r = reply_for(sub, base + "cmd/reply", 1);
  ASSERT_TRUE(r.has_value()) << a.proc->log();
  EXPECT_TRUE((*r)["ok"].get<bool>());
  EXPECT_FALSE((*r)["running"].get<bool>());
  // netstab applied the stop before its reply came: every sample probed after that would carry a later ts.
  // A stopped agent publishes nothing to wait for, so a time is the only way to see that nothing comes: ten
  // probe intervals. Samples probed before the stop may still arrive meanwhile (late on a loaded machine).
  const auto stopped_by = std::chrono::system_clock::now();
  std::this_thread::sleep_for(1s);
  for (const json& s : json_on(sub, s1)) {
    EXPECT_LE(ts_of(s), stopped_by) << "a sample probed after stop: " << s.dump();
  }
  const std::size_t after_stop = sub.on_topic(s1).size();

  ASSERT_TRUE(sub.publish(base + "cmd", "start"));  // bare word, as a button sends it
  ASSERT_TRUE(sub.wait_count(s1, after_stop + 3, patience)) << "no samples after start";

  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"set_target","target":"::1","interval_ms":100,"id":"x"})"));
  r = reply_for(sub, base + "cmd/reply", "x");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE((*r)["ok"].get<bool>()) << r->dump();
  ASSERT_TRUE(sub.wait_count(base + "targets/__1/sample", 3, patience)) << a.proc->log();
  const json state = json_on(sub, base + "state").back();
  ASSERT_EQ(state["targets"].size(), 1u);
  EXPECT_EQ(state["targets"][0]["target"], "::1");
  // The old target's retained topics were cleared.
  const auto cleared = sub.on_topic(base + "targets/127.0.0.1/stats");
  ASSERT_FALSE(cleared.empty());
  EXPECT_EQ(cleared.back().payload, "");

  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":"127.0.0.3","interval_ms":200,"id":2})"));
  r = reply_for(sub, base + "cmd/reply", 2);
  ASSERT_TRUE(r && (*r)["ok"].get<bool>());
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.3/sample", 2, patience));
  // Targets added by command are announced; the one the process started with was not (the state listed it).
  std::vector<std::string> added;
  for (const json& e : json_on(sub, base + "events")) {
    if (e["type"] == "target_added") added.push_back(e["target"].get<std::string>());
  }
  EXPECT_EQ(added, (std::vector<std::string>{"::1", "127.0.0.3"}));
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"set_interval","target":"127.0.0.3","interval_ms":1000,"id":3})"));
  r = reply_for(sub, base + "cmd/reply", 3);
  ASSERT_TRUE(r && (*r)["ok"].get<bool>());
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"remove_target","target":"127.0.0.3","id":4})"));
  r = reply_for(sub, base + "cmd/reply", 4);
  ASSERT_TRUE(r && (*r)["ok"].get<bool>());
  // The state follows the reply.
  EXPECT_TRUE(sub.wait_until(
      [&](const std::vector<received_message>& msgs) {
        for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
          if (it->topic == base + "state") return json::parse(it->payload)["targets"].size() == 1;
        }
        return false;
      },
      patience));
}

TEST(ServiceMode, RepliesToMqtt5ResponseTopicWithCorrelationData) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub", 5));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("my/replies"));
  ASSERT_TRUE(sub.subscribe("netstab/c3/availability"));
  agent a(broker, "c3", {"--target", "127.0.0.1"});
  ASSERT_TRUE(sub.wait_until(
      [](const auto& m) {
        return std::any_of(m.begin(), m.end(), [](const received_message& x) { return x.payload == "online"; });
      },
      patience));
  ASSERT_TRUE(sub.publish("netstab/c3/cmd", R"({"cmd":"status","id":9})", false, "my/replies", "corr-42"));
  ASSERT_TRUE(sub.wait_count("my/replies", 1, patience)) << a.proc->log();
  const auto m = sub.on_topic("my/replies").front();
  EXPECT_EQ(m.correlation_data, "corr-42");
  EXPECT_EQ(json::parse(m.payload)["id"], 9);
}

struct bad_command {
  std::string payload;
  std::string error_contains;
};

TEST(ServiceMode, BadCommandsGetErrorRepliesAndChangeNothing) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c4/#"));
  agent a(broker, "c4", {"--target", "127.0.0.1", "--interval", "200"},
          {{"NETSTAB_CONTROL_MAX_TARGETS", "2"}, {"NETSTAB_CONTROL_DENY", "127.0.0.9"}});
  const std::string base = "netstab/c4/";
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.1/sample", 2, patience)) << a.proc->log();

  const std::vector<bad_command> table = {
      {R"({"cmd":"fly","id":1})", "unknown command"},
      {R"({"cmd":"add_target","id":2})", "missing field"},
      {R"({"cmd":"add_target","target":5,"id":3})", "target"},
      {R"({"cmd":"add_target","target":"127.0.0.2","interval_ms":1,"id":4})", "minimum"},
      {R"({"cmd":"add_target","target":"bad target!","id":5})", "target"},
      {R"({"cmd":"add_target","target":"127.0.0.9","id":6})", "not allowed"},
      {R"({"cmd":"remove_target","target":"10.9.9.9","id":7})", "not found"},
      {R"({"cmd":"set_interval","target":"127.0.0.1","interval_ms":"fast","id":8})", "interval_ms"},
      {R"({"cmd":"add_target","target":"127.0.0.1","id":10})", "already"},
  };
  for (const auto& row : table) {
    ASSERT_TRUE(sub.publish(base + "cmd", row.payload));
    const json id = json::parse(row.payload)["id"];
    const auto r = reply_for(sub, base + "cmd/reply", id);
    ASSERT_TRUE(r.has_value()) << "no reply to " << row.payload.substr(0, 80) << "\n" << a.proc->log();
    EXPECT_FALSE((*r)["ok"].get<bool>()) << row.payload.substr(0, 80);
    EXPECT_NE((*r)["error"].get<std::string>().find(row.error_contains), std::string::npos)
        << (*r)["error"] << " for " << row.payload.substr(0, 80);
  }
  // Garbage, and a payload over the size limit (not parsed at all, so its id is
  // unknown), still get replies without an id.
  sub.clear();
  ASSERT_TRUE(sub.publish(base + "cmd", "\x01\x02 not json {"));
  ASSERT_TRUE(sub.wait_count(base + "cmd/reply", 1, patience));
  EXPECT_FALSE(json::parse(sub.on_topic(base + "cmd/reply").front().payload)["ok"].get<bool>());
  sub.clear();
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":")" + std::string(6000, 'a') + R"(","id":9})"));
  ASSERT_TRUE(sub.wait_count(base + "cmd/reply", 1, patience));
  const json big = json::parse(sub.on_topic(base + "cmd/reply").front().payload);
  EXPECT_FALSE(big["ok"].get<bool>());
  EXPECT_NE(big["error"].get<std::string>().find("too large"), std::string::npos) << big.dump();
  // Limit: max_targets = 2 allows one more, not two.
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":"127.0.0.2","id":20})"));
  auto r = reply_for(sub, base + "cmd/reply", 20);
  ASSERT_TRUE(r && (*r)["ok"].get<bool>());
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":"127.0.0.3","id":21})"));
  r = reply_for(sub, base + "cmd/reply", 21);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE((*r)["error"].get<std::string>().find("limit reached"), std::string::npos);
  // The service still works and its target set is what the good commands made it.
  sub.clear();
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"status","id":30})"));
  ASSERT_TRUE(reply_for(sub, base + "cmd/reply", 30).has_value());
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.1/sample", 2, patience));
  const json st = json_on(sub, base + "state").back();
  EXPECT_EQ(st["targets"].size(), 2u);
  EXPECT_TRUE(st["running"].get<bool>());
}

TEST(ServiceMode, SigtermPublishesOfflineAndExitsZeroWithinTwoSeconds) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c5/availability"));
  agent a(broker, "c5", {"--target", "127.0.0.1", "--interval", "100"});
  ASSERT_TRUE(sub.wait_count("netstab/c5/availability", 1, patience));
  a.proc->signal(SIGTERM);
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = a.proc->wait(patience);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(rc, 0) << a.proc->log();
  EXPECT_LT(took, 2s);
  ASSERT_TRUE(sub.wait_until([](const auto& m) { return !m.empty() && m.back().payload == "offline"; }, patience));
}

TEST(ServiceMode, SigintAlsoPublishesOfflineAndExitsZero) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c12/availability"));
  agent a(broker, "c12", {"--target", "127.0.0.1", "--interval", "100"});
  ASSERT_TRUE(sub.wait_count("netstab/c12/availability", 1, patience));
  a.proc->signal(SIGINT);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(a.proc->wait(patience), 0) << a.proc->log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ASSERT_TRUE(sub.wait_until([](const auto& m) { return !m.empty() && m.back().payload == "offline"; }, patience));
}

TEST(ServiceMode, KillNineLeavesTheLastWill) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c6/availability"));
  agent a(broker, "c6", {"--target", "127.0.0.1", "--interval", "100"});
  ASSERT_TRUE(sub.wait_count("netstab/c6/availability", 1, patience));
  a.proc->signal(SIGKILL);
  a.proc->wait(patience);
  ASSERT_TRUE(sub.wait_until([](const auto& m) { return !m.empty() && m.back().payload == "offline"; }, patience));
  // A client that subscribes later gets the will as the retained value.
  mqtt_test_client late(client_opts(broker, "late"));
  ASSERT_TRUE(late.wait_connected());
  ASSERT_TRUE(late.subscribe("netstab/c6/availability"));
  ASSERT_TRUE(late.wait_count("netstab/c6/availability", 1, patience));
  EXPECT_EQ(late.on_topic("netstab/c6/availability").back().payload, "offline");
  EXPECT_TRUE(late.on_topic("netstab/c6/availability").back().retained);
}

TEST(ServiceMode, BrokerRestartLosesNoSampleAndDuplicatesNone) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_options mo;
  mo.persistence = true;
  mosquitto_broker broker(mo);
  mqtt_test_client::options co = client_opts(broker, "persistent-sub", 4);
  co.clean_session = false;
  mqtt_test_client sub(co);
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c7/targets/+/sample", 1));
  agent a(broker, "c7", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string topic = "netstab/c7/targets/127.0.0.1/sample";
  ASSERT_TRUE(sub.wait_count(topic, 5, patience)) << a.proc->log();
  const int before_stop = json::parse(sub.on_topic(topic).back().payload)["seq"].get<int>();
  broker.stop();
  // netstab keeps probing; from its noticing the outage on, 2.5 s of samples (~25) go to its outbox. The outage
  // is made of time; its length is no expectation of the test.
  ASSERT_TRUE(poll_until([&] { return a.proc->log().find("mqtt: disconnected from") != std::string::npos; }))
      << a.proc->log();
  std::this_thread::sleep_for(2500ms);
  const auto restarted = std::chrono::system_clock::now();
  broker.start();
  // Everything buffered arrives, in order, before the first sample probed after the restart.
  // The predicate runs under the client's lock: it reads the messages it is given.
  ASSERT_TRUE(sub.wait_until(
      [&](const std::vector<received_message>& msgs) {
        for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
          if (it->topic == topic) return ts_of(json::parse(it->payload)) >= restarted;
        }
        return false;
      },
      patience))
      << a.proc->log();
  std::vector<int> seqs;
  for (const auto& m : sub.on_topic(topic)) seqs.push_back(json::parse(m.payload)["seq"].get<int>());
  const std::set<int> unique(seqs.begin(), seqs.end());
  EXPECT_EQ(unique.size(), seqs.size()) << "duplicated samples";
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << "samples out of order";
  ASSERT_FALSE(seqs.empty());
  // Samples are QoS 0: the one or two written into the socket as the broker went down, before netstab saw the
  // connection close, may be lost (at most once, by definition). Every sample buffered from then on arrives.
  const int in_flight_at_stop = before_stop + 3;
  for (int s = seqs.front(); s <= seqs.back(); ++s) {
    if (s > in_flight_at_stop) {
      EXPECT_TRUE(unique.count(s)) << "buffered sample " << s << " lost";
    }
  }
  int lost_at_stop = 0;
  for (int s = seqs.front(); s <= std::min(in_flight_at_stop, seqs.back()); ++s) {
    if (unique.count(s) == 0) ++lost_at_stop;
  }
  EXPECT_LE(lost_at_stop, 3);
}

TEST(ServiceMode, AcceptsGoodCredentialsAndReportsBadOnes) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_options mo;
  mo.require_password = true;
  mosquitto_broker broker(mo);
  mqtt_test_client::options co = client_opts(broker, "sub");
  co.user = mo.user;
  co.password = mo.password;
  mqtt_test_client sub(co);
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/#"));
  const std::string dir = netstab::test::make_temp_dir("netstab-svc");
  std::ofstream(dir + "/good") << mo.password << "\n";
  std::ofstream(dir + "/bad") << "wrong\n";
  agent good(broker, "good", {"--target", "127.0.0.1", "--username", mo.user, "--password-file", dir + "/good"});
  ASSERT_TRUE(sub.wait_count("netstab/good/availability", 1, patience)) << good.proc->log();
  agent bad(broker, "bad", {"--target", "127.0.0.1", "--username", mo.user, "--password-file", dir + "/bad"});
  // Once the refusal is logged there was no connection to publish on.
  EXPECT_TRUE(poll_until([&] { return bad.proc->log().find("not authorized") != std::string::npos; }))
      << bad.proc->log();
  EXPECT_TRUE(sub.on_topic("netstab/bad/availability").empty());
  const std::string log = bad.proc->log();
  EXPECT_EQ(log.find("wrong"), std::string::npos) << "the password leaked into the log";
  std::filesystem::remove_all(dir);
}

TEST(ServiceMode, ConnectsOverTlsWithTheRightCaAndRefusesAnotherCa) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_options mo;
  mo.tls = true;
  mosquitto_broker broker(mo);
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/#"));
  agent good(broker.tls_url(), "tlsgood", {"--target", "127.0.0.1"}, {{"NETSTAB_MQTT_TLS_CA_FILE", broker.ca_file()}});
  ASSERT_TRUE(sub.wait_count("netstab/tlsgood/availability", 1, patience)) << good.proc->log();
  agent bad(broker.tls_url(), "tlsbad", {"--target", "127.0.0.1"},
            {{"NETSTAB_MQTT_TLS_CA_FILE", broker.other_ca_file()}});
  // Once the refused certificate is logged there was no connection to publish on.
  EXPECT_TRUE(poll_until([&] { return bad.proc->log().find("certificate verify failed") != std::string::npos; }))
      << bad.proc->log();
  EXPECT_TRUE(sub.on_topic("netstab/tlsbad/availability").empty()) << bad.proc->log();
}

TEST(ServiceMode, TlsWithAnotherCaIsLoggedAsACertificateProblem) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_options mo;
  mo.tls = true;
  mosquitto_broker broker(mo);
  agent bad(broker.tls_url(), "tlsca", {"--target", "127.0.0.1"},
            {{"NETSTAB_MQTT_TLS_CA_FILE", broker.other_ca_file()}});
  std::string log;
  poll_until([&] {
    log = bad.proc->log();
    return log.find("certificate verify failed") != std::string::npos;
  });
  EXPECT_NE(log.find("TLS certificate verify failed: the broker's certificate is not signed by a CA in the CA file " +
                     broker.other_ca_file()),
            std::string::npos)
      << log;
  // Reported as an error (retrying won't fix it), not only as a warning per attempt.
  EXPECT_NE(log.find("error TLS certificate verify failed"), std::string::npos) << log;
}

TEST(ServiceMode, HostNameTargetsAreAnsweredAfterTheirFirstResolution) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c8/#"));
  agent a(broker, "c8", {"--target", "127.0.0.1", "--interval", "200"});
  const std::string base = "netstab/c8/";
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.1/sample", 2, patience)) << a.proc->log();

  // Back to back: the add_target waits behind the set_target's resolution, so
  // the result is both targets, not the name alone.
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"set_target","target":"localhost","interval_ms":200,"id":"s1"})"));
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":"127.0.0.2","interval_ms":200,"id":"s2"})"));
  auto r1 = reply_for(sub, base + "cmd/reply", "s1", patience);
  auto r2 = reply_for(sub, base + "cmd/reply", "s2", patience);
  ASSERT_TRUE(r1 && r2) << a.proc->log();
  EXPECT_TRUE((*r1)["ok"].get<bool>()) << r1->dump();
  EXPECT_EQ((*r1)["target"], "localhost");
  ASSERT_TRUE((*r1)["address"].is_string()) << r1->dump();
  EXPECT_TRUE((*r1)["address"] == "127.0.0.1" || (*r1)["address"] == "::1") << r1->dump();
  EXPECT_TRUE((*r2)["ok"].get<bool>()) << r2->dump();
  std::vector<std::string> reply_ids;
  for (const json& j : json_on(sub, base + "cmd/reply")) {
    if (j.contains("id")) reply_ids.push_back(j["id"].get<std::string>());
  }
  EXPECT_EQ(reply_ids, (std::vector<std::string>{"s1", "s2"}));
  ASSERT_TRUE(sub.wait_count(base + "targets/localhost/sample", 2, patience)) << a.proc->log();
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.2/sample", 2, patience)) << a.proc->log();
  auto targets_in_state = [&] {
    std::vector<std::string> out;
    const std::vector<json> states = json_on(sub, base + "state");
    if (states.empty()) return out;
    for (const json& t : states.back()["targets"]) out.push_back(t["target"]);
    return out;
  };
  EXPECT_EQ(targets_in_state(), (std::vector<std::string>{"localhost", "127.0.0.2"}));

  // A name that never resolves (the .invalid TLD): an error reply with the
  // reason, and nothing changes. If the resolver times out instead of failing
  // fast, the reply still comes (after the controller's 5 s limit).
  for (const std::string cmd : {"add_target", "set_target"}) {
    const std::string id = "bad-" + cmd;
    ASSERT_TRUE(
        sub.publish(base + "cmd", R"({"cmd":")" + cmd + R"(","target":"no-such-host.invalid","id":")" + id + R"("})"));
    const auto r = reply_for(sub, base + "cmd/reply", id, patience);
    ASSERT_TRUE(r.has_value()) << a.proc->log();
    EXPECT_FALSE((*r)["ok"].get<bool>());
    const std::string error = (*r)["error"];
    const std::string prefix = "unresolvable target 'no-such-host.invalid': ";
    EXPECT_EQ(error.rfind(prefix, 0), 0U) << error;
    EXPECT_GT(error.size(), prefix.size()) << "no reason given";
  }
  sub.clear();
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"status","id":"st"})"));
  ASSERT_TRUE(reply_for(sub, base + "cmd/reply", "st").has_value());
  ASSERT_TRUE(sub.wait_count(base + "state", 1, patience));
  EXPECT_EQ(targets_in_state(), (std::vector<std::string>{"localhost", "127.0.0.2"}));
  expect_schema_valid("reply", payloads_on(sub, base + "cmd/reply"));
}

namespace {

// A DNS server that never answers: a UDP socket bound to port 53 of a loopback
// address, read by nobody. Invalid (fd < 0) when the port is taken.
struct silent_dns {
  explicit silent_dns(const std::string& address) {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~silent_dns() {
    if (fd >= 0) ::close(fd);
  }
  int fd = -1;
};

}  // namespace

// The issue's bound for an exit after SIGTERM is 2 s, checked in the dev and asan builds. ThreadSanitizer slows
// the binary 5-15 times (its shutdown joins Paho's threads under instrumentation), and one loaded CI run took
// 2.06 s there, so the tsan build gets twice the time.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NETSTAB_TEST_UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(NETSTAB_TEST_UNDER_TSAN)
constexpr std::chrono::milliseconds exit_bound{4000};
#else
constexpr std::chrono::milliseconds exit_bound{2000};
#endif

TEST(ServiceMode, UnansweredNameLookupStillGetsAReplyAndWaitingCommandsAreBounded) {
  NETSTAB_REQUIRE_ROOT();
  silent_dns dns("127.0.0.77");
  if (dns.fd < 0) GTEST_SKIP() << "port 53 on 127.0.0.77 is taken";
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c10/#"));
  // netstab runs in a mount namespace of its own whose /etc/resolv.conf names the silent server.
  const std::string dir = netstab::test::make_temp_dir("netstab-svc");
  std::ofstream(dir + "/resolv.conf") << "nameserver 127.0.0.77\noptions timeout:30 attempts:1\n";
  const std::vector<std::string> argv{"/usr/bin/unshare",
                                      "-m",
                                      "--",
                                      "/bin/sh",
                                      "-c",
                                      R"(mount --bind "$0" /etc/resolv.conf && exec "$@")",
                                      dir + "/resolv.conf",
                                      netstab::test::netstab_binary(),
                                      "--broker",
                                      broker.url(),
                                      "--agent",
                                      "c10",
                                      "--target",
                                      "127.0.0.1",
                                      "--interval",
                                      "200",
                                      "--log-level",
                                      "debug"};
  child_process proc(argv, {{"NETSTAB_CONTROL_ALLOW_LOOPBACK", "true"}, {"NETSTAB_HISTORY_PATH", dir + "/history.db"}},
                     dir + "/netstab.log");
  const std::string base = "netstab/c10/";
  ASSERT_TRUE(sub.wait_count(base + "targets/127.0.0.1/sample", 2, patience)) << proc.log();

  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":"slow.example","id":"slow"})"));
  // While it resolves, 15 more commands wait; the 17th and later are refused at once.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"status","id":)" + std::to_string(100 + i) + "}"));
  }
  // Refused at once: before the name's answer, which the next check sees has not come yet.
  const auto refused = reply_for(sub, base + "cmd/reply", 119, patience);
  ASSERT_TRUE(refused.has_value()) << proc.log();
  EXPECT_FALSE((*refused)["ok"].get<bool>());
  EXPECT_NE((*refused)["error"].get<std::string>().find("limit reached"), std::string::npos) << refused->dump();
  EXPECT_FALSE(reply_for(sub, base + "cmd/reply", "slow", 1ms).has_value()) << "answered before resolving";

  const auto r = reply_for(sub, base + "cmd/reply", "slow", patience);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.has_value()) << proc.log();
  EXPECT_FALSE((*r)["ok"].get<bool>());
  EXPECT_EQ((*r)["error"], "unresolvable target 'slow.example': no answer from the name resolver within 5 s");
  // The controller's 5 s limit, not the resolver's 30 s (resolv.conf above); the upper bound leaves a loaded
  // machine 15 s on top and still tells the two apart.
  EXPECT_GE(took, 4500ms);
  EXPECT_LT(took, 20s);
  // The waiting commands are answered after it, in order; exactly 15 of them.
  std::vector<int> ok_ids, refused_ids;
  ASSERT_TRUE(sub.wait_until(
      [&](const std::vector<received_message>& msgs) {
        ok_ids.clear();
        refused_ids.clear();
        for (const auto& m : msgs) {
          if (m.topic != base + "cmd/reply") continue;
          const json j = json::parse(m.payload);
          if (!j["id"].is_number()) continue;
          (j["ok"].get<bool>() ? ok_ids : refused_ids).push_back(j["id"].get<int>());
        }
        return ok_ids.size() + refused_ids.size() == 20;
      },
      patience))
      << proc.log();
  std::vector<int> want_ok, want_refused;
  for (int i = 0; i < 15; ++i) want_ok.push_back(100 + i);
  for (int i = 15; i < 20; ++i) want_refused.push_back(100 + i);
  EXPECT_EQ(ok_ids, want_ok);
  EXPECT_EQ(refused_ids, want_refused);

  // SIGTERM while a lookup hangs still exits promptly.
  ASSERT_TRUE(sub.publish(base + "cmd", R"({"cmd":"add_target","target":"slow2.example","id":"slow2"})"));
  // The lookup starts as the command is logged.
  ASSERT_TRUE(poll_until([&] { return proc.log().find("slow2.example") != std::string::npos; })) << proc.log();
  proc.signal(SIGTERM);
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(proc.wait(patience), 0) << proc.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, exit_bound) << proc.log();
  std::filesystem::remove_all(dir);
}

TEST(ServiceMode, FiveHundredTargetsGetTheirRetainedStatsBackAfterABrokerRestart) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  const std::string targets = loopback_targets(500);
  mqtt_test_client watch(client_opts(broker, "watch"));
  ASSERT_TRUE(watch.wait_connected());
  ASSERT_TRUE(watch.subscribe("netstab/c11/availability"));
  ASSERT_TRUE(watch.subscribe("netstab/c11/targets/+/stats"));
  agent a(broker, "c11", {"--interval", "10000"}, {{"NETSTAB_TARGETS", targets}});
  ASSERT_TRUE(watch.wait_count("netstab/c11/availability", 1, patience)) << a.proc->log();
  // The first targets (their starts are spread over the 10 s interval) have published statistics.
  ASSERT_TRUE(watch.wait_until(
      [](const std::vector<received_message>& msgs) {
        std::set<std::string> topics;
        for (const auto& m : msgs) {
          if (m.topic != "netstab/c11/availability") topics.insert(m.topic);
        }
        return topics.size() >= 50;
      },
      patience))
      << a.proc->log().substr(0, 20000);
  // Without persistence the restarted broker has no retained message: netstab republishes them all.
  broker.stop();
  broker.start();
  mqtt_test_client sub(client_opts(broker, "stats-sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/c11/targets/+/stats"));
  std::set<std::string> seen;
  const bool all = sub.wait_until(
      [&](const std::vector<received_message>& msgs) {
        seen.clear();
        for (const auto& m : msgs) {
          if (!m.payload.empty()) seen.insert(m.topic);
        }
        return seen.size() == 500;
      },
      patience);
  EXPECT_TRUE(all) << seen.size() << " of 500 targets have retained stats\n" << a.proc->log().substr(0, 20000);
  // Every one of them is retained (a new subscriber gets them all).
  mqtt_test_client late(client_opts(broker, "late-sub"));
  ASSERT_TRUE(late.wait_connected());
  ASSERT_TRUE(late.subscribe("netstab/c11/targets/+/stats"));
  EXPECT_TRUE(late.wait_until(
      [](const std::vector<received_message>& msgs) {
        std::set<std::string> topics;
        for (const auto& m : msgs) {
          if (m.retained && !m.payload.empty()) topics.insert(m.topic);
        }
        return topics.size() == 500;
      },
      patience));
  // It resubscribed (a command is answered) and republished its availability.
  mqtt_test_client cmd(client_opts(broker, "cmd"));
  ASSERT_TRUE(cmd.wait_connected());
  ASSERT_TRUE(cmd.subscribe("netstab/c11/cmd/reply"));
  ASSERT_TRUE(cmd.subscribe("netstab/c11/availability"));
  ASSERT_TRUE(cmd.wait_count("netstab/c11/availability", 1, patience));
  EXPECT_EQ(cmd.on_topic("netstab/c11/availability").back().payload, "online");
  ASSERT_TRUE(cmd.publish("netstab/c11/cmd", R"({"cmd":"status","id":1})"));
  EXPECT_TRUE(reply_for(cmd, "netstab/c11/cmd/reply", 1).has_value());
  const std::string log = a.proc->log();
  // The log tells the story: lost, retrying, connected again.
  EXPECT_NE(log.find("mqtt: disconnected from"), std::string::npos);
  EXPECT_NE(log.find("mqtt: retrying"), std::string::npos);
  const auto first = log.find("mqtt: connected to");
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(log.find("mqtt: connected to", first + 1), std::string::npos);
  EXPECT_EQ(log.find("can be buffered"), std::string::npos) << log.substr(0, 20000);
  EXPECT_EQ(log.find(" refused"), std::string::npos);
  EXPECT_EQ(log.find(" error "), std::string::npos);
}

// History against the real binary and a real mosquitto: the history and history_targets commands answer from the
// SQLite file the agent writes, and `netstab history` reads the same file while the agent runs; a restart is a
// second run (a gap, never loss); the state shows the store; an unwritable path leaves probing going with the
// error in the state; a full disk pauses history (an event, the state) and it resumes when space returns.
// Probes go to loopback only.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"

using namespace std::chrono_literals;
using netstab::test::client_opts;
using netstab::test::expect_schema_valid;
using netstab::test::json_on;
using netstab::test::make_temp_dir;
using netstab::test::mosquitto_broker;
using netstab::test::mqtt_test_client;
using netstab::test::payloads_on;
using netstab::test::reply_for;
using nlohmann::json;
using agent = netstab::test::service_agent;

namespace {

// Sends a command and waits for its reply.
std::optional<json> ask(mqtt_test_client& c, const std::string& agent_id, json cmd, const std::string& id) {
  cmd["id"] = id;
  const std::string base = "netstab/" + agent_id + "/";
  if (!c.publish(base + "cmd", cmd.dump())) return std::nullopt;
  return reply_for(c, base + "cmd/reply", id, 10s);
}

// Polls the history until pred holds for a reply; the last reply either way.
json ask_until(mqtt_test_client& c, const std::string& agent_id, const json& cmd,
               const std::function<bool(const json&)>& pred, std::chrono::seconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json last;
  for (int n = 0; std::chrono::steady_clock::now() < deadline; ++n) {
    if (auto r = ask(c, agent_id, cmd, "poll-" + std::to_string(n))) {
      last = *r;
      if (pred(last)) return last;
    }
    std::this_thread::sleep_for(200ms);  // polling interval of a condition, not a wait for an outcome
  }
  return last;
}

// The "history" object of the newest state message among ms.
std::optional<json> history_state(const std::vector<netstab::test::received_message>& ms, const std::string& agent_id) {
  const std::string topic = "netstab/" + agent_id + "/state";
  for (auto it = ms.rbegin(); it != ms.rend(); ++it) {
    if (it->topic != topic || it->payload.empty()) continue;
    const json s = json::parse(it->payload);
    if (s.contains("history")) return s["history"];
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<json> history_state(const mqtt_test_client& c, const std::string& agent_id) {
  return history_state(c.messages(), agent_id);
}

std::map<std::string, std::string> history_env(const std::string& path) {
  return {{"NETSTAB_HISTORY_PATH", path}, {"NETSTAB_HISTORY_FLUSH_INTERVAL_S", "1"}};
}

}  // namespace

TEST(History, CommandsAnswerFromTheFileTheAgentWritesAndTheCliReadsItToo) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/h1/#"));
  const std::string dir = make_temp_dir("netstab-history");
  const std::string db = dir + "/history.db";
  agent a(broker, "h1", {"--target", "127.0.0.1", "--target", "::1", "--interval", "100"}, history_env(db));
  ASSERT_TRUE(sub.wait_count("netstab/h1/targets/127.0.0.1/stats", 2, 10s)) << a.proc->log();

  // Raw samples reach the file within a flush interval.
  const json raw = ask_until(sub, "h1", {{"cmd", "history"}, {"target", "127.0.0.1"}, {"from", "-5m"}, {"step", "raw"}},
                             [](const json& r) { return r.value("ok", false) && r["rows"].size() >= 5; });
  ASSERT_TRUE(raw.value("ok", false)) << raw.dump() << a.proc->log();
  EXPECT_EQ(raw["step_s"], 0);
  EXPECT_EQ(raw["target"], "127.0.0.1");
  ASSERT_FALSE(raw["runs"].empty());
  EXPECT_EQ(raw["runs"].back()["ending"], "running");

  const auto targets = ask(sub, "h1", {{"cmd", "history_targets"}}, "t");
  ASSERT_TRUE(targets && (*targets)["ok"] == true) << (targets ? targets->dump() : "no reply");
  std::vector<std::string> names;
  for (const auto& t : (*targets)["targets"]) names.push_back(t["target"]);
  EXPECT_EQ(names, (std::vector<std::string>{"127.0.0.1", "::1"}));

  // Clear errors for what can't be answered; nothing changes.
  const auto unknown = ask(sub, "h1", {{"cmd", "history"}, {"target", "192.0.2.99"}}, "u");
  ASSERT_TRUE(unknown);
  EXPECT_EQ((*unknown)["ok"], false);
  EXPECT_FALSE((*unknown)["error"].get<std::string>().empty());
  const auto backwards =
      ask(sub, "h1", {{"cmd", "history"}, {"target", "127.0.0.1"}, {"from", "now"}, {"to", "-1h"}}, "b");
  ASSERT_TRUE(backwards);
  EXPECT_EQ((*backwards)["ok"], false);
  const auto bad_step = ask(sub, "h1", {{"cmd", "history"}, {"target", "127.0.0.1"}, {"step", "fortnightly"}}, "s");
  ASSERT_TRUE(bad_step);
  EXPECT_EQ((*bad_step)["ok"], false);

  // The command-line reader opens the file the running agent writes.
  const std::string out = dir + "/cli.csv";
  const int rc = netstab::test::run_program({netstab::test::netstab_binary(), "history", "--db", db, "--target",
                                             "127.0.0.1", "--from", "-5m", "--step", "raw"},
                                            out, 30s);
  EXPECT_EQ(rc, 0);
  std::ifstream csv(out);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("ts,", 0), 0U) << header;

  const auto state = history_state(sub, "h1");
  ASSERT_TRUE(state) << "no state with a history object";
  EXPECT_EQ((*state)["path"], db);
  expect_schema_valid("reply", payloads_on(sub, "netstab/h1/cmd/reply"));
  expect_schema_valid("state", payloads_on(sub, "netstab/h1/state"));
  std::filesystem::remove_all(dir);
}

TEST(History, ARestartIsASecondRunAndTheStoppedMinuteIsKept) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/h2/#"));
  const std::string dir = make_temp_dir("netstab-history");
  const std::string db = dir + "/history.db";
  {
    agent first(broker, "h2", {"--target", "127.0.0.1", "--interval", "100"}, history_env(db));
    ASSERT_TRUE(sub.wait_count("netstab/h2/targets/127.0.0.1/stats", 3, 10s)) << first.proc->log();
    first.proc->signal(SIGTERM);
    ASSERT_EQ(first.proc->wait(10s), 0) << first.proc->log();
  }
  sub.clear();
  agent second(broker, "h2", {"--target", "127.0.0.1", "--interval", "100"}, history_env(db));
  ASSERT_TRUE(sub.wait_count("netstab/h2/targets/127.0.0.1/stats", 2, 10s)) << second.proc->log();
  // The first run's open minute was finished at its stop: a 1-minute row exists at once.
  const json r = ask_until(sub, "h2", {{"cmd", "history"}, {"target", "127.0.0.1"}, {"from", "-10m"}, {"step", "1m"}},
                           [](const json& j) { return j.value("ok", false) && j["runs"].size() >= 2; });
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
  ASSERT_GE(r["runs"].size(), 2U) << r.dump();
  EXPECT_EQ(r["runs"][0]["ending"], "stopped");
  EXPECT_EQ(r["runs"].back()["ending"], "running");
  ASSERT_FALSE(r["rows"].empty()) << r.dump();
  const auto& cols = r["columns"];
  const auto lost_col = std::find(cols.begin(), cols.end(), "lost") - cols.begin();
  for (const auto& row : r["rows"]) EXPECT_EQ(row[static_cast<std::size_t>(lost_col)], 0) << row.dump();
  std::filesystem::remove_all(dir);
}

TEST(History, AnUnwritablePathIsNamedInTheStateAndProbingGoesOn) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/h3/#"));
  const std::string path = "/proc/netstab-no-such-dir/history.db";
  agent a(broker, "h3", {"--target", "127.0.0.1", "--interval", "100"}, history_env(path));
  ASSERT_TRUE(sub.wait_until(
      [](const std::vector<netstab::test::received_message>& ms) {
        for (const auto& m : ms) {
          if (m.topic == "netstab/h3/events" && m.payload.find("\"type\":\"history\"") != std::string::npos &&
              m.payload.find("\"state\":\"disabled\"") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      10s))
      << a.proc->log();
  ASSERT_TRUE(sub.wait_count("netstab/h3/targets/127.0.0.1/stats", 3, 10s)) << "probing stopped: " << a.proc->log();
  // The state follows the event (retained messages go out in bursts).
  ASSERT_TRUE(sub.wait_until(
      [&](const std::vector<netstab::test::received_message>& ms) {
        const auto h = history_state(ms, "h3");
        return h && !(*h)["error"].is_null();
      },
      10s));
  const auto state = history_state(sub, "h3");
  ASSERT_TRUE(state);
  EXPECT_EQ((*state)["enabled"], false);
  EXPECT_NE((*state)["error"].get<std::string>().find(path), std::string::npos) << state->dump();
  const auto reply = ask(sub, "h3", {{"cmd", "history_targets"}}, "t");
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)["ok"], false) << reply->dump();
  expect_schema_valid("event", payloads_on(sub, "netstab/h3/events"));
}

TEST(History, AFullDiskPausesHistoryWhileProbingGoesOnAndItResumes) {
  NETSTAB_REQUIRE_ROOT();
  const std::string dir = make_temp_dir("netstab-history-full");
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=256k"), 0) << std::strerror(errno);
  struct unmount {
    std::string d;
    ~unmount() {
      ::umount2(d.c_str(), MNT_DETACH);
      std::error_code ignored;
      std::filesystem::remove_all(d, ignored);
    }
  } guard{dir};
  mosquitto_broker broker;
  mqtt_test_client sub(client_opts(broker, "sub"));
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/h4/#"));
  // Raw samples of five targets every 10 ms fill 256 KiB within seconds.
  std::vector<std::string> args{"--interval", "10", "--no-samples"};
  for (int i = 1; i <= 5; ++i) args.insert(args.end(), {"--target", "127.0.4." + std::to_string(i)});
  auto env = history_env(dir + "/history.db");
  env.emplace("NETSTAB_STATS_PUBLISH_INTERVAL_MS", "1000");
  agent a(broker, "h4", args, env);
  auto event_seen = [&](const char* state) {
    return sub.wait_until(
        [state](const std::vector<netstab::test::received_message>& ms) {
          for (const auto& m : ms) {
            if (m.topic == "netstab/h4/events" && m.payload.find("\"type\":\"history\"") != std::string::npos &&
                m.payload.find(std::string("\"state\":\"") + state + "\"") != std::string::npos) {
              return true;
            }
          }
          return false;
        },
        60s);
  };
  ASSERT_TRUE(event_seen("paused")) << a.proc->log();
  // The state follows the event (retained messages go out in bursts).
  ASSERT_TRUE(sub.wait_until(
      [&](const std::vector<netstab::test::received_message>& ms) {
        const auto h = history_state(ms, "h4");
        return h && (*h)["paused"] == true && !(*h)["error"].is_null();
      },
      10s))
      << history_state(sub, "h4").value_or(json()).dump();
  // Probing and MQTT go on while history is paused.
  const std::size_t stats_before = sub.on_topic("netstab/h4/targets/127.0.4.1/stats").size();
  ASSERT_TRUE(sub.wait_count("netstab/h4/targets/127.0.4.1/stats", stats_before + 3, 10s)) << a.proc->log();
  // Space returns: history resumes by itself.
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0) << std::strerror(errno);
  ASSERT_TRUE(event_seen("resumed")) << a.proc->log();
}

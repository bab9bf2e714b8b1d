// SIGHUP reload against the real binary (stdout mode, probing loopback addresses), and the pure parts of
// service/reload: which changed sections wait for a restart.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>
#include <thread>

#include "config/cli.hpp"
#include "service/app/reload.hpp"
#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/wait.hpp"

namespace netstab::test {
namespace {

using namespace std::chrono_literals;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// Waits until `pred(log)` holds or the timeout passes; returns the last log.
template <typename Pred>
std::string wait_log(const child_process& p, Pred pred, std::chrono::milliseconds timeout = test::patience) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  std::string log = p.log();
  while (!pred(log) && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(20ms);
    log = p.log();
  }
  return log;
}

std::size_t count(const std::string& hay, const std::string& needle, std::size_t from = 0) {
  std::size_t n = 0;
  for (auto at = hay.find(needle, from); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

const std::string sample_of_1 = R"("target":"127.0.0.1")";
const std::string sample_of_2 = R"("target":"127.0.0.2")";
const std::string sample_of_3 = R"("target":"127.0.0.3")";

TEST(Reload, SighupAppliesTheFilesTargetsAndRefusesABadFile) {
  NETSTAB_REQUIRE_ROOT();
  const std::string dir = ::testing::TempDir();
  const std::string conf = dir + "netstab_reload_" + std::to_string(::getpid()) + ".toml";
  write_file(conf, "targets = [\"127.0.0.1\"]\n[probe]\ninterval_ms = 100\n");
  child_process p({netstab_binary(), "--config", conf, "--json"}, {}, conf + ".log");
  std::string log = wait_log(p, [](const std::string& l) { return l.find(sample_of_1) != std::string::npos; });
  ASSERT_NE(log.find(sample_of_1), std::string::npos) << log;

  // New target list: .1 goes, .2 and .3 come.
  write_file(conf, "targets = [\"127.0.0.2\", \"127.0.0.3\"]\n[probe]\ninterval_ms = 100\n");
  p.signal(SIGHUP);
  log = wait_log(p, [](const std::string& l) { return l.find("configuration reloaded") != std::string::npos; });
  const auto reloaded_at = log.find("configuration reloaded");
  ASSERT_NE(reloaded_at, std::string::npos) << log;
  EXPECT_NE(log.find("2 target(s) added, 1 removed, 0 changed", reloaded_at), std::string::npos) << log;
  log = wait_log(p, [&](const std::string& l) {
    return count(l, sample_of_2, reloaded_at) >= 3 && count(l, sample_of_3, reloaded_at) >= 3;
  });
  EXPECT_GE(count(log, sample_of_2, reloaded_at), 3U) << log;
  EXPECT_GE(count(log, sample_of_3, reloaded_at), 3U) << log;
  // A probe of .1 already on its way may still report; none is sent after that. Four more probes of .2 (four
  // intervals of netstab's own time, however loaded the machine) give a probe of .1 the chance to show up.
  const auto ones_after = count(log, sample_of_1, reloaded_at);
  const auto twos_now = count(log, sample_of_2, reloaded_at);
  log = wait_log(p, [&](const std::string& l) { return count(l, sample_of_2, reloaded_at) >= twos_now + 4; });
  ASSERT_GE(count(log, sample_of_2, reloaded_at), twos_now + 4) << log;
  EXPECT_EQ(count(log, sample_of_1, reloaded_at), ones_after) << log;

  // A bad file is refused with file:line and key, and the running targets stay.
  write_file(conf, "targets = [\"127.0.0.1\"]\n[probe]\ninterval_ms = \"fast\"\n");
  p.signal(SIGHUP);
  log = wait_log(p, [](const std::string& l) { return l.find("reload refused") != std::string::npos; });
  const auto refused_at = log.find("reload refused");
  ASSERT_NE(refused_at, std::string::npos) << log;
  const auto line_end = log.find('\n', refused_at);
  const std::string refusal = log.substr(refused_at, line_end - refused_at);
  EXPECT_NE(refusal.find(conf + ":3"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("interval_ms"), std::string::npos) << refusal;
  log = wait_log(p, [&](const std::string& l) { return count(l, sample_of_2, refused_at) >= 3; });
  EXPECT_GE(count(log, sample_of_2, refused_at), 3U) << log;
  EXPECT_EQ(count(log, sample_of_1, refused_at), 0U) << log;

  // A changed interval replaces the target; a changed [stats] section waits for a restart and says so.
  write_file(conf,
             "targets = [\"127.0.0.2\"]\n[probe]\ninterval_ms = 100\n"
             "[[target]]\nhost = \"127.0.0.3\"\ninterval_ms = 200\n[stats]\npublish_interval_ms = 7000\n");
  p.signal(SIGHUP);
  log = wait_log(p, [&](const std::string& l) {
    return count(l, "configuration reloaded", refused_at) >= 1 || count(l, "reload refused", refused_at + 1) >= 1;
  });
  const auto second = log.find("configuration reloaded", refused_at);
  ASSERT_NE(second, std::string::npos) << log;
  const std::string summary = log.substr(second, log.find('\n', second) - second);
  EXPECT_NE(summary.find("0 target(s) added, 0 removed, 1 changed"), std::string::npos) << summary;
  EXPECT_NE(summary.find("needs a restart to take effect: stats"), std::string::npos) << summary;

  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(test::patience), 0) << p.log();
}

// Service mode: the reload's outcome is an event on the events topic, and the retained state follows.
TEST(Reload, ServiceModePublishesTheOutcomeAndTheNewState) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  mqtt_test_client::options o;
  o.port = broker.port();
  o.client_id = "reload-watch";
  o.version = 5;
  mqtt_test_client sub(o);
  ASSERT_TRUE(sub.wait_connected());
  ASSERT_TRUE(sub.subscribe("netstab/rl/#"));
  const std::string dir = ::testing::TempDir();
  const std::string conf = dir + "netstab_reload_service_" + std::to_string(::getpid()) + ".toml";
  write_file(conf, "targets = [\"127.0.0.1\"]\n[probe]\ninterval_ms = 200\n");
  child_process p({netstab_binary(), "--config", conf, "--broker", broker.url(), "--agent", "rl"},
                  {{"NETSTAB_HISTORY_PATH", conf + ".history.db"}}, conf + ".log");
  const auto state_has = [](const std::vector<received_message>& msgs, const std::string& target) {
    for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
      if (it->topic != "netstab/rl/state") continue;
      const auto j = nlohmann::json::parse(it->payload, nullptr, false);
      if (j.is_discarded()) return false;
      for (const auto& t : j["targets"]) {
        if (t.value("target", "") == target) return true;
      }
      return false;
    }
    return false;
  };
  ASSERT_TRUE(sub.wait_until([&](const auto& msgs) { return state_has(msgs, "127.0.0.1"); })) << p.log();

  write_file(conf, "targets = [\"127.0.0.2\"]\n[probe]\ninterval_ms = 200\n");
  p.signal(SIGHUP);
  ASSERT_TRUE(sub.wait_until([&](const auto& msgs) {
    return state_has(msgs, "127.0.0.2") && !state_has(msgs, "127.0.0.1");
  })) << p.log();
  // wait_until runs its predicate under the client's lock: it reads the messages it is given.
  const auto events_in = [](const std::vector<received_message>& msgs, const std::string& kind) {
    std::vector<nlohmann::json> out;
    for (const auto& m : msgs) {
      if (m.topic != "netstab/rl/events") continue;
      const auto j = nlohmann::json::parse(m.payload, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == kind) out.push_back(j);
    }
    return out;
  };
  const auto event_of = [&](const std::string& kind) { return events_in(sub.messages(), kind); };
  ASSERT_TRUE(sub.wait_until([&](const auto& msgs) { return !events_in(msgs, "config_reloaded").empty(); })) << p.log();
  EXPECT_NE(event_of("config_reloaded").front().value("reason", "").find("1 target(s) added, 1 removed"),
            std::string::npos);
  ASSERT_TRUE(sub.wait_count("netstab/rl/targets/127.0.0.2/sample", 3)) << p.log();

  write_file(conf, "targets = [\"127.0.0.3\"]\n[probe]\ninterval_ms = -5\n");
  p.signal(SIGHUP);
  ASSERT_TRUE(sub.wait_until([&](const auto& msgs) { return !events_in(msgs, "reload_failed").empty(); })) << p.log();
  EXPECT_NE(event_of("reload_failed").front().value("error", "").find("interval_ms"), std::string::npos);
  sub.clear();
  EXPECT_TRUE(sub.wait_count("netstab/rl/targets/127.0.0.2/sample", 3)) << "the running targets stay";
  EXPECT_TRUE(sub.on_topic("netstab/rl/targets/127.0.0.3/sample").empty());
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(test::patience), 0) << p.log();
}

config::settings load(std::initializer_list<std::string> args) {
  std::vector<std::string> argv{"netstab"};
  argv.insert(argv.end(), args);
  std::vector<char*> ptrs;
  for (auto& a : argv) ptrs.push_back(a.data());
  auto r = config::load(static_cast<int>(ptrs.size()), ptrs.data(), {});
  return r.value;
}

TEST(RestartOnlyChanges, NamesTheSectionsThatDifferButNotTargetsOrProbe) {
  const auto base = load({"--target", "127.0.0.1"});
  EXPECT_TRUE(service::restart_only_changes(base, base).empty());
  EXPECT_TRUE(service::restart_only_changes(base, load({"--target", "127.0.0.2", "--interval", "50"})).empty());
  const auto changed = service::restart_only_changes(
      base, load({"--target", "127.0.0.1", "--broker", "mqtt://127.0.0.1:1883", "--agent", "x"}));
  ASSERT_EQ(changed.size(), 1U);
  EXPECT_EQ(changed.front(), "mqtt");
}

}  // namespace
}  // namespace netstab::test

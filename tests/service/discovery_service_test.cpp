// Home Assistant MQTT discovery. First the publisher alone on a real libuv
// loop and a fake bus (when it publishes, coalescing, removals); then the real
// netstab binary publishing to a real mosquitto: the retained device config and HA's rules for it, checked
// against the messages netstab really sends; republishing when HA says
// "online"; entities of removed targets going away; discovery turned off; and
// the command payloads HA would send, rendered from the discovery templates,
// driving netstab. Probes go to loopback only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "core/discovery.hpp"
#include "service/discovery_publisher.hpp"
#include "service/uv.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fake_message_bus.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using netstab::test::child_process;
using netstab::test::mosquitto_broker;
using netstab::test::mqtt_test_client;
using netstab::test::received_message;
using agent = netstab::test::service_agent;

namespace {


std::unique_ptr<mqtt_test_client> client(const mosquitto_broker& b, const std::string& id,
                                         const std::string& filter) {
  mqtt_test_client::options o;
  o.port = b.port();
  o.client_id = id;
  o.version = 5;
  auto c = std::make_unique<mqtt_test_client>(o);
  EXPECT_TRUE(c->wait_connected());
  EXPECT_TRUE(c->subscribe(filter));
  return c;
}

// The last non-empty message on topic, parsed; null when there is none.
json last_json(const mqtt_test_client& c, const std::string& topic) {
  const auto msgs = c.on_topic(topic);
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
    if (!it->payload.empty()) return json::parse(it->payload);
  }
  return nullptr;
}

// Waits until a JSON message on topic satisfies pred; returns it.
std::optional<json> wait_json(mqtt_test_client& c, const std::string& topic,
                              const std::function<bool(const json&)>& pred, std::chrono::milliseconds timeout = 5s,
                              std::size_t skip = 0) {
  std::optional<json> found;
  c.wait_until(
      [&](const std::vector<received_message>& msgs) {
        std::size_t seen = 0;
        for (const auto& m : msgs) {
          if (m.topic != topic || seen++ < skip || m.payload.empty()) continue;
          const json j = json::parse(m.payload, nullptr, false);
          if (!j.is_discarded() && pred(j)) found = j;
        }
        return found.has_value();
      },
      timeout);
  return found;
}

const json* path_in(const json& doc, const std::string& dotted) {
  const json* at = &doc;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const auto dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(part)) return nullptr;
    at = &(*at)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return at;
}

// Renders the few value_template forms the discovery payload uses, the way
// HA's Jinja would, against a real payload. Returns nullopt for a form it does
// not know (the caller then checks that template another way) and "" when a
// field the template reads is missing (HA would log a template error).
std::optional<std::string> render_value(const std::string& tmpl, const json& value_json) {
  static const std::regex plain(R"(^\{\{ value_json\.([A-Za-z0-9_.]+) \}\}$)");
  static const std::regex choice(
      R"(^\{\{ '([^']*)' if value_json\.([A-Za-z0-9_.]+)(?: == '([^']*)')? else '([^']*)' \}\}$)");
  std::smatch m;
  if (std::regex_match(tmpl, m, plain)) {
    const json* v = path_in(value_json, m[1]);
    if (v == nullptr) return "";
    if (v->is_null()) return "None";
    return v->is_string() ? v->get<std::string>() : v->dump();
  }
  if (std::regex_match(tmpl, m, choice)) {
    const json* v = path_in(value_json, m[2]);
    if (v == nullptr) return "";
    const bool truth = m[3].matched ? (v->is_string() && v->get<std::string>() == m[3].str())
                                    : (v->is_boolean() ? v->get<bool>() : !v->is_null());
    return truth ? m[1].str() : m[4].str();
  }
  return std::nullopt;
}

// A command template rendered with one substitution, as HA would render it.
std::string render_command(std::string tmpl, const std::string& placeholder, const std::string& rendered) {
  const auto at = tmpl.find(placeholder);
  EXPECT_NE(at, std::string::npos) << tmpl;
  if (at == std::string::npos) return tmpl;
  tmpl.replace(at, placeholder.size(), rendered);
  EXPECT_EQ(tmpl.find("{{"), std::string::npos) << tmpl;
  return tmpl;
}

std::string config_topic(const std::string& agent) {
  return "homeassistant/device/netstab_" + agent + "/config";
}

// HA's requirements per platform (required options of the MQTT platforms)
// and for a device discovery message.
void expect_home_assistant_rules(const json& p, const std::string& topic) {
  const std::regex id_re("^[A-Za-z0-9_-]+$");
  const std::regex topic_re("^homeassistant/device/([A-Za-z0-9_-]+)/config$");
  EXPECT_TRUE(std::regex_match(topic, topic_re)) << topic;
  ASSERT_TRUE(p["dev"].is_object());
  EXPECT_FALSE(p["dev"]["identifiers"].empty());
  EXPECT_TRUE(p["dev"]["name"].is_string());
  EXPECT_TRUE(p["dev"]["model"].is_string());
  EXPECT_TRUE(p["dev"]["sw_version"].is_string());
  ASSERT_TRUE(p["o"].is_object());
  EXPECT_TRUE(p["o"]["name"].is_string());
  ASSERT_TRUE(p["cmps"].is_object());
  const std::map<std::string, std::vector<std::string>> required = {
      {"sensor", {"state_topic"}},     {"binary_sensor", {"state_topic"}},
      {"switch", {"command_topic"}},   {"button", {"command_topic"}},
      {"text", {"command_topic"}},     {"number", {"command_topic"}},
  };
  std::set<std::string> unique_ids;
  for (const auto& [key, c] : p["cmps"].items()) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(std::regex_match(key, id_re));
    ASSERT_TRUE(c.contains("p"));
    const auto platform = c["p"].get<std::string>();
    ASSERT_TRUE(required.contains(platform)) << platform;
    // An entity component needs at least one option besides the platform, and a unique_id.
    ASSERT_GT(c.size(), 1U);
    for (const auto& k : required.at(platform)) {
      EXPECT_TRUE(c.contains(k)) << k;
    }
    ASSERT_TRUE(c["unique_id"].is_string());
    const auto uid = c["unique_id"].get<std::string>();
    EXPECT_TRUE(std::regex_match(uid, id_re)) << uid;
    EXPECT_TRUE(unique_ids.insert(uid).second) << "duplicate unique_id " << uid;
    if (platform == "number") {
      EXPECT_LT(c["min"].get<double>(), c["max"].get<double>());
    }
    if (platform == "text") {
      EXPECT_LT(c["min"].get<int>(), c["max"].get<int>());
      EXPECT_LE(c["max"].get<int>(), 255);
    }
    if (c.value("device_class", "") == "enum") {
      EXPECT_FALSE(c.contains("state_class"));
      EXPECT_FALSE(c.contains("unit_of_measurement"));
    }
  }
}

// A target as the prober hands it to sinks; the publisher only reads its spec.
class fake_target final : public netstab::service::target_view {
 public:
  explicit fake_target(std::string host) { spec_.host = std::move(host); }
  const netstab::core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return spec_.host; }
  const netstab::core::target_monitor& monitor() const override { std::abort(); }  // not used by discovery
  std::uint64_t sent() const override { return 0; }

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
  void event(const std::string& host, netstab::service::target_event what) {
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

using netstab::service::target_event;

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
  EXPECT_EQ(f.payloads()[0]["cmps"].size(), 4U + 8U + 8U);
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
  EXPECT_EQ(p[1]["cmps"].size(), 4U + 8U);
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
  EXPECT_EQ(p[1]["cmps"].size(), 4U + 8U);
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
  EXPECT_EQ(p[0]["cmps"].size(), 4U + 8U + 8U);
  EXPECT_TRUE(p[0]["cmps"].contains("t_10_2e0_2e0_2e2_rtt"));
  EXPECT_FALSE(p[0]["cmps"].contains("t_10_2e0_2e0_2e3_rtt"));
  f.bus.clear();

  // A target within the first two goes: the third moves up and gets its entities.
  f.event("10.0.0.1", target_event::removed);
  f.run();
  p = f.payloads();
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[1]["cmps"].size(), 4U + 8U + 8U);
  EXPECT_TRUE(p[1]["cmps"]["t_10_2e0_2e0_2e3_rtt"].contains("state_topic"));
  EXPECT_FALSE(p[1]["cmps"].contains("t_10_2e0_2e0_2e1_rtt"));
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
  netstab::config::settings s;
  EXPECT_EQ(netstab::service::discovery_publisher::subscriptions(s), std::vector<std::string>{"homeassistant/status"});
  s.discovery.enabled = false;
  EXPECT_TRUE(netstab::service::discovery_publisher::subscriptions(s).empty());
  publisher.close();
  lp.close();
}

TEST(DiscoveryService, RetainedConfigFollowsHomeAssistantRulesAndReadsRealTopics) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto sub = client(broker, "sub", "netstab/d1/#");
  agent a(broker, "d1", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string base = "netstab/d1/";
  const std::string stats_topic = base + "targets/127.0.0.1/stats";
  // Enough probes that every statistic (jitter, MOS) has a value.
  ASSERT_TRUE(sub->wait_count(stats_topic, 6, 10s)) << a.proc->log();
  ASSERT_TRUE(sub->wait_count(base + "state", 1, 5s)) << a.proc->log();

  // A client that subscribes later (HA starting) gets the config from the broker: it is retained.
  auto ha = client(broker, "ha", "homeassistant/#");
  const std::string topic = config_topic("d1");
  ASSERT_TRUE(ha->wait_count(topic, 1, 5s)) << a.proc->log();
  const auto delivered = ha->on_topic(topic);
  EXPECT_TRUE(delivered.front().retained);
  const json p = json::parse(delivered.front().payload);
  expect_home_assistant_rules(p, topic);
  EXPECT_EQ(p["cmps"].size(), 4U + 8U);

  // Every topic the entities read is one netstab publishes: the messages seen
  // on it make the template render to a value of the entity's kind.
  const json stats = last_json(*sub, stats_topic);
  const json state = last_json(*sub, base + "state");
  ASSERT_FALSE(stats.is_null());
  ASSERT_FALSE(state.is_null());
  const std::set<std::string> published = {base + "availability", base + "state", stats_topic};
  for (const auto& [key, c] : p["cmps"].items()) {
    SCOPED_TRACE(key);
    for (const auto& [option, value] : c.items()) {
      if (option == "command_topic") {
        EXPECT_EQ(value, base + "cmd");  // what netstab subscribes on: the command test below drives it
      } else if (option.ends_with("_topic")) {
        EXPECT_TRUE(published.contains(value.get<std::string>())) << option << " = " << value;
        EXPECT_FALSE(sub->on_topic(value.get<std::string>()).empty()) << "nothing published on " << value;
      }
    }
    const auto availability = sub->on_topic(c["availability_topic"]);
    ASSERT_FALSE(availability.empty());
    EXPECT_EQ(availability.back().payload, c["payload_available"].get<std::string>());
    if (!c.contains("state_topic")) continue;
    const json& doc = c["state_topic"] == stats_topic ? stats : state;
    const auto tmpl = c["value_template"].get<std::string>();
    const auto rendered = render_value(tmpl, doc);
    if (!rendered) continue;  // the number's and the text's templates are checked in the command test
    ASSERT_FALSE(rendered->empty()) << tmpl << " reads a field the payload lacks";
    const auto platform = c["p"].get<std::string>();
    if (platform == "sensor" && c.contains("options")) {
      EXPECT_TRUE(std::find(c["options"].begin(), c["options"].end(), json(*rendered)) != c["options"].end())
          << *rendered;
    } else if (platform == "sensor") {
      EXPECT_NO_THROW((void)std::stod(*rendered)) << tmpl << " -> " << *rendered;
    } else if (platform == "binary_sensor") {
      EXPECT_EQ(*rendered, c["payload_on"]) << "127.0.0.1 answers, so it is connected";
    } else if (platform == "switch") {
      EXPECT_EQ(*rendered, c["state_on"]) << "monitoring is running";
    }
  }
  // The status's attribute template reads the reason.
  EXPECT_TRUE(stats.contains("reason"));
}

TEST(DiscoveryService, RepublishesWhenHomeAssistantSaysOnline) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "d2", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string topic = config_topic("d2");
  ASSERT_TRUE(ha->wait_count(topic, 1, 10s)) << a.proc->log();
  const std::size_t before = ha->on_topic(topic).size();

  // HA's last will: nothing to do.
  ASSERT_TRUE(ha->publish("homeassistant/status", "offline"));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(ha->on_topic(topic).size(), before);

  // HA's birth message: a fresh delivery (not the broker's retained copy).
  ASSERT_TRUE(ha->publish("homeassistant/status", "online"));
  ASSERT_TRUE(ha->wait_count(topic, before + 1, 5s)) << a.proc->log();
  const auto fresh = ha->on_topic(topic).back();
  EXPECT_FALSE(fresh.retained);
  const json p = json::parse(fresh.payload);
  EXPECT_TRUE(p["cmps"].contains("t_127_2e0_2e0_2e1_rtt"));
}

TEST(DiscoveryService, RemovingATargetRemovesItsEntities) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "d3", {"--target", "127.0.0.1", "--target", "127.0.0.2", "--interval", "100"});
  const std::string topic = config_topic("d3");
  const std::string gone = "t_127_2e0_2e0_2e2_";
  ASSERT_TRUE(ha->wait_count(topic, 1, 10s)) << a.proc->log();
  ASSERT_TRUE(last_json(*ha, topic)["cmps"].contains(gone + "rtt"));
  const std::size_t before = ha->on_topic(topic).size();

  ASSERT_TRUE(ha->publish("netstab/d3/cmd", R"({"cmd":"remove_target","target":"127.0.0.2","id":1})"));
  std::size_t at = 0;
  ASSERT_TRUE(ha->wait_until([&](const std::vector<received_message>& all) {
    std::vector<std::string> payloads;
    for (const auto& m : all) {
      if (m.topic == topic) payloads.push_back(m.payload);
    }
    for (at = before; at + 1 < payloads.size(); ++at) {
      if (json::parse(payloads[at])["cmps"].contains(gone + "rtt")) return true;
    }
    return false;
  })) << a.proc->log();
  const auto msgs = ha->on_topic(topic);
  // First the entities reduced to their platform, which makes HA delete them ...
  const json removal = json::parse(msgs[at].payload);
  int stubs = 0;
  for (const auto& [key, c] : removal["cmps"].items()) {
    if (!key.starts_with(gone)) continue;
    EXPECT_EQ(c.size(), 1U) << key;
    EXPECT_TRUE(c["p"].is_string()) << key;
    ++stubs;
  }
  EXPECT_EQ(stubs, 8);
  EXPECT_TRUE(removal["cmps"]["t_127_2e0_2e0_2e1_rtt"].contains("state_topic"));
  // ... then the config without them, which the broker keeps.
  const json clean = json::parse(msgs[at + 1].payload);
  for (const auto& [key, c] : clean["cmps"].items()) {
    EXPECT_FALSE(key.starts_with(gone)) << key;
  }
  EXPECT_EQ(clean["cmps"].size(), 4U + 8U);
  expect_home_assistant_rules(clean, topic);

  auto late = client(broker, "late", topic);
  ASSERT_TRUE(late->wait_count(topic, 1, 5s));
  EXPECT_EQ(json::parse(late->on_topic(topic).back().payload), clean);

  // HA coming back later still gets told to delete them, then the clean config.
  const std::size_t n = ha->on_topic(topic).size();
  ASSERT_TRUE(ha->publish("homeassistant/status", "online"));
  ASSERT_TRUE(ha->wait_count(topic, n + 2, 5s));
  EXPECT_TRUE(json::parse(ha->on_topic(topic)[n].payload)["cmps"].contains(gone + "rtt"));
  EXPECT_EQ(json::parse(ha->on_topic(topic)[n + 1].payload), clean);

  // Added again, the target's entities come back in full.
  const std::size_t before_add = ha->on_topic(topic).size();
  ASSERT_TRUE(ha->publish("netstab/d3/cmd", R"({"cmd":"add_target","target":"127.0.0.2","id":2})"));
  const auto back = wait_json(
      *ha, topic,
      [&](const json& j) {
        return j["cmps"].contains(gone + "rtt") && j["cmps"][gone + "rtt"].contains("state_topic");
      },
      5s, before_add);
  ASSERT_TRUE(back.has_value()) << a.proc->log();
  EXPECT_EQ(last_json(*ha, topic)["cmps"].size(), 4U + 8U + 8U);
}

TEST(DiscoveryService, DisabledPublishesNothing) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  auto sub = client(broker, "sub", "netstab/d4/#");
  agent a(broker, "d4", {"--target", "127.0.0.1", "--interval", "100"}, {{"NETSTAB_DISCOVERY_ENABLED", "false"}});
  ASSERT_TRUE(sub->wait_count("netstab/d4/targets/127.0.0.1/stats", 2, 10s)) << a.proc->log();
  ASSERT_TRUE(ha->publish("homeassistant/status", "online"));
  std::this_thread::sleep_for(1s);
  for (const auto& m : ha->messages()) {
    EXPECT_EQ(m.topic, "homeassistant/status") << "netstab published under the prefix: " << m.topic;
  }
}

TEST(DiscoveryService, WithoutCommandsOnlySensorsAreOffered) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "d5", {"--target", "127.0.0.1", "--interval", "100"}, {{"NETSTAB_CONTROL_ENABLED", "false"}});
  const std::string topic = config_topic("d5");
  ASSERT_TRUE(ha->wait_count(topic, 2, 10s)) << a.proc->log();
  // The command entities an earlier run may have announced are removed, then left out.
  const auto msgs = ha->on_topic(topic);
  EXPECT_EQ(json::parse(msgs[0].payload)["cmps"]["monitoring"], json({{"p", "switch"}}));
  const json clean = json::parse(msgs[1].payload);
  expect_home_assistant_rules(clean, topic);
  EXPECT_EQ(clean["cmps"].size(), 7U);
  for (const auto& [key, c] : clean["cmps"].items()) {
    EXPECT_FALSE(c.contains("command_topic")) << key;
  }
}

TEST(DiscoveryService, CommandsHomeAssistantWouldSendDriveNetstab) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  auto sub = client(broker, "sub", "netstab/d6/#");
  agent a(broker, "d6", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string topic = config_topic("d6");
  const std::string state_topic = "netstab/d6/state";
  ASSERT_TRUE(ha->wait_count(topic, 1, 10s)) << a.proc->log();
  ASSERT_TRUE(sub->wait_count(state_topic, 1, 5s)) << a.proc->log();
  json cmps = last_json(*ha, topic)["cmps"];

  // Sends what HA sends, then waits for the state netstab publishes in reply.
  const auto send_and_wait_state = [&](const json& entity, const std::string& payload,
                                       const std::function<bool(const json&)>& pred) {
    const std::size_t skip = sub->on_topic(state_topic).size();
    EXPECT_TRUE(sub->publish(entity["command_topic"], payload));
    return wait_json(*sub, state_topic, pred, 5s, skip);
  };
  const auto switch_state = [&](const json& st) { return render_value(cmps["monitoring"]["value_template"], st); };

  // The switch: payload_off stops, payload_on starts; its template follows.
  auto st = send_and_wait_state(cmps["monitoring"], cmps["monitoring"]["payload_off"],
                                [](const json& j) { return !j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();
  EXPECT_EQ(switch_state(*st), cmps["monitoring"]["state_off"].get<std::string>());
  st = send_and_wait_state(cmps["monitoring"], cmps["monitoring"]["payload_on"],
                           [](const json& j) { return j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();
  EXPECT_EQ(switch_state(*st), cmps["monitoring"]["state_on"].get<std::string>());

  // The buttons.
  st = send_and_wait_state(cmps["stop"], cmps["stop"]["payload_press"],
                           [](const json& j) { return !j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();
  st = send_and_wait_state(cmps["start"], cmps["start"]["payload_press"],
                           [](const json& j) { return j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();

  // The text: its command template with a value HA would render through tojson.
  const std::string text_cmd =
      render_command(cmps["target"]["command_template"], "{{ value | tojson }}", json("127.0.0.2").dump());
  st = send_and_wait_state(cmps["target"], text_cmd, [](const json& j) {
    return j["targets"].size() == 1 && j["targets"][0]["target"] == "127.0.0.2";
  });
  ASSERT_TRUE(st.has_value()) << text_cmd << "\n" << a.proc->log();
  ASSERT_TRUE(sub->wait_count("netstab/d6/targets/127.0.0.2/stats", 1, 5s)) << a.proc->log();

  // The new target's interval number comes with the republished config.
  const std::string number_key = "t_127_2e0_2e0_2e2_interval";
  const auto with_number = wait_json(*ha, topic, [&](const json& j) {
    return j["cmps"].contains(number_key) && j["cmps"][number_key].contains("command_template");
  });
  ASSERT_TRUE(with_number.has_value()) << a.proc->log();
  cmps = (*with_number)["cmps"];
  // A removal is a pair of messages: first with the old target's entities as {"p": platform} (HA deletes them),
  // then without them. The message above may be the first of the pair, so the check waits for the second.
  const auto without_old = wait_json(*ha, topic, [&](const json& j) {
    return j["cmps"].contains(number_key) && !j["cmps"].contains("t_127_2e0_2e0_2e1_rtt");
  });
  EXPECT_TRUE(without_old.has_value()) << a.proc->log();
  EXPECT_FALSE(last_json(*ha, topic)["cmps"].contains("t_127_2e0_2e0_2e1_rtt")) << "the old target is gone";
  const json& number = cmps[number_key];
  const std::string number_cmd = render_command(number["command_template"], "{{ value | int }}", "250");
  st = send_and_wait_state(number, number_cmd, [](const json& j) {
    return j["targets"].size() == 1 && j["targets"][0]["interval_ms"] == 250;
  });
  ASSERT_TRUE(st.has_value()) << number_cmd << "\n" << a.proc->log();
  EXPECT_GE(250, number["min"].get<int>());
  EXPECT_LE(250, number["max"].get<int>());
  // The number's state template selects this target by slug from the state.
  const std::string slug = (*st)["targets"][0]["slug"];
  EXPECT_NE(number["value_template"].get<std::string>().find("'" + slug + "'"), std::string::npos);
}

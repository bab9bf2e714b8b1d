#include "core/discovery.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/command.hpp"
#include "core/topics.hpp"

namespace netstab::core {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

discovery_input sample_input() {
  discovery_input in;
  in.agent = "host1.lan";
  in.version = "0.1.0";
  in.targets = {"1.1.1.1", "fe80::1%eth0", "example.com"};
  return in;
}

json payload_of(const discovery_input& in) { return json::parse(discovery_payload(in)); }

// HA renders a command_template with Jinja. The builder uses exactly one
// placeholder per template; this stand-in substitutes it the way Jinja would
// and fails the test when the template holds anything else it cannot render.
std::string render(std::string tmpl, std::string_view placeholder, const std::string& rendered) {
  const auto at = tmpl.find(placeholder);
  EXPECT_NE(at, std::string::npos) << tmpl;
  if (at == std::string::npos) {
    return tmpl;
  }
  tmpl.replace(at, placeholder.size(), rendered);
  EXPECT_EQ(tmpl.find("{{"), std::string::npos) << tmpl;
  EXPECT_EQ(tmpl.find("{%"), std::string::npos) << tmpl;
  return tmpl;
}

// The text as a Jinja string literal in single quotes. Built by appending: `"'" + std::string{...}` inlines
// std::string::insert, where GCC 12 at -O3 reports a false -Werror=restrict (a known bug of that compiler),
// and the release preset builds the tests with -O3 -Werror.
std::string single_quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '\'').append(text).append(1, '\'');
  return out;
}

TEST(Discovery, TopicUsesPrefixAndEscapedAgent) {
  EXPECT_EQ(discovery_topic("homeassistant", "host1"), "homeassistant/device/netstab_host1/config");
  EXPECT_EQ(discovery_topic("ha", "host1.lan"), "ha/device/netstab_host1_2elan/config");
  EXPECT_EQ(discovery_topic(sample_input()), "homeassistant/device/netstab_host1_2elan/config");
  EXPECT_EQ(ha_status_topic("homeassistant"), "homeassistant/status");
  // HA only accepts [a-zA-Z0-9_-] as the object id level of a discovery topic.
  const std::regex topic_re("^[^/]+/device/[A-Za-z0-9_-]+/config$");
  EXPECT_TRUE(std::regex_match(discovery_topic("homeassistant", "a b/c+#"), topic_re));
}

TEST(Discovery, IdEscapingIsSafeAndInjective) {
  struct row {
    std::string_view in;
    std::string_view out;
  };
  const row rows[] = {{"host-1", "host-1"},  {"1.1.1.1", "1_2e1_2e1_2e1"},           {"a_b", "a__b"},
                      {"a.b", "a_2eb"},      {"fe80::1%eth0", "fe80_3a_3a1_25eth0"}, {"", ""},
                      {"\xc3\xa9", "_c3_a9"}};
  for (const auto& r : rows) {
    EXPECT_EQ(discovery_id(r.in), r.out) << r.in;
  }
  // Inputs that core::slug maps to the same slug still get different ids.
  EXPECT_NE(discovery_id("a.b"), discovery_id("a_b"));
  EXPECT_NE(discovery_id("a_2eb"), discovery_id("a.b"));
  EXPECT_EQ(slug("a:b"), slug("a%b"));
  EXPECT_NE(discovery_id("a:b"), discovery_id("a%b"));
}

TEST(Discovery, DeviceAndOrigin) {
  const auto p = payload_of(sample_input());
  // The keys HA's device discovery schema accepts at the top level (DEVICE_DISCOVERY_SCHEMA in HA's
  // mqtt/schemas.py refuses any other): device, origin, components and the shared options.
  const std::set<std::string> allowed = {"dev",
                                         "o",
                                         "cmps",
                                         "availability_topic",
                                         "availability",
                                         "availability_mode",
                                         "availability_template",
                                         "payload_available",
                                         "payload_not_available",
                                         "state_topic",
                                         "command_topic",
                                         "qos",
                                         "encoding"};
  for (const auto& [key, value] : p.items()) {
    EXPECT_TRUE(allowed.contains(key)) << key;
  }
  ASSERT_TRUE(p.contains("dev"));
  EXPECT_EQ(p["dev"]["identifiers"], json::array({"netstab_host1.lan"}));
  EXPECT_EQ(p["dev"]["name"], "netstab host1.lan");
  EXPECT_EQ(p["dev"]["model"], "netstab");
  EXPECT_EQ(p["dev"]["sw_version"], "0.1.0");
  // Device discovery requires an origin with a name.
  EXPECT_EQ(p["o"]["name"], "netstab");
  EXPECT_EQ(p["o"]["sw"], "0.1.0");
  ASSERT_TRUE(p["cmps"].is_object());
}

TEST(Discovery, ComponentsPerTargetAndAgent) {
  const auto cmps = payload_of(sample_input())["cmps"];
  // 5 agent entities + 9 per target.
  EXPECT_EQ(cmps.size(), 5U + 9U * 3U);
  std::map<std::string, int> platforms;
  for (const auto& [key, c] : cmps.items()) {
    platforms[c["p"].get<std::string>()]++;
  }
  EXPECT_EQ(platforms["sensor"], 7 * 3 + 1);
  EXPECT_EQ(platforms["binary_sensor"], 3);
  EXPECT_EQ(platforms["number"], 3);
  EXPECT_EQ(platforms["switch"], 1);
  EXPECT_EQ(platforms["button"], 2);
  EXPECT_EQ(platforms["text"], 1);
}

// Availability and QoS are shared options at device level, which HA merges into every component.
TEST(Discovery, AvailabilityAndQosAreSharedAtDeviceLevel) {
  const auto in = sample_input();
  const auto p = payload_of(in);
  const topic_builder topics(in.base_topic, in.agent);
  EXPECT_EQ(p["availability_topic"], topics.availability());
  EXPECT_EQ(p["payload_available"], "online");
  EXPECT_EQ(p["payload_not_available"], "offline");
  EXPECT_EQ(p["qos"], 1);
  for (const auto& [key, c] : p["cmps"].items()) {
    for (const char* option : {"availability_topic", "payload_available", "payload_not_available", "qos"}) {
      EXPECT_FALSE(c.contains(option)) << key << " repeats " << option;
    }
  }
}

// Home Assistant's rules for each platform, checked on every component.
TEST(Discovery, EveryComponentFollowsHomeAssistantRules) {
  const auto in = sample_input();
  const auto cmps = payload_of(in)["cmps"];
  const topic_builder topics(in.base_topic, in.agent);

  // Topics netstab publishes (contract v1) and the one it reads.
  std::set<std::string> published = {topics.availability(), topics.state()};
  for (const auto& t : in.targets) {
    published.insert(topics.stats(slug(t)));
    published.insert(topics.sample(slug(t)));
    published.insert(topics.incidents(slug(t)));
  }
  const std::map<std::string, std::vector<std::string>> required = {
      {"sensor", {"state_topic"}},   {"binary_sensor", {"state_topic"}},
      {"switch", {"command_topic"}}, {"button", {"command_topic"}},
      {"text", {"command_topic"}},   {"number", {"command_topic", "min", "max", "step"}},
  };
  const std::regex id_re("^[A-Za-z0-9_-]+$");
  std::set<std::string> unique_ids;

  for (const auto& [key, c] : cmps.items()) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(std::regex_match(key, id_re));
    ASSERT_TRUE(c.contains("p"));
    const auto platform = c["p"].get<std::string>();
    ASSERT_TRUE(required.contains(platform)) << platform;
    for (const auto& k : required.at(platform)) {
      EXPECT_TRUE(c.contains(k)) << k;
    }
    ASSERT_TRUE(c.contains("unique_id"));
    const auto uid = c["unique_id"].get<std::string>();
    EXPECT_TRUE(std::regex_match(uid, id_re)) << uid;
    EXPECT_TRUE(unique_ids.insert(uid).second) << "duplicate unique_id " << uid;
    EXPECT_EQ(uid.rfind("netstab_host1_2elan_", 0), 0U) << uid;
    EXPECT_TRUE(c["name"].is_string());

    for (const auto& [option, value] : c.items()) {
      if (option == "command_topic") {
        EXPECT_EQ(value, topics.command());
      } else if (option.size() > 6 && option.ends_with("_topic")) {
        EXPECT_TRUE(published.contains(value.get<std::string>())) << option << " = " << value;
      }
    }
    if (c.contains("state_topic")) {
      EXPECT_TRUE(c.contains("value_template")) << "every netstab state topic carries JSON";
    }
    // A payload that is not JSON (the empty one of a cleared retained topic) leaves value_json undefined: every
    // template that reads it tests that (the e2e test renders them all with Jinja, against such payloads too).
    for (const char* option : {"value_template", "json_attributes_template"}) {
      if (!c.contains(option)) continue;
      EXPECT_NE(c[option].get<std::string>().find("value_json is defined"), std::string::npos) << option;
    }
    if (platform == "sensor" && c.value("device_class", "") == "enum") {
      // HA rejects enum sensors with a unit or a state class.
      EXPECT_FALSE(c.contains("unit_of_measurement"));
      EXPECT_FALSE(c.contains("state_class"));
      EXPECT_TRUE(c["options"].is_array());
    }
    if (c.value("device_class", "") == "duration") {
      EXPECT_EQ(c["unit_of_measurement"], "ms");
    }
    if (platform == "number") {
      EXPECT_LT(c["min"].get<double>(), c["max"].get<double>());
      EXPECT_GT(c["step"].get<double>(), 0.0);
    }
  }
}

TEST(Discovery, TargetSensorsReadTheStatsTopic) {
  const auto in = sample_input();
  const auto cmps = payload_of(in)["cmps"];
  const topic_builder topics(in.base_topic, in.agent);
  const auto stats = topics.stats("fe80__1_eth0");
  const std::string k = "t_fe80_3a_3a1_25eth0_";
  struct row {
    std::string entity;
    std::string value_template;
    std::string unit;
  };
  const row rows[] = {
      {"rtt", "{{ value_json.rtt_ms.avg if value_json is defined else None }}", "ms"},
      {"process", "{{ value_json.process_ms.avg if value_json is defined else None }}", "ms"},
      {"loss", "{{ value_json.loss_pct if value_json is defined else None }}", "%"},
      {"jitter", "{{ value_json.jitter_ms if value_json is defined else None }}", "ms"},
      {"mos", "{{ value_json.mos if value_json is defined else None }}", ""},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.entity);
    const auto& c = cmps.at(k + r.entity);
    EXPECT_EQ(c["p"], "sensor");
    EXPECT_EQ(c["state_topic"], stats);
    EXPECT_EQ(c["value_template"], r.value_template);
    EXPECT_EQ(c["state_class"], "measurement");
    EXPECT_EQ(c.value("unit_of_measurement", ""), r.unit);
  }
  const auto& status = cmps.at(k + "status");
  EXPECT_EQ(status["options"], json::array({"OK", "WARN", "BAD"}));
  EXPECT_EQ(status["json_attributes_topic"], stats);
  EXPECT_NE(status["json_attributes_template"].get<std::string>().find("value_json.reason"), std::string::npos);
  const auto& connected = cmps.at(k + "connected");
  EXPECT_EQ(connected["device_class"], "connectivity");
  EXPECT_EQ(connected["state_topic"], stats);
  EXPECT_NE(connected["value_template"].get<std::string>().find("'BAD'"), std::string::npos);
}

TEST(Discovery, FaultSensorsPerTargetAndPerAgent) {
  const auto in = sample_input();
  const auto cmps = payload_of(in)["cmps"];
  const topic_builder topics(in.base_topic, in.agent);
  const json segments = json::array({"ok", "host", "lan", "isp", "upstream", "remote", "unknown"});
  struct row {
    std::string key, topic, name;
  };
  const row rows[] = {
      {"fault", topics.state(), "Fault"},
      {"t_1_2e1_2e1_2e1_fault", topics.stats("1.1.1.1"), "1.1.1.1 fault"},
      {"t_example_2ecom_fault", topics.stats("example.com"), "example.com fault"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.key);
    const auto& c = cmps.at(r.key);
    EXPECT_EQ(c["p"], "sensor");
    EXPECT_EQ(c["name"], r.name);
    EXPECT_EQ(c["device_class"], "enum");
    EXPECT_EQ(c["options"], segments);
    EXPECT_EQ(c["state_topic"], r.topic);
    EXPECT_EQ(c["json_attributes_topic"], r.topic);
    // The segment is the state; an older agent's payload without "fault" leaves the sensor unknown.
    EXPECT_NE(c["value_template"].get<std::string>().find("value_json.fault is mapping"), std::string::npos);
    EXPECT_NE(c["value_template"].get<std::string>().find("value_json.fault.segment"), std::string::npos);
    EXPECT_NE(c["json_attributes_template"].get<std::string>().find("value_json.fault | tojson"), std::string::npos);
  }
  // Sensors stay without commands, the agent's fault included.
  auto without = sample_input();
  without.commands = false;
  EXPECT_TRUE(payload_of(without)["cmps"].contains("fault"));
}

TEST(Discovery, SwitchAndButtonPayloadsAreCommands) {
  const auto cmps = payload_of(sample_input())["cmps"];
  const auto& sw = cmps.at("monitoring");
  EXPECT_EQ(sw["state_topic"], "netstab/host1.lan/state");
  EXPECT_NE(sw["value_template"].get<std::string>().find("value_json.running"), std::string::npos);
  // The rendered state must match state_on/state_off, not the command payloads.
  EXPECT_EQ(sw["state_on"], "ON");
  EXPECT_EQ(sw["state_off"], "OFF");

  const auto expect_command = [](const json& payload, auto type_tag) {
    const auto parsed = parse_command(payload.get<std::string>());
    ASSERT_TRUE(parsed.ok()) << payload << ": " << parsed.error;
    EXPECT_TRUE(std::holds_alternative<decltype(type_tag)>(*parsed.cmd)) << payload;
  };
  expect_command(sw["payload_on"], start_command{});
  expect_command(sw["payload_off"], stop_command{});
  expect_command(cmps.at("start")["payload_press"], start_command{});
  expect_command(cmps.at("stop")["payload_press"], stop_command{});
}

TEST(Discovery, TextSendsSetTargetEvenForAwkwardInput) {
  const auto cmps = payload_of(sample_input())["cmps"];
  const auto& text = cmps.at("target");
  const auto tmpl = text["command_template"].get<std::string>();
  for (const std::string value : {"8.8.8.8", "example.org", R"(we"ird\name)"}) {
    SCOPED_TRACE(value);
    const auto sent = render(tmpl, "{{ value | tojson }}", json(value).dump());
    const auto parsed = parse_command(sent);
    ASSERT_TRUE(parsed.ok()) << sent << ": " << parsed.error;
    const auto* cmd = std::get_if<set_target_command>(&*parsed.cmd);
    ASSERT_NE(cmd, nullptr);
    EXPECT_EQ(cmd->request.target, value);
  }
  EXPECT_EQ(text["max"], command_limits{}.max_target_length);
  // The state is '' while there are no targets, and HA raises for a state shorter than min: min stays at 0.
  EXPECT_FALSE(text.contains("min"));
}

TEST(Discovery, NumberSendsSetIntervalForItsTarget) {
  const auto in = sample_input();
  const auto cmps = payload_of(in)["cmps"];
  const command_limits limits;
  for (const auto& target : in.targets) {
    SCOPED_TRACE(target);
    const auto& number = cmps.at("t_" + discovery_id(target) + "_interval");
    EXPECT_EQ(number["min"], limits.min_interval_ms);
    EXPECT_EQ(number["max"], limits.max_interval_ms);
    EXPECT_NE(number["value_template"].get<std::string>().find(single_quoted(slug(target))), std::string::npos);
    const auto sent = render(number["command_template"].get<std::string>(), "{{ value | int }}", "2000");
    const auto parsed = parse_command(sent);
    ASSERT_TRUE(parsed.ok()) << sent << ": " << parsed.error;
    const auto* cmd = std::get_if<set_interval_command>(&*parsed.cmd);
    ASSERT_NE(cmd, nullptr);
    EXPECT_EQ(cmd->target, target);
    EXPECT_EQ(cmd->interval, nanos{2s});
  }
}

TEST(Discovery, TargetWithBracesIsKeptOutOfJinja) {
  auto in = sample_input();
  in.targets = {"{{bad}}"};
  const auto cmps = payload_of(in)["cmps"];
  const auto tmpl = cmps.at("t__7b_7bbad_7d_7d_interval")["command_template"].get<std::string>();
  EXPECT_NE(tmpl.find(R"({% raw %}"{{bad}}"{% endraw %})"), std::string::npos) << tmpl;
}

TEST(Discovery, RemovedTargetsLeavePlatformOnlyEntries) {
  auto in = sample_input();
  in.targets = {"1.1.1.1"};
  in.removed_targets = {"8.8.8.8", "1.1.1.1"};
  const auto cmps = payload_of(in)["cmps"];
  EXPECT_EQ(cmps.size(), 5U + 9U + 9U);
  int stubs = 0;
  for (const auto& [key, c] : cmps.items()) {
    if (key.starts_with("t_8_2e8_2e8_2e8_")) {
      EXPECT_EQ(c.size(), 1U) << key;
      EXPECT_TRUE(c.contains("p"));
      ++stubs;
    }
  }
  EXPECT_EQ(stubs, 9);
  EXPECT_EQ(cmps.at("t_8_2e8_2e8_2e8_connected")["p"], "binary_sensor");
  EXPECT_EQ(cmps.at("t_8_2e8_2e8_2e8_fault")["p"], "sensor");
  EXPECT_EQ(cmps.at("t_8_2e8_2e8_2e8_interval")["p"], "number");
  // A target still configured keeps its full entity even when listed as removed.
  EXPECT_TRUE(cmps.at("t_1_2e1_2e1_2e1_rtt").contains("state_topic"));
}

TEST(Discovery, WithoutCommandsOnlySensorsRemain) {
  auto in = sample_input();
  in.commands = false;
  auto cmps = payload_of(in)["cmps"];
  EXPECT_EQ(cmps.size(), 8U * 3U + 1U);
  for (const auto& [key, c] : cmps.items()) {
    SCOPED_TRACE(key);
    EXPECT_FALSE(c.contains("command_topic"));
    const auto platform = c["p"].get<std::string>();
    EXPECT_TRUE(platform == "sensor" || platform == "binary_sensor") << platform;
  }

  // With removals, HA is told to delete the command entities an earlier run announced.
  in.remove_command_entities = true;
  cmps = payload_of(in)["cmps"];
  EXPECT_EQ(cmps.size(), 8U * 3U + 1U + 4U + 3U);
  const std::map<std::string, std::string> removed = {
      {"monitoring", "switch"},
      {"start", "button"},
      {"stop", "button"},
      {"target", "text"},
      {"t_1_2e1_2e1_2e1_interval", "number"},
      {"t_example_2ecom_interval", "number"},
      {"t_fe80_3a_3a1_25eth0_interval", "number"},
  };
  for (const auto& [key, platform] : removed) {
    ASSERT_TRUE(cmps.contains(key)) << key;
    EXPECT_EQ(cmps[key], json({{"p", platform}})) << key;
  }
  // remove_command_entities changes nothing while commands are offered.
  in.commands = true;
  EXPECT_EQ(payload_of(in), payload_of(sample_input()));
}

TEST(Discovery, IntervalNumberStartsAtTheConfiguredMinimum) {
  auto in = sample_input();
  in.min_interval_ms = 1000;
  const auto cmps = payload_of(in)["cmps"];
  EXPECT_EQ(cmps.at("t_1_2e1_2e1_2e1_interval")["min"], 1000);
}

TEST(Discovery, PrefixAndBaseTopicAreConfigurable) {
  discovery_input in;
  in.prefix = "ha";
  in.base_topic = "lab/netstab";
  in.agent = "probe";
  in.version = "9";
  in.targets = {"10.0.0.1"};
  EXPECT_EQ(discovery_topic(in), "ha/device/netstab_probe/config");
  const auto cmps = payload_of(in)["cmps"];
  EXPECT_EQ(cmps.at("start")["command_topic"], "lab/netstab/probe/cmd");
  EXPECT_EQ(cmps.at("t_10_2e0_2e0_2e1_rtt")["state_topic"], "lab/netstab/probe/targets/10.0.0.1/stats");
  EXPECT_EQ(payload_of(in)["availability_topic"], "lab/netstab/probe/availability");
}

}  // namespace
}  // namespace netstab::core

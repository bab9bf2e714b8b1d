#include "tests/e2e/discovery_helpers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <vector>

namespace netstab::test::discovery {

std::unique_ptr<mqtt_test_client> client(const mosquitto_broker& b, const std::string& id, const std::string& filter) {
  mqtt_test_client::options o;
  o.port = b.port();
  o.client_id = id;
  o.version = 5;
  auto c = std::make_unique<mqtt_test_client>(o);
  EXPECT_TRUE(c->wait_connected());
  EXPECT_TRUE(c->subscribe(filter));
  return c;
}

json last_json(const mqtt_test_client& c, const std::string& topic) {
  const auto msgs = c.on_topic(topic);
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
    if (!it->payload.empty()) return json::parse(it->payload);
  }
  return nullptr;
}

std::optional<json> wait_json(mqtt_test_client& c, const std::string& topic,
                              const std::function<bool(const json&)>& pred, std::chrono::milliseconds timeout,
                              std::size_t skip) {
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

bool state_after_status(mqtt_test_client& ha, const std::string& agent) {
  const std::string state = "netstab/" + agent + "/state";
  // The retained copy comes first (after the subscription's acknowledgement): count from after it.
  if (!ha.subscribe(state) || !ha.wait_count(state, 1, patience)) return false;
  const std::size_t before = ha.on_topic(state).size();
  if (!ha.publish("netstab/" + agent + "/cmd", R"({"cmd":"status","id":"sentinel"})")) return false;
  return ha.wait_count(state, before + 1, patience);
}

std::string config_topic(const std::string& agent) { return "homeassistant/device/netstab_" + agent + "/config"; }

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
  // HA's device discovery schema refuses the whole message for a top-level key it does not know; availability
  // and QoS are shared options there.
  const std::set<std::string> top = {"dev",
                                     "o",
                                     "cmps",
                                     "availability_topic",
                                     "payload_available",
                                     "payload_not_available",
                                     "qos",
                                     "state_topic",
                                     "command_topic",
                                     "encoding",
                                     "availability",
                                     "availability_mode",
                                     "availability_template"};
  for (const auto& [key, value] : p.items()) {
    EXPECT_TRUE(top.contains(key)) << key;
  }
  EXPECT_TRUE(p["availability_topic"].is_string());
  const std::map<std::string, std::vector<std::string>> required = {
      {"sensor", {"state_topic"}},   {"binary_sensor", {"state_topic"}}, {"switch", {"command_topic"}},
      {"button", {"command_topic"}}, {"text", {"command_topic"}},        {"number", {"command_topic"}},
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
      // HA: min <= max <= 255 (MAX_LENGTH_STATE_STATE); min defaults to 0.
      EXPECT_LE(c.value("min", 0), c["max"].get<int>());
      EXPECT_LE(c["max"].get<int>(), 255);
    }
    if (c.value("device_class", "") == "enum") {
      EXPECT_FALSE(c.contains("state_class"));
      EXPECT_FALSE(c.contains("unit_of_measurement"));
      EXPECT_TRUE(c["options"].is_array());
    }
  }
}

namespace {

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  std::size_t used = 0;
  try {
    (void)std::stod(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == s.size();
}

}  // namespace

// Mirrors the state handling of HA's MQTT platforms: "None" makes every one of them unknown; a sensor with options
// takes only an option (else a warning), a numeric sensor and a number only a number (an empty rendering is
// dropped), a binary sensor and a switch only their on and off states, and a text a state whose length is within
// its min and max (else the entity raises when its state is written).
std::string ha_refuses_state(const json& c, const std::string& rendered) {
  const std::string platform = c.value("p", "");
  if (platform == "text") {
    const auto n = static_cast<int>(rendered.size());
    if (n < c.value("min", 0) || n > c.value("max", 255)) return "text length outside min/max: '" + rendered + "'";
    return "";
  }
  if (rendered == "None") return "";
  if (rendered.empty()) return "empty rendering (HA ignores it and keeps the previous state)";
  if (platform == "sensor" && c.contains("options")) {
    const auto& o = c["options"];
    if (std::find(o.begin(), o.end(), json(rendered)) == o.end()) return "not an option: '" + rendered + "'";
    return "";
  }
  if (platform == "sensor" || platform == "number") {
    return is_number(rendered) ? "" : "not a number: '" + rendered + "'";
  }
  if (platform == "binary_sensor") {
    if (rendered == c.value("payload_on", "ON") || rendered == c.value("payload_off", "OFF")) return "";
    return "neither payload_on nor payload_off: '" + rendered + "'";
  }
  if (platform == "switch") {
    if (rendered == c.value("state_on", "") || rendered == c.value("state_off", "")) return "";
    return "neither state_on nor state_off: '" + rendered + "'";
  }
  return "no state for platform " + platform;
}

std::string ha_refuses_attributes(const std::string& rendered) {
  const json j = json::parse(rendered, nullptr, false);
  if (j.is_discarded()) return "not JSON: '" + rendered + "'";
  if (!j.is_object()) return "not a dictionary: '" + rendered + "'";
  return "";
}

}  // namespace netstab::test::discovery

#pragma once
// What the Home Assistant discovery tests share: MQTT clients and waits, Home Assistant's rules for a device
// discovery message, and what Home Assistant does with a rendered state (its MQTT platforms' checks). Templates
// are rendered by Jinja2 (tests/support/ha_template.hpp). Test thread only.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/mosquitto.hpp"
#include "tests/support/wait.hpp"

namespace netstab::test::discovery {

using json = nlohmann::json;

// A connected MQTT 5 client subscribed to filter.
std::unique_ptr<mqtt_test_client> client(const mosquitto_broker& b, const std::string& id, const std::string& filter);

// The last non-empty message on topic, parsed; null when there is none.
json last_json(const mqtt_test_client& c, const std::string& topic);

// Waits until a JSON message on topic, past the first `skip` messages on it, satisfies pred; returns the last such.
std::optional<json> wait_json(mqtt_test_client& c, const std::string& topic,
                              const std::function<bool(const json&)>& pred,
                              std::chrono::milliseconds timeout = patience, std::size_t skip = 0);

// The sentinel for "netstab did nothing" after a message of Home Assistant's: a status command sent after it on
// the same connection, and the retained state netstab publishes for it, on the same subscription. netstab
// handles its incoming messages in order, and its retained messages leave in order, so a (retained) discovery
// config it had published in answer to the earlier message would have arrived before this state. Returns false
// when no state came.
bool state_after_status(mqtt_test_client& ha, const std::string& agent);

// "homeassistant/device/netstab_<agent>/config" for an agent id that needs no escaping.
std::string config_topic(const std::string& agent);

// HA's requirements for a device discovery message and each of its components (stubs excluded).
void expect_home_assistant_rules(const json& p, const std::string& topic);

// What HA makes of `rendered`, the state template of component c rendered against a message: "" when it takes it
// (a state, or "None" for unknown), else why it refuses or ignores it (HA logs a warning or an exception, or keeps
// the previous state).
std::string ha_refuses_state(const json& c, const std::string& rendered);

// The same for a rendered json_attributes_template: HA wants a JSON object.
std::string ha_refuses_attributes(const std::string& rendered);

}  // namespace netstab::test::discovery

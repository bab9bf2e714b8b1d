#pragma once
// Home Assistant MQTT discovery, device-based form: one retained message on
// <prefix>/device/<object_id>/config describes the agent as one HA device with
// all of its entities ("components", key "cmps"). Pure: builds strings only, the
// caller publishes them. Callable from any thread (no state).
//
// The entities read the topics netstab already publishes (contract v1), so
// discovery adds no new state topics:
//   per target (slug = core::slug(target)), all from the retained stats topic
//   <base>/<agent>/targets/<slug>/stats of the primary window:
//     sensor  RTT            value_json.rtt_ms.avg       ms, duration, measurement
//     sensor  process        value_json.process_ms.avg   ms, duration, measurement
//     sensor  loss           value_json.loss_pct         %, measurement
//     sensor  jitter         value_json.jitter_ms        ms, duration, measurement
//     sensor  MOS            value_json.mos              measurement
//     sensor  status         value_json.status           enum OK/WARN/BAD; attribute "reason"
//     binary_sensor  connectivity  ON unless status is BAD
//     sensor  fault          value_json.fault.segment    enum of core::segment; attributes: the fault object
//     number  interval       state from <base>/<agent>/state, sends set_interval for this target
//                            (one per target rather than one per agent: set_interval names its target)
//   per agent:
//     sensor  fault          value_json.fault.segment of the state topic (the agent's verdict), as above
//     switch  monitoring     state value_json.running of the state topic; sends "start"/"stop"
//     button  start, stop    send "start"/"stop"
//     text    target         state: first target of the state topic ('' when none); sends set_target
// The stats topic (retained, once per window step) is used rather than the
// sample topic (not retained, one message per probe) so that HA has values right
// after it restarts and its recorder is not flooded.
//
// Templates and payloads that are not JSON. HA renders a state template with
// `value` (the payload) and, only when the payload parses as JSON, `value_json`.
// netstab clears a removed target's retained topics with an empty payload, so
// reading a field of value_json there would raise "'value_json' is undefined"
// (logged once per message). Every state template therefore tests
// `value_json is defined` first and renders None otherwise, as does a null in
// the JSON: HA's MQTT entities take a rendered "None" as unknown (an empty
// rendering is ignored by a numeric sensor, a binary sensor and a number, but an
// enum sensor refuses it with a warning). Attribute templates render '{}'
// instead. The text renders '' (its state is a string, never unknown). The fault
// templates also test `value_json.fault is mapping`: an agent older than the
// verdict publishes no "fault", and its fault sensors stay unknown.
//
// Availability ("online"/"offline" on the agent's availability topic) and QoS 1
// are shared options at device level: HA's device discovery schema accepts
// them there and merges them into every component: availability since device
// discovery exists (HA 2024.11), QoS only since home-assistant/core#170195 (May
// 2026); earlier versions accept a device-level qos and ignore it, so their
// subscriptions and commands use QoS 0, which loses a message only when the
// connection to the broker breaks while it is in flight.
// Commands go to <base>/<agent>/cmd and are payloads core::parse_command accepts.
//
// Identifiers: HA requires the discovery object id and every unique_id to match
// ^[A-Za-z0-9_-]+$, but agents and slugs may contain '.', so they are escaped with
// discovery_id() (injective, so two targets never share an entity).
//
// Removing a target: HA removes a component of a discovered device when the
// device payload is republished with that component's entry reduced to its
// platform ({"p":"sensor"}), and then wants one more update with the entry left
// out (https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload).
// Pass the removed targets in discovery_input::removed_targets for the first of
// those two publishes (service/publish/discovery_publisher.hpp says when).
// Removing the whole device is an empty retained payload on discovery_topic().
// Republish the payload on every connect and whenever HA announces itself
// ("online" on ha_status_topic()).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netstab::core {

struct discovery_input {
  std::string prefix = "homeassistant";      // HA's discovery prefix
  std::string base_topic = "netstab";        // netstab's base topic
  std::string agent;                         // agent id
  std::string version;                       // netstab version, shown as the device's and origin's software version
  std::vector<std::string> targets;          // the targets as configured (not slugs), in configured order
  std::vector<std::string> removed_targets;  // targets whose entities HA should delete (see above)
  // Whether netstab takes commands (control.enabled). Without them the command
  // entities (switch, buttons, text, interval numbers) would send to a topic
  // nobody reads, so they are left out; with remove_command_entities they are
  // listed platform-only instead, so that HA deletes ones it still has.
  bool commands = true;
  bool remove_command_entities = false;
  // The smallest interval a command may set (control.min_interval), the interval number's minimum.
  std::int64_t min_interval_ms = 100;
};

// The payload HA sends on the birth topic when it (re)starts.
inline constexpr std::string_view ha_online_payload = "online";

// Text made safe for HA identifiers: [A-Za-z0-9-] kept, '_' doubled, every other
// byte written as '_' and two lowercase hex digits ("1.1.1.1" -> "1_2e1_2e1_2e1").
std::string discovery_id(std::string_view text);

// "<prefix>/device/netstab_<discovery_id(agent)>/config"; publish retained, qos 1.
std::string discovery_topic(std::string_view prefix, std::string_view agent);
std::string discovery_topic(const discovery_input& in);

// "<prefix>/status": HA's birth/last-will topic; republish when it says "online".
std::string ha_status_topic(std::string_view prefix);

// The device discovery JSON (compact).
std::string discovery_payload(const discovery_input& in);

}  // namespace netstab::core

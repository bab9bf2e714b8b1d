#include "core/discovery.hpp"

#include <nlohmann/json.hpp>

#include "core/command.hpp"
#include "core/path.hpp"
#include "core/topics.hpp"

namespace netstab::core {

namespace {

using json = nlohmann::json;

// Options every entity has of its own: platform, ids and name. Availability and
// QoS are shared options at device level (see discovery_payload()).
json component(std::string_view platform, const std::string& unique_id, std::string_view name) {
  return json{{"p", platform}, {"unique_id", unique_id}, {"name", name}};
}

// A state template that renders `expr` when the payload is JSON and None
// otherwise (see the header: value_json is undefined on an empty payload).
std::string when_json(std::string_view expr) {
  std::string out = "{{ ";
  out.append(expr).append(" if value_json is defined else None }}");
  return out;
}

// The fault sensor's templates, for a payload that carries the contract's
// "fault" object (a target's stats, the agent's state). An older agent's
// payload has no "fault": the sensor is unknown and has no attributes.
constexpr std::string_view fault_value_template =
    "{{ value_json.fault.segment if value_json is defined and value_json.fault is mapping else None }}";
constexpr std::string_view fault_attributes_template =
    "{{ value_json.fault | tojson if value_json is defined and value_json.fault is mapping else '{}' }}";

// The fault sensor: an enum of the segments core::verdict names, with the
// whole fault object (metric, hop, address, since, reason) as its attributes.
json fault_sensor(const std::string& unique_id, std::string_view name, const std::string& topic) {
  json options = json::array();
  for (auto s = static_cast<int>(segment::ok); s <= static_cast<int>(segment::unknown); ++s) {
    options.push_back(to_string(static_cast<segment>(s)));
  }
  json c = component("sensor", unique_id, name);
  c["state_topic"] = topic;
  c["value_template"] = fault_value_template;
  c["device_class"] = "enum";
  c["options"] = std::move(options);
  c["json_attributes_topic"] = topic;
  c["json_attributes_template"] = fault_attributes_template;
  return c;
}

// A JSON string literal placed verbatim inside a Jinja template. Jinja would
// read "{{", "{%" or "{#" in it as template syntax, so such text is wrapped in
// a raw block. Real targets (names and addresses) never contain braces.
std::string jinja_verbatim(const std::string& json_literal) {
  if (json_literal.find('{') == std::string::npos) {
    return json_literal;
  }
  return "{% raw %}" + json_literal + "{% endraw %}";
}

// The components HA deletes when told to: their keys and platforms, in the
// order target_components() and agent_components() add them. Kept beside them
// so all stay in step. The agent's are its command entities (its fault sensor
// stays without commands, so it is never deleted).
struct entity_kind {
  std::string_view key;
  std::string_view platform;
};
constexpr entity_kind target_entities[] = {
    {"rtt", "sensor"},
    {"process", "sensor"},
    {"loss", "sensor"},
    {"jitter", "sensor"},
    {"mos", "sensor"},
    {"status", "sensor"},
    {"connected", "binary_sensor"},
    {"fault", "sensor"},
    {"interval", "number"},
};
constexpr entity_kind agent_entities[] = {
    {"monitoring", "switch"},
    {"start", "button"},
    {"stop", "button"},
    {"target", "text"},
};

// Adds the platform-only entry that makes HA delete a component, unless the
// key holds a live component (a target removed and added again keeps its entities).
void add_removal(json& cmps, const std::string& key, std::string_view platform) {
  if (!cmps.contains(key)) {
    cmps[key] = json{{"p", platform}};
  }
}

std::string target_key(const std::string& target, std::string_view entity) {
  std::string key = "t_";
  key.append(discovery_id(target)).append("_").append(entity);
  return key;
}

void add_measurement(json& cmps, const std::string& id_prefix, const std::string& key, std::string_view name,
                     const std::string& stats_topic, std::string_view field, std::string_view unit, bool duration) {
  json c = component("sensor", id_prefix + key, name);
  c["state_topic"] = stats_topic;
  c["value_template"] = when_json(field);
  c["state_class"] = "measurement";
  if (!unit.empty()) {
    c["unit_of_measurement"] = unit;
  }
  if (duration) {
    c["device_class"] = "duration";
    c["suggested_display_precision"] = 2;
  }
  cmps[key] = std::move(c);
}

void target_components(json& cmps, const std::string& id_prefix, const std::string& target, const discovery_input& in,
                       const topic_builder& topics) {
  const std::string s = slug(target);
  const std::string stats = topics.stats(s);
  const auto key = [&](std::string_view entity) { return target_key(target, entity); };

  add_measurement(cmps, id_prefix, key("rtt"), target + " RTT", stats, "value_json.rtt_ms.avg", "ms", true);
  add_measurement(cmps, id_prefix, key("process"), target + " process latency", stats, "value_json.process_ms.avg",
                  "ms", true);
  add_measurement(cmps, id_prefix, key("loss"), target + " loss", stats, "value_json.loss_pct", "%", false);
  add_measurement(cmps, id_prefix, key("jitter"), target + " jitter", stats, "value_json.jitter_ms", "ms", true);
  add_measurement(cmps, id_prefix, key("mos"), target + " MOS", stats, "value_json.mos", "", false);

  json status = component("sensor", id_prefix + key("status"), target + " status");
  status["state_topic"] = stats;
  status["value_template"] = when_json("value_json.status");
  status["device_class"] = "enum";
  status["options"] = json::array({"OK", "WARN", "BAD"});
  status["json_attributes_topic"] = stats;
  status["json_attributes_template"] =
      "{{ {'reason': value_json.reason} | tojson if value_json is defined else '{}' }}";
  cmps[key("status")] = std::move(status);

  json connected = component("binary_sensor", id_prefix + key("connected"), target + " connectivity");
  connected["state_topic"] = stats;
  connected["value_template"] = when_json("('OFF' if value_json.status == 'BAD' else 'ON')");
  connected["payload_on"] = "ON";
  connected["payload_off"] = "OFF";
  connected["device_class"] = "connectivity";
  cmps[key("connected")] = std::move(connected);

  cmps[key("fault")] = fault_sensor(id_prefix + key("fault"), target + " fault", stats);

  if (!in.commands) {
    if (in.remove_command_entities) {
      add_removal(cmps, key("interval"), "number");
    }
    return;
  }
  // One interval number per target, because set_interval names its target.
  // The slug only holds [A-Za-z0-9._-], so it is safe inside a quoted Jinja string.
  const command_limits limits;
  json interval = component("number", id_prefix + key("interval"), target + " interval");
  interval["state_topic"] = topics.state();
  interval["value_template"] = "{% set t = (value_json.targets | selectattr('slug', 'eq', '" + s +
                               "') | list) if value_json is defined else [] %}{{ t[0].interval_ms if t else None }}";
  interval["command_topic"] = topics.command();
  interval["command_template"] = R"({"cmd":"set_interval","target":)" + jinja_verbatim(json(target).dump()) +
                                 R"(,"interval_ms":{{ value | int }}})";
  interval["min"] = in.min_interval_ms;
  interval["max"] = limits.max_interval_ms;
  interval["step"] = 1;
  interval["mode"] = "box";
  interval["unit_of_measurement"] = "ms";
  interval["device_class"] = "duration";
  interval["entity_category"] = "config";
  cmps[key("interval")] = std::move(interval);
}

void agent_components(json& cmps, const std::string& id_prefix, const discovery_input& in,
                      const topic_builder& topics) {
  // The agent's own verdict is in its state message; it is a sensor, offered with or without commands.
  cmps["fault"] = fault_sensor(id_prefix + "fault", "Fault", topics.state());
  if (!in.commands) {
    if (in.remove_command_entities) {
      for (const auto& entity : agent_entities) {
        add_removal(cmps, std::string(entity.key), entity.platform);
      }
    }
    return;
  }
  // The switch's state is rendered to ON/OFF; state_on/state_off are set because
  // they would otherwise default to payload_on/payload_off ("start"/"stop").
  json monitoring = component("switch", id_prefix + "monitoring", "Monitoring");
  monitoring["state_topic"] = topics.state();
  monitoring["value_template"] = when_json("('ON' if value_json.running else 'OFF')");
  monitoring["state_on"] = "ON";
  monitoring["state_off"] = "OFF";
  monitoring["command_topic"] = topics.command();
  monitoring["payload_on"] = "start";
  monitoring["payload_off"] = "stop";
  cmps["monitoring"] = std::move(monitoring);

  for (const std::string_view word : {std::string_view{"start"}, std::string_view{"stop"}}) {
    const std::string key(word);
    json button = component("button", id_prefix + key, word == "start" ? "Start" : "Stop");
    button["command_topic"] = topics.command();
    button["payload_press"] = word;
    cmps[key] = std::move(button);
  }

  // tojson quotes and escapes whatever the user types, so the command stays valid JSON.
  // HA checks every state of a text against its min and max length (a state outside them raises, once per state
  // message), and the state is '' while there are no targets, so min stays at its default, 0. An empty text
  // sent back is refused by netstab's command parser with an error reply; nothing changes.
  const command_limits limits;
  json target = component("text", id_prefix + "target", "Target");
  target["state_topic"] = topics.state();
  target["value_template"] =
      "{{ value_json.targets[0].target if value_json is defined and value_json.targets else '' }}";
  target["command_topic"] = topics.command();
  target["command_template"] = R"({"cmd":"set_target","target":{{ value | tojson }}})";
  target["max"] = limits.max_target_length;
  target["entity_category"] = "config";
  cmps["target"] = std::move(target);
}

}  // namespace

std::string discovery_id(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out.push_back(c);
    } else if (c == '_') {
      out.append("__");
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('_');
      out.push_back(hex[byte >> 4U]);
      out.push_back(hex[byte & 0x0FU]);
    }
  }
  return out;
}

std::string discovery_topic(std::string_view prefix, std::string_view agent) {
  std::string out(prefix);
  out.append("/device/netstab_").append(discovery_id(agent)).append("/config");
  return out;
}

std::string discovery_topic(const discovery_input& in) { return discovery_topic(in.prefix, in.agent); }

std::string ha_status_topic(std::string_view prefix) {
  std::string out(prefix);
  out.append("/status");
  return out;
}

std::string discovery_payload(const discovery_input& in) {
  const topic_builder topics(in.base_topic, in.agent);
  const std::string id_prefix = "netstab_" + discovery_id(in.agent) + "_";

  json cmps = json::object();
  agent_components(cmps, id_prefix, in, topics);
  for (const auto& target : in.targets) {
    target_components(cmps, id_prefix, target, in, topics);
  }
  for (const auto& target : in.removed_targets) {
    for (const auto& entity : target_entities) {
      add_removal(cmps, target_key(target, entity.key), entity.platform);
    }
  }

  // Availability and QoS are the same for every entity, so they are given once, as shared options at device level,
  // which HA merges into each component that does not set them itself. A platform-only removal entry gets none
  // (HA merges nothing into it).
  json payload{
      {"availability_topic", topics.availability()},
      {"payload_available", "online"},
      {"payload_not_available", "offline"},
      {"qos", 1},
      {"dev",
       {{"identifiers", json::array({"netstab_" + in.agent})},
        {"name", "netstab " + in.agent},
        {"model", "netstab"},
        {"manufacturer", "netstab"},
        {"sw_version", in.version}}},
      {"o", {{"name", "netstab"}, {"sw", in.version}}},
      {"cmps", std::move(cmps)},
  };
  return payload.dump();
}

}  // namespace netstab::core

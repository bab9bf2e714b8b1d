#pragma once
// MQTT topic names of the netstab contract (v1). Pure functions: they build
// strings from the base topic, the agent id and a target's slug. Callable from
// any thread (no state).
//
//   <base>/<agent>/availability            retained, QoS 1
//   <base>/<agent>/state                   retained, mqtt.qos_other
//   <base>/<agent>/digest                  retained (mqtt.retain_stats), mqtt.qos_stats
//   <base>/<agent>/digest/<part>           the same, for a digest in parts (stats.digest_part_size)
//   <base>/<agent>/targets/<slug>/sample   not retained, mqtt.qos_sample
//   <base>/<agent>/targets/<slug>/stats    retained (mqtt.retain_stats), mqtt.qos_stats (primary window)
//   <base>/<agent>/targets/<slug>/stats/<window>
//   <base>/<agent>/targets/<slug>/incidents  retained, mqtt.qos_other
//   <base>/<agent>/targets/<slug>/path     retained, mqtt.qos_stats (path monitoring)
//   <base>/<agent>/events                  not retained, mqtt.qos_other
//   <base>/<agent>/cmd                     commands in
//   <base>/<agent>/cmd/reply               replies out, mqtt.qos_other
#include <cstddef>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace netstab::core {

// The target as configured with every character outside [A-Za-z0-9._-]
// replaced by '_' ("fe80::1%eth0" -> "fe80__1_eth0"). An empty target gives "_"
// so that a topic level is never empty.
std::string slug(std::string_view target);

// Window suffix: whole hours -> "1h", whole minutes -> "5m", else seconds
// ("90s", "10s"). Sub-second remainders are truncated to whole seconds, and a
// window under one second is named "0s".
std::string window_name(nanos window);

// Builds the topics of one agent. Holds "<base>/<agent>" once so each builder
// is a single concatenation.
class topic_builder {
 public:
  topic_builder(std::string_view base, std::string_view agent);

  const std::string& prefix() const { return prefix_; }  // "<base>/<agent>"
  std::string availability() const;
  std::string state() const;
  std::string events() const;
  std::string digest() const;  // every target's statistics in one message (stats.digest_interval_ms)
  // ".../digest/<part>": one part of a digest in parts (stats.digest_part_size).
  std::string digest(std::size_t part) const;
  std::string command() const;
  std::string command_reply() const;
  // Target topics take the slug (see slug()), not the raw target.
  std::string target_base(std::string_view target_slug) const;  // ".../targets/<slug>"
  std::string sample(std::string_view target_slug) const;
  std::string stats(std::string_view target_slug) const;
  std::string stats(std::string_view target_slug, nanos window) const;
  std::string incidents(std::string_view target_slug) const;
  std::string path(std::string_view target_slug) const;  // the path and its hops (path monitoring)

 private:
  std::string prefix_;
};

}  // namespace netstab::core

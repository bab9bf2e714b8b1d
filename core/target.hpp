#pragma once
// What the user asked to probe: one target and its probe settings. Produced by
// config (file, environment, command line) and by commands (add_target...).
#include <cstdint>
#include <optional>
#include <string>

#include "core/ip_address.hpp"
#include "core/time.hpp"

namespace netstab::core {

enum class ip_version : std::uint8_t { any, v4, v6 };  // "auto" | "4" | "6"

// Path monitoring of a target (docs/path.md): "auto" turns it on for the first path.max_targets targets,
// true asks for it (refused when that many are monitored already), false never.
enum class path_mode : std::uint8_t { automatic, on, off };  // "auto" | true | false

struct probe_settings {
  nanos interval{std::chrono::milliseconds(1000)};  // floor 1 ms (validated by config and commands)
  nanos timeout{std::chrono::milliseconds(1000)};
  std::uint32_t size = 56;  // ICMP payload bytes (>= 24, holds netstab's cookie block)
  int ttl = 64;             // TTL / hop limit, 1..255
  int tos = 0;              // TOS / traffic class, 0..255
  ip_version family = ip_version::any;
  std::optional<ip_address> source;  // address to send from; nullopt lets the kernel choose
  std::string interface;             // optional interface name (SO_BINDTODEVICE)
  bool publish_samples = true;       // per-sample MQTT publishing (off for very large target sets)
  path_mode path = path_mode::automatic;

  bool operator==(const probe_settings&) const = default;
};

struct target_spec {
  std::string host;                   // as configured: IPv4/IPv6 literal or host name
  std::optional<ip_address> literal;  // host's address when host is an address literal, parsed once
  probe_settings probe;
};

// The one place a target_spec is built: host as given, its literal parsed.
inline target_spec make_target(std::string host, probe_settings probe) {
  auto literal = ip_address::parse(host);
  return target_spec{std::move(host), literal, std::move(probe)};
}

// The smallest interval the configuration accepts. Remote commands have their own, larger floor
// (control.min_interval_ms, 100 ms by default). 1 ms lets a test drive one target through the 16-bit
// wire sequence's wrap (65,536 probes) in about 70 s; the sequence map's ring still covers the
// longest timeout at this interval (see sequence_map::max_capacity).
inline constexpr nanos min_interval{std::chrono::milliseconds(1)};
inline constexpr std::uint32_t min_payload_size = 24;
inline constexpr std::uint32_t max_payload_size = 65000;

}  // namespace netstab::core

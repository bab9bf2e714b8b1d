#pragma once
// What the user asked to probe: one target and its probe settings. Produced by
// config (file, environment, command line) and by commands (add_target...).
#include <cstdint>
#include <string>

#include "core/time.hpp"

namespace netstab::core {

enum class ip_version : std::uint8_t { any, v4, v6 };  // "auto" | "4" | "6"

struct probe_settings {
  nanos interval{std::chrono::milliseconds(1000)};  // floor 1 ms (validated by config and commands)
  nanos timeout{std::chrono::milliseconds(1000)};
  std::uint32_t size = 56;          // ICMP payload bytes (>= 24, holds netstab's cookie block)
  int ttl = 64;                     // TTL / hop limit, 1..255
  int tos = 0;                      // TOS / traffic class, 0..255
  ip_version family = ip_version::any;
  std::string source;               // optional source address literal
  std::string interface;            // optional interface name (SO_BINDTODEVICE)
  bool publish_samples = true;      // per-sample MQTT publishing (off for very large target sets)

  bool operator==(const probe_settings&) const = default;
};

struct target_spec {
  std::string host;                 // as configured: IPv4/IPv6 literal or host name
  probe_settings probe;
};

// The smallest interval the configuration accepts. Remote commands have their own, larger floor
// (control.min_interval_ms, 100 ms by default). 1 ms lets a test drive one target through the 16-bit
// wire sequence's wrap (65,536 probes) in about 70 s; the sequence map's ring still covers the
// longest timeout at this interval (see sequence_map::max_capacity).
inline constexpr nanos min_interval{std::chrono::milliseconds(1)};
inline constexpr std::uint32_t min_payload_size = 24;
inline constexpr std::uint32_t max_payload_size = 65000;

}  // namespace netstab::core

#pragma once
// Value types that statistics produce and payload builders / sinks consume.
// Plain data: no behaviour beyond naming.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"
#include "core/time.hpp"

namespace netstab::core {

// Summary of one latency series over a window. All values in milliseconds;
// empty (nullopt) when the window holds no value of that series.
struct latency_summary {
  std::optional<double> last, min, avg, max, stddev, p50, p95, p99;
};

enum class health : std::uint8_t { ok, warn, bad };
std::string_view to_string(health h);  // "OK", "WARN", "BAD"

struct stats_snapshot {
  nanos window{};              // the window's configured length
  std::uint64_t sent = 0;      // probes sent within the window
  std::uint64_t received = 0;  // ok replies within the window
  std::uint64_t lost = 0;      // timeouts + unreachable + error within the window
  double loss_pct = 0.0;       // lost / (received + lost) * 100; 0 when both are 0
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;
  std::uint64_t rto = 0;                    // timeouts within the window (lost - rto: unreachable + error)
  std::uint64_t rto_streak = 0;             // probes lost in a row right now, whatever the cause (not windowed)
  latency_summary rtt;                      // ICMP round trip
  latency_summary process;                  // user-space latency
  std::optional<double> jitter_ms;          // mean |RTT_i - RTT_{i-1}| over the window (RFC 3393 IPDV mean)
  std::optional<double> jitter_rfc3550_ms;  // RFC 3550 smoothed interarrival jitter (current estimate)
  std::optional<double> mos;                // simplified E-model, 1.0 .. 4.5
  health status = health::ok;
  std::string reason;  // e.g. "loss 7.5% > 5%"; "ok" when nothing is wrong
};

struct incident {
  std::uint64_t id = 0;  // per target, increasing from 1
  wall_time start{};
  std::optional<wall_time> end;  // empty while the incident is open
  nanos duration{};              // end - start; while open, up to the latest outcome seen (touch)
  std::uint64_t probes_lost = 0;
  health worst = health::bad;
  std::string reason;  // reason at the start (and the worst reason seen)
  // Set by the monitor's owner, which has the verdict and the path: the verdict at its worst during the
  // incident, as the JSON object core::append_fault_json writes (empty: none yet), and the path when the incident
  // began, TTL order with the target last (nullopt: a hop that never answered); no path when the target's path
  // is not monitored.
  std::string fault_json;
  std::optional<std::vector<std::optional<ip_address>>> path;
};

}  // namespace netstab::core

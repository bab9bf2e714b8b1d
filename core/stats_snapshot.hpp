#pragma once
// Value types that statistics produce and payload builders / sinks consume.
// Plain data: no behaviour beyond naming.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
  nanos window{};                 // the window's configured length
  std::uint64_t sent = 0;         // probes sent within the window
  std::uint64_t received = 0;     // ok replies within the window
  std::uint64_t lost = 0;         // timeouts + unreachable + error within the window
  double loss_pct = 0.0;          // lost / (received + lost) * 100; 0 when both are 0
  std::uint64_t duplicates = 0;
  std::uint64_t late = 0;
  std::uint64_t rto = 0;          // timeouts within the window
  std::uint64_t rto_streak = 0;   // consecutive timeouts right now (not windowed)
  latency_summary rtt;            // ICMP round trip
  latency_summary process;        // user-space latency
  std::optional<double> jitter_ms;          // mean |RTT_i - RTT_{i-1}| over the window (RFC 3393 IPDV mean)
  std::optional<double> jitter_rfc3550_ms;  // RFC 3550 smoothed interarrival jitter (current estimate)
  std::optional<double> mos;                // simplified E-model, 1.0 .. 4.5
  health status = health::ok;
  std::string reason;             // e.g. "loss 7.5% > 5%"; "ok" when nothing is wrong
};

struct incident {
  std::uint64_t id = 0;           // per target, increasing from 1
  wall_time start{};
  std::optional<wall_time> end;   // empty while the incident is open
  nanos duration{};               // end - start, or now - start while open
  std::uint64_t probes_lost = 0;
  health worst = health::bad;
  std::string reason;             // reason at the start (and the worst reason seen)
};

}  // namespace netstab::core

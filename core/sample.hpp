#pragma once
// One probe's outcome: the value that flows from the prober to statistics and sinks.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace netstab::core {

enum class probe_status : std::uint8_t {
  ok,           // echo reply matched an outstanding probe
  timeout,      // no reply within the timeout: counted lost (an RTO)
  late,         // reply for a probe already counted lost
  duplicate,    // second (or later) reply for an answered probe
  unreachable,  // ICMP destination unreachable / time exceeded for this probe: counted lost
  error,        // local error (send failed, no route...): counted lost
};

// Which clocks produced rtt: kernel transmit and receive timestamps ("kernel"),
// user-space clock just before send and kernel receive timestamp ("kernel_rx"),
// or the user-space monotonic clock on both ends ("user": the process latency), when the kernel gave no
// timestamp or its timestamps disagree with the monotonic clock (see measure_rtt).
enum class rtt_clock : std::uint8_t { none, kernel, kernel_rx, user };

std::string_view to_string(probe_status s);
std::string_view to_string(rtt_clock c);

struct sample {
  std::uint32_t seq = 0;  // per-target sequence (the wire carries its low 16 bits)
  probe_status status = probe_status::ok;
  mono_time sent_at{};           // monotonic time just before the send call
  mono_time at{};                // monotonic time the outcome was handled in the loop
  wall_time wall{};              // wall-clock time of the outcome, for `ts`
  std::optional<nanos> rtt;      // ICMP round trip (ok, late, duplicate)
  std::optional<nanos> process;  // user-space latency: send call to reply handled
  rtt_clock clock = rtt_clock::none;
  int ttl = -1;            // TTL / hop limit of the reply, -1 when unknown
  std::uint32_t size = 0;  // ICMP payload bytes
  std::string error;       // text for unreachable/error, empty otherwise
};

// The round trip of one reply from the timestamps it has. Kernel packet timestamps are CLOCK_REALTIME (the
// only clock the kernel stamps packets with), so a step of the system clock between the send and the reply
// would move them. They are trusted only within what the monotonic clock allows: the transmit stamp is taken
// after the send call began and the receive stamp before the reply was handled, so 0 <= rtt <= process. A
// kernel RTT outside that (beyond 1000 ppm of rate difference between the two clocks, which NTP slewing can
// cause) means the clock was stepped: the monotonic user-space measurement (`process`) is the RTT then, with
// clock "user". Pure.
struct rtt_measurement {
  nanos rtt{};
  rtt_clock clock = rtt_clock::none;
};
rtt_measurement measure_rtt(nanos process, std::optional<wall_time> kernel_rx, std::optional<wall_time> kernel_tx,
                            wall_time user_tx);

}  // namespace netstab::core

#pragma once
// The behaviour of the emulated remote host: the delay distribution of its replies and the deterministic
// per-request pattern of loss, duplicates, late replies and ICMP unreachable. Parsed from the responder's
// command line. A profile is a value; a delay_source owns its random engine and is used by one thread.
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/netlab/packet.hpp"

namespace netstab::netlab {

using nanos = std::chrono::nanoseconds;

enum class delay_shape : std::uint8_t { fixed, uniform, normal, cycle };

// fixed: a_ms. uniform: a_ms..b_ms. normal: mean a_ms, standard deviation b_ms (negative draws become 0).
// cycle: the delays of cycle_ms in turn, one per reply (so replies can be made to overtake each other).
struct delay_spec {
  delay_shape shape = delay_shape::fixed;
  double a_ms = 0.0;
  double b_ms = 0.0;
  std::vector<double> cycle_ms;  // cycle only; never empty for it
};

enum class action_kind : std::uint8_t { reply, loss, duplicate, late, unreachable };

struct action {
  action_kind what = action_kind::reply;
  nanos late_after{0};  // for late: the reply is sent this long after the request instead of the drawn delay
  bool operator==(const action&) const = default;
};

struct profile {
  std::string tun = "netlab0";
  std::vector<std::pair<core::icmp::family, address>> hosts;  // the emulated host's addresses
  delay_spec delay;
  std::uint64_t seed = 1;
  std::vector<action> pattern;   // applied cyclically by request index; empty means always reply
  std::uint32_t loss_every = 0;  // when > 0, every loss_every-th request (index % n == n - 1) is dropped
  nanos dup_gap = std::chrono::milliseconds(1);  // the duplicate follows the first reply after this gap
  bool index_by_seq = false;  // index requests by ICMP sequence instead of arrival order per host address
  nanos spin = std::chrono::microseconds(400);  // sleep until due - spin, then busy-wait to the exact time
  bool realtime = false;                        // SCHED_FIFO for the responder, for sharper wake-ups on a busy machine
  // Where a request's arrival time comes from. tap (default): the kernel's timestamp of the packet leaving the
  // stack towards the TUN, read from a packet socket on the device, so the responder's own wake-up latency is
  // not added to the emulated delay. read: the monotonic clock right after read() on the TUN.
  bool tap_timestamps = true;
  // For every echo request to the emulated host, this many hostile packets (see flood_kind) are written towards
  // the prober at once, before the real reply is due, cycling through the kinds.
  std::uint32_t flood = 0;
  // Actions for single request indices, ahead of loss_every and the pattern: a fault placed at one spot of a
  // long run (say, around the 16-bit sequence wrap at index 65,536) without a pattern as long as the run.
  std::map<std::uint64_t, action> at;
  // Stale replays: at request index I (the key), a copy of the echo reply to request I - LAG (the value is
  // I - LAG) is written at once, before this request's own reply. The old reply keeps the old request's
  // sequence number and payload, so with LAG = 65,536 it carries the same 16-bit wire sequence as the probe
  // in flight.
  std::map<std::uint64_t, std::uint64_t> replay;
  // The summary's per-request arrays (injected, injected_seq, waited). A run of tens of thousands of requests
  // turns them into megabytes, more than the pipe to the test holds while it waits for the exit: --summary
  // counts leaves them out.
  bool summary_per_request = true;
};

// Parses the responder's arguments (without the program name):
//   --tun NAME --host ADDR (repeatable; default 198.18.0.2 and 2001:2::2)
//   --delay fixed:MS | uniform:A:B | normal:MEAN:SD   --seed N
//   --pattern ok,ok,loss,dup,late:1500,unreach   --loss-every N   --dup-gap MS   --index arrival|seq
//   --spin-us N   --realtime   --timing tap|read   --flood K
//   --at INDEX=ACTION[,INDEX=ACTION...]  (ACTION as in --pattern; repeatable)
//   --replay INDEX=LAG[,INDEX=LAG...]    (LAG >= 1 and <= INDEX; repeatable)   --summary full|counts
// Throws std::invalid_argument with a message naming the bad argument.
profile parse_profile(std::span<const std::string_view> args);

// Parses one pattern list like "ok,loss,dup,late:1500,unreach". Throws std::invalid_argument.
std::vector<action> parse_pattern(std::string_view text);

// Parses "fixed:20", "uniform:10:30", "normal:20:2" or "cycle:60:5" (any number of delays). Throws
// std::invalid_argument.
delay_spec parse_delay(std::string_view text);

// What to do with the request of the given index (0-based): the --at entry for it, else loss_every, else the
// pattern.
action action_for(const profile& p, std::uint64_t index);

// Draws reply delays from a profile's distribution with its seed, so a run is reproducible.
class delay_source {
 public:
  delay_source(const delay_spec& spec, std::uint64_t seed) : spec_(spec), engine_(seed) {}
  nanos next();

 private:
  delay_spec spec_;
  std::mt19937_64 engine_;
  std::size_t next_in_cycle_ = 0;
};

}  // namespace netstab::netlab

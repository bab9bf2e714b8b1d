#pragma once
// One trace of one target's path: a few rounds of one TTL-limited probe per TTL, from 1 up, each round stopping
// at the first TTL the target itself answers (docs/path.md).
//
// Rounds: round r starts round_gap after round r - 1 started, and not before round r - 1 sent its last probe
// (the probe budget may pace a round). Within a round the TTLs go out in order, 1 first, each as soon as the
// caller can send it (due() says which, on_sent() moves on). A round goes up to max_ttl, or to the smallest TTL
// at which the target answered so far: probes past it would only reach the target again. The trace is finished
// `wait` after the last probe of the last round (the probe timeout), or at once when every TTL of the last
// round has been answered.
//
// Answers: a Time Exceeded from an address at a TTL (on_hop), an echo reply from the target to a probe of a TTL
// (on_target). The result takes, per TTL below the target's, the address that answered most often (the first
// seen on a tie: several addresses at one TTL are load-balanced routers, and the rule assumes one path); a TTL
// that never answered in any round is unknown. When the target never answered, the hops go up to the last TTL
// that answered, and the target's TTL is unknown.
//
// Time is passed in; not thread-safe (one owner, the loop thread).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.hpp"
#include "core/time.hpp"

namespace netstab::core {

struct trace_config {
  unsigned max_ttl = 30;
  unsigned rounds = 3;
  nanos round_gap{std::chrono::seconds(1)};
  nanos wait{std::chrono::seconds(1)};  // how long answers to the last round are awaited
};

struct trace_result {
  std::vector<std::optional<ip_address>> hops;  // TTL 1 up to the hop before the target (nullopt: unknown)
  std::optional<unsigned> target_ttl;           // the smallest TTL the target answered at
};

// A traced path: the hops before the target (nullopt: unknown) and the TTL the target answers at, if known.
struct traced_path {
  std::vector<std::optional<ip_address>> hops;
  std::optional<unsigned> target_ttl;
  friend bool operator==(const traced_path&, const traced_path&) = default;
};

// What a new trace makes of the current path.
// - The first trace (nothing known before) is the path; no change.
// - A different known address at a TTL is a change ("hop 3 changed 203.0.113.2 -> 203.0.113.6"); a TTL that
//   answered before but is silent now keeps its address (a hop going silent is not a change: routers drop
//   ICMP to themselves under load), and a TTL that starts answering just fills in.
// - A different length is a change ("path now 6 hops to the target (was 5)") when both traces reached the
//   target; a trace that did not reach it (an outage, a target that stopped answering) says nothing about the
//   length, and the TTLs it did not cover keep their hops.
// Several changes are joined with "; ".
struct path_update {
  traced_path path;
  bool changed = false;
  std::string reason;
};
path_update merge_trace(const traced_path& current, bool traced_before, const trace_result& fresh);

class path_trace {
 public:
  explicit path_trace(const trace_config& cfg = {});

  void start(mono_time now);
  bool started() const { return started_; }
  // The TTL to send now, if one is due; the caller sends it and calls on_sent.
  std::optional<unsigned> due(mono_time now) const;
  void on_sent(unsigned ttl, mono_time now);
  void on_hop(unsigned ttl, const ip_address& from);
  void on_target(unsigned ttl);
  bool finished(mono_time now) const;
  // When the trace needs attention next: a send due or its end (now when it is finished: the owner takes the
  // result); nullopt when not started.
  std::optional<mono_time> next_event(mono_time now) const;
  trace_result result() const;

  unsigned round() const { return round_; }  // 0-based
  std::uint64_t sent() const { return sent_; }

 private:
  struct seen {
    ip_address address;
    std::uint32_t count = 0;
  };
  unsigned limit() const;  // the highest TTL a round sends
  bool round_done() const { return next_ttl_ > limit(); }
  bool last_round_answered() const;

  trace_config cfg_;
  bool started_ = false;
  unsigned round_ = 0;
  unsigned next_ttl_ = 1;
  mono_time round_started_{};
  mono_time last_sent_{};
  std::uint64_t sent_ = 0;
  std::optional<unsigned> target_ttl_;
  std::vector<std::vector<seen>> answers_;    // index ttl - 1
  std::vector<std::uint8_t> answered_round_;  // per TTL: 1 when answered in the current round
};

}  // namespace netstab::core

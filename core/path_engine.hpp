#pragma once
// Path discovery and hop monitoring for the targets with path monitoring on: what to probe when, within the
// probe budget, and what the answers mean (docs/path.md). Pure: the prober sends the probes it is asked for,
// with the TTL given, and hands back what comes in.
//
// Per target (an id of the caller's): a sequence of path probes of its own (core::sequence_map, apart from the
// target's own probes; the prober carries it with the path bit of the target's token), each probe's TTL and
// purpose kept beside it; the current path (the merged result of the traces, core/path_trace.hpp); the trace in
// progress; when to trace next; when to probe the unknown hops. Shared by every target: the hop table (one
// entry per router address, core/hop_table.hpp) and the probe budget (core/probe_budget.hpp).
//
// What is probed, in this order of priority at each call of next_probe(): a due trace TTL (targets in the order
// they were added), the due hop, a due unknown hop. Each probe is charged to the budget; when it is short the
// probe stays due (counted deferred once) and nothing lower goes either.
//
// Traces: a target's first trace starts when it is added; the next after the retrace period, or sooner when
// asked (request_retrace: a new target address, the target's status worsening; and from the answers: a hop
// answering from another address, an unknown hop answering, a hop probe reaching the target), but never sooner
// than retrace_min after the last trace started. A finished trace is merged into the path (merge_trace); a
// change is queued for take_changes(). Hop probes keep going along the current path while a trace runs.
//
// Unknown hops (TTLs of the path that never answered) get one probe per unknown_interval; an answer starts a
// trace, which adds the hop to the path.
//
// Time comes from the clock given (the loop's, or a fake one in tests). Not thread-safe; one owner.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/hop_table.hpp"
#include "core/ip_address.hpp"
#include "core/path_trace.hpp"
#include "core/probe_budget.hpp"
#include "core/sequence_map.hpp"
#include "core/time.hpp"

namespace netstab::core {

struct path_engine_config {
  trace_config trace;  // max_ttl, rounds, round_gap; its wait is the probe timeout
  nanos retrace{std::chrono::seconds(300)};
  nanos retrace_min{std::chrono::seconds(30)};  // the least time between the starts of two traces of a target
  nanos unknown_interval{std::chrono::seconds(10)};
  nanos timeout{std::chrono::seconds(1)};  // a path probe unanswered this long is lost
  std::uint32_t max_pps = 150;
  hop_table_config hops;  // window, buckets and the per-hop interval
};

// A probe to send: to the target, with this TTL, carrying this path sequence.
struct path_probe {
  std::uint32_t target = 0;
  unsigned ttl = 0;
  std::uint32_t seq = 0;
};

enum class path_answer : std::uint8_t {
  time_exceeded,  // from the router at the probe's TTL
  echo_reply,     // from the target: the probe reached it
  unreachable,    // a destination unreachable from `from`
};

struct path_change {
  std::uint32_t target = 0;
  traced_path before, after;
  std::string reason;
};

struct path_counters {
  std::uint64_t traces = 0;
  std::uint64_t trace_probes = 0, hop_probes = 0, unknown_probes = 0;
  std::uint64_t answers = 0, timeouts = 0, send_errors = 0;
};

// One target's path as the engine holds it.
struct path_state {
  bool traced = false;
  wall_time traced_at{};
  traced_path path;
  std::uint64_t traces = 0;
};

class path_engine {
 public:
  path_engine(const path_engine_config& cfg, const clock& clk);
  ~path_engine();
  path_engine(const path_engine&) = delete;
  path_engine& operator=(const path_engine&) = delete;

  void add_target(std::uint32_t id, const ip_address& address);
  void remove_target(std::uint32_t id);
  bool has(std::uint32_t id) const;
  std::size_t target_count() const;
  // A new address for the target: traced again as soon as the throttle allows.
  void set_address(std::uint32_t id, const ip_address& address);
  // Something suggests the path changed (why: for the log).
  void request_retrace(std::uint32_t id, const std::string& why);
  // Probing stops: probes in flight are forgotten and traces in progress dropped; they start again at resume.
  void pause();
  void resume();

  // Timeouts, finished traces and traces due; call before next_probe() at each wake-up.
  void advance();
  // The next probe to send now, or nothing (nothing due, or the budget is short). The caller sends it and calls
  // on_sent() before asking for another.
  std::optional<path_probe> next_probe();
  void on_sent(const path_probe& p, mono_time sent_at, wall_time user_tx, bool ok);
  void set_kernel_tx(std::uint32_t id, std::uint32_t seq, wall_time ts);
  // The latest path sequence of the target whose low 16 bits are low16: for ICMP errors whose quote ends before
  // the payload (only the 16-bit sequence of the ICMP header); nullopt when none was sent.
  std::optional<std::uint32_t> path_seq(std::uint32_t id, std::uint16_t low16) const;
  void on_answer(std::uint32_t id, std::uint32_t seq, path_answer kind, const ip_address& from,
                 std::optional<wall_time> kernel_rx);
  // When the engine needs the next wake-up (a send, a timeout, a trace's end or start); nullopt when idle.
  std::optional<mono_time> next_wake() const;

  const path_state* state(std::uint32_t id) const;
  std::vector<path_change> take_changes();
  hop_table& hops() { return hops_; }
  const hop_table& hops() const { return hops_; }
  const budget_counters& budget() const { return budget_.counters(); }
  const path_counters& counters() const { return counters_; }
  const path_engine_config& config() const { return cfg_; }

  struct target;  // private state of one target (path_engine.cpp)

 private:
  target* find(std::uint32_t id);
  const target* find(std::uint32_t id) const;
  std::optional<path_probe> candidate(mono_time now);
  void expire(target& t, mono_time now);
  void lost(target& t, const probe_record& r, mono_time at);
  void finish_trace(target& t, mono_time now);
  void start_trace(target& t, mono_time now);
  void ask_retrace(target& t, mono_time now, const std::string& why);
  struct answer_context;
  void on_time_exceeded(target& t, const answer_context& a, const ip_address& from);
  void on_reached(target& t, const answer_context& a, const ip_address& from);

  path_engine_config cfg_;
  const clock& clock_;
  hop_table hops_;
  probe_budget budget_;
  std::vector<std::unique_ptr<target>> targets_;  // in the order added
  std::vector<path_change> changes_;
  path_counters counters_;
  bool paused_ = false;
  bool blocked_ = false;  // the last next_probe() found a probe due but the budget short
};

}  // namespace netstab::core

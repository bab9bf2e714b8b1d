#pragma once
// The prober: schedule + ICMP sockets + sequence maps + statistics, for many targets.
//
// Owns every target's state (spec, resolved address, sequence map, monitor), one
// ICMP socket per address family (opened on start, closed on stop), one timer
// armed for the earliest deadline of all targets (sends, timeouts, re-resolution),
// and the resolver. Outcomes go to a probe_sink. When stopped, no timer is armed
// and the sockets are closed, so the process sits idle.
//
// Sockets handed over at construction (opened by start-up before it dropped the
// capability that a large receive buffer needs) are used instead of opening new
// ones; stop() detaches them from the loop and keeps them for the next start(),
// since a socket opened later would not get that buffer. A family with no socket
// handed over is opened when a target needs it, as without a handover. Either way,
// the receive buffer granted is logged at debug, and a warning says once, with the
// sysctl to raise, when it holds less than 100 ms of replies at the probe rate.
//
// Path monitoring (issue 13, docs/path.md): for the targets it is on for, a core::path_engine traces the path
// and measures every hop with TTL-limited probes on the same sockets, within the probe budget; every target
// (with or without a path) gets a verdict (core::target_verdict) at most once per max(interval, 1 s), evaluated
// when the target is serviced; the agent gets its own over the targets' reported faults. The default gateway is
// read from the routing table on the worker pool (gateway_reader) at start and when traces begin.
//
// Token layout (32 bits, in every probe's payload block; see by_token):
//   bit 31      the path bit: a path probe (TTL-limited, its sequence from the path engine) rather than one of
//               the target's own probes
//   bits 20-30  the slot's generation (11 bits), moved on when the slot is reused, so that a late answer for a
//               removed target never matches the target that took its slot
//   bits 0-19   the slot
// Every probe of a target, path probes included, carries the flow word of core::icmp keyed by the token without
// the path bit, so the target's probes share one checksum and one flow through load balancers.
//
// Loop thread only. Construct, add targets, start(); close() before the loop closes.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"
#include "core/icmp.hpp"
#include "core/path_engine.hpp"
#include "core/path_verdict.hpp"
#include "core/payloads.hpp"
#include "core/result.hpp"
#include "core/route_table.hpp"
#include "core/scheduler.hpp"
#include "core/sequence_map.hpp"
#include "core/target.hpp"
#include "core/target_monitor.hpp"
#include "core/time.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/gateway_reader.hpp"
#include "service/probe/icmp_socket.hpp"
#include "service/probe/resolver.hpp"

namespace netstab::service {

// A read-only view of one target, handed to sinks.
class target_view {
 public:
  virtual ~target_view() = default;
  virtual const core::target_spec& spec() const = 0;
  virtual const std::string& address() const = 0;  // resolved address text, empty until resolved
  virtual const core::target_monitor& monitor() const = 0;
  virtual std::uint64_t sent() const = 0;  // probes sent since added
  // A small index, unique among the targets that exist at the same time and reused after a removal: sinks keep
  // their per-target state in vectors indexed by it (per_target.hpp) rather than in maps keyed by the view.
  virtual std::uint32_t slot() const = 0;
  // The verdict reported for the target (ok until one is confirmed).
  virtual const core::fault& fault() const {
    static const core::fault ok;
    return ok;
  }
  // Whether path monitoring is on for it; its path's rows (hops in TTL order, the target last) as of its latest
  // evaluation, empty until its path is traced; when the path was last traced. (Defaults for views without a path,
  // such as test fakes.)
  virtual bool path_on() const { return false; }
  virtual const std::vector<core::hop_row>& path_rows() const {
    static const std::vector<core::hop_row> none;
    return none;
  }
  virtual std::optional<core::wall_time> traced_at() const { return std::nullopt; }
};

class probe_sink {
 public:
  virtual ~probe_sink() = default;
  // A probe of t was sent (mono and wall time right before the send call). Most sinks count sends from the
  // statistics instead; the history counts them per minute.
  virtual void on_sent(const target_view&, core::mono_time, core::wall_time) {}
  virtual void on_sample(const target_view& t, const core::sample& s) = 0;
  virtual void on_monitor_event(const target_view& t, const core::monitor_event& e) = 0;
  virtual void on_target_event(const target_view& t, core::target_event what, std::string_view detail) = 0;
  // --count mode: every target sent its probes and resolved them.
  virtual void on_finished() {}
  // A send or a sample of the target in this slot follows soon: the sink may start fetching its state for it. It
  // gets the slot rather than the target, whose own state may not have arrived yet either. Changes nothing.
  virtual void prefetch(std::uint32_t /*slot*/) const {}
  // A change of a reported verdict: a target's (t set) or the agent's (t null).
  virtual void on_fault_change(const target_view* /*t*/, const core::fault_change& /*c*/) {}
  // The target's path changed (a different known address at a TTL, or a different length). Path monitoring
  // is turned off for a target only by removing it (a reload re-adds a target whose settings changed).
  virtual void on_path_change(const target_view& /*t*/, const core::path_change& /*c*/) {}
};

// Path monitoring and the verdict.
struct path_options {
  bool enabled = true;           // false: no path monitoring for any target (verdicts are still given)
  std::size_t max_targets = 10;  // path monitoring for at most this many targets
  // Whether "auto" targets get a path. Off in stdout mode: the ping-like tool sends only what it was asked for
  // (--path, probe.path = true), so a short run prints no half-traced path and a responder counts only echoes.
  bool auto_path = true;
  core::path_engine_config engine;
  core::target_verdict_config verdict;
  bool read_gateway = true;  // read the default gateway from /proc
};

struct prober_options {
  core::monitor_config monitor;
  path_options path;
  core::nanos late_grace{std::chrono::seconds(5)};  // replies this long after the timeout still count as late
  core::nanos resolve_interval{std::chrono::seconds(300)};
  core::nanos resolve_retry{std::chrono::seconds(5)};  // first retry after a failure, doubling up to resolve_interval
  core::nanos slack{std::chrono::microseconds(1000)};  // events due this soon are handled in the same wake-up
  // Wake-ups fall on multiples of this: fewer wake-ups and larger send bursts, each probe at most one step late
  // (probe.send_grid_ms). 1 ms or less: no grid (the loop timer's own resolution).
  core::nanos send_grid{std::chrono::milliseconds(5)};
  bool tx_timestamps = true;
  std::uint64_t count = 0;  // probes per target, 0 = unlimited
};

struct prober_counters {
  std::uint64_t sent = 0, replies = 0, foreign = 0, send_errors = 0, wakeups = 0;  // the targets' own probes
  std::uint64_t path_sent = 0, path_answers = 0;                                   // path probes
};

class prober {
 public:
  prober(uv_loop_t* loop, const core::clock& clk, prober_options opt, probe_sink& sink,
         icmp_descriptors preopened = {});
  ~prober();
  prober(const prober&) = delete;
  prober& operator=(const prober&) = delete;

  // Adds a target; an error for a duplicate, a family mismatch, a bad source or interface.
  core::result<void> add_target(const core::target_spec& spec);
  // What add_target would say of spec apart from a duplicate: a family mismatch, a bad source or interface.
  core::result<void> check_target(const core::target_spec& spec) const;
  bool remove_target(std::string_view host);
  // Removes each of hosts that is monitored; returns how many were. What follows a removal (handing path
  // monitoring to the next targets, the agent's verdict, the timer) runs once for the whole list, so replacing
  // n targets costs O(n log n), not n times that.
  std::size_t remove_targets(std::span<const std::string> hosts);
  // Changes one target's interval (and keeps its statistics). Returns false if unknown.
  bool set_interval(std::string_view host, core::nanos interval);

  // Opens sockets for the targets' families and schedules every target.
  core::result<void> start();
  void stop();
  bool running() const { return running_; }
  // Stops and closes every handle; the prober is inert afterwards.
  void close();

  std::size_t target_count() const;
  const target_view* find(std::string_view host) const;
  // The target at a slot (target_view::slot()), nullptr when the slot is free.
  const target_view* at_slot(std::uint32_t slot) const;
  // Targets in the order they were added.
  std::vector<const target_view*> targets() const;
  const prober_counters& counters() const { return counters_; }
  std::size_t memory_bytes() const;
  // The agent's verdict (over every target's reported fault) and path monitoring as a whole.
  const core::fault& agent_fault() const { return agent_tracker_.reported(); }
  core::path_summary path_summary() const;
  const core::gateways& gateways() const { return gateways_; }

 private:
  struct target;
  static constexpr std::uint32_t path_bit = 1U << 31U;  // see the token layout above
  target* find_mut(std::string_view host);
  void on_timer();
  void rearm();
  // Whether wake-ups fall on a send grid (send_grid above the timer's 1 ms), and the time up to which a wake-up
  // at `now` handles due events: now plus the slack, or with a grid the start of now's step plus the slack.
  bool gridded() const;
  core::mono_time horizon(core::mono_time now) const;
  // Takes the targets due by horizon(now) off the schedule into due_ (see the definition); false when none is.
  bool take_due(core::mono_time now);
  void service(target& t, core::mono_time now);
  void reschedule(target& t);
  // Sends (prober_send.cpp): service() queues a due probe, on_timer() sends the queue at its end.
  void queue_send(target& t);
  void flush_sends();
  void prepare_burst(core::mono_time sent_at, core::wall_time user_tx);
  std::size_t encode_probe(const target& t, std::uint32_t seq, std::uint16_t id, std::span<std::byte> out) const;
  void prefetch_target(const icmp_input& in) const;
  void on_input(const icmp_input& in);
  void on_reply(target& t, const icmp_input& in);
  void on_error(target& t, const icmp_input& in);
  void on_resolved(target& t, resolver::answer a);
  void learn_address(target& t, const core::ip_address& a, core::mono_time now);
  // The one place a sample is built: what every outcome shares; the caller adds what is particular to it.
  core::sample make_sample(const target& t, std::uint32_t seq, core::probe_status status, core::mono_time sent_at,
                           core::mono_time at, core::wall_time wall) const;
  void emit(target& t, const core::sample& s);
  // Hands the monitor events collected in events_ to the sink.
  void emit_events(target& t);
  // While the receive buffer is short but still enough, the rate is checked again this often (targets come and
  // go by command and reload); the check walks every target, so not on every change.
  static constexpr core::nanos buffer_check_period{std::chrono::seconds(5)};

  void start_resolve(target& t);
  // Sets t's first send to `first` (and whether it sends at all: a count already reached stops it).
  void schedule_first_send(target& t, core::mono_time first);
  core::result<icmp_socket*> socket_for(core::icmp::family f);
  void detach_sockets();
  void check_receive_buffers();
  target* by_token(std::uint32_t token);
  void check_finished();
  // Takes one target out (its sinks told, its slot freed) without what follows a removal: remove_targets.
  bool detach_target(std::string_view host);
  void after_removal();

  // Path monitoring and verdicts (prober_path.cpp).
  core::result<void> choose_path(target& t);
  void start_path(target& t);
  void drop_path(target& t);
  void promote_paths();
  void path_tick();
  void send_path_probe(const core::path_probe& p);
  void on_path_input(target& t, const icmp_input& in);
  bool on_short_quote(const icmp_input& in);
  void handle_path_changes();
  void evaluate(target& t, core::mono_time now);
  void evaluate_agent();
  void note_fault(const target& t, bool degraded);
  void annotate_incidents(target& t);
  void refresh_gateways(bool force);

  uv_loop_t* loop_;
  const core::clock& clock_;
  prober_options opt_;
  std::shared_ptr<const core::target_verdict_config> verdict_cfg_;  // opt_.path.verdict, shared by every target
  probe_sink& sink_;
  std::uint64_t cookie_;
  bool running_ = false;
  bool closed_ = false;
  bool finished_ = false;
  // With a count: every slot below it is empty or done (its count sent, none outstanding, not resolving). A done
  // target stays done until start() or a target added in a lower slot moves it back.
  std::size_t finish_scan_ = 0;

  std::vector<std::unique_ptr<target>> slots_;  // index = slot id; nullptr = free
  std::vector<std::uint32_t> generations_;      // per slot, bumps on reuse
  std::vector<std::uint32_t> free_slots_;       // slots freed by removals, reused last freed first
  // host -> slot of every target: adding and finding a target cost O(1), not a walk over all of them.
  struct host_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, host_hash, std::equal_to<>> by_host_;
  std::uint32_t order_ = 0;  // insertion counter, for stagger and listing order
  core::scheduler sched_;
  timer timer_;
  resolver resolver_;
  std::unique_ptr<icmp_socket> sock4_, sock6_;
  // Handed-over sockets while they are not attached; sockN_ came from spareN_ when keepN_ is set, and goes back
  // there on stop instead of being closed.
  icmp_descriptor spare4_, spare6_;
  bool keep4_ = false, keep6_ = false;
  bool warned_receive_buffer_ = false;   // the shortfall warning is given once
  core::mono_time next_buffer_check_{};  // while not warned: when on_timer checks the buffers again
  std::vector<std::byte> packet_;        // encode buffer of path probes, reused
  // The probes of one wake-up (prober_send.cpp): tokens in the order they fell due, then per probe what the
  // send needs and what follows it; the storage is reused from one wake-up to the next.
  struct burst_entry {
    std::uint32_t token;
    core::icmp::family fam;
    std::size_t offset, size;  // the packet's bytes in burst_bytes_
    std::uint32_t seq = 0;
    std::optional<core::probe_record> evicted;
    std::string error;  // why the probe could not be sent
  };
  std::vector<std::uint32_t> due_;  // the targets on_timer() services in one round, reused
  std::vector<std::uint32_t> due_sends_;
  std::vector<burst_entry> burst_;
  std::vector<std::byte> burst_bytes_;
  std::vector<outgoing> out4_, out6_;         // the messages per socket
  std::vector<std::size_t> index4_, index6_;  // their entries in burst_
  std::vector<core::monitor_event> events_;   // reused
  prober_counters counters_;

  core::path_engine engine_;
  std::size_t path_targets_ = 0;  // targets with path monitoring on
  core::fault_tracker agent_tracker_;
  // Targets whose reported verdict is not ok, in the order they were added: the agent's verdict reads these and
  // the number of targets, not every target. A change of a target's verdict marks the agent's for evaluation once
  // at the end of the wake-up, however many targets changed in it.
  std::vector<const target*> degraded_;
  bool agent_due_ = false;
  gateway_reader gateway_reader_;
  core::gateways gateways_;
  std::uint64_t gateway_traces_ = 0;  // the engine's trace count when the gateway was last read
  core::mono_time next_gateway_read_{};
};

}  // namespace netstab::service

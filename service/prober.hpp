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
// Loop thread only. Construct, add targets, start(); close() before the loop closes.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/icmp.hpp"
#include "core/scheduler.hpp"
#include "core/sequence_map.hpp"
#include "core/target.hpp"
#include "core/target_monitor.hpp"
#include "core/time.hpp"
#include "service/icmp_socket.hpp"
#include "service/resolver.hpp"
#include "service/uv.hpp"

namespace netstab::service {

enum class target_event : std::uint8_t { added, removed, resolved, resolve_failed, address_changed };

// A read-only view of one target, handed to sinks.
class target_view {
 public:
  virtual ~target_view() = default;
  virtual const core::target_spec& spec() const = 0;
  virtual const std::string& address() const = 0;  // resolved address text, empty until resolved
  virtual const core::target_monitor& monitor() const = 0;
  virtual std::uint64_t sent() const = 0;          // probes sent since added
};

class probe_sink {
 public:
  virtual ~probe_sink() = default;
  virtual void on_sample(const target_view& t, const core::sample& s) = 0;
  virtual void on_monitor_event(const target_view& t, const core::monitor_event& e) = 0;
  virtual void on_target_event(const target_view& t, target_event what, std::string_view detail) = 0;
  // --count mode: every target sent its probes and resolved them.
  virtual void on_finished() {}
};

struct prober_options {
  core::monitor_config monitor;
  core::nanos late_grace{std::chrono::seconds(5)};       // replies this long after the timeout still count as late
  core::nanos resolve_interval{std::chrono::seconds(300)};
  core::nanos resolve_retry{std::chrono::seconds(5)};    // first retry after a failure, doubling up to resolve_interval
  core::nanos slack{std::chrono::microseconds(1000)};    // events due this soon are handled in the same wake-up
  bool tx_timestamps = true;
  std::uint64_t count = 0;                               // probes per target, 0 = unlimited
};

struct prober_counters {
  std::uint64_t sent = 0, replies = 0, foreign = 0, send_errors = 0, wakeups = 0;
};

class prober {
 public:
  prober(uv_loop_t* loop, const core::clock& clk, prober_options opt, probe_sink& sink,
         icmp_descriptors preopened = {});
  ~prober();
  prober(const prober&) = delete;
  prober& operator=(const prober&) = delete;

  // Adds a target; returns an error text (duplicate, family mismatch, bad source/interface) or "".
  std::string add_target(const core::target_spec& spec);
  bool remove_target(std::string_view host);
  void clear_targets();
  // Changes one target's interval (and keeps its statistics). Returns false if unknown.
  bool set_interval(std::string_view host, core::nanos interval);

  // Opens sockets for the targets' families and schedules every target. Returns an error text or "".
  std::string start();
  void stop();
  bool running() const { return running_; }
  // Stops and closes every handle; the prober is inert afterwards.
  void close();

  std::size_t target_count() const;
  const target_view* find(std::string_view host) const;
  // Targets in the order they were added.
  std::vector<const target_view*> targets() const;
  const prober_counters& counters() const { return counters_; }
  std::size_t memory_bytes() const;

 private:
  struct target;
  target* find_mut(std::string_view host);
  void on_timer();
  void rearm();
  void service(target& t, core::mono_time now);
  void reschedule(target& t);
  void send_probe(target& t, core::mono_time scheduled);
  void on_input(const icmp_input& in);
  void emit(target& t, const core::sample& s);
  void start_resolve(target& t);
  void schedule_first_send(target& t, core::mono_time now);
  icmp_socket* socket_for(core::icmp::family f, std::string* error);
  void detach_sockets();
  void check_receive_buffers();
  target* by_token(std::uint32_t token);
  void check_finished();

  uv_loop_t* loop_;
  const core::clock& clock_;
  prober_options opt_;
  probe_sink& sink_;
  std::uint64_t cookie_;
  bool running_ = false;
  bool closed_ = false;
  bool finished_ = false;

  std::vector<std::unique_ptr<target>> slots_;  // index = slot id; nullptr = free
  std::vector<std::uint32_t> generations_;      // per slot, bumps on reuse
  std::uint32_t order_ = 0;                     // insertion counter, for stagger and listing order
  core::scheduler sched_;
  timer timer_;
  resolver resolver_;
  std::unique_ptr<icmp_socket> sock4_, sock6_;
  // Handed-over sockets while they are not attached; sockN_ came from spareN_ when keepN_ is set, and goes back
  // there on stop instead of being closed.
  icmp_descriptor spare4_, spare6_;
  bool keep4_ = false, keep6_ = false;
  bool warned_receive_buffer_ = false;          // the shortfall warning is given once
  core::mono_time next_buffer_check_{};         // while not warned: when on_timer checks the buffers again
  std::vector<std::byte> packet_;               // encode buffer, reused for every probe
  std::vector<core::monitor_event> events_;     // reused
  prober_counters counters_;
};

}  // namespace netstab::service

#pragma once
// The controller: applies the commands that arrive on the command topic to the prober, within the configured
// limits, and replies; it also publishes the agent's state message.
//
// Commands are applied in the order they arrive. First the rate limit (control.commands_per_minute, a token
// bucket), then the parse (core::parse_command), then the command's own checks: the access policy
// (core/access_policy.hpp), the target limit and the interval floor. A set_target or add_target whose target is a
// host name (not an address literal) is answered only after a first resolution: if the name does not resolve, or
// no answer comes within resolve_timeout, the reply is an error ("unresolvable target 'NAME': reason") and
// nothing changes; if it resolves, its address is checked against the policy again, the target is added and the
// reply carries the address. Commands arriving meanwhile wait in a queue behind it (at most
// max_waiting_commands; beyond that they are refused), so a set_target followed by an add_target keeps its
// meaning. After that first resolution the prober re-resolves the name as it does for every host-name target.
// A refused command changes nothing. A set_target that names a target already monitored keeps it (see
// replace_targets()): only the others are removed and their retained topics cleared.
//
// Owns its resolver and the resolution timer; loop thread only. close() before the loop closes.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "core/access_policy.hpp"
#include "core/command.hpp"
#include "core/message_bus.hpp"
#include "core/payloads.hpp"
#include "core/token_bucket.hpp"
#include "core/topics.hpp"
#include "service/history/reader.hpp"
#include "service/loop/inbox.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/prober.hpp"
#include "service/probe/resolver.hpp"
#include "service/publish/mqtt_sink.hpp"

namespace netstab::service {

struct controller_options {
  core::command_limits limits;     // payload size and interval floor of commands
  core::probe_settings defaults;   // [probe]: the settings of targets a command adds
  core::access_config access;      // control.allow / deny / allow_loopback / allow_link_local
  std::size_t max_targets = 1000;  // most targets commands may leave in total
  std::uint32_t commands_per_minute = 120;
  int qos = 1;  // replies and the state message
  std::string agent;
  std::string version;
};

class controller {
 public:
  static constexpr std::chrono::seconds resolve_timeout{5};
  static constexpr std::size_t max_waiting_commands = 16;

  controller(uv_loop_t* loop, prober& p, mqtt_sink& sink, core::message_bus& bus, const core::topic_builder& topics,
             const core::clock& clk, controller_options opt);

  void on_message(const core::incoming_message& m);
  // Stops taking commands: cancels a pending resolution and drops waiting commands (no reply).
  void close();
  // Commands waiting behind a name resolution (the one being resolved included).
  std::size_t waiting() const { return queue_.size() + (resolving_ ? 1 : 0); }
  // Republishes the retained state: the state message and every target's statistics and incidents.
  void publish_all();
  void publish_state();
  // Fills the mqtt_* and history counters of the state message.
  void set_counters_source(std::function<void(core::agent_state&)> f) { counters_ = std::move(f); }
  // Where the history and history_targets commands read; none (the default) answers that history is off.
  void set_history(history::reader* r) { history_ = r; }

 private:
  struct queued_command {
    core::incoming_message msg;
    core::parsed_command pc;
  };
  // What running a command gave: its error (empty when it worked), the reply's extra fields, and, for a target
  // named by a host name, the lookup that must come first.
  struct outcome {
    std::string error;
    nlohmann::json extra = nlohmann::json::object();
    std::optional<core::target_request> lookup;
    bool replace = false;
  };

  void reply(const core::incoming_message& m, const core::parsed_command& pc, bool ok, std::string_view error,
             const nlohmann::json& extra = nullptr);
  void run_queue();
  void execute(queued_command q);
  outcome run(const core::command& c);
  outcome run_target(const core::target_request& rq, bool replace);
  void publish_event(core::event_type type);
  // Checks that don't need the address (policy, limits, interval, duplicate).
  core::result<void> precheck(const core::target_request& rq, bool replace) const;
  core::result<void> apply_target(const core::target_request& rq, bool replace);
  core::result<void> replace_targets(const core::target_spec& spec);
  void start_lookup(queued_command q, const core::target_request& rq);
  void on_resolved(resolver::answer a);
  void finish(const queued_command& q, const std::string& error, nlohmann::json extra);
  // history and history_targets: read on the reader's thread, answered on the loop through later_.
  void run_history(const queued_command& q);

  prober& prober_;
  mqtt_sink& sink_;
  core::message_bus& bus_;
  const core::topic_builder& topics_;
  const core::clock& clock_;
  controller_options opt_;
  core::access_policy policy_;
  core::token_bucket rate_;
  core::wall_time started_at_;
  std::function<void(core::agent_state&)> counters_;
  history::reader* history_ = nullptr;
  inbox<std::function<void()>> later_;
  resolver resolver_;
  timer resolve_timer_;
  std::deque<queued_command> queue_;         // valid commands waiting, in arrival order
  std::optional<queued_command> resolving_;  // the command whose target name is being resolved
  std::uint64_t lookup_id_ = 0;              // resolver request of resolving_, 0 when none is in flight
  bool draining_ = false;                    // run_queue() is on the stack
  bool closed_ = false;
};

}  // namespace netstab::service

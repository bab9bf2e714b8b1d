#pragma once
// Service mode (a broker is configured): probe, publish everything over MQTT,
// take commands. The parts, each a thin piece wired by run_service():
// - mqtt_sink: a probe_sink that turns samples, statistics, incidents and events
//   into messages on a core::message_bus (publishing cadence lives here);
// - controller: applies commands from the command topic to the prober and
//   replies, within the configured limits.
// Loop thread only.
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/loader.hpp"
#include "config/settings.hpp"
#include "core/command.hpp"
#include "core/message_bus.hpp"
#include "core/payloads.hpp"
#include "core/topics.hpp"
#include "service/prober.hpp"
#include "service/resolver.hpp"
#include "service/uv.hpp"

namespace netstab::service {

class mqtt_sink final : public probe_sink {
 public:
  struct options {
    int qos_sample = 0;
    int qos_other = 1;
    int qos_stats = 0;
    bool retain_stats = true;
    core::nanos publish_interval{0};  // 0: once per target interval
    bool per_target = true;           // statistics on each target's own topics
    core::nanos digest_interval{0};   // 0: no digest; else every target's latest statistics in one message
  };
  mqtt_sink(core::message_bus& bus, const core::topic_builder& topics, const core::clock& clk, options opt);

  void on_sample(const target_view& t, const core::sample& s) override;
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override;
  void on_target_event(const target_view& t, target_event what, std::string_view detail) override;

  // Whether a target added gets a target_added event (default on). run_service turns it off while it adds the
  // targets of the configuration: the process starts with them and the retained state message lists them, and
  // 10,000 targets would otherwise put 10,000 QoS 1 events in the outbox before the first probe (more than its
  // default capacity, so some were dropped anyway).
  void announce_additions(bool on) { announce_additions_ = on; }

  void publish_stats(const target_view& t);
  // publish_stats, only for a target that has published statistics before (see the definition).
  void republish_stats(const target_view& t);
  void publish_incidents(const target_view& t);
  void publish_event(const core::event& e);
  // Clears the retained topics of a removed target (empty retained payloads).
  void clear_retained(const target_view& t);

 private:
  struct cache {
    std::string sample_topic, stats_topic, incidents_topic;
    std::vector<std::string> extra_stats_topics;
    core::mono_time last_stats{};
    bool published = false;
    // With the digest on: this target's latest primary-window statistics, the JSON of its .../stats payload. It is
    // rebuilt when the target's statistics are due (spread over the period, like the per-target messages), so
    // the digest itself only joins strings.
    std::string digest_entry;
  };
  cache& topics_of(const target_view& t);
  void publish_digest_if_due(core::mono_time now);

  core::message_bus& bus_;
  const core::topic_builder& topics_;
  const core::clock& clock_;
  options opt_;
  // Element pointers of an unordered_map stay valid until the element is erased, so order_ may point into it.
  std::unordered_map<const target_view*, cache> cache_;
  std::vector<cache*> order_;  // cache_'s entries in the order the targets were first seen: the digest's order
  std::string buf_;
  const std::string digest_topic_;
  bool digest_started_ = false;
  bool announce_additions_ = true;
  core::mono_time next_digest_{};
  std::vector<const std::string*> entries_;  // scratch for the digest, kept to avoid an allocation per period
};

// Commands are applied in the order they arrive. A set_target or add_target
// whose target is a host name (not an IP literal) is answered only after a
// first resolution (uv_getaddrinfo, off the loop): if the name does not
// resolve, or no answer comes within resolve_timeout, the reply is an error
// ("unresolvable target 'NAME': reason") and nothing changes; if it resolves,
// the target is added and the reply carries the address. Commands arriving
// meanwhile wait in a queue behind it (at most max_waiting_commands, beyond
// that they are refused), so a set_target followed by an add_target keeps its
// meaning. After that first resolution the prober re-resolves the name as it
// does for every host name target.
//
// Owns its resolver and the timeout timer; close() before the loop closes.
class controller {
 public:
  static constexpr std::chrono::seconds resolve_timeout{5};
  static constexpr std::size_t max_waiting_commands = 16;

  controller(uv_loop_t* loop, prober& p, mqtt_sink& sink, core::message_bus& bus, const core::topic_builder& topics,
             const core::clock& clk, const config::settings& s);

  void on_message(const core::incoming_message& m);
  // Stops taking commands: cancels a pending resolution and drops waiting commands (no reply).
  void close();
  // Commands waiting behind a name resolution (the one being resolved included).
  std::size_t waiting() const { return queue_.size() + (resolving_ ? 1 : 0); }
  // Republishes availability-independent retained state: state and every target's stats and incidents.
  void publish_all();
  void publish_state();
  // Fills the mqtt_* counters of the state message.
  void set_counters_source(std::function<void(core::agent_state&)> f) { counters_ = std::move(f); }

  // Checks a target a command asks for against the control limits; returns an error text or "".
  std::string check_allowed(const std::string& host) const;
  // Checks the address a host name resolved to against the deny list and the loopback / link-local rules.
  std::string check_allowed_address(const std::string& host, const sockaddr_storage& a) const;

 private:
  struct queued_command {
    core::incoming_message msg;
    core::parsed_command pc;
  };
  void reply(const core::incoming_message& m, const core::parsed_command& pc, bool ok, std::string_view error,
             const nlohmann::json& extra = nullptr);
  void run_queue();
  void execute(queued_command q);
  // Checks that don't need the address (allowed, limits, interval, duplicate); returns an error text or "".
  std::string precheck(const core::target_request& rq, bool replace) const;
  std::string apply_target(const core::target_request& rq, bool replace);
  void on_resolved(int status, const std::string& error, const std::vector<sockaddr_storage>& addrs);
  void finish(const queued_command& q, const std::string& error, nlohmann::json extra);

  prober& prober_;
  mqtt_sink& sink_;
  core::message_bus& bus_;
  const core::topic_builder& topics_;
  const core::clock& clock_;
  const config::settings& settings_;
  core::command_limits limits_;
  core::wall_time started_at_;
  std::function<void(core::agent_state&)> counters_;
  // Token bucket for commands_per_minute.
  double tokens_;
  core::mono_time last_refill_{};
  resolver resolver_;
  timer resolve_timer_;
  std::deque<queued_command> queue_;          // valid commands waiting, in arrival order
  std::optional<queued_command> resolving_;   // the command whose target name is being resolved
  std::uint64_t lookup_id_ = 0;               // resolver request of resolving_, 0 when none is in flight
  bool draining_ = false;                     // run_queue() is on the stack
  bool closed_ = false;
};

int run_service(const config::settings& s, const config::load_request& request, icmp_descriptors icmp = {});

}  // namespace netstab::service

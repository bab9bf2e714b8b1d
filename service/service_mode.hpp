#pragma once
// Service mode (a broker is configured): probe, publish everything over MQTT,
// take commands. The parts, each a thin piece wired by run_service():
// - mqtt_sink: a probe_sink that turns samples, statistics, incidents and events
//   into messages on a core::message_bus (publishing cadence lives here);
// - controller: applies commands from the command topic to the prober and
//   replies, within the configured limits.
// Loop thread only.
#include <chrono>
#include <string>
#include <unordered_map>

#include "config/loader.hpp"
#include "config/settings.hpp"
#include "core/command.hpp"
#include "core/message_bus.hpp"
#include "core/payloads.hpp"
#include "core/topics.hpp"
#include "service/prober.hpp"

namespace netstab::service {

class mqtt_sink final : public probe_sink {
 public:
  struct options {
    int qos_sample = 0;
    int qos_other = 1;
    bool retain_stats = true;
    core::nanos publish_interval{0};  // 0: once per target interval
  };
  mqtt_sink(core::message_bus& bus, const core::topic_builder& topics, const core::clock& clk, options opt);

  void on_sample(const target_view& t, const core::sample& s) override;
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override;
  void on_target_event(const target_view& t, target_event what, std::string_view detail) override;

  void publish_stats(const target_view& t);
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
  };
  cache& topics_of(const target_view& t);

  core::message_bus& bus_;
  const core::topic_builder& topics_;
  const core::clock& clock_;
  options opt_;
  std::unordered_map<const target_view*, cache> cache_;
  std::string buf_;
};

class controller {
 public:
  controller(prober& p, mqtt_sink& sink, core::message_bus& bus, const core::topic_builder& topics,
             const core::clock& clk, const config::settings& s);

  void on_message(const core::incoming_message& m);
  // Republishes availability-independent retained state: state and every target's stats and incidents.
  void publish_all();
  void publish_state();
  void set_counters_source(std::function<std::pair<std::uint64_t, std::uint64_t>()> f) { counters_ = std::move(f); }

  // Checks a target a command asks for against the control limits; returns an error text or "".
  std::string check_allowed(const std::string& host) const;

 private:
  void reply(const core::incoming_message& m, const core::parsed_command& pc, bool ok, std::string_view error,
             const nlohmann::json& extra = nullptr);

  prober& prober_;
  mqtt_sink& sink_;
  core::message_bus& bus_;
  const core::topic_builder& topics_;
  const core::clock& clock_;
  const config::settings& settings_;
  core::command_limits limits_;
  core::wall_time started_at_;
  std::function<std::pair<std::uint64_t, std::uint64_t>()> counters_;
  // Token bucket for commands_per_minute.
  double tokens_;
  core::mono_time last_refill_{};
};

int run_service(const config::settings& s, const config::load_request& request);

}  // namespace netstab::service

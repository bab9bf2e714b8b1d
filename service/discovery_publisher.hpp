#pragma once
// Home Assistant MQTT discovery for service mode: keeps the retained device
// discovery message (core/discovery.hpp) on <prefix>/device/<agent>/config in
// step with the agent's targets.
//
// The message is published (retained, qos 1):
// - on every connection to the broker (on_connected);
// - when HA announces that it (re)started: "online" on <prefix>/status, which
//   the link subscribes to (subscriptions());
// - when targets are added or removed (on_target_event, fed by
//   target_watch_sink). Several changes in one loop iteration (set_target
//   removes every target and adds one) give one publish: the change arms a
//   zero-delay timer, and the timer publishes.
//
// Removed targets: HA deletes a device's component when the device payload
// lists it with only its platform, and then wants one more update without it
// (https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload).
// So every publish after a removal is that pair: first the payload with the
// removed targets' platform-only entries, then the clean payload, which is the
// one the broker keeps. The pair is repeated on every later publish (a no-op
// for HA when it already deleted them), so an HA that was offline during the
// removal still deletes the entities when it comes back and says "online".
// The removed targets are remembered for the life of the process, at most
// options::max_removed of them (the oldest are forgotten first). Without
// commands (control.enabled false) the command entities are handled the same
// way, so that they disappear from an HA that knew them from an earlier run.
//
// With options::enabled false nothing is published and nothing subscribed.
//
// Owns a libuv timer; loop thread only. close() before the loop closes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "core/message_bus.hpp"
#include "service/prober.hpp"
#include "service/uv.hpp"

namespace netstab::service {

class discovery_publisher {
 public:
  struct options {
    bool enabled = true;
    std::string prefix = "homeassistant";  // HA's discovery prefix
    std::string base_topic = "netstab";
    std::string agent;
    std::string version;
    bool commands = true;                  // control.enabled: offer the command entities
    std::int64_t min_interval_ms = 100;    // control.min_interval
    int qos = 1;
    std::size_t max_removed = 64;
    // Only the first max_targets targets (in configured order) get entities: the device message lists every
    // entity of every target (about 3.8 KB per target), and it is rebuilt and republished on each change.
    std::size_t max_targets = 100;
  };
  static options options_from(const config::settings& s);
  // The topic filters to subscribe on every connect: HA's status topic, or none when disabled.
  static std::vector<std::string> subscriptions(const config::settings& s);

  discovery_publisher(uv_loop_t* loop, core::message_bus& bus, options opt);
  discovery_publisher(const discovery_publisher&) = delete;
  discovery_publisher& operator=(const discovery_publisher&) = delete;

  // Publishes now (called from the link's on_connected).
  void on_connected();
  // Republishes when m is "online" on HA's status topic; ignores every other message.
  void on_message(const core::incoming_message& m);
  // Records an added or removed target and schedules a publish; other events are ignored.
  void on_target_event(const target_view& t, target_event what);
  void close();

  std::uint64_t publishes() const { return publishes_; }  // discovery messages handed to the bus

 private:
  void schedule();
  void publish();
  // One discovery message; with removals, the removed targets' (and, without
  // commands, the command entities') platform-only entries.
  void send(bool removals);

  core::message_bus& bus_;
  options opt_;
  std::string topic_;
  std::string status_topic_;
  // Current targets in the order they were added, and removed targets that are
  // not current (oldest first); a target is in at most one of the two.
  std::vector<std::string> targets_;
  std::vector<std::string> removed_;
  timer timer_;
  std::uint64_t publishes_ = 0;
  bool warned_cap_ = false;  // the max_targets warning is logged once per process
};

// A probe_sink that forwards everything to the next sink and tells the
// discovery publisher when targets are added or removed. Loop thread only.
class target_watch_sink final : public probe_sink {
 public:
  target_watch_sink(probe_sink& next, discovery_publisher& discovery) : next_(next), discovery_(discovery) {}

  void on_sample(const target_view& t, const core::sample& s) override { next_.on_sample(t, s); }
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override { next_.on_monitor_event(t, e); }
  void on_target_event(const target_view& t, target_event what, std::string_view detail) override {
    next_.on_target_event(t, what, detail);
    discovery_.on_target_event(t, what);
  }
  void on_finished() override { next_.on_finished(); }

 private:
  probe_sink& next_;
  discovery_publisher& discovery_;
};

}  // namespace netstab::service

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
// So a removal is published as that pair: first the payload with the removed
// targets' platform-only entries ("stubs"), then the clean payload, which is the
// one the broker keeps. The stubs go out only when HA may need them:
// - in the pair right after the removal (the targets removed since the last pair);
// - on every connection to the broker: a removal made while offline was never
//   sent, and the link drops retained messages that were in flight when the
//   connection broke (it expects their owner to republish on connect);
// - when HA says "online": an HA that lost its connection to the broker while a
//   target was removed still has the entities and deletes them now.
// Every other publish (targets added) is the clean payload alone. HA ignores a
// stub for a component it does not have, so repeating one is harmless, but a
// stub in every config would grow each message for the life of the process.
// The removed targets are remembered for the life of the process, at most
// options::max_removed of them (the oldest are forgotten first); a target added
// again is forgotten at once. An HA that restarted while a target was removed
// never loaded its entities again, so no stub reaches them: HA keeps them in its
// entity registry as no longer provided, for the user to delete. Without
// commands (control.enabled false) the command entities are stubbed on the same
// occasions, so that they disappear from an HA that knew them from an earlier run.
//
// With options::enabled false nothing is published and nothing subscribed.
//
// Owns a libuv timer; loop thread only. close() before the loop closes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/message_bus.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/prober.hpp"

namespace netstab::service {

class discovery_publisher {
 public:
  struct options {
    bool enabled = true;
    std::string prefix = "homeassistant";  // HA's discovery prefix
    std::string base_topic = "netstab";
    std::string agent;
    std::string version;
    bool commands = true;                // control.enabled: offer the command entities
    std::int64_t min_interval_ms = 100;  // control.min_interval
    int qos = 1;
    std::size_t max_removed = 64;
    // Only the first max_targets targets (in configured order) get entities: the device message lists every
    // entity of every target (its size per target is in the README), and it is rebuilt and republished on each
    // change.
    std::size_t max_targets = 100;
  };
  // The topic filters to subscribe on every connect: HA's status topic, or none when disabled.
  static std::vector<std::string> subscriptions(const options& o);

  discovery_publisher(uv_loop_t* loop, core::message_bus& bus, options opt);
  discovery_publisher(const discovery_publisher&) = delete;
  discovery_publisher& operator=(const discovery_publisher&) = delete;

  // Publishes now (called from the link's on_connected).
  void on_connected();
  // Republishes when m is "online" on HA's status topic; ignores every other message.
  void on_message(const core::incoming_message& m);
  // Records an added or removed target and schedules a publish; other events are ignored.
  void on_target_event(const target_view& t, core::target_event what);
  void close();

  std::uint64_t publishes() const { return publishes_; }  // discovery messages handed to the bus

 private:
  // Which removal stubs a publish carries: those of the targets removed since the last pair (a change), or of
  // every remembered one and, without commands, the command entities (a connect or HA's birth).
  enum class stubs : std::uint8_t { since_last, all };
  void schedule();
  void publish(stubs which);
  // One discovery message, with the platform-only entries of `removed` and, when command_stubs is set, of the
  // command entities.
  void send(const std::vector<std::string>& removed, bool command_stubs);
  void drop_gone();

  core::message_bus& bus_;
  options opt_;
  std::string topic_;
  std::string status_topic_;
  // Current targets in the order they were added (and, until drop_gone, those in gone_), and removed targets
  // that are not current (oldest first); a current target is in at most one of the two. unsent_ holds the
  // removed targets whose stubs no pair has carried yet (a subset of removed_).
  std::vector<std::string> targets_;
  // Targets removed since targets_ was last cleaned of them (drop_gone, core::erase_first), with how many times
  // each was: targets_ holds them until then. Cleaned before every publish and when they reach half of targets_.
  std::unordered_map<std::string, std::size_t> gone_;
  std::size_t gone_count_ = 0;
  std::vector<std::string> removed_;
  std::vector<std::string> unsent_;
  timer timer_;
  std::uint64_t publishes_ = 0;
  bool warned_cap_ = false;  // the max_targets warning is logged once per process
};

// A probe_sink that forwards everything to the next sink and tells the
// discovery publisher when targets are added or removed. Loop thread only.
class target_watch_sink final : public probe_sink {
 public:
  target_watch_sink(probe_sink& next, discovery_publisher& discovery) : next_(next), discovery_(discovery) {}

  void on_sent(const target_view& t, core::mono_time at, core::wall_time wall) override { next_.on_sent(t, at, wall); }
  void on_sample(const target_view& t, const core::sample& s) override { next_.on_sample(t, s); }
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override { next_.on_monitor_event(t, e); }
  void on_target_event(const target_view& t, core::target_event what, std::string_view detail) override {
    next_.on_target_event(t, what, detail);
    discovery_.on_target_event(t, what);
  }
  void on_finished() override { next_.on_finished(); }
  void prefetch(std::uint32_t slot) const override { next_.prefetch(slot); }
  void on_fault_change(const target_view* t, const core::fault_change& c) override { next_.on_fault_change(t, c); }
  void on_path_change(const target_view& t, const core::path_change& c) override { next_.on_path_change(t, c); }

 private:
  probe_sink& next_;
  discovery_publisher& discovery_;
};

}  // namespace netstab::service

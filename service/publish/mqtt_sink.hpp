#pragma once
// The MQTT sink: turns what the prober reports (samples, statistics, incidents, events) into messages of the
// contract on a core::message_bus. The publishing cadence lives here: statistics after resolved probes, at most
// once per interval (or stats.publish_interval_ms), at once on a status change or a change of the target's
// verdict, and less often than once per interval when the targets' messages would exceed stats.max_publish_rate
// (stats_period below); the digest of every target's statistics every stats.digest_interval_ms, in one message or
// in parts (stats.digest_part_size) spread over the period, each on its own retained topic. A target with path
// monitoring on also gets its path (`.../path`, retained, QoS mqtt.qos_stats) with its statistics and at once
// when the path changes; the topic is cleared when the target goes (also when a reload re-adds it with path
// monitoring off).
//
// Owns its topic and payload caches; loop thread only.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "core/message_bus.hpp"
#include "core/payloads.hpp"
#include "core/topics.hpp"
#include "service/probe/prober.hpp"
#include "service/publish/per_target.hpp"

namespace netstab::service {

class mqtt_sink final : public probe_sink {
 public:
  struct options {
    int qos_sample = 0;
    int qos_other = 1;
    int qos_stats = 0;
    bool retain_stats = true;
    core::nanos publish_interval{0};   // 0: once per target interval
    unsigned max_publish_rate = 0;     // with publish_interval 0: per-target messages a second in all; 0: no limit
    bool per_target = true;            // statistics on each target's own topics
    core::nanos digest_interval{0};    // 0: no digest; else every target's latest statistics in one message
    std::size_t digest_part_size = 0;  // 0: the digest in one message; else parts of at most this many targets
  };
  mqtt_sink(core::message_bus& bus, const core::topic_builder& topics, const core::clock& clk, options opt);

  void on_sample(const target_view& t, const core::sample& s) override;
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override;
  void on_target_event(const target_view& t, core::target_event what, std::string_view detail) override;
  void on_fault_change(const target_view* t, const core::fault_change& c) override;
  void on_path_change(const target_view& t, const core::path_change& c) override;
  void prefetch(std::uint32_t slot) const override { cache_.prefetch(slot); }

  // Whether a target added gets a target_added event (default on). run_service turns it off while it adds the
  // targets of the configuration: the process starts with them and the retained state message lists them, and
  // 10,000 targets would otherwise put 10,000 QoS 1 events in the outbox before the first probe (more than its
  // default capacity, so some were dropped anyway).
  void announce_additions(bool on) { announce_additions_ = on; }
  // Room for the n targets the process starts with: per-target vectors grown by doubling past 10,000 targets held
  // room for 16,384. Targets added later grow them as usual.
  void reserve_targets(std::size_t n) {
    cache_.reserve(n);
    order_.reserve(n);
  }
  // The live targets by slot (prober::at_slot), for the digest in parts: each part is built from its targets'
  // statistics when it is due, so no copy of every target's statistics is kept between parts.
  void set_target_lookup(std::function<const target_view*(std::uint32_t slot)> lookup) { lookup_ = std::move(lookup); }

  void publish_stats(const target_view& t);
  void publish_path(const target_view& t);
  // publish_stats, only for a target that has published statistics before, and not beyond max_publish_rate
  // (see the definition).
  void republish_stats(const target_view& t);
  void publish_incidents(const target_view& t);
  // At a (re)connect or a status command: the incident list again, at the statistics' QoS (mqtt.qos_stats). It
  // replaces a list an earlier run left retained, and one lost with a connection is published again at the next
  // connect. At QoS 1, 10,000 of them waited for the broker's acknowledgements twenty at a time and held every
  // retained message (the statistics too) behind them for seconds after the connect (docs/benchmarks.md). Beyond
  // max_publish_rate each list goes with its target's next statistics instead.
  void republish_incidents(const target_view& t);
  void publish_event(const core::event& e);
  // Clears the retained topics of a removed target (empty retained payloads).
  void clear_retained(const target_view& t);
  // While set, the removal of the target `host` leaves its retained topics as they are (on_target_event does not
  // clear them): the caller removes it only to add it again at once with new settings, and the new instance's
  // statistics replace them. "" unsets it.
  void keep_retained_of(std::string_view host) { keep_retained_of_ = host; }

 private:
  struct cache {
    // The target's topics are built from its slug when published rather than kept: 4 and more strings per
    // target cost megabytes at 10,000 targets, and a message needs a topic string of its own anyway.
    std::string slug;
    core::mono_time last_stats{};
    bool published = false;
    bool placed = false;         // last_stats holds a time: set by the first sample or the first publication
    bool incidents_due = false;  // republish_incidents beyond the limit: the list goes with the next statistics
    // What this target's statistics add to rate_milli_ at once per interval: messages a second, in thousandths.
    std::uint64_t rate_milli = 0;
    // With the digest in one message: this target's latest primary-window statistics, the JSON of its .../stats
    // payload. It is rebuilt when the target's statistics are due (spread over the period, like the per-target
    // messages), so the digest itself only joins strings. Its capacity stays within a few dozen bytes of its length
    // (core::assign_fitted): grown by doubling, the entries held up to twice their text.
    std::string digest_entry;
  };
  cache& topics_of(const target_view& t);
  void forget(std::uint32_t slot);
  void drop_gone();
  core::nanos stats_period(const target_view& t) const;
  // Whether every target publishing once per interval would exceed max_publish_rate (with publish_interval 0).
  bool over_limit() const;
  void publish_incidents(const target_view& t, int qos);
  void publish_digest_if_due(core::mono_time now);
  std::size_t digest_part_count() const;
  void publish_digest_whole();
  void publish_digest_part(core::mono_time now);
  // The digest in one message keeps an entry per target (cache::digest_entry); in parts it does not.
  bool digest_entries() const { return opt_.digest_interval.count() > 0 && opt_.digest_part_size == 0; }

  core::message_bus& bus_;
  const core::topic_builder& topics_;
  const core::clock& clock_;
  options opt_;
  per_target<cache> cache_;
  // Slots of cache_'s entries in the order the targets were first seen: the digest's order. It still holds the
  // places of the slots in gone_ (with how many removals each since it was last cleaned): drop_gone takes them
  // out (core::erase_first), before every digest and when they reach half of it.
  std::vector<std::uint32_t> order_;
  std::unordered_map<std::uint32_t, std::size_t> gone_;
  std::size_t gone_count_ = 0;
  // The per-target statistics messages a second of every target in cache_ at once per interval, in thousandths.
  std::uint64_t rate_milli_ = 0;
  std::string buf_;
  const std::string digest_topic_;
  bool digest_started_ = false;
  bool announce_additions_ = true;
  std::string keep_retained_of_;
  // The digest's schedule: the period's start (its first part is due then), the next part and the number of
  // parts in this period (fixed at its first part), and how many parts are retained at the broker.
  core::mono_time digest_start_{};
  std::size_t digest_part_ = 0;
  std::size_t digest_parts_ = 1;
  std::size_t digest_parts_retained_ = 0;
  std::vector<const std::string*> entries_;       // scratch for the digest, kept to avoid an allocation per period
  std::vector<const target_view*> part_targets_;  // scratch for a part of the digest, likewise
  std::size_t part_bytes_ = 0;                    // the size of the last part published
  std::function<const target_view*(std::uint32_t)> lookup_;
};

}  // namespace netstab::service

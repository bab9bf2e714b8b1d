#include "service/discovery_publisher.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/discovery.hpp"

namespace netstab::service {

namespace {

void erase_value(std::vector<std::string>& v, const std::string& value) {
  v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

}  // namespace

discovery_publisher::options discovery_publisher::options_from(const config::settings& s) {
  options o;
  o.enabled = s.discovery.enabled;
  o.prefix = s.discovery.prefix;
  o.base_topic = s.mqtt.base_topic;
  o.agent = s.mqtt.agent;
  o.version = NETSTAB_VERSION;
  o.commands = s.control.enabled;
  o.min_interval_ms = s.control.min_interval.count();
  o.qos = s.mqtt.qos_other;
  o.max_targets = s.discovery.max_targets;
  return o;
}

std::vector<std::string> discovery_publisher::subscriptions(const config::settings& s) {
  if (!s.discovery.enabled) return {};
  return {core::ha_status_topic(s.discovery.prefix)};
}

discovery_publisher::discovery_publisher(uv_loop_t* loop, core::message_bus& bus, options opt)
    : bus_(bus),
      opt_(std::move(opt)),
      topic_(core::discovery_topic(opt_.prefix, opt_.agent)),
      status_topic_(core::ha_status_topic(opt_.prefix)),
      timer_(loop) {}

void discovery_publisher::on_connected() { publish(); }

void discovery_publisher::on_message(const core::incoming_message& m) {
  if (!opt_.enabled || m.topic != status_topic_ || m.payload != core::ha_online_payload) return;
  spdlog::info("Home Assistant is online: republishing discovery on {}", topic_);
  publish();
}

void discovery_publisher::on_target_event(const target_view& t, target_event what) {
  const std::string& host = t.spec().host;
  if (what == target_event::added) {
    erase_value(removed_, host);
    if (std::find(targets_.begin(), targets_.end(), host) == targets_.end()) targets_.push_back(host);
  } else if (what == target_event::removed) {
    erase_value(targets_, host);
    erase_value(removed_, host);
    removed_.push_back(host);
    if (removed_.size() > opt_.max_removed) {
      const auto excess = static_cast<std::ptrdiff_t>(removed_.size() - opt_.max_removed);
      removed_.erase(removed_.begin(), removed_.begin() + excess);
    }
  } else {
    return;
  }
  schedule();
}

void discovery_publisher::schedule() {
  if (!opt_.enabled || !timer_.is_open() || timer_.active()) return;
  timer_.start(0, [this] { publish(); });
}

void discovery_publisher::publish() {
  // Retained messages published while offline are skipped by the link, and
  // on_connected publishes anyway, so there is nothing to do until then.
  if (!opt_.enabled || !bus_.connected()) return;
  if (!removed_.empty() || !opt_.commands) send(true);
  send(false);
}

void discovery_publisher::send(bool removals) {
  core::discovery_input in;
  in.prefix = opt_.prefix;
  in.base_topic = opt_.base_topic;
  in.agent = opt_.agent;
  in.version = opt_.version;
  if (targets_.size() > opt_.max_targets) {
    in.targets.assign(targets_.begin(), targets_.begin() + static_cast<std::ptrdiff_t>(opt_.max_targets));
    if (!warned_cap_) {
      spdlog::warn("discovery: {} targets; only the first {} get Home Assistant entities (discovery.max_targets)",
                   targets_.size(), opt_.max_targets);
      warned_cap_ = true;
    }
  } else {
    in.targets = targets_;
  }
  if (removals) in.removed_targets = removed_;
  in.commands = opt_.commands;
  in.remove_command_entities = removals;
  in.min_interval_ms = opt_.min_interval_ms;
  bus_.publish(core::outgoing_message{topic_, core::discovery_payload(in), opt_.qos, true, {}});
  ++publishes_;
}

void discovery_publisher::close() { timer_.close(); }

}  // namespace netstab::service

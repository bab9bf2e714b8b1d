#include "service/publish/discovery_publisher.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/discovery.hpp"
#include "core/erase_first.hpp"

namespace netstab::service {

namespace {

void erase_value(std::vector<std::string>& v, const std::string& value) {
  v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

}  // namespace

std::vector<std::string> discovery_publisher::subscriptions(const options& o) {
  if (!o.enabled) return {};
  return {core::ha_status_topic(o.prefix)};
}

discovery_publisher::discovery_publisher(uv_loop_t* loop, core::message_bus& bus, options opt)
    : bus_(bus),
      opt_(std::move(opt)),
      topic_(core::discovery_topic(opt_.prefix, opt_.agent)),
      status_topic_(core::ha_status_topic(opt_.prefix)),
      timer_(loop) {}

void discovery_publisher::on_connected() { publish(stubs::all); }

void discovery_publisher::on_message(const core::incoming_message& m) {
  if (!opt_.enabled || m.topic != status_topic_ || m.payload != core::ha_online_payload) return;
  spdlog::info("Home Assistant is online: republishing discovery on {}", topic_);
  publish(stubs::all);
}

void discovery_publisher::on_target_event(const target_view& t, core::target_event what) {
  const std::string& host = t.spec().host;
  if (what == core::target_event::added) {
    // The prober announces a host once while it is monitored (it refuses a second target of the same host), so
    // no search of targets_ is needed: one per added target made adding n targets quadratic.
    erase_value(removed_, host);
    erase_value(unsent_, host);
    targets_.push_back(host);
  } else if (what == core::target_event::removed) {
    // Taken out of targets_ later, with every removal since, in one pass (drop_gone): a search per removal made
    // removing n targets quadratic.
    ++gone_[host];
    if (++gone_count_ > targets_.size() / 2) drop_gone();
    erase_value(removed_, host);
    removed_.push_back(host);
    if (std::find(unsent_.begin(), unsent_.end(), host) == unsent_.end()) unsent_.push_back(host);
    if (removed_.size() > opt_.max_removed) {
      const auto excess = static_cast<std::ptrdiff_t>(removed_.size() - opt_.max_removed);
      for (auto it = removed_.begin(); it != removed_.begin() + excess; ++it) erase_value(unsent_, *it);
      removed_.erase(removed_.begin(), removed_.begin() + excess);
    }
  } else {
    return;
  }
  schedule();
}

void discovery_publisher::drop_gone() {
  core::erase_first(targets_, gone_);
  gone_count_ = 0;
}

void discovery_publisher::schedule() {
  if (!opt_.enabled || !timer_.is_open() || timer_.active()) return;
  timer_.start(0, [this] { publish(stubs::since_last); });
}

void discovery_publisher::publish(stubs which) {
  // Retained messages published while offline are skipped by the link, and
  // on_connected publishes every stub anyway, so there is nothing to do until then.
  if (!opt_.enabled || !bus_.connected()) return;
  const bool all = which == stubs::all;
  const std::vector<std::string>& removed = all ? removed_ : unsent_;
  const bool command_stubs = all && !opt_.commands;
  if (!removed.empty() || command_stubs) send(removed, command_stubs);
  unsent_.clear();
  send({}, false);
}

void discovery_publisher::send(const std::vector<std::string>& removed, bool command_stubs) {
  core::discovery_input in;
  in.prefix = opt_.prefix;
  in.base_topic = opt_.base_topic;
  in.agent = opt_.agent;
  in.version = opt_.version;
  drop_gone();
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
  in.removed_targets = removed;
  in.commands = opt_.commands;
  in.remove_command_entities = command_stubs;
  in.min_interval_ms = opt_.min_interval_ms;
  bus_.publish(core::outgoing_message{topic_, core::discovery_payload(in), opt_.qos, true, {}});
  ++publishes_;
}

void discovery_publisher::close() { timer_.close(); }

}  // namespace netstab::service

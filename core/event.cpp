#include "core/event.hpp"

namespace netstab::core {

std::string_view to_string(event_type t) {
  switch (t) {
    case event_type::status_change:
      return "status_change";
    case event_type::incident_start:
      return "incident_start";
    case event_type::incident_end:
      return "incident_end";
    case event_type::target_added:
      return "target_added";
    case event_type::target_removed:
      return "target_removed";
    case event_type::resolve_failed:
      return "resolve_failed";
    case event_type::address_changed:
      return "address_changed";
    case event_type::started:
      return "started";
    case event_type::stopped:
      return "stopped";
    case event_type::config_reloaded:
      return "config_reloaded";
    case event_type::reload_failed:
      return "reload_failed";
    case event_type::fault_change:
      return "fault_change";
    case event_type::path_change:
      return "path_change";
    case event_type::history:
      return "history";
  }
  return "started";
}

event to_event(std::string_view target, const fault_change& c, wall_time now) {
  event ev;
  ev.type = event_type::fault_change;
  ev.ts = now;
  ev.target = std::string(target);
  ev.from = std::string(to_string(c.from.where));
  ev.to = std::string(to_string(c.to.where));
  ev.reason = c.to.reason;
  ev.f = c.to;
  return ev;
}

std::vector<std::optional<ip_address>> path_addresses(const traced_path& p, const ip_address& target) {
  std::vector<std::optional<ip_address>> out(p.hops.begin(), p.hops.end());
  out.emplace_back(target);
  return out;
}

event to_event(std::string_view target, const ip_address& address, const traced_path& after, std::string reason,
               wall_time now) {
  event ev;
  ev.type = event_type::path_change;
  ev.ts = now;
  ev.target = std::string(target);
  ev.reason = std::move(reason);
  ev.hops = path_addresses(after, address);
  return ev;
}

event to_event(std::string_view target, const monitor_event& e, wall_time now) {
  event ev;
  ev.ts = now;
  ev.target = std::string(target);
  switch (e.what) {
    case monitor_event::kind::status_change:
      ev.type = event_type::status_change;
      ev.from = std::string(to_string(e.from));
      ev.to = std::string(to_string(e.to));
      ev.reason = e.reason;
      break;
    case monitor_event::kind::incident_start:
      ev.type = event_type::incident_start;
      ev.inc = e.inc;
      break;
    case monitor_event::kind::incident_end:
      ev.type = event_type::incident_end;
      ev.inc = e.inc;
      break;
  }
  return ev;
}

std::optional<event> to_event(std::string_view target, target_event what, std::string_view detail,
                              std::string_view address, wall_time now) {
  event ev;
  ev.ts = now;
  ev.target = std::string(target);
  switch (what) {
    case target_event::added:
      ev.type = event_type::target_added;
      return ev;
    case target_event::removed:
      ev.type = event_type::target_removed;
      return ev;
    case target_event::resolve_failed:
      ev.type = event_type::resolve_failed;
      ev.error = std::string(detail);
      return ev;
    case target_event::address_changed:
      ev.type = event_type::address_changed;
      ev.from = std::string(detail);
      ev.to = std::string(address);
      return ev;
    case target_event::resolved:
      break;
  }
  return std::nullopt;
}

}  // namespace netstab::core

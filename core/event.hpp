#pragma once
// Events of the contract (the `.../events` topic and stdout's {"type":"event"} lines) as values, and the one
// mapping from what happens to a target (monitor events from its statistics, target events from the prober)
// to them. The JSON is built by core::event_json (payloads.hpp).
//
// Pure; any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/fault_tracker.hpp"
#include "core/path_trace.hpp"
#include "core/stats_snapshot.hpp"
#include "core/target_monitor.hpp"
#include "core/time.hpp"
#include "core/verdict.hpp"

namespace netstab::core {

enum class event_type : std::uint8_t {
  status_change,    // target, from, to, reason
  incident_start,   // target, incident
  incident_end,     // target, incident
  target_added,     // target
  target_removed,   // target
  resolve_failed,   // target, error
  address_changed,  // target, from, to (addresses)
  started,
  stopped,
  config_reloaded,  // reason: what the reload changed and what waits for a restart
  reload_failed,    // error: why the file was refused (the running configuration stays)
  fault_change,     // target (empty: the agent's verdict), from, to (segments), reason, fault (the new one)
  path_change,      // target, reason, hops (the new path, the target last)
  history,          // to: what the history store did ("opened", "paused", "resumed", "recovered", "disabled"...),
                    // reason: the sentence for a person
};
std::string_view to_string(event_type t);

// One event; which fields are printed depends on `type` (see event_type).
struct event {
  event_type type = event_type::started;
  wall_time ts{};
  std::string target;
  std::string from;  // status ("OK") for status_change, address for address_changed
  std::string to;
  std::string reason;                           // status_change
  std::string error;                            // resolve_failed
  std::optional<incident> inc;                  // incident_start / incident_end
  std::optional<fault> f;                       // fault_change: the fault reported from now on
  std::vector<std::optional<ip_address>> hops;  // path_change: TTL order, the target last (nullopt: unknown)
};

// What the prober reports about a target's life (not its statistics).
enum class target_event : std::uint8_t {
  added,
  removed,
  resolved,         // a host name's first address; `detail` is the address
  resolve_failed,   // `detail` is the reason
  address_changed,  // `detail` is the old address; the target's address is the new one
};

// The fault_change event of a change of a reported fault; target empty for the agent's verdict.
event to_event(std::string_view target, const fault_change& c, wall_time now);
// The path_change event of a target whose address is `address`.
event to_event(std::string_view target, const ip_address& address, const traced_path& after, std::string reason,
               wall_time now);
// A path's hops as the contract lists them: TTL order, the target's address last.
std::vector<std::optional<ip_address>> path_addresses(const traced_path& p, const ip_address& target);

// The event of a monitor event (status change, incident start or end) of `target`.
event to_event(std::string_view target, const monitor_event& e, wall_time now);
// The event of a target event; nullopt for `resolved`, which the contract has no event for. `address` is the
// target's (new) address.
std::optional<event> to_event(std::string_view target, target_event what, std::string_view detail,
                              std::string_view address, wall_time now);

}  // namespace netstab::core

#pragma once
// JSON payloads of the MQTT contract (v1), also used by the stdout --json mode.
//
// Samples and stats are the hot path (one sample per probe, 10,000 targets at
// 1 Hz): their builders append into a caller-provided std::string, which the
// caller clears and reuses, so that a warm buffer means no allocation per
// message. They format numbers with std::to_chars (milliseconds with 3 decimals)
// and escape strings themselves. The cold payloads (incidents, events, state,
// command replies) are built with nlohmann::json.
//
// `type_field`: when not empty, the object starts with "type":"<type_field>"
// ({"type":"sample",...}); the stdout --json mode passes "sample" / "stats" /
// "incidents" / "event". An event already has a "type" (status_change...): with a
// type_field the event's own type moves to the key "event"
// ({"type":"event","event":"status_change",...}).
//
// All functions are pure and callable from any thread.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sample.hpp"
#include "core/stats_snapshot.hpp"
#include "core/target.hpp"
#include "core/time.hpp"

namespace netstab::core {

// ---- formatting primitives (exposed for other hot builders and for tests) ----

// Appends `s` as a JSON string literal with quotes: escapes '"', '\\', control
// characters, DEL and '<', '>', '&' (as \u00XX, so a payload pasted into HTML
// can't open a tag); invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view s);
// Appends a number with `decimals` fixed decimals ("12.300"); null when not finite.
void append_fixed(std::string& out, double v, int decimals = 3);
void append_uint(std::string& out, std::uint64_t v);
void append_int(std::string& out, std::int64_t v);
// RFC 3339 UTC with milliseconds: "2026-11-25T17:00:00.123Z" (truncated, not rounded).
void append_rfc3339(std::string& out, wall_time t);
std::string rfc3339(wall_time t);

// ---- hot payloads ----

// {"target","address","seq","ts","status","rtt_ms","process_ms","rtt_clock","ttl","size","error"};
// rtt_ms/process_ms null when absent, ttl null when unknown (<0), error null when empty.
void append_sample_json(std::string& out, std::string_view target, std::string_view address, const sample& s,
                        std::string_view type_field = {});

// {"target","address","ts","window_s","sent","received","lost","loss_pct","duplicates","late","rto",
//  "rto_streak","rtt_ms":{last,min,avg,max,stddev,p50,p95,p99},"process_ms":{...},"jitter_ms",
//  "jitter_rfc3550_ms","mos","status","reason"}
void append_stats_json(std::string& out, std::string_view target, std::string_view address, wall_time ts,
                       const stats_snapshot& st, std::string_view type_field = {});

// The digest: {"ts","interval_ms","count","targets":[stats,...]}, every target's latest primary-window statistics
// (each entry exactly the .../stats payload). The entries are JSON objects built by append_stats_json earlier, so a
// digest of 10,000 targets costs one copy of them, not 10,000 snapshots at once; they are joined with commas.
void append_digest_json(std::string& out, wall_time ts, nanos interval, std::span<const std::string* const> entries);

// ---- cold payloads ----

// {"target","incidents":[{id,start,end|null,duration_s,probes_lost,worst_status,reason}]}, in the
// order given (the caller keeps oldest first, open one last).
std::string incidents_json(std::string_view target, const std::vector<incident>& incidents,
                           std::string_view type_field = {});
nlohmann::ordered_json incident_to_json(const incident& i);

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
};
std::string_view to_string(event_type t);

// One event; which fields are printed depends on `type` (see event_type).
struct event {
  event_type type = event_type::started;
  wall_time ts{};
  std::string target;
  std::string from;    // status ("OK") for status_change, address for address_changed
  std::string to;
  std::string reason;  // status_change
  std::string error;   // resolve_failed
  std::optional<incident> inc;  // incident_start / incident_end
};
std::string event_json(const event& e, std::string_view type_field = {});

// One target line of the state payload.
struct state_target {
  std::string target;
  std::string address;  // resolved address, empty (null) while unresolved
  probe_settings probe;
};

struct agent_state {
  std::string agent;
  std::string version;
  wall_time started_at{};
  bool running = false;
  std::vector<state_target> targets;
  std::uint64_t mqtt_buffered = 0;
  std::uint64_t mqtt_dropped = 0;
  std::uint64_t mqtt_unconfirmed = 0;  // QoS 0 messages that may have been lost with a connection (upper bound)
};
std::string state_json(const agent_state& st);

// Command reply: {"id":<as given, omitted when null>,"ok":...,"cmd":"...", "error":"..." (when not ok),
// ...extra}. `extra` must be an object or null; its keys are added after the fixed ones.
std::string reply_json(const nlohmann::json& id, bool ok, std::string_view cmd, std::string_view error = {},
                       const nlohmann::json& extra = nullptr);

}  // namespace netstab::core

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

#include "core/event.hpp"
#include "core/json_text.hpp"
#include "core/probe_budget.hpp"
#include "core/sample.hpp"
#include "core/stats_snapshot.hpp"
#include "core/target.hpp"
#include "core/time.hpp"
#include "core/verdict.hpp"

namespace netstab::core {

// ---- hot payloads ----

// {"target","address","seq","ts","status","rtt_ms","process_ms","rtt_clock","ttl","size","error"};
// rtt_ms/process_ms null when absent, ttl null when unknown (<0), error null when empty.
void append_sample_json(std::string& out, std::string_view target, std::string_view address, const sample& s,
                        std::string_view type_field = {});

// {"target","address","ts","window_s","sent","received","lost","loss_pct","duplicates","late","rto",
//  "rto_streak","rtt_ms":{last,min,avg,max,stddev,p50,p95,p99},"process_ms":{...},"jitter_ms",
//  "jitter_rfc3550_ms","mos","status","reason","fault":{...}}; "fault" (core::append_fault_json) only when f is
// given: every target's primary window carries its verdict, extra windows do not.
void append_stats_json(std::string& out, std::string_view target, std::string_view address, wall_time ts,
                       const stats_snapshot& st, std::string_view type_field = {}, const fault* f = nullptr);

// The digest: {"ts","interval_ms","count","targets":[stats,...]}, every target's latest primary-window statistics
// (each entry exactly the .../stats payload). The entries are JSON objects built by append_stats_json earlier, so a
// digest of 10,000 targets costs one copy of them, not 10,000 snapshots at once; they are joined with commas.
// A digest in parts (stats.digest_part_size) adds "part" (from 0) and "parts" after interval_ms.
struct digest_part {
  std::size_t index = 0;
  std::size_t count = 1;
};
void append_digest_json(std::string& out, wall_time ts, nanos interval, std::span<const std::string* const> entries);
// The digest up to its first entry ('{' .. "targets":[), for a caller that builds its `count` entries in place,
// separated by commas, and closes it with "]}" (the digest in parts).
void append_digest_head(std::string& out, wall_time ts, nanos interval, std::size_t count,
                        const digest_part* part = nullptr);

// ---- cold payloads ----

// {"target","incidents":[{id,start,end|null,duration_s,probes_lost,worst_status,reason}]}, in the
// order given (the caller keeps oldest first, open one last).
std::string incidents_json(std::string_view target, const std::vector<incident>& incidents,
                           std::string_view type_field = {});
nlohmann::ordered_json incident_to_json(const incident& i);

std::string event_json(const event& e, std::string_view type_field = {});

// One target line of the state payload.
struct state_target {
  std::string target;
  std::string address;  // resolved address, empty (null) while unresolved
  probe_settings probe;
  bool path = false;  // path monitoring is on for it
};

// Path monitoring as a whole, for the state message: the budget holds when peak_pps <= max_pps.
struct path_summary {
  std::size_t targets = 0;  // targets with path monitoring on
  std::size_t hops = 0;     // routers monitored (each once, however many paths hold it)
  std::uint64_t traces = 0;
  budget_counters budget;
};

// The history store as the state message shows it (history.* settings; service/history/writer.hpp counts).
struct history_state {
  bool enabled = false;  // the file is open and written
  bool paused = false;   // writes fail for lack of space; retrying
  std::string path;
  std::string error;  // why disabled or paused; empty otherwise
  std::uint64_t rows_written = 0, rows_dropped = 0, queued_rows = 0;
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
  std::optional<fault> agent_fault;    // the agent's own verdict
  std::optional<path_summary> path;
  std::optional<history_state> history;  // absent when history is off
};
std::string state_json(const agent_state& st);

// Command reply: {"id":<as given, omitted when null>,"ok":...,"cmd":"...", "error":"..." (when not ok),
// ...extra}. `extra` must be an object or null; its keys are added after the fixed ones.
std::string reply_json(const nlohmann::json& id, bool ok, std::string_view cmd, std::string_view error = {},
                       const nlohmann::json& extra = nullptr);

}  // namespace netstab::core

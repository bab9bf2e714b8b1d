#pragma once
// History queries as values: the step a caller asks for, the request after parsing, the reply (rows of one
// target over a range, the runs of netstab that cover it, its incidents), and the reply as JSON or CSV.
//
// Steps: "raw" (every stored sample), "auto", or a period of whole minutes: "1m", "5m", "1h", "1d", "7d",
// generally N followed by m, h, d or w, or N seconds as "Ns" when N is a multiple of 60; up to 366 days.
// Buckets are aligned to multiples of the step since 1970-01-01T00:00:00Z (so days are UTC days). The store
// keeps rows of 1 minute, 1 hour and 1 day; any other step is merged from the coarsest stored rows that divide
// it (5 minutes from minutes, 6 hours from hours, 7 days from days), merging distributions.
//
// "auto" takes the finest step of auto_steps that keeps the range within auto_max_rows rows and whose source
// rows still cover the range (the store tells which: minutes are kept 14 days by default, hours 400 days).
//
// Pure values and functions; any thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/history_rollup.hpp"
#include "core/result.hpp"
#include "core/sample.hpp"
#include "core/stats_snapshot.hpp"
#include "core/time.hpp"

namespace netstab::core {

inline constexpr std::size_t auto_max_rows = 2000;
inline constexpr std::int64_t max_step_s = 366LL * 86400;
// The steps "auto" chooses from, finest first.
inline constexpr std::int64_t auto_steps[] = {60,   120,   300,   600,   900,   1800,   3600,
                                              7200, 10800, 21600, 43200, 86400, 172800, 604800};

struct history_step {
  enum class kind : std::uint8_t { automatic, raw, fixed } what = kind::automatic;
  std::int64_t seconds = 0;  // fixed: the step; otherwise 0
};
result<history_step> parse_history_step(std::string_view text);
std::string to_string(const history_step& s);  // "auto", "raw", "1m", "5m", "1h", "1d", "7d", "90s"...

// The stored step a fixed step is merged from: 86400, 3600 or 60.
std::int64_t source_step(std::int64_t step_s);

struct history_request {
  std::string target;
  wall_time from{}, to{};
  history_step step;
  std::size_t max_rows = 10000;  // for raw and fixed steps; auto keeps auto_max_rows
};

// Checks the range (from before to, at most 100 years). The error is a sentence for the requester.
result<void> validate_range(wall_time from, wall_time to);

// The one place a request is built from the texts a person gives (the history command over MQTT, `netstab
// history`): times as core::parse_timestamp reads them against `now`, the step as parse_history_step; the
// first problem as the error.
result<history_request> make_history_request(std::string target, std::string_view from, std::string_view to,
                                             std::string_view step, wall_time now);

// Number of buckets of step_s seconds that [from, to) touches once aligned to the step.
std::int64_t bucket_count(wall_time from, wall_time to, std::int64_t step_s);

// The finest of auto_steps with at most auto_max_rows buckets over [from, to) and at least finest_s seconds;
// the coarsest of auto_steps when none fits (then capped rows are refused by the caller).
std::int64_t choose_auto_step(wall_time from, wall_time to, std::int64_t finest_s);

// One row of a reply at a fixed step.
struct history_point {
  std::int64_t ts = 0;  // bucket start, Unix seconds
  std::uint64_t sent = 0, received = 0, lost = 0, late = 0, duplicates = 0;
  rollup_summary summary;
  health worst = health::ok;
  std::string verdict;
};
history_point point_of(const rollup& r);

struct raw_point {
  wall_time wall{};
  std::uint32_t seq = 0;
  probe_status status = probe_status::ok;
  std::optional<double> rtt_ms, process_ms;
};

// A span of time netstab was running (and recording). end is the last heartbeat for a run that crashed,
// the stop time for a clean stop, and the latest heartbeat for the run still going.
struct run_span {
  wall_time start{}, end{};
  enum class ending : std::uint8_t { stopped, crashed, running } how = ending::stopped;
};
std::string_view to_string(run_span::ending e);  // "stopped", "crashed", "running"

struct incident_span {
  wall_time start{};
  std::optional<wall_time> end;
  nanos duration{};
  std::uint64_t probes_lost = 0;
  health worst = health::bad;
  std::string reason, verdict, path;
};

struct history_reply {
  std::string target;
  history_step asked;
  std::int64_t step_s = 0;  // 0 for raw
  wall_time from{}, to{};   // the range served, aligned to the step
  std::vector<history_point> rows;
  std::vector<raw_point> raw;  // step raw only
  std::vector<run_span> runs;
  std::vector<incident_span> incidents;
};

// A target the store holds (also one since removed).
struct history_target {
  std::string name;
  wall_time added{};
  std::optional<wall_time> removed;
  std::optional<std::int64_t> first_ts, last_ts;  // oldest and newest stored period start, Unix seconds
};

// Column names of the rows (rollup steps) and of raw samples.
std::span<const std::string_view> history_columns();
std::span<const std::string_view> raw_columns();

// {"target","step","step_s","from","to","columns","rows","runs","incidents"}: rows are arrays in column order,
// times in Unix seconds (raw samples and runs with a fraction), latencies in milliseconds (3 decimals), worst
// as "OK"/"WARN"/"BAD", null for a value the period does not have. from and to are RFC 3339 strings.
nlohmann::json to_json(const history_reply& r);
// A header line of the column names, then one line per row; the time as RFC 3339 UTC; empty for null; text
// fields quoted when they hold a comma, a quote or a line break.
std::string to_csv(const history_reply& r);
// {"targets":[{"target","added","removed","first","last"}]}: added and removed as RFC 3339 (removed null while
// the target is monitored), first and last in Unix seconds (null when nothing is stored).
nlohmann::json to_json(const std::vector<history_target>& targets);

}  // namespace netstab::core

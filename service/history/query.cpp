#include "service/history/query.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <optional>

#include "core/timestamp_text.hpp"
#include "service/history/rows.hpp"
#include "service/history/schema.hpp"

namespace netstab::service::history {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::size_t max_incidents = 1000;
constexpr std::size_t max_runs = 1000;

std::int64_t floor_to(std::int64_t t, std::int64_t step) {
  std::int64_t q = t / step;
  if (t % step < 0) --q;
  return q * step;
}

std::int64_t seconds_floor(core::wall_time t) { return floor_to(t.count(), ns_per_s) / ns_per_s; }

struct context {
  connection& db;
  statement_cache sql;
  std::int64_t id = 0;
  int version = 0;
};

std::optional<std::int64_t> oldest(context& c, std::string_view table) {
  statement& st = c.sql.get("SELECT min(ts) FROM " + std::string(table) + " WHERE target_id = ?1");
  st.bind(1, c.id);
  return st.step() ? st.opt_int64(0) : std::nullopt;
}

// The finest stored step whose table still holds everything back to from_s (or everything the store has).
std::int64_t finest_covering(context& c, std::int64_t from_s) {
  std::optional<std::int64_t> first[3];
  for (int i = 0; i < 3; ++i) first[i] = oldest(c, rollup_tables[i].name);
  if (!first[0]) {
    // Only the current hour's minutes so far (a new target): they cover what the coarser tables hold.
    first[0] = c.db.pragma_int("SELECT EXISTS (SELECT 1 FROM minute_recent)") != 0 ? std::optional<std::int64_t>(from_s)
                                                                                   : std::nullopt;
  }
  for (int i = 0; i < 3; ++i) {
    if (!first[i]) continue;
    bool covers = *first[i] <= from_s;
    if (!covers) {
      // Nothing older in a coarser table than the bucket this table's oldest row falls in: retention has not
      // taken anything from this table that the coarser ones still have.
      covers = true;
      for (int j = i + 1; j < 3; ++j) {
        if (first[j] && *first[j] < floor_to(*first[i], rollup_tables[j].step_s)) covers = false;
      }
    }
    if (covers) return rollup_tables[i].step_s;
  }
  return 60;
}

int level_of(std::int64_t step) { return step == 86400 ? 2 : step == 3600 ? 1 : 0; }

using buckets = std::map<std::int64_t, core::rollup>;  // bucket start -> merged rows

core::rollup& bucket_of(buckets& out, std::int64_t ts, std::int64_t bucket) {
  const std::int64_t start = floor_to(ts, bucket);
  core::rollup& r = out[start];
  r.start_s = start;
  return r;
}

// Merges the target's minute_recent rows in [from_s, to_s) into buckets; returns the oldest merged, if any. That
// table is keyed by time first and holds about an hour, so one lookup per minute of the overlap beats scanning
// every target's rows.
std::optional<std::int64_t> collect_recent(context& c, std::int64_t from_s, std::int64_t to_s, std::int64_t bucket,
                                           buckets& out) {
  statement& span = c.sql.get("SELECT min(ts), max(ts) FROM minute_recent");
  if (!span.step() || span.is_null(0)) return std::nullopt;
  const std::int64_t lo = std::max(from_s, span.int64(0));
  const std::int64_t hi = std::min(to_s, span.int64(1) + 60);
  span.reset();
  std::optional<std::int64_t> oldest_added;
  statement& one =
      c.sql.get("SELECT " + std::string(rollup_columns) + " FROM minute_recent WHERE ts = ?1 AND target_id = ?2");
  for (std::int64_t ts = floor_to(lo + 59, 60); ts < hi; ts += 60) {
    one.bind(1, ts).bind(2, c.id);
    if (one.step()) {
      merge_row(one, 1, bucket_of(out, ts, bucket));
      if (!oldest_added) oldest_added = ts;
    }
    one.reset();
  }
  return oldest_added;
}

std::optional<std::int64_t> collect(context& c, int level, std::int64_t from_s, std::int64_t to_s, std::int64_t bucket,
                                    buckets& out);

// For level >= 1: merges what the finer tables hold from this level's newest row in [from_s, to_s) onwards (from
// from_s when it has none) into `out`, and returns where this level's own rows must stop: before its newest row
// when the finer tables hold that period (they rebuild it), after it otherwise. oldest gets the oldest merged.
std::int64_t collect_finer(context& c, int level, std::int64_t from_s, std::int64_t to_s, std::int64_t bucket,
                           buckets& out, std::optional<std::int64_t>& oldest) {
  statement& newest = c.sql.get("SELECT max(ts) FROM " + std::string(rollup_tables[level].name) +
                                " WHERE target_id = ?1 AND ts >= ?2 AND ts < ?3");
  newest.bind(1, c.id).bind(2, from_s).bind(3, to_s);
  const bool has_last = newest.step() && !newest.is_null(0);
  const std::int64_t last = has_last ? newest.int64(0) : from_s;
  newest.reset();
  oldest = collect(c, level - 1, last, to_s, bucket, out);
  if (!has_last) return from_s;
  const std::int64_t finer_from = oldest.value_or(to_s);
  return finer_from < last + rollup_tables[level].step_s ? last : last + rollup_tables[level].step_s;
}

// Merges the target's rows of table `level` in [from_s, to_s) into buckets of `bucket` seconds (a multiple of the
// level's step). Rows the finer tables hold and this level does not yet (the current hour and day are rolled up
// when complete) come from the finer tables, which also rebuild this level's newest row when they hold its
// period. Returns the start of the oldest row merged, if any.
std::optional<std::int64_t> collect(context& c, int level, std::int64_t from_s, std::int64_t to_s, std::int64_t bucket,
                                    buckets& out) {
  const std::string table(rollup_tables[level].name);
  std::int64_t cut = to_s;  // this level's rows are read up to here
  std::optional<std::int64_t> oldest;
  if (level == 0) {
    oldest = collect_recent(c, from_s, to_s, bucket, out);
  } else {
    cut = collect_finer(c, level, from_s, to_s, bucket, out, oldest);
  }
  statement& st = c.sql.get("SELECT " + std::string(rollup_columns) + " FROM " + table +
                            " WHERE target_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts");
  st.bind(1, c.id).bind(2, from_s).bind(3, cut);
  bool first = true;
  while (st.step()) {
    const std::int64_t ts = st.int64(1);
    merge_row(st, 1, bucket_of(out, ts, bucket));
    if (first && (!oldest || ts < *oldest)) oldest = ts;
    first = false;
  }
  st.reset();
  return oldest;
}

core::rollup rollups_of_minute(context& c, std::int64_t ts) {
  statement& st = c.sql.get("SELECT " + std::string(rollup_columns) + " FROM minute WHERE target_id = ?1 AND ts = ?2");
  st.bind(1, c.id).bind(2, ts);
  core::rollup r;
  if (st.step()) read_rollup(st, 1, r);
  st.reset();
  return r;
}

// Rows at a stored step, read from the derived columns, with what the finer tables add (the current hour and
// day, and the current hour's minutes) merged in from them.
std::vector<core::history_point> stored_points(context& c, int level, std::int64_t from_s, std::int64_t to_s) {
  const std::int64_t step = rollup_tables[level].step_s;
  buckets finer;
  std::int64_t cut = to_s;
  if (level == 0) {
    collect_recent(c, from_s, to_s, step, finer);
  } else {
    std::optional<std::int64_t> oldest;
    cut = collect_finer(c, level, from_s, to_s, step, finer, oldest);
  }
  std::vector<core::history_point> points;
  statement& st = c.sql.get("SELECT " + std::string(point_columns) + " FROM " + std::string(rollup_tables[level].name) +
                            " WHERE target_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts");
  st.bind(1, c.id).bind(2, from_s).bind(3, cut);
  while (st.step()) points.push_back(read_point(st, 0));
  st.reset();
  for (auto& [ts, r] : finer) {
    const auto it = std::lower_bound(points.begin(), points.end(), ts,
                                     [](const core::history_point& p, std::int64_t t) { return p.ts < t; });
    if (it != points.end() && it->ts == ts) {
      // A minute in both minute tables (a restart within it): merge the stored row in whole.
      core::merge(r, rollups_of_minute(c, ts));
      *it = core::point_of(r);
    } else {
      points.insert(it, core::point_of(r));
    }
  }
  return points;
}

core::result<std::vector<core::raw_point>> raw_points(context& c, const core::history_request& req) {
  const std::int64_t from_us = req.from.count() / 1000;
  const std::int64_t to_us = req.to.count() / 1000;
  statement& count = c.sql.get("SELECT count(*) FROM raw WHERE target_id = ?1 AND ts >= ?2 AND ts < ?3");
  count.bind(1, c.id).bind(2, from_us).bind(3, to_us);
  const std::int64_t n = count.step() ? count.int64(0) : 0;
  if (static_cast<std::uint64_t>(n) > req.max_rows) {
    return core::error{"the range holds " + std::to_string(n) + " raw samples, more than the limit of " +
                       std::to_string(req.max_rows) + ": ask for a shorter range or a step such as 1m"};
  }
  std::vector<core::raw_point> out;
  out.reserve(static_cast<std::size_t>(n));
  statement& st =
      c.sql.get("SELECT ts, seq, status, rtt, proc FROM raw WHERE target_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts");
  st.bind(1, c.id).bind(2, from_us).bind(3, to_us);
  while (st.step()) {
    core::raw_point p;
    p.wall = core::wall_time{st.int64(0) * 1000};
    p.seq = static_cast<std::uint32_t>(st.int64(1));
    p.status = static_cast<core::probe_status>(std::clamp<std::int64_t>(st.int64(2), 0, 5));
    if (!st.is_null(3)) p.rtt_ms = static_cast<double>(st.int64(3)) / 1000.0;
    if (!st.is_null(4)) p.process_ms = static_cast<double>(st.int64(4)) / 1000.0;
    out.push_back(p);
  }
  return out;
}

void add_runs(context& c, core::history_reply& r) {
  statement& st = c.sql.get(
      "SELECT started, last_seen, stopped, crashed FROM runs WHERE started < ?2 AND coalesce(stopped, last_seen) >= ?1 "
      "ORDER BY started LIMIT ?3");
  st.bind(1, r.from.count() / 1'000'000).bind(2, r.to.count() / 1'000'000).bind(3, std::int64_t{max_runs});
  while (st.step()) {
    core::run_span s;
    s.start = core::wall_time{st.int64(0) * 1'000'000};
    const auto stopped = st.opt_int64(2);
    s.end = core::wall_time{stopped.value_or(st.int64(1)) * 1'000'000};
    s.how = stopped            ? core::run_span::ending::stopped
            : st.int64(3) != 0 ? core::run_span::ending::crashed
                               : core::run_span::ending::running;
    r.runs.push_back(s);
  }
}

void add_incidents(context& c, core::history_reply& r) {
  const std::string path = c.version >= 2 ? "path" : "NULL";
  statement& st = c.sql.get("SELECT start_ms, end_ms, duration_ms, lost, worst, reason, verdict, " + path +
                            " FROM incidents WHERE target_id = ?1 AND start_ms < ?3"
                            " AND coalesce(end_ms, start_ms + duration_ms) >= ?2 ORDER BY start_ms LIMIT ?4");
  st.bind(1, c.id).bind(2, r.from.count() / 1'000'000).bind(3, r.to.count() / 1'000'000);
  st.bind(4, std::int64_t{max_incidents});
  while (st.step()) {
    core::incident_span i;
    i.start = core::wall_time{st.int64(0) * 1'000'000};
    if (const auto end = st.opt_int64(1)) i.end = core::wall_time{*end * 1'000'000};
    i.duration = std::chrono::milliseconds(st.int64(2));
    i.probes_lost = static_cast<std::uint64_t>(std::max<std::int64_t>(st.int64(3), 0));
    i.worst = st.int64(4) >= 2 ? core::health::bad : st.int64(4) == 1 ? core::health::warn : core::health::ok;
    i.reason = st.text(5);
    i.verdict = st.text(6);
    i.path = st.text(7);
    r.incidents.push_back(std::move(i));
  }
}

core::result<std::int64_t> find_target(context& c, const std::string& name) {
  statement& st = c.sql.get("SELECT id FROM targets WHERE name = ?1");
  st.bind(1, std::string_view(name));
  if (st.step()) return st.int64(0);
  std::string known;
  statement& all = c.sql.get("SELECT name FROM targets ORDER BY name LIMIT 21");
  int n = 0;
  while (all.step()) {
    if (++n > 20) {
      known += ", ...";
      break;
    }
    known += (known.empty() ? "" : ", ") + all.text(0);
  }
  return core::error{"unknown target \"" + name + "\": " +
                     (known.empty() ? std::string("the store holds no target yet") : "the store holds " + known)};
}

core::result<core::history_reply> query(context& c, const core::history_request& req) {
  if (auto ok = core::validate_range(req.from, req.to); !ok) return core::error{ok.message()};
  auto id = find_target(c, req.target);
  if (!id) return core::error{id.message()};
  c.id = *id;
  core::history_reply r;
  r.target = req.target;
  r.asked = req.step;
  if (req.step.what == core::history_step::kind::raw) {
    auto raw = raw_points(c, req);
    if (!raw) return core::error{raw.message()};
    r.raw = std::move(*raw);
    r.from = req.from;
    r.to = req.to;
  } else {
    std::int64_t step = req.step.seconds;
    std::size_t limit = req.max_rows;
    if (req.step.what == core::history_step::kind::automatic) {
      step = core::choose_auto_step(req.from, req.to, finest_covering(c, seconds_floor(req.from)));
      limit = core::auto_max_rows;
    }
    const std::int64_t n = core::bucket_count(req.from, req.to, step);
    if (static_cast<std::uint64_t>(n) > limit) {
      return core::error{"the range at step " +
                         core::to_string(core::history_step{core::history_step::kind::fixed, step}) + " has " +
                         std::to_string(n) + " rows, more than the limit of " + std::to_string(limit) +
                         ": ask for a coarser step or a shorter range"};
    }
    const std::int64_t from_s = floor_to(seconds_floor(req.from), step);
    const std::int64_t to_s = from_s + n * step;
    r.step_s = step;
    r.from = core::wall_time{from_s * ns_per_s};
    r.to = core::wall_time{to_s * ns_per_s};
    const std::int64_t source = core::source_step(step);
    if (source == step) {
      r.rows = stored_points(c, level_of(step), from_s, to_s);
    } else {
      buckets merged;
      collect(c, level_of(source), from_s, to_s, step, merged);
      for (const auto& [ts, b] : merged) r.rows.push_back(core::point_of(b));
    }
  }
  add_runs(c, r);
  add_incidents(c, r);
  return r;
}

}  // namespace

core::result<std::unique_ptr<connection>> open_for_reading(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::error{"history: " + path + " does not exist (the service creates it at history.path)"};
  }
  try {
    auto db = std::make_unique<connection>(path, SQLITE_OPEN_READONLY);
    db->exec("PRAGMA busy_timeout = 5000");
    const int version = user_version(*db);
    if (version == 0) return core::error{"history: " + path + " is not a netstab history file"};
    if (version > schema_version) {
      return core::error{"history: " + path + " has schema version " + std::to_string(version) +
                         ", newer than this netstab knows (" + std::to_string(schema_version) +
                         "): read it with the netstab that wrote it"};
    }
    return db;
  } catch (const sql_error& e) {
    return core::error{"history: cannot read " + path + ": " + e.what()};
  }
}

core::result<core::history_reply> run_query(connection& db, const core::history_request& req) {
  try {
    context c{db, statement_cache(db)};
    c.version = user_version(db);
    return query(c, req);
  } catch (const sql_error& e) {
    return core::error{std::string("history: the query failed: ") + e.what()};
  }
}

core::result<std::vector<core::history_target>> list_targets(connection& db) {
  try {
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> recent;  // id -> oldest, newest in minute_recent
    statement span(db, "SELECT target_id, min(ts), max(ts) FROM minute_recent GROUP BY target_id");
    while (span.step()) recent[span.int64(0)] = {span.int64(1), span.int64(2)};
    statement st(db,
                 "SELECT name, added, removed,"
                 " (SELECT min(ts) FROM day WHERE target_id = t.id), (SELECT min(ts) FROM hour WHERE target_id = t.id),"
                 " (SELECT min(ts) FROM minute WHERE target_id = t.id),"
                 " (SELECT max(ts) FROM day WHERE target_id = t.id), (SELECT max(ts) FROM hour WHERE target_id = t.id),"
                 " (SELECT max(ts) FROM minute WHERE target_id = t.id)"
                 " , id FROM targets t ORDER BY name");
    std::vector<core::history_target> out;
    while (st.step()) {
      core::history_target t;
      t.name = st.text(0);
      t.added = core::wall_time{st.int64(1) * 1'000'000};
      if (const auto removed = st.opt_int64(2)) t.removed = core::wall_time{*removed * 1'000'000};
      for (int col = 3; col < 9; ++col) {
        const auto v = st.opt_int64(col);
        if (!v) continue;
        auto& slot = col < 6 ? t.first_ts : t.last_ts;
        slot = !slot ? *v : col < 6 ? std::min(*slot, *v) : std::max(*slot, *v);
      }
      if (const auto it = recent.find(st.int64(9)); it != recent.end()) {
        t.first_ts = std::min(t.first_ts.value_or(it->second.first), it->second.first);
        t.last_ts = std::max(t.last_ts.value_or(it->second.second), it->second.second);
      }
      out.push_back(std::move(t));
    }
    return out;
  } catch (const sql_error& e) {
    return core::error{std::string("history: listing targets failed: ") + e.what()};
  }
}

}  // namespace netstab::service::history

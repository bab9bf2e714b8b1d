#include "service/history/compaction.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "service/history/rows.hpp"

namespace netstab::service::history {
namespace {

std::int64_t floor_to(std::int64_t t, std::int64_t step) {
  std::int64_t q = t / step;
  if (t % step < 0) --q;
  return q * step;
}

std::string insert_sql(const std::string& table, const char* conflict) {
  return std::string("INSERT ") + conflict + " INTO " + table + " (" + rollup_columns +
         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
         "?22, ?23, ?24, ?25)";
}

// Minutes merged at once by compact(): one prepared statement each. An hour has 60; more appear only when minutes
// of several hours wait (a clock stepped back), and are moved in groups.
constexpr std::size_t max_cursors = 64;

// Appends (target, period) unless it repeats the last entry (rows come ordered by target, then time).
void note(std::vector<std::pair<std::int64_t, std::int64_t>>& v, std::int64_t id, std::int64_t period) {
  if (v.empty() || v.back() != std::pair{id, period}) v.emplace_back(id, period);
}

// The distinct minutes in minute_recent before `before`, oldest first; each found by one seek in its key.
std::vector<std::int64_t> minutes_before(statement_cache& sql, std::int64_t before) {
  std::vector<std::int64_t> out;
  statement& next = sql.get("SELECT min(ts) FROM minute_recent WHERE ts > ?1 AND ts < ?2");
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    next.bind(1, after).bind(2, before);
    // min() of no rows is one NULL row.
    const bool found = next.step() && !next.is_null(0);
    if (found) after = next.int64(0);
    next.reset();
    if (!found) return out;
    out.push_back(after);
  }
}

// Moves the rows of `minutes` from minute_recent into `minute` target by target, each target's in time order, and
// notes each (target, hour). One cursor per minute reads its rows in key order (by target), and the cursors are
// merged: no sort of the hour's rows is held in memory (at 10,000 targets that sort took about 60 MB), and each
// target's page of `minute` is written once per group of minutes.
std::uint64_t merge_minutes(statement_cache& sql, connection& db, std::span<const std::int64_t> minutes,
                            std::vector<std::pair<std::int64_t, std::int64_t>>& hours) {
  const std::string select =
      std::string("SELECT ") + rollup_columns + " FROM minute_recent WHERE ts = ?1 ORDER BY target_id";
  std::vector<statement> cursors;
  cursors.reserve(minutes.size());
  std::vector<bool> live;
  for (const std::int64_t m : minutes) {
    cursors.emplace_back(db, select.c_str());
    cursors.back().bind(1, m);
    live.push_back(cursors.back().step());
  }
  std::uint64_t moved = 0;
  core::rollup r;
  for (;;) {
    std::optional<std::int64_t> id;
    for (std::size_t i = 0; i < cursors.size(); ++i) {
      if (live[i] && (!id || cursors[i].int64(0) < *id)) id = cursors[i].int64(0);
    }
    if (!id) return moved;
    // Cursors are in time order, so the target's rows go in time order.
    for (std::size_t i = 0; i < cursors.size(); ++i) {
      if (!live[i] || cursors[i].int64(0) != *id) continue;
      read_rollup(cursors[i], 1, r);
      upsert_rollup(sql, db, "minute", *id, r);
      note(hours, *id, floor_to(r.start_s, 3600));
      ++moved;
      live[i] = cursors[i].step();
    }
  }
}

}  // namespace

void upsert_rollup(statement_cache& sql, connection& db, const std::string& table, std::int64_t id,
                   const core::rollup& r) {
  statement& ins = sql.get(insert_sql(table, "OR IGNORE"));
  bind_rollup(ins, id, r);
  ins.step();
  if (db.changes() > 0) return;
  statement& sel =
      sql.get("SELECT " + std::string(rollup_columns) + " FROM " + table + " WHERE target_id = ?1 AND ts = ?2");
  sel.bind(1, id).bind(2, r.start_s);
  core::rollup merged;
  if (sel.step()) read_rollup(sel, 1, merged);
  sel.reset();
  core::merge(merged, r);
  merged.start_s = r.start_s;
  statement& rep = sql.get(insert_sql(table, "OR REPLACE"));
  bind_rollup(rep, id, merged);
  rep.step();
}

void rebuild(statement_cache& sql, const char* from_table, const char* to_table, std::int64_t step, std::int64_t id,
             std::int64_t first, std::int64_t end) {
  statement& sel = sql.get(std::string("SELECT ") + rollup_columns + " FROM " + from_table +
                           " WHERE target_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts");
  sel.bind(1, id).bind(2, first).bind(3, end);
  core::rollup period;
  core::rollup part;
  bool open = false;
  const auto flush = [&] {
    if (!open) return;
    statement& ins = sql.get(insert_sql(to_table, "OR REPLACE"));
    bind_rollup(ins, id, period);
    ins.step();
  };
  while (sel.step()) {
    read_rollup(sel, 1, part);
    const std::int64_t start = floor_to(part.start_s, step);
    if (!open || start != period.start_s) {
      flush();
      period = core::rollup{};
      period.start_s = start;
      open = true;
    }
    core::merge(period, part);
  }
  flush();
}

std::uint64_t compact(statement_cache& sql, connection& db, std::int64_t before) {
  std::vector<std::pair<std::int64_t, std::int64_t>> hours;
  const std::vector<std::int64_t> minutes = minutes_before(sql, before);
  std::uint64_t moved = 0;
  for (std::size_t from = 0; from < minutes.size(); from += max_cursors) {
    const std::size_t to = std::min(minutes.size(), from + max_cursors);
    moved += merge_minutes(sql, db, std::span(minutes).subspan(from, to - from), hours);
  }
  if (moved == 0) return 0;
  statement& del = sql.get("DELETE FROM minute_recent WHERE ts < ?1");
  del.bind(1, before);
  del.step();
  // More than one group of minutes notes a target's hour once per group.
  std::sort(hours.begin(), hours.end());
  hours.erase(std::unique(hours.begin(), hours.end()), hours.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> days;
  for (const auto& [id, hour] : hours) {
    rebuild(sql, "minute", "hour", 3600, id, hour, hour + 3600);
    note(days, id, floor_to(hour, 86400));
  }
  for (const auto& [id, day] : days) rebuild(sql, "hour", "day", 86400, id, day, day + 86400);
  return moved;
}

}  // namespace netstab::service::history

#include "service/history/compaction.hpp"

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

// Appends (target, period) unless it repeats the last entry (rows come ordered by target, then time).
void note(std::vector<std::pair<std::int64_t, std::int64_t>>& v, std::int64_t id, std::int64_t period) {
  if (v.empty() || v.back() != std::pair{id, period}) v.emplace_back(id, period);
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
  std::uint64_t moved = 0;
  statement& sel =
      sql.get(std::string("SELECT ") + rollup_columns + " FROM minute_recent WHERE ts < ?1 ORDER BY target_id, ts");
  sel.bind(1, before);
  core::rollup r;
  while (sel.step()) {
    const std::int64_t id = sel.int64(0);
    read_rollup(sel, 1, r);
    upsert_rollup(sql, db, "minute", id, r);
    note(hours, id, floor_to(r.start_s, 3600));
    ++moved;
  }
  sel.reset();
  if (moved == 0) return 0;
  statement& del = sql.get("DELETE FROM minute_recent WHERE ts < ?1");
  del.bind(1, before);
  del.step();
  std::vector<std::pair<std::int64_t, std::int64_t>> days;
  for (const auto& [id, hour] : hours) {
    rebuild(sql, "minute", "hour", 3600, id, hour, hour + 3600);
    note(days, id, floor_to(hour, 86400));
  }
  for (const auto& [id, day] : days) rebuild(sql, "hour", "day", 86400, id, day, day + 86400);
  return moved;
}

}  // namespace netstab::service::history

#include "service/history/schema.hpp"

#include <string>
#include <vector>

namespace netstab::service::history {
namespace {

// Columns shared by the minute, hour and day tables; see rollup_row in store.cpp for their meaning.
std::string rollup_ddl(std::string_view table, const char* key = "target_id, ts") {
  std::string t(table);
  return "CREATE TABLE " + t +
         " (target_id INTEGER NOT NULL, ts INTEGER NOT NULL,"
         " sent INTEGER NOT NULL, received INTEGER NOT NULL, lost INTEGER NOT NULL, late INTEGER NOT NULL,"
         " dup INTEGER NOT NULL,"
         " rtt_n INTEGER NOT NULL, rtt_sum INTEGER NOT NULL, rtt_min INTEGER, rtt_max INTEGER,"
         " proc_n INTEGER NOT NULL, proc_sum INTEGER NOT NULL, ipdv_n INTEGER NOT NULL, ipdv_sum INTEGER NOT NULL,"
         " p10 INTEGER, p25 INTEGER, p50 INTEGER, p75 INTEGER, p90 INTEGER, p99 INTEGER, proc_p95 INTEGER,"
         " worst INTEGER NOT NULL, verdict TEXT, hist BLOB NOT NULL,"
         " PRIMARY KEY (" +
         key + ")) WITHOUT ROWID;";
}

std::string version_1() {
  std::string sql =
      "CREATE TABLE runs (id INTEGER PRIMARY KEY, started INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
      " stopped INTEGER, crashed INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE targets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, added INTEGER NOT NULL,"
      " removed INTEGER);"
      "CREATE TABLE raw (target_id INTEGER NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL,"
      " status INTEGER NOT NULL, rtt INTEGER, proc INTEGER, PRIMARY KEY (target_id, ts, seq, status)) WITHOUT ROWID;"
      "CREATE TABLE incidents (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, target_id INTEGER NOT NULL,"
      " seq INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER, duration_ms INTEGER NOT NULL,"
      " lost INTEGER NOT NULL, worst INTEGER NOT NULL, reason TEXT NOT NULL, verdict TEXT,"
      " UNIQUE (run_id, target_id, seq));"
      "CREATE INDEX incidents_by_target ON incidents (target_id, start_ms);";
  for (const auto& t : rollup_tables) {
    sql += rollup_ddl(t.name);
  }
  // The minutes of the current hour, keyed by time first so a batch appends instead of touching one page per
  // target; moved into `minute` when the hour completes (store.hpp).
  sql += rollup_ddl("minute_recent", "ts, target_id");
  sql += "CREATE VIEW minutes AS SELECT * FROM minute UNION ALL SELECT * FROM minute_recent;";
  return sql;
}

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> steps = {
      version_1(),
      "ALTER TABLE runs ADD COLUMN version TEXT;"
      "ALTER TABLE incidents ADD COLUMN path TEXT;",
  };
  return steps;
}

}  // namespace

int user_version(connection& db) { return static_cast<int>(db.pragma_int("PRAGMA user_version")); }

void migrate(connection& db, int to) {
  const auto& steps = migrations();
  static_assert(schema_version > 0);
  for (int v = user_version(db); v < to && v < static_cast<int>(steps.size()); ++v) {
    transaction tx(db);
    db.exec(steps[static_cast<std::size_t>(v)].c_str());
    db.exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
    tx.commit();
  }
}

}  // namespace netstab::service::history

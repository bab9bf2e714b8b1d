#pragma once
// The history file's schema and its migrations.
//
// The schema version lives in PRAGMA user_version. Migrations are a table: entry i takes a file from version i
// to i + 1, and runs in one transaction with the version bump, so a file is always at exactly one version. A new
// file is built by running every migration from 0. A file newer than this code knows is refused (by the store),
// never touched.
//
// Version 1: runs, targets, minute / hour / day rollups, minute_recent (the current hour's minutes, see
// store.hpp) and the view `minutes` over both minute tables, raw samples, incidents.
// Version 2: runs.version (the netstab that wrote the run) and incidents.path (the path at the incident).
//
// Times: rollup rows `ts` in Unix seconds (the period start), raw samples `ts` in Unix microseconds, every other
// time in Unix milliseconds. Latencies in whole microseconds. The rollup tables are WITHOUT ROWID with the key
// (target_id, ts), so one target's range is one contiguous run of the B-tree.
//
// Functions run on the thread that owns the connection; they throw sql_error (see sqlite.hpp).
#include <string_view>

#include "service/history/sqlite.hpp"

namespace netstab::service::history {

inline constexpr int schema_version = 2;

// The rollup tables, finest first, with their step in seconds.
struct rollup_table {
  std::string_view name;
  int step_s;
};
inline constexpr rollup_table rollup_tables[] = {{"minute", 60}, {"hour", 3600}, {"day", 86400}};

// Migrates db from its current user_version up to `to` (at most schema_version).
void migrate(connection& db, int to = schema_version);

int user_version(connection& db);

}  // namespace netstab::service::history

#pragma once
// Moving minutes out of minute_recent, and rebuilding hour and day rows (store.hpp says when and why).
//
// minute_recent is keyed (ts, target_id), so a batch of one minute for every target appends to a few pages;
// `minute` is keyed (target_id, ts) for reading one target's range, and a row there costs a page per target.
// compact() moves a completed hour's minutes across in one pass: each target's page is written once per hour
// instead of once per batch, and the rows are read by merging one cursor per minute, so memory does not grow with
// the number of targets. Part of the store; the writer thread, inside the caller's transaction. Throws
// sql_error.
#include <cstdint>

#include "core/history_rollup.hpp"
#include "service/history/sqlite.hpp"

namespace netstab::service::history {

// Inserts r as target_id's row of table, or merges it into the row the table holds for the same period (a
// restart within the period, a clock stepped back).
void upsert_rollup(statement_cache& sql, connection& db, const std::string& table, std::int64_t target_id,
                   const core::rollup& r);

// Rebuilds target_id's rows of to_table (period `step`) for the periods in [first, end) by merging the rows of
// from_table in them.
void rebuild(statement_cache& sql, const char* from_table, const char* to_table, std::int64_t step,
             std::int64_t target_id, std::int64_t first, std::int64_t end);

// Moves every minute_recent row with ts < before into `minute`, then rebuilds the hours they fall in and the
// days holding those hours. Returns the number of rows moved.
std::uint64_t compact(statement_cache& sql, connection& db, std::int64_t before);

}  // namespace netstab::service::history

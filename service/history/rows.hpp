#pragma once
// Rollup rows between core::rollup and the minute / hour / day tables: the column list, binding, reading.
// Shared by the store (writes, rollups) and the queries. Whoever owns the statement's connection.
#include <cstdint>

#include "core/history_query.hpp"
#include "core/history_rollup.hpp"
#include "service/history/sqlite.hpp"

namespace netstab::service::history {

// Every column of a rollup table, in table order (25: target_id first, hist last).
inline constexpr const char* rollup_columns =
    "target_id, ts, sent, received, lost, late, dup, rtt_n, rtt_sum, rtt_min, rtt_max, proc_n, proc_sum, ipdv_n, "
    "ipdv_sum, p10, p25, p50, p75, p90, p99, proc_p95, worst, verdict, hist";
inline constexpr int rollup_column_count = 25;
// The columns a reply needs (no target_id, no hist), in table order from ts.
inline constexpr const char* point_columns =
    "ts, sent, received, lost, late, dup, rtt_n, rtt_sum, rtt_min, rtt_max, proc_n, proc_sum, ipdv_n, ipdv_sum, "
    "p10, p25, p50, p75, p90, p99, proc_p95, worst, verdict";

// Binds target_id and r to parameters 1 .. 25 (the derived percentile columns from core::summarize).
void bind_rollup(statement& st, std::int64_t target_id, const core::rollup& r);

// Reads a row selected as `ts ... hist` (rollup_columns without target_id) starting at column `first`. Returns
// false when the stored histogram is damaged: the counters are read, the distribution is left empty.
bool read_rollup(const statement& st, int first, core::rollup& r);

// Merges a row selected like read_rollup's into `into` (counters, extremes, worst status) and decodes its
// histogram straight into into.latency, with no histogram of its own in between. False when the histogram is
// damaged (then only the counters are merged).
bool merge_row(const statement& st, int first, core::rollup& into);

// Reads a row selected as point_columns starting at column `first`, without decoding the histogram.
core::history_point read_point(const statement& st, int first);

}  // namespace netstab::service::history

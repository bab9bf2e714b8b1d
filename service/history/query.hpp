#pragma once
// Queries of the history file on a read-only connection: rows of one target over a range at a step, the runs
// that cover the range and the target's incidents; the list of targets. Used by the reader thread (the MQTT
// `history` command) and by `netstab history` (reading the file directly, also while the service writes it).
//
// Where rows come from: a stored step (1m, 1h, 1d) reads that table's derived columns without decoding
// histograms; its newest row and anything after it are rebuilt from the finer table when that holds them (the
// current hour and day are not rolled up until they complete). Other steps merge the rows of the coarsest
// stored step that divides them, distributions included (so 5-minute smoke bands are true percentiles).
// "auto": the finest step that keeps the reply within core::auto_max_rows and whose table still covers the
// range (core/history_query.hpp).
//
// Errors (as result errors, sentences for the requester): an empty or endless range, an unknown target (with
// the names the store holds), a reply larger than the request's max_rows, a file that is not a netstab history
// file or was written by a newer netstab.
//
// The thread that owns the connection.
#include <string>
#include <vector>

#include "core/history_query.hpp"
#include "core/result.hpp"
#include "service/history/sqlite.hpp"

namespace netstab::service::history {

// Opens path read-only (no lock, no write). Fails with a sentence when the file does not exist or is not a
// netstab history file.
core::result<std::unique_ptr<connection>> open_for_reading(const std::string& path);

core::result<core::history_reply> run_query(connection& db, const core::history_request& req);
core::result<std::vector<core::history_target>> list_targets(connection& db);

}  // namespace netstab::service::history

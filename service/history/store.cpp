#include "service/history/store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <unordered_map>
#include <utility>

#include "service/history/compaction.hpp"
#include "service/history/files.hpp"
#include "service/history/rows.hpp"
#include "service/history/schema.hpp"
#include "service/history/sqlite.hpp"

namespace netstab::service::history {
namespace {

constexpr std::size_t retention_targets_per_step = 200;

std::int64_t ms_of(core::wall_time t) { return t.count() / 1'000'000; }

bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

write_status classify(const sql_error& e) {
  if (e.code() == SQLITE_FULL) return {failure::disk_full, e.what()};
  if (is_corruption(e.code())) return {failure::corrupt, e.what()};
  return {failure::other, e.what()};
}

// What is wrong with an existing file, or nothing. Reads the header, compares the page count with the file size
// (a truncated copy), and runs quick_check when asked.
std::optional<std::string> damage_of(const std::string& path, bool quick_check) {
  try {
    connection db(path, SQLITE_OPEN_READWRITE);
    db.pragma_int("PRAGMA schema_version");  // reads page 1: "file is not a database" shows here
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      const auto expected = db.pragma_int("PRAGMA page_count") * db.pragma_int("PRAGMA page_size");
      if (st.st_size < expected) {
        return "the file is shorter (" + std::to_string(st.st_size) + " bytes) than its header says (" +
               std::to_string(expected) + " bytes): it was truncated";
      }
    }
    if (quick_check) {
      const std::string verdict = db.pragma_text("PRAGMA quick_check(1)");
      if (verdict != "ok") return "quick_check: " + verdict;
    }
    return std::nullopt;
  } catch (const sql_error& e) {
    if (is_corruption(e.code())) return std::string(e.what());
    throw;
  }
}

}  // namespace

struct store::impl {
  store_options opt;
  lock_file lock;
  connection db;
  std::unique_ptr<statement_cache> sql;
  std::int64_t run = 0;
  std::unordered_map<std::string, std::int64_t> ids;  // target name -> id, of committed rows only
  std::int64_t newest_minute = 0;                     // start of the newest minute row written (0: none yet)
  std::int64_t retention_cursor = 0;                  // retention visits the targets with a greater id next

  std::int64_t target_id(const std::string& name, std::int64_t at_ms,
                         std::unordered_map<std::string, std::int64_t>& added);
  void write_raw(std::int64_t id, const core::raw_sample& r);
  void write_incident(std::int64_t id, const core::incident_record& i);
  void write_batch(const core::history_batch& b, std::unordered_map<std::string, std::int64_t>& added);
  std::uint64_t delete_expired(const std::string& table, const std::vector<std::int64_t>& ids, std::int64_t cutoff,
                               std::uint64_t budget);
};

store::store(std::unique_ptr<impl> p) : p_(std::move(p)) {}
store::~store() = default;
std::int64_t store::run_id() const { return p_->run; }
const std::string& store::path() const { return p_->opt.path; }

namespace {

// Moves a damaged file aside and creates a missing one (here, so that a path netstab cannot write gets the
// advice rather than SQLite's "unable to open database file"). Throws sql_error from the damage check.
core::result<void> prepare_file(const store_options& opt, core::wall_time now, open_notes& notes) {
  if (file_exists(opt.path)) {
    if (auto damage = damage_of(opt.path, opt.check_on_open)) {
      auto moved = move_aside(opt.path, now);
      if (!moved) return core::error{moved.message()};
      notes.moved_aside = *moved;
      notes.damage = *damage;
    }
  }
  notes.created = !file_exists(opt.path);
  if (notes.created) {
    errno = 0;
    FILE* f = std::fopen(opt.path.c_str(), "ab");
    if (f == nullptr) return core::error{unwritable_advice(opt.path, opt.path, errno)};
    std::fclose(f);
  }
  return core::success();
}

// Checks the version and sets the connection up; an error for a file from a newer netstab or without WAL.
core::result<void> configure(connection& db, const std::string& path, std::size_t cache_kib) {
  db.exec("PRAGMA busy_timeout = 5000");
  const int version = user_version(db);
  if (version > schema_version) {
    return core::error{"history: " + path + " has schema version " + std::to_string(version) +
                       ", newer than this netstab knows (" + std::to_string(schema_version) +
                       "): it was written by a newer netstab. Use that one, or set history.path to another "
                       "file (the file was left as it is). History is off; probing goes on."};
  }
  if (db.pragma_text("PRAGMA journal_mode = WAL") != "wal") {
    return core::error{"history: " + path + " cannot use WAL mode (is it on a network file system?)"};
  }
  // synchronous=NORMAL: in WAL mode a commit survives the process being killed, and a power cut loses at most
  // the last commits, never the file. The WAL file is cut back to 8 MiB after checkpoints. The page cache is
  // bounded by store_options::page_cache_kib: a minute's batch appends to a few pages of minute_recent, and the
  // hourly move writes each target's pages in key order, once, so a small cache spills few pages twice
  // (docs/history.md). Temporary tables and sorts stay in memory; none of the writer's is large.
  db.exec(
      "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 8388608; PRAGMA foreign_keys = OFF;"
      "PRAGMA temp_store = MEMORY");
  db.exec(("PRAGMA cache_size = -" + std::to_string(cache_kib)).c_str());
  migrate(db);
  return core::success();
}

// Marks the runs a killed process left open as crashed and starts this one; returns its id.
std::int64_t start_run(connection& db, core::wall_time now, const std::string& version) {
  transaction tx(db);
  db.exec("UPDATE runs SET crashed = 1 WHERE stopped IS NULL");
  statement ins(db, "INSERT INTO runs (started, last_seen, version) VALUES (?1, ?1, ?2)");
  ins.bind(1, ms_of(now)).bind(2, std::string_view(version));
  ins.step();
  const std::int64_t id = sqlite3_last_insert_rowid(db.get());
  tx.commit();
  return id;
}

}  // namespace

core::result<std::unique_ptr<store>> store::open(const store_options& opt, core::wall_time now, open_notes& notes) {
  auto lock = lock_file::acquire(opt.path);
  if (!lock) return core::error{lock.message()};
  auto p = std::make_unique<impl>();
  p->opt = opt;
  p->lock = std::move(*lock);
  try {
    if (auto ready = prepare_file(opt, now, notes); !ready) return core::error{ready.message()};
    p->db = connection(opt.path, SQLITE_OPEN_READWRITE);
    if (auto ok = configure(p->db, opt.path, opt.page_cache_kib); !ok) return core::error{ok.message()};
    p->sql = std::make_unique<statement_cache>(p->db);
    p->run = start_run(p->db, now, opt.version);
    p->newest_minute = p->db.pragma_int("SELECT coalesce(max(ts), 0) FROM minute_recent");
  } catch (const sql_error& e) {
    if (e.code() == SQLITE_READONLY || e.code() == SQLITE_CANTOPEN || e.code() == SQLITE_PERM) {
      return core::error{unwritable_advice(opt.path, opt.path, e.code() == SQLITE_READONLY ? EROFS : EACCES) +
                         " (SQLite: " + e.what() + ")"};
    }
    return core::error{"history: cannot open " + opt.path + ": " + e.what()};
  }
  return std::unique_ptr<store>(new store(std::move(p)));
}

std::int64_t store::impl::target_id(const std::string& name, std::int64_t at_ms,
                                    std::unordered_map<std::string, std::int64_t>& added) {
  if (const auto it = ids.find(name); it != ids.end()) return it->second;
  if (const auto it = added.find(name); it != added.end()) return it->second;
  statement& sel = sql->get("SELECT id FROM targets WHERE name = ?1");
  sel.bind(1, std::string_view(name));
  std::int64_t id = 0;
  if (sel.step()) {
    id = sel.int64(0);
  } else {
    statement& ins = sql->get("INSERT INTO targets (name, added) VALUES (?1, ?2)");
    ins.bind(1, std::string_view(name)).bind(2, at_ms);
    ins.step();
    id = sqlite3_last_insert_rowid(db.get());
  }
  added.emplace(name, id);
  return id;
}

void store::impl::write_raw(std::int64_t id, const core::raw_sample& r) {
  statement& ins =
      sql->get("INSERT OR IGNORE INTO raw (target_id, ts, seq, status, rtt, proc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  const auto us = [](const std::optional<core::nanos>& d) -> std::optional<std::int64_t> {
    if (!d) return std::nullopt;
    return (d->count() + 500) / 1000;
  };
  ins.bind(1, id).bind(2, r.wall.count() / 1000).bind(3, std::int64_t{r.seq});
  ins.bind(4, static_cast<std::int64_t>(r.status)).bind(5, us(r.rtt)).bind(6, us(r.process));
  ins.step();
}

// One row per (run, target, incident id): the start inserts it, the end updates it. A verdict or path given
// once is kept when a later update has none.
void store::impl::write_incident(std::int64_t id, const core::incident_record& i) {
  statement& ins = sql->get(
      "INSERT INTO incidents (run_id, target_id, seq, start_ms, end_ms, duration_ms, lost, worst, reason, verdict, "
      "path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (run_id, target_id, seq) DO UPDATE "
      "SET end_ms = excluded.end_ms, duration_ms = excluded.duration_ms, lost = excluded.lost, worst = "
      "excluded.worst, reason = excluded.reason, verdict = coalesce(excluded.verdict, verdict), path = "
      "coalesce(excluded.path, path)");
  ins.bind(1, run).bind(2, id).bind(3, static_cast<std::int64_t>(i.inc.id)).bind(4, ms_of(i.inc.start));
  ins.bind(5, i.inc.end ? std::optional<std::int64_t>(ms_of(*i.inc.end)) : std::nullopt);
  ins.bind(6, i.inc.duration.count() / 1'000'000).bind(7, static_cast<std::int64_t>(i.inc.probes_lost));
  ins.bind(8, static_cast<std::int64_t>(i.inc.worst)).bind(9, std::string_view(i.inc.reason));
  ins.bind_text_or_null(10, i.verdict).bind_text_or_null(11, i.path);
  ins.step();
}

void store::impl::write_batch(const core::history_batch& b, std::unordered_map<std::string, std::int64_t>& added) {
  if (b.heartbeat.count() > 0) {
    sql->get("UPDATE runs SET last_seen = max(last_seen, ?1) WHERE id = ?2")
        .bind(1, ms_of(b.heartbeat))
        .bind(2, run)
        .step();
  }
  for (const auto& c : b.targets) {
    const std::int64_t id = target_id(c.target, ms_of(c.at), added);
    statement& up = sql->get("UPDATE targets SET removed = ?1 WHERE id = ?2");
    up.bind(1, c.removed ? std::optional<std::int64_t>(ms_of(c.at)) : std::nullopt).bind(2, id);
    up.step();
  }
  for (const auto& m : b.minutes) {
    const std::int64_t id = target_id(m.target, m.minute.start_s * 1000, added);
    upsert_rollup(*sql, db, "minute_recent", id, m.minute);
    newest_minute = std::max(newest_minute, m.minute.start_s);
  }
  for (const auto& r : b.raw) write_raw(target_id(r.target, ms_of(r.wall), added), r);
  for (const auto& i : b.incidents) write_incident(target_id(i.target, ms_of(i.inc.start), added), i);
  // A minute of a later hour completes the hours before it: move them out of minute_recent and roll them up.
  const std::int64_t hour = newest_minute - newest_minute % 3600;
  statement& oldest = sql->get("SELECT min(ts) FROM minute_recent");
  const auto first = oldest.step() ? oldest.opt_int64(0) : std::nullopt;
  oldest.reset();
  if (first && *first < hour) compact(*sql, db, hour);
}

write_status store::write(const core::history_batch& b) {
  std::unordered_map<std::string, std::int64_t> added;
  try {
    transaction tx(p_->db);
    p_->write_batch(b, added);
    tx.commit();
  } catch (const sql_error& e) {
    return classify(e);
  }
  p_->ids.merge(added);
  return {};
}

std::uint64_t store::impl::delete_expired(const std::string& table, const std::vector<std::int64_t>& targets,
                                          std::int64_t cutoff, std::uint64_t budget) {
  std::uint64_t deleted = 0;
  for (std::size_t n = 0; n < targets.size() && deleted < budget; ++n) {
    const std::int64_t id = targets[n];
    // The bound: the ts of the (budget-deleted)-th oldest expired row, so one statement deletes at most that many.
    statement& nth =
        sql->get("SELECT ts FROM " + table + " WHERE target_id = ?1 AND ts < ?2 ORDER BY ts LIMIT 1 OFFSET ?3");
    nth.bind(1, id).bind(2, cutoff).bind(3, static_cast<std::int64_t>(budget - deleted));
    const std::int64_t bound = nth.step() ? nth.int64(0) : cutoff;
    nth.reset();
    statement& del = sql->get("DELETE FROM " + table + " WHERE target_id = ?1 AND ts < ?2");
    del.bind(1, id).bind(2, bound);
    del.step();
    deleted += static_cast<std::uint64_t>(db.changes());
  }
  return deleted;
}

write_status store::retention_step(core::wall_time now, std::uint64_t& deleted) {
  deleted = 0;
  auto& p = *p_;
  const std::int64_t now_s = now.count() / 1'000'000'000;
  const std::uint64_t budget = std::max<std::size_t>(p.opt.retention_batch, 1);
  try {
    transaction tx(p.db);
    // A slice of the targets per step, from a cursor that goes round, so a step costs the same at any scale.
    std::vector<std::int64_t> targets;
    statement& some = p.sql->get("SELECT id FROM targets WHERE id > ?1 ORDER BY id LIMIT ?2");
    some.bind(1, p.retention_cursor).bind(2, static_cast<std::int64_t>(retention_targets_per_step));
    while (some.step()) targets.push_back(some.int64(0));
    p.retention_cursor = targets.size() < retention_targets_per_step ? 0 : targets.back();
    if (!targets.empty()) {
      const std::pair<const char*, std::int64_t> tables[] = {
          {"raw", (now_s - p.opt.keep.raw.count()) * 1'000'000},
          {"minute", now_s - p.opt.keep.minutes.count()},
          {"hour", now_s - p.opt.keep.hours.count()},
          {"day", now_s - p.opt.keep.days.count()},
      };
      for (const auto& [table, cutoff] : tables) {
        deleted += p.delete_expired(table, targets, cutoff, budget - std::min(deleted, budget));
      }
    }
    const std::int64_t old_ms = (now_s - p.opt.keep.days.count()) * 1000;
    statement& inc = p.sql->get(
        "DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE start_ms < ?1 AND end_ms IS NOT NULL LIMIT "
        "?2)");
    inc.bind(1, old_ms).bind(2, static_cast<std::int64_t>(budget));
    inc.step();
    deleted += static_cast<std::uint64_t>(p.db.changes());
    statement& runs = p.sql->get(
        "DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE id != ?2 AND coalesce(stopped, last_seen) < ?1 "
        "LIMIT ?3)");
    runs.bind(1, old_ms).bind(2, p.run).bind(3, static_cast<std::int64_t>(budget));
    runs.step();
    deleted += static_cast<std::uint64_t>(p.db.changes());
    tx.commit();
  } catch (const sql_error& e) {
    deleted = 0;
    return classify(e);
  }
  return {};
}

write_status store::stop(core::wall_time now) {
  try {
    // The current hour's minutes stay in minute_recent (queries read them there; the next run moves them when
    // its first minute of a later hour arrives), so stopping costs the same at any number of targets.
    transaction tx(p_->db);
    statement& st = p_->sql->get("UPDATE runs SET stopped = ?1, last_seen = max(last_seen, ?1) WHERE id = ?2");
    st.bind(1, ms_of(now)).bind(2, p_->run);
    st.step();
    tx.commit();
  } catch (const sql_error& e) {
    return classify(e);
  }
  return {};
}

}  // namespace netstab::service::history

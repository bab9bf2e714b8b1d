#pragma once
// Thin RAII over the SQLite C API for the history room: a connection, a prepared statement, and sql_error.
//
// Inside service/history, SQL failures travel as sql_error (an exception carrying SQLite's result code) so that
// a transaction's many statements need no check after each; every public function of the room (store, query,
// writer, reader, history_main) catches it at its boundary and returns a result or a report instead. It never
// leaves the room, and no history code runs on the loop thread.
//
// A connection is used by one thread at a time (SQLite is built thread-safe, but the objects here are not).
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace netstab::service::history {

class sql_error : public std::runtime_error {
 public:
  sql_error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }  // the primary result code (SQLITE_FULL, SQLITE_CORRUPT, ...)

 private:
  int code_;
};

// True for the codes that mean the file is damaged or not a database.
bool is_corruption(int code);

class connection {
 public:
  connection() = default;
  // Opens path with flags (SQLITE_OPEN_*); throws sql_error with a sentence naming the path.
  connection(const std::string& path, int flags);
  connection(connection&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  connection& operator=(connection&& o) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  sqlite3* get() const { return db_; }
  explicit operator bool() const { return db_ != nullptr; }
  void close();
  // Runs SQL without results (several statements allowed); throws sql_error.
  void exec(const char* sql);
  // The single value of a query such as a PRAGMA, as text; empty when it returns no row.
  std::string pragma_text(const char* sql);
  std::int64_t pragma_int(const char* sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  // Throws sql_error(rc, "<context>: <sqlite message>") when rc is not SQLITE_OK / ROW / DONE.
  void check(int rc, std::string_view context) const;

 private:
  sqlite3* db_ = nullptr;
};

class statement {
 public:
  statement(const connection& c, const char* sql);
  statement(statement&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement& operator=(statement&&) = delete;
  ~statement();

  // Binding (1-based indexes); an empty optional binds NULL.
  statement& bind(int i, std::int64_t v);
  statement& bind(int i, double v);
  statement& bind(int i, std::string_view v);
  statement& bind_blob(int i, std::span<const std::uint8_t> v);
  statement& bind_null(int i);
  statement& bind_text_or_null(int i, std::string_view v) { return v.empty() ? bind_null(i) : bind(i, v); }
  statement& bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : bind_null(i); }

  // Steps once: true when a row is available, false when done. Throws sql_error.
  bool step();
  // Resets for another run and clears bindings.
  void reset();

  bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(st_, col); }
  std::optional<std::int64_t> opt_int64(int col) const;
  double real(int col) const { return sqlite3_column_double(st_, col); }
  std::string text(int col) const;
  std::span<const std::uint8_t> blob(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

// Prepared statements kept for reuse, keyed by their SQL text: get() returns one reset and with no bindings.
class statement_cache {
 public:
  explicit statement_cache(const connection& c) : c_(c) {}
  statement& get(const std::string& sql);
  void clear() { cache_.clear(); }

 private:
  const connection& c_;
  std::unordered_map<std::string, std::unique_ptr<statement>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back by the destructor unless committed.
class transaction {
 public:
  explicit transaction(connection& c);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();
  void commit();

 private:
  connection& c_;
  bool done_ = false;
};

}  // namespace netstab::service::history

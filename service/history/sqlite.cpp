#include "service/history/sqlite.hpp"

namespace netstab::service::history {

bool is_corruption(int code) {
  const int primary = code & 0xFF;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

connection::connection(const std::string& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();
    throw sql_error(rc, "cannot open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

connection& connection::operator=(connection&& o) noexcept {
  if (this != &o) {
    close();
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

connection::~connection() { close(); }

void connection::close() {
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

void connection::check(int rc, std::string_view context) const {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) {
    return;
  }
  throw sql_error(rc & 0xFF, std::string(context) + ": " + sqlite3_errmsg(db_));
}

void connection::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw sql_error(rc & 0xFF, msg);
  }
}

std::string connection::pragma_text(const char* sql) {
  statement st(*this, sql);
  return st.step() ? st.text(0) : std::string();
}

std::int64_t connection::pragma_int(const char* sql) {
  statement st(*this, sql);
  return st.step() ? st.int64(0) : 0;
}

statement::statement(const connection& c, const char* sql) : db_(c.get()) {
  c.check(sqlite3_prepare_v2(db_, sql, -1, &st_, nullptr), sql);
}

statement::~statement() { sqlite3_finalize(st_); }

namespace {
void check_bind(sqlite3* db, int rc) {
  if (rc != SQLITE_OK) {
    throw sql_error(rc & 0xFF, std::string("bind: ") + sqlite3_errmsg(db));
  }
}
}  // namespace

statement& statement::bind(int i, std::int64_t v) {
  check_bind(db_, sqlite3_bind_int64(st_, i, v));
  return *this;
}

statement& statement::bind(int i, double v) {
  check_bind(db_, sqlite3_bind_double(st_, i, v));
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  check_bind(db_, sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind_blob(int i, std::span<const std::uint8_t> v) {
  check_bind(db_, sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  return *this;
}

statement& statement::bind_null(int i) {
  check_bind(db_, sqlite3_bind_null(st_, i));
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  throw sql_error(rc & 0xFF, std::string(sqlite3_errmsg(db_)) + " (in: " + sqlite3_sql(st_) + ")");
}

void statement::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::optional<std::int64_t> statement::opt_int64(int col) const {
  if (is_null(col)) {
    return std::nullopt;
  }
  return int64(col);
}

std::string statement::text(int col) const {
  const auto* p = sqlite3_column_text(st_, col);
  const int n = sqlite3_column_bytes(st_, col);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

std::span<const std::uint8_t> statement::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, col));
  const int n = sqlite3_column_bytes(st_, col);
  return {p, static_cast<std::size_t>(n)};
}

statement& statement_cache::get(const std::string& sql) {
  auto& slot = cache_[sql];
  if (!slot) {
    slot = std::make_unique<statement>(c_, sql.c_str());
  } else {
    slot->reset();
  }
  return *slot;
}

transaction::transaction(connection& c) : c_(c) { c_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
  if (!done_) {
    sqlite3_exec(c_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void transaction::commit() {
  c_.exec("COMMIT");
  done_ = true;
}

}  // namespace netstab::service::history

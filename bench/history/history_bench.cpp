// The history benchmark (issue 14): fills a store with realistic rows, then measures query latency and reply
// size, bytes per target at the default retentions, the writer's CPU per row at 1,000 and 10,000 targets, and
// the loop's cost per sample. Prints the figures; docs/history.md holds them with the commands.
//
//   netstab_history_bench fill   --db FILE [--targets 100] [--days 14] [--raw-targets 10] [--end UNIX_SECONDS]
//   netstab_history_bench query  --db FILE [--repeat 200]
//   netstab_history_bench writer [--targets 100] [--minutes-per-batch 1] [--cache-kib 2048]
//   netstab_history_bench loop   [--targets 100]
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/history/model.hpp"
#include "core/history_recorder.hpp"
#include "core/timestamp_text.hpp"
#include "service/history/query.hpp"
#include "service/history/rows.hpp"
#include "service/history/sqlite.hpp"
#include "service/history/store.hpp"

namespace netstab::bench {
namespace {

namespace h = service::history;
// 2026-12-01T00:00:00Z: "now" of the generated store, so that the figures are reproducible. Tests that show the
// store beside a live netstab fill it up to a time near their own now (--end, a whole hour).
constexpr std::int64_t end_s = 1'796'083'200;

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double wall_us() {
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                 .count()) /
         1e3;
}

std::uint64_t written_bytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::uint64_t v = 0;
  while (io >> key >> v) {
    if (key == "wchar:") return v;
  }
  return 0;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

std::string name_of(unsigned t) { return "10." + std::to_string(t / 250) + "." + std::to_string(t % 250) + ".1"; }

// The process's resident memory (VmRSS) or its peak (VmHWM), MB.
double status_mb(const char* key) {
  std::ifstream st("/proc/self/status");
  std::string k;
  double kb = 0;
  while (st >> k) {
    if (k == key) {
      st >> kb;
      return kb / 1024.0;
    }
    st.ignore(4096, '\n');
  }
  return 0;
}

// Restarts VmHWM from the present RSS (proc(5), clear_refs), so that a peak belongs to what follows.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

std::unique_ptr<h::store> open(const std::string& path, std::int64_t now_s,
                               std::size_t cache_kib = h::store_options{}.page_cache_kib) {
  h::store_options opt;
  opt.path = path;
  opt.page_cache_kib = cache_kib;
  h::open_notes notes;
  auto s = h::store::open(opt, core::wall_time{now_s * 1'000'000'000}, notes);
  if (!s) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    std::exit(1);
  }
  return std::move(*s);
}

void write_or_die(h::store& s, const core::history_batch& b) {
  const auto st = s.write(b);
  if (!st.ok()) {
    std::fprintf(stderr, "write failed: %s\n", st.message.c_str());
    std::exit(1);
  }
}

// Minutes of the last `days` days (and the hours and days the store rolls up from them), raw samples of the
// last 24 h for the first raw_targets, then a year of hour and day rows copied from the generated fortnight
// (real distributions, shifted back in time), as a store one year old holds at the default retentions.
void fill(const std::string& path, unsigned targets, int days, unsigned raw_targets, std::int64_t end) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  const std::int64_t start_s = end - days * 86400LL;
  auto s = open(path, start_s);
  std::vector<latency_model> models;
  for (unsigned t = 0; t < targets; ++t) models.emplace_back(t);
  const double t0 = wall_us();
  for (std::int64_t hour = start_s; hour < end; hour += 3600) {
    core::history_batch b;
    for (std::int64_t m = hour; m < hour + 3600; m += 60) {
      for (unsigned t = 0; t < targets; ++t) b.minutes.push_back({name_of(t), models[t].minute(m, 60)});
    }
    b.heartbeat = core::wall_time{(hour + 3600) * 1'000'000'000};
    write_or_die(*s, b);
  }
  std::printf("minutes: %u targets x %d days written in %.1f s\n", targets, days, (wall_us() - t0) / 1e6);
  for (unsigned t = 0; t < raw_targets; ++t) {
    core::history_batch b;
    latency_model raw_model(t);
    for (std::int64_t m = end - 86400; m < end; m += 60) {
      const auto minute = raw_model.minute(m, 60);
      for (int i = 0; i < 60; ++i) {
        core::raw_sample r;
        r.target = name_of(t);
        r.wall = core::wall_time{(m + i) * 1'000'000'000LL + 123'456'000};
        r.seq = static_cast<std::uint32_t>(m + i);
        r.rtt = std::chrono::microseconds(minute.rtt_min_us + static_cast<unsigned>(i) * 7U);
        r.process = std::chrono::microseconds(minute.rtt_min_us + static_cast<unsigned>(i) * 7U + 80U);
        b.raw.push_back(r);
      }
    }
    write_or_die(*s, b);
  }
  (void)s->stop(core::wall_time{end * 1'000'000'000});
  s.reset();
  h::connection db(path, SQLITE_OPEN_READWRITE);
  const std::int64_t fortnight = 14 * 86400;
  for (int k = 1; k <= 26; ++k) {
    for (const char* table : {"hour", "day"}) {
      const std::string sql = std::string("INSERT OR IGNORE INTO ") + table + " SELECT target_id, ts - " +
                              std::to_string(k * fortnight) +
                              std::string(h::rollup_columns).substr(std::strlen("target_id, ts")) + " FROM " + table +
                              " WHERE ts >= " + std::to_string(end - fortnight);
      db.exec(sql.c_str());
    }
  }
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::printf("filled %s in %.1f s\n", path.c_str(), (wall_us() - t0) / 1e6);
}

// Size of the file, per table (dbstat), per target and extrapolated to ten years at the default retentions.
void sizes(const std::string& path, unsigned targets, unsigned raw_targets) {
  h::connection db(path, SQLITE_OPEN_READONLY);
  const double file = static_cast<double>(std::filesystem::file_size(path));
  std::printf("file: %.1f MB, %.2f MB per target (%u targets, %u with raw samples)\n", file / 1e6, file / 1e6 / targets,
              targets, raw_targets);
  std::map<std::string, double> bytes;
  h::statement st(db,
                  "SELECT CASE WHEN name LIKE 'sqlite_autoindex_%' THEN substr(name, 19) ELSE name END, sum(pgsize) "
                  "FROM dbstat GROUP BY 1");
  while (st.step()) bytes[st.text(0)] += static_cast<double>(st.int64(1));
  for (const char* table : {"minute", "hour", "day", "raw"}) {
    const std::int64_t rows = db.pragma_int((std::string("SELECT count(*) FROM ") + table).c_str());
    const unsigned per = std::string(table) == "raw" ? raw_targets : targets;
    std::printf("  %-6s %9lld rows %8.1f MB  %6.1f bytes/row  %7.3f MB per target\n", table,
                static_cast<long long>(rows), bytes[table] / 1e6, bytes[table] / static_cast<double>(rows),
                bytes[table] / 1e6 / per);
  }
  const double day_row = bytes["day"] / static_cast<double>(db.pragma_int("SELECT count(*) FROM day"));
  const double year1 = (bytes["minute"] + bytes["hour"] + bytes["day"]) / targets;
  std::printf("per target: %.2f MB after one year; each further year adds %.2f MB of day rows (10 years: %.2f MB)\n",
              year1 / 1e6, day_row * 365 / 1e6,
              (year1 + day_row * 365 * 9 + bytes["hour"] / targets * (400.0 / 378.0 - 1.0)) / 1e6);
}

struct query_case {
  const char* what;
  std::int64_t span_s;
  const char* step;
  unsigned target;
};

void queries(const std::string& path, int repeat) {
  const std::vector<query_case> cases = {
      {"24 h at 1m", 86400, "1m", 7},      {"7 d auto", 7 * 86400, "auto", 7},   {"30 d auto", 30 * 86400, "auto", 7},
      {"1 y at 1d", 365 * 86400, "1d", 7}, {"1 y auto", 365 * 86400, "auto", 7}, {"1 h raw", 3600, "raw", 3},
      {"24 h raw", 86400, "raw", 3},
  };
  std::printf("%-12s %6s %6s %9s %9s %9s %9s %9s %10s\n", "query", "step", "rows", "p50 ms", "p95 ms", "max ms",
              "cpu p50", "cpu p95", "reply B");
  for (const auto& c : cases) {
    core::history_request req;
    req.target = name_of(c.target);
    req.to = core::wall_time{end_s * 1'000'000'000};
    req.from = req.to - core::nanos{c.span_s * 1'000'000'000};
    req.step = *core::parse_history_step(c.step);
    req.max_rows = 1'000'000;
    std::vector<double> ms, cpu_ms;
    std::size_t bytes = 0, rows = 0;
    std::int64_t step_s = 0;
    for (int i = 0; i < repeat; ++i) {
      const double t0 = wall_us(), c0 = thread_cpu_us();
      auto db = h::open_for_reading(path);
      auto r = h::run_query(**db, req);
      if (!r) {
        std::fprintf(stderr, "%s: %s\n", c.what, r.message().c_str());
        std::exit(1);
      }
      const std::string text = core::to_json(*r).dump();
      ms.push_back((wall_us() - t0) / 1e3);
      cpu_ms.push_back((thread_cpu_us() - c0) / 1e3);
      bytes = text.size();
      rows = r->rows.size() + r->raw.size();
      step_s = r->step_s;
    }
    std::printf("%-12s %6lld %6zu %9.2f %9.2f %9.2f %9.2f %9.2f %10zu\n", c.what, static_cast<long long>(step_s), rows,
                percentile(ms, 50), percentile(ms, 95), percentile(ms, 100), percentile(cpu_ms, 50),
                percentile(cpu_ms, 95), bytes);
  }
}

// Starts the measured hour's memory figures: restarts VmHWM and SQLite's peak; returns RSS now, MB.
double start_memory_window() {
  const double rss = status_mb("VmRSS:");
  reset_peak_rss();
  sqlite3_memory_highwater(1);
  return rss;
}

// The memory figures of writer_cost's measured hour: RSS before it (rss_before_mb), the peak since
// reset_peak_rss(), RSS now, and SQLite's own peak since sqlite3_memory_highwater was reset.
std::string memory_line(std::size_t cache_kib, double rss_before_mb) {
  char line[256];
  std::snprintf(line, sizeof line,
                "memory (page cache at most %zu KiB): RSS %.1f MB before the hour, peak %.1f MB during it, %.1f MB "
                "after; SQLite's own peak %.1f MB\n",
                cache_kib, rss_before_mb, status_mb("VmHWM:"), status_mb("VmRSS:"),
                static_cast<double>(sqlite3_memory_highwater(0)) / 1048576.0);
  return line;
}

// The writer's cost: batches of `per_batch` minutes of `targets` rows written for an hour and
// one more batch (which completes the hour, so it also rolls up every target's hour and day): CPU per row and
// bytes written (write(2) calls: WAL and checkpoints) per hour.
void writer_cost(const std::string& dir, unsigned targets, int per_batch, std::size_t cache_kib) {
  const std::string path = dir + "/writer-" + std::to_string(targets) + ".db";
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  auto s = open(path, end_s, cache_kib);
  std::vector<core::rollup> templates;
  for (unsigned i = 0; i < 64; ++i) templates.push_back(latency_model(i).minute(end_s, 60));
  const auto minute_rows = [&](core::history_batch& b, int k) {
    for (unsigned t = 0; t < targets; ++t) {
      b.minutes.push_back({name_of(t), templates[(t + static_cast<unsigned>(k)) % 64]});
      b.minutes.back().minute.start_s = end_s + k * 60;
    }
  };
  // Three hours first, not measured, so that every target has leaf pages of its own, as in a file in use: a
  // fresh file packs many targets into each page and would flatter the figures.
  for (int k = -180; k < 0; k += 30) {
    core::history_batch b;
    for (int j = k; j < k + 30; ++j) minute_rows(b, j);
    write_or_die(*s, b);
  }
  const double rss_before = start_memory_window();
  std::vector<double> cpu_per_row, wall_per_row;
  double boundary_cpu = 0, boundary_wall = 0, hour_cpu = 0;
  std::uint64_t bytes_hour = 0;
  for (int m = 0; m <= 60; m += per_batch) {
    core::history_batch b;
    for (int k = m; k < std::min(m + per_batch, 61); ++k) minute_rows(b, k);
    b.heartbeat = core::wall_time{(end_s + m * 60 + 60) * 1'000'000'000LL};
    const std::uint64_t w0 = written_bytes();
    const double c0 = thread_cpu_us(), t0 = wall_us();
    write_or_die(*s, b);
    const double cpu = thread_cpu_us() - c0, wall = wall_us() - t0;
    // Batches from 00:00 to 00:59: an hour's work, with one hourly move (the first batch moves the hour before).
    if (m + per_batch <= 60) {
      bytes_hour += written_bytes() - w0;
      hour_cpu += cpu;
      cpu_per_row.push_back(cpu / static_cast<double>(b.minutes.size()));
      wall_per_row.push_back(wall / static_cast<double>(b.minutes.size()));
    } else {
      boundary_cpu = cpu;
      boundary_wall = wall;
    }
  }
  const std::string memory = memory_line(cache_kib, rss_before);
  std::uint64_t deleted = 0;
  const double r0 = thread_cpu_us();
  (void)s->retention_step(core::wall_time{(end_s + 3600) * 1'000'000'000LL}, deleted);
  const double retention_cpu = thread_cpu_us() - r0;
  std::printf(
      "writer, %u targets, %d-minute batches: %.1f us CPU per minute row in a batch (p50; %.1f us wall); the batch "
      "that completes an hour %.0f ms CPU (%.0f ms wall: moves %u x 60 minutes, rebuilds %u hours and days); per "
      "hour %.0f ms CPU = %.1f us per target-hour = %.3f us per probe at 1 Hz; %.1f MB written per hour (%.1f KB "
      "per target); one retention step %.1f ms CPU\n",
      targets, per_batch, percentile(cpu_per_row, 50), percentile(wall_per_row, 50), boundary_cpu / 1e3,
      boundary_wall / 1e3, targets, targets, hour_cpu / 1e3, hour_cpu / targets, hour_cpu / targets / 3600.0,
      static_cast<double>(bytes_hour) / 1e6, static_cast<double>(bytes_hour) / 1e3 / targets, retention_cpu / 1e3);
  std::fputs(memory.c_str(), stdout);
}

// The loop's side: recorder.on_sample for `targets` targets at 1 Hz for ten minutes (finished minutes copied into
// the batch, a batch taken every 5 s; raw samples for the first 10 targets).
void loop_cost(unsigned targets) {
  core::history_recorder rec({.raw_max_targets = 10});
  std::vector<core::history_recorder::handle> handles;
  for (unsigned t = 0; t < targets; ++t) handles.push_back(rec.add_target(name_of(t), core::wall_time{end_s}));
  (void)rec.take_batch(core::wall_time{end_s});
  core::sample s;
  s.rtt = std::chrono::microseconds(20'000);
  s.process = std::chrono::microseconds(20'300);
  std::uint64_t samples = 0;
  const double c0 = thread_cpu_us();
  for (int sec = 0; sec < 600; ++sec) {
    const core::wall_time now{(end_s + sec) * 1'000'000'000LL};
    for (unsigned t = 0; t < targets; ++t) {
      s.wall = now + std::chrono::microseconds(t);
      s.seq = static_cast<std::uint32_t>(sec);
      s.rtt = std::chrono::microseconds(20'000 + (sec * 7 + static_cast<int>(t)) % 3000);
      rec.on_sent(handles[t], s.wall);
      rec.on_sample(handles[t], s, core::health::ok);
      ++samples;
    }
    if (sec % 5 == 4) (void)rec.take_batch(now);
  }
  const double cpu = thread_cpu_us() - c0;
  std::printf(
      "loop, %u targets at 1 Hz: %.0f ns CPU per sample (on_sent + on_sample, minutes into batches, "
      "batches taken every 5 s)\n",
      targets, cpu * 1e3 / static_cast<double>(samples));
}

std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

}  // namespace
}  // namespace netstab::bench

int main(int argc, char** argv) {
  using namespace netstab::bench;
  const std::string cmd = argc > 1 ? argv[1] : "";
  const std::string db = arg(argc, argv, "--db", "/tmp/netstab-history-bench/history.db");
  const std::string dir = std::filesystem::path(db).parent_path().string();
  std::filesystem::create_directories(dir);
  const auto targets = static_cast<unsigned>(std::stoul(arg(argc, argv, "--targets", "100")));
  const auto raw_targets = static_cast<unsigned>(std::stoul(arg(argc, argv, "--raw-targets", "10")));
  if (cmd == "fill") {
    const std::string default_end = std::to_string(end_s);
    const std::int64_t end = std::stoll(arg(argc, argv, "--end", default_end.c_str()));
    if (end % 3600 != 0) {
      std::fprintf(stderr, "netstab_history_bench: --end must be a whole hour in Unix seconds\n");
      return 2;
    }
    fill(db, targets, std::stoi(arg(argc, argv, "--days", "14")), raw_targets, end);
    sizes(db, targets, raw_targets);
  } else if (cmd == "size") {
    sizes(db, targets, raw_targets);
  } else if (cmd == "query") {
    queries(db, std::stoi(arg(argc, argv, "--repeat", "200")));
  } else if (cmd == "writer") {
    writer_cost(dir, targets, std::stoi(arg(argc, argv, "--minutes-per-batch", "1")),
                std::stoul(arg(argc, argv, "--cache-kib", std::to_string(h::store_options{}.page_cache_kib).c_str())));
  } else if (cmd == "loop") {
    loop_cost(targets);
  } else {
    std::fprintf(stderr,
                 "usage: netstab_history_bench fill|size|query|writer|loop [--db FILE] [--targets N] [--days D] "
                 "[--raw-targets N] [--repeat N] [--end UNIX_SECONDS] [--minutes-per-batch N] [--cache-kib N]\n");
    return 2;
  }
  return 0;
}

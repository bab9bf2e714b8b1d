#include "service/history/cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <string>

#include "core/history_query.hpp"
#include "core/timestamp_text.hpp"
#include "service/history/query.hpp"

namespace netstab::service::history {
namespace {

struct options {
  std::string db, target, from = "-24h", to = "now", step = "auto", format = "csv";
  std::size_t max_rows = 10'000'000;
  bool list = false;
};

constexpr const char* times_help =
    "TIME is RFC 3339 (2026-12-01T00:00:00Z, 2026-12-01T01:00:00+01:00), a date (2026-12-01, midnight UTC), "
    "now, a time before now (-90s, -30m, -24h, -7d, -2w) or Unix seconds.";

std::string targets_csv(const std::vector<core::history_target>& targets) {
  std::string out = "target,added,removed,first,last\n";
  for (const auto& t : targets) {
    out += t.name + "," + core::format_rfc3339(t.added) + "," + (t.removed ? core::format_rfc3339(*t.removed) : "") +
           "," + (t.first_ts ? core::format_rfc3339(core::wall_time{*t.first_ts * 1'000'000'000}) : "") + "," +
           (t.last_ts ? core::format_rfc3339(core::wall_time{*t.last_ts * 1'000'000'000}) : "") + "\n";
  }
  return out;
}

int run(const options& o, std::ostream& out, std::ostream& err, core::wall_time now) {
  auto db = open_for_reading(o.db);
  if (!db) {
    err << "netstab history: " << db.message() << "\n";
    return 1;
  }
  if (o.list) {
    auto targets = list_targets(**db);
    if (!targets) {
      err << "netstab history: " << targets.message() << "\n";
      return 1;
    }
    out << (o.format == "json" ? core::to_json(*targets).dump() + "\n" : targets_csv(*targets));
    return 0;
  }
  auto req = core::make_history_request(o.target, o.from, o.to, o.step, now);
  if (!req) {
    err << "netstab history: " << req.message() << "\n";
    return 2;
  }
  req->max_rows = o.max_rows;
  auto reply = run_query(**db, *req);
  if (!reply) {
    err << "netstab history: " << reply.message() << "\n";
    return 1;
  }
  out << (o.format == "json" ? core::to_json(*reply).dump() + "\n" : core::to_csv(*reply));
  return 0;
}

}  // namespace

int history_main(int argc, char** argv, std::ostream& out, std::ostream& err, core::wall_time now) {
  CLI::App app{
      "netstab history: print what a netstab history file holds for one target, as CSV or JSON. Reads the file "
      "directly and changes nothing, also while the service writes it.",
      "netstab history"};
  app.footer(std::string("\n") + times_help +
             "\nSTEP is auto (the finest step that keeps the reply within 2000 rows and that the file still holds "
             "for the range), raw (every stored sample: kept 24 h for the first targets), or minutes, hours, days, "
             "weeks: 1m, 5m, 1h, 6h, 1d, 7d.\n\nExamples:\n  netstab history --db /var/lib/netstab/history.db "
             "--target 1.1.1.1 --from -7d\n  netstab history --db history.db --target 1.1.1.1 --from "
             "2026-12-01T18:00:00Z --to 2026-12-01T23:00:00Z --step raw --format json\n  netstab history --db "
             "history.db --list-targets");
  options o;
  app.add_option("--db", o.db, "The history file (history.path of the service)")->required();
  app.add_option("--target", o.target, "The target, as the service names it (--list-targets shows them)");
  app.add_option("--from", o.from, "Start of the range (TIME, default -24h)");
  app.add_option("--to", o.to, "End of the range (TIME, default now)");
  app.add_option("--step", o.step, "auto, raw, 1m, 5m, 1h, 1d, ... (default auto)");
  app.add_option("--format", o.format, "csv or json (default csv)")->check(CLI::IsMember({"csv", "json"}));
  app.add_option("--max-rows", o.max_rows, "Refuse replies longer than this (default 10000000)");
  app.add_flag("--list-targets", o.list, "List the targets the file holds (also removed ones) instead");
  try {
    app.parse(argc, argv);
    if (!o.list && o.target.empty()) throw CLI::RequiredError("--target (or --list-targets)");
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? 0 : 2;
  }
  return run(o, out, err, now);
}

int history_main(int argc, char** argv) {
  const auto now = std::chrono::duration_cast<core::nanos>(std::chrono::system_clock::now().time_since_epoch());
  return history_main(argc, argv, std::cout, std::cerr, core::wall_time{now});
}

}  // namespace netstab::service::history

#include "core/history_query.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "core/timestamp_text.hpp"

namespace netstab::core {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;

constexpr std::array<std::string_view, 22> columns = {
    "ts",      "sent",    "received",     "lost",        "late",    "duplicates", "loss_pct", "rtt_min",
    "rtt_p10", "rtt_p25", "rtt_p50",      "rtt_p75",     "rtt_p90", "rtt_p99",    "rtt_max",  "rtt_mean",
    "jitter",  "mos",     "process_mean", "process_p95", "worst",   "verdict"};
constexpr std::array<std::string_view, 5> raw_column_names = {"ts", "seq", "status", "rtt", "process"};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

double round_to(double v, double scale) { return std::round(v * scale) / scale; }

nlohmann::json number(const std::optional<double>& v, double scale = 1000.0) {
  return v ? nlohmann::json(round_to(*v, scale)) : nlohmann::json(nullptr);
}

double seconds(wall_time t) { return round_to(static_cast<double>(t.count()) / 1e9, 1e6); }

std::string text(const std::optional<double>& v, double scale = 1000.0) {
  if (!v) return {};
  return nlohmann::json(round_to(*v, scale)).dump();
}

std::string csv_quote(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

nlohmann::json row_json(const history_point& p) {
  const rollup_summary& s = p.summary;
  return nlohmann::json::array({p.ts,
                                p.sent,
                                p.received,
                                p.lost,
                                p.late,
                                p.duplicates,
                                number(s.loss_pct),
                                number(s.rtt_min),
                                number(s.rtt_p10),
                                number(s.rtt_p25),
                                number(s.rtt_p50),
                                number(s.rtt_p75),
                                number(s.rtt_p90),
                                number(s.rtt_p99),
                                number(s.rtt_max),
                                number(s.rtt_mean),
                                number(s.jitter),
                                number(s.mos, 100.0),
                                number(s.process_mean),
                                number(s.process_p95),
                                std::string(to_string(p.worst)),
                                p.verdict.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.verdict)});
}

std::string row_csv(const history_point& p) {
  const rollup_summary& s = p.summary;
  std::string line = format_rfc3339(wall_time{p.ts * ns_per_s});
  for (const std::uint64_t v : {p.sent, p.received, p.lost, p.late, p.duplicates}) {
    line += ',';
    line += std::to_string(v);
  }
  for (const auto* v : {&s.loss_pct, &s.rtt_min, &s.rtt_p10, &s.rtt_p25, &s.rtt_p50, &s.rtt_p75, &s.rtt_p90, &s.rtt_p99,
                        &s.rtt_max, &s.rtt_mean, &s.jitter}) {
    line += ',';
    line += text(*v);
  }
  line += ',' + text(s.mos, 100.0) + ',' + text(s.process_mean) + ',' + text(s.process_p95) + ',';
  line += to_string(p.worst);
  line += ',' + csv_quote(p.verdict);
  return line;
}

}  // namespace

result<history_step> parse_history_step(std::string_view t) {
  if (t == "auto") return history_step{history_step::kind::automatic, 0};
  if (t == "raw") return history_step{history_step::kind::raw, 0};
  const auto bad = [&](const std::string& why) {
    return error{"step \"" + std::string(t) + "\": " + why +
                 " (expected auto, raw, or a number of minutes, hours, days or weeks such as 1m, 5m, 1h, 1d, 7d)"};
  };
  if (t.size() < 2) return bad("too short");
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size() - 1, n);
  if (ec != std::errc{} || ptr != t.data() + t.size() - 1 || n <= 0 || n > max_step_s) {
    return bad("not a positive whole number followed by a unit");
  }
  const auto seconds = unit_seconds(t.back());
  if (!seconds) return bad("unknown unit");
  const std::int64_t unit = *seconds;
  if (n > max_step_s / unit) return bad("longer than 366 days");
  const std::int64_t s = n * unit;
  if (s % 60 != 0) return bad("not a whole number of minutes");
  return history_step{history_step::kind::fixed, s};
}

std::string to_string(const history_step& s) {
  switch (s.what) {
    case history_step::kind::automatic:
      return "auto";
    case history_step::kind::raw:
      return "raw";
    case history_step::kind::fixed:
      break;
  }
  if (s.seconds % 86400 == 0) return std::to_string(s.seconds / 86400) + "d";
  if (s.seconds % 3600 == 0) return std::to_string(s.seconds / 3600) + "h";
  if (s.seconds % 60 == 0) return std::to_string(s.seconds / 60) + "m";
  return std::to_string(s.seconds) + "s";
}

std::int64_t source_step(std::int64_t step_s) {
  if (step_s % 86400 == 0) return 86400;
  if (step_s % 3600 == 0) return 3600;
  return 60;
}

result<void> validate_range(wall_time from, wall_time to) {
  if (from >= to) {
    return error{"the range is empty: from (" + format_rfc3339(from) + ") must be before to (" + format_rfc3339(to) +
                 ")"};
  }
  if (to - from > nanos{100LL * 366 * 86400 * ns_per_s}) {
    return error{"the range is longer than 100 years"};
  }
  return success();
}

result<history_request> make_history_request(std::string target, std::string_view from, std::string_view to,
                                             std::string_view step, wall_time now) {
  auto s = parse_history_step(step);
  if (!s) return error{s.message()};
  auto f = parse_timestamp(from, now);
  if (!f) return error{f.message()};
  auto t = parse_timestamp(to, now);
  if (!t) return error{t.message()};
  history_request req;
  req.target = std::move(target);
  req.step = *s;
  req.from = *f;
  req.to = *t;
  return req;
}

std::int64_t bucket_count(wall_time from, wall_time to, std::int64_t step_s) {
  const std::int64_t step_ns = step_s * ns_per_s;
  const std::int64_t first = floor_div(from.count(), step_ns);
  const std::int64_t last = floor_div(to.count() - 1, step_ns);  // bucket holding the last instant before to
  return last - first + 1;
}

std::int64_t choose_auto_step(wall_time from, wall_time to, std::int64_t finest_s) {
  for (const std::int64_t s : auto_steps) {
    if (s >= finest_s && bucket_count(from, to, s) <= static_cast<std::int64_t>(auto_max_rows)) return s;
  }
  return auto_steps[std::size(auto_steps) - 1];
}

history_point point_of(const rollup& r) {
  history_point p;
  p.ts = r.start_s;
  p.sent = r.sent;
  p.received = r.received;
  p.lost = r.lost;
  p.late = r.late;
  p.duplicates = r.duplicates;
  p.summary = summarize(r);
  p.worst = r.worst;
  p.verdict = r.verdict;
  return p;
}

std::string_view to_string(run_span::ending e) {
  switch (e) {
    case run_span::ending::stopped:
      return "stopped";
    case run_span::ending::crashed:
      return "crashed";
    case run_span::ending::running:
      return "running";
  }
  return "stopped";
}

std::span<const std::string_view> history_columns() { return columns; }
std::span<const std::string_view> raw_columns() { return raw_column_names; }

nlohmann::json to_json(const history_reply& r) {
  nlohmann::json j;
  j["target"] = r.target;
  j["step_s"] = r.step_s;
  j["from"] = format_rfc3339(r.from);
  j["to"] = format_rfc3339(r.to);
  auto& cols = j["columns"] = nlohmann::json::array();
  auto& rows = j["rows"] = nlohmann::json::array();
  if (r.asked.what == history_step::kind::raw) {
    for (const auto c : raw_columns()) cols.push_back(std::string(c));
    for (const raw_point& p : r.raw) {
      rows.push_back(nlohmann::json::array(
          {seconds(p.wall), p.seq, std::string(to_string(p.status)), number(p.rtt_ms), number(p.process_ms)}));
    }
  } else {
    for (const auto c : history_columns()) cols.push_back(std::string(c));
    for (const history_point& p : r.rows) rows.push_back(row_json(p));
  }
  auto& runs = j["runs"] = nlohmann::json::array();
  for (const run_span& s : r.runs) {
    runs.push_back({{"start", seconds(s.start)}, {"end", seconds(s.end)}, {"ending", std::string(to_string(s.how))}});
  }
  auto& incidents = j["incidents"] = nlohmann::json::array();
  for (const incident_span& i : r.incidents) {
    const auto opt_text = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
    incidents.push_back({{"start", seconds(i.start)},
                         {"end", i.end ? nlohmann::json(seconds(*i.end)) : nlohmann::json(nullptr)},
                         {"duration_s", round_to(static_cast<double>(i.duration.count()) / 1e9, 1e3)},
                         {"probes_lost", i.probes_lost},
                         {"worst", std::string(to_string(i.worst))},
                         {"reason", i.reason},
                         {"verdict", opt_text(i.verdict)},
                         {"path", opt_text(i.path)}});
  }
  return j;
}

nlohmann::json to_json(const std::vector<history_target>& targets) {
  auto list = nlohmann::json::array();
  const auto opt = [](const std::optional<std::int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  for (const history_target& t : targets) {
    list.push_back({{"target", t.name},
                    {"added", format_rfc3339(t.added)},
                    {"removed", t.removed ? nlohmann::json(format_rfc3339(*t.removed)) : nlohmann::json(nullptr)},
                    {"first", opt(t.first_ts)},
                    {"last", opt(t.last_ts)}});
  }
  return {{"targets", list}};
}

std::string to_csv(const history_reply& r) {
  std::string out;
  const bool raw = r.asked.what == history_step::kind::raw;
  const auto cols = raw ? raw_columns() : history_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) out += ',';
    out += cols[i];
  }
  out += '\n';
  if (raw) {
    for (const raw_point& p : r.raw) {
      out += format_rfc3339(p.wall, 6) + ',' + std::to_string(p.seq) + ',' + std::string(to_string(p.status)) + ',' +
             text(p.rtt_ms) + ',' + text(p.process_ms) + '\n';
    }
  } else {
    for (const history_point& p : r.rows) out += row_csv(p) + '\n';
  }
  return out;
}

}  // namespace netstab::core

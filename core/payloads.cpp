#include "core/payloads.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "core/topics.hpp"

namespace netstab::core {

namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

void append_u00(std::string& out, unsigned char c) {
  out.append("\\u00");
  out.push_back(hex_digits[c >> 4U]);
  out.push_back(hex_digits[c & 0xFU]);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes
// there are not valid UTF-8 (overlong forms, surrogates and > U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
  }
  return n;
}

void append_key(std::string& out, std::string_view key) {
  // Keys are fixed ASCII identifiers: no escaping needed.
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

void append_opt_ms(std::string& out, const std::optional<double>& v, int decimals = 3) {
  if (v) {
    append_fixed(out, *v, decimals);
  } else {
    out.append("null");
  }
}

void append_opt_nanos_ms(std::string& out, const std::optional<nanos>& v) {
  if (v) {
    append_fixed(out, to_ms(*v));
  } else {
    out.append("null");
  }
}

void append_summary(std::string& out, const latency_summary& s) {
  out.append("{\"last\":");
  append_opt_ms(out, s.last);
  out.append(",\"min\":");
  append_opt_ms(out, s.min);
  out.append(",\"avg\":");
  append_opt_ms(out, s.avg);
  out.append(",\"max\":");
  append_opt_ms(out, s.max);
  out.append(",\"stddev\":");
  append_opt_ms(out, s.stddev);
  out.append(",\"p50\":");
  append_opt_ms(out, s.p50);
  out.append(",\"p95\":");
  append_opt_ms(out, s.p95);
  out.append(",\"p99\":");
  append_opt_ms(out, s.p99);
  out.push_back('}');
}

void open_object(std::string& out, std::string_view type_field) {
  out.push_back('{');
  if (!type_field.empty()) {
    out.append("\"type\":");
    append_json_string(out, type_field);
    out.push_back(',');
  }
}

// Rounded to 3 decimals as a double, so nlohmann prints "12.345" rather than
// the full binary expansion.
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

nlohmann::ordered_json ms_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(round3(v)) : nlohmann::ordered_json(nullptr);
}

std::string_view ip_version_name(ip_version v) {
  switch (v) {
    case ip_version::any: return "auto";
    case ip_version::v4: return "4";
    case ip_version::v6: return "6";
  }
  return "auto";
}

// Whole milliseconds as an integer, others with 3 decimals (the state's interval_ms and timeout_ms).
void append_ms_number(std::string& out, nanos d) {
  if (d.count() % 1'000'000 == 0) {
    append_int(out, d.count() / 1'000'000);
  } else {
    append_fixed(out, to_ms(d), 3);
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out.append("\\ufffd");
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '<':
      case '>':
      case '&':
      case 0x7F: append_u00(out, c); break;
      default:
        if (c < 0x20) {
          append_u00(out, c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

void append_fixed(std::string& out, double v, int decimals) {
  if (!std::isfinite(v)) {
    out.append("null");
    return;
  }
  std::array<char, 64> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc{}) {
    out.append("null");
    return;
  }
  std::string_view text(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
  // "-0.000" is valid JSON but reads oddly; print zero without a sign.
  if (text.front() == '-' && text.find_first_not_of("-0.") == std::string_view::npos) {
    text.remove_prefix(1);
  }
  out.append(text);
}

void append_uint(std::string& out, std::uint64_t v) {
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
}

void append_int(std::string& out, std::int64_t v) {
  std::array<char, 24> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
}

void append_rfc3339(std::string& out, wall_time t) {
  // Floor division so that times before 1970 still print a valid calendar date.
  const std::int64_t total_ms = std::chrono::floor<std::chrono::milliseconds>(t).count();
  std::int64_t days = total_ms >= 0 ? total_ms / 86'400'000 : -((-total_ms + 86'399'999) / 86'400'000);
  const std::int64_t ms_of_day = total_ms - days * 86'400'000;
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil inverse).
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t year = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;

  std::array<char, 32> buf{};
  auto put = [&buf](std::size_t pos, std::int64_t v, std::size_t width) {
    for (std::size_t k = 0; k < width; ++k) {
      buf[pos + width - 1 - k] = static_cast<char>('0' + static_cast<int>(v % 10));
      v /= 10;
    }
  };
  if (year < 0 || year > 9999) year = year < 0 ? 0 : 9999;
  put(0, year, 4);
  buf[4] = '-';
  put(5, month, 2);
  buf[7] = '-';
  put(8, day, 2);
  buf[10] = 'T';
  put(11, ms_of_day / 3'600'000, 2);
  buf[13] = ':';
  put(14, (ms_of_day / 60'000) % 60, 2);
  buf[16] = ':';
  put(17, (ms_of_day / 1000) % 60, 2);
  buf[19] = '.';
  put(20, ms_of_day % 1000, 3);
  buf[23] = 'Z';
  out.append(buf.data(), 24);
}

std::string rfc3339(wall_time t) {
  std::string s;
  append_rfc3339(s, t);
  return s;
}

void append_sample_json(std::string& out, std::string_view target, std::string_view address, const sample& s,
                        std::string_view type_field) {
  open_object(out, type_field);
  append_key(out, "target");
  append_json_string(out, target);
  out.append(",\"address\":");
  append_json_string(out, address);
  out.append(",\"seq\":");
  append_uint(out, s.seq);
  out.append(",\"ts\":\"");
  append_rfc3339(out, s.wall);
  out.append("\",\"status\":\"");
  out.append(to_string(s.status));
  out.append("\",\"rtt_ms\":");
  append_opt_nanos_ms(out, s.rtt);
  out.append(",\"process_ms\":");
  append_opt_nanos_ms(out, s.process);
  out.append(",\"rtt_clock\":\"");
  out.append(to_string(s.clock));
  out.append("\",\"ttl\":");
  if (s.ttl >= 0) {
    append_int(out, s.ttl);
  } else {
    out.append("null");
  }
  out.append(",\"size\":");
  append_uint(out, s.size);
  out.append(",\"error\":");
  if (s.error.empty()) {
    out.append("null");
  } else {
    append_json_string(out, s.error);
  }
  out.push_back('}');
}

void append_stats_json(std::string& out, std::string_view target, std::string_view address, wall_time ts,
                       const stats_snapshot& st, std::string_view type_field) {
  open_object(out, type_field);
  append_key(out, "target");
  append_json_string(out, target);
  out.append(",\"address\":");
  append_json_string(out, address);
  out.append(",\"ts\":\"");
  append_rfc3339(out, ts);
  out.append("\",\"window_s\":");
  if (st.window.count() % 1'000'000'000 == 0) {
    append_int(out, st.window.count() / 1'000'000'000);
  } else {
    append_fixed(out, static_cast<double>(st.window.count()) / 1e9);
  }
  out.append(",\"sent\":");
  append_uint(out, st.sent);
  out.append(",\"received\":");
  append_uint(out, st.received);
  out.append(",\"lost\":");
  append_uint(out, st.lost);
  out.append(",\"loss_pct\":");
  append_fixed(out, st.loss_pct);
  out.append(",\"duplicates\":");
  append_uint(out, st.duplicates);
  out.append(",\"late\":");
  append_uint(out, st.late);
  out.append(",\"rto\":");
  append_uint(out, st.rto);
  out.append(",\"rto_streak\":");
  append_uint(out, st.rto_streak);
  out.append(",\"rtt_ms\":");
  append_summary(out, st.rtt);
  out.append(",\"process_ms\":");
  append_summary(out, st.process);
  out.append(",\"jitter_ms\":");
  append_opt_ms(out, st.jitter_ms);
  out.append(",\"jitter_rfc3550_ms\":");
  append_opt_ms(out, st.jitter_rfc3550_ms);
  out.append(",\"mos\":");
  append_opt_ms(out, st.mos, 2);
  out.append(",\"status\":\"");
  out.append(to_string(st.status));
  out.append("\",\"reason\":");
  append_json_string(out, st.reason);
  out.push_back('}');
}

nlohmann::ordered_json incident_to_json(const incident& i) {
  nlohmann::ordered_json j;
  j["id"] = i.id;
  j["start"] = rfc3339(i.start);
  j["end"] = i.end ? nlohmann::ordered_json(rfc3339(*i.end)) : nlohmann::ordered_json(nullptr);
  j["duration_s"] = ms_or_null(static_cast<double>(i.duration.count()) / 1e9);
  j["probes_lost"] = i.probes_lost;
  j["worst_status"] = std::string(to_string(i.worst));
  j["reason"] = i.reason;
  return j;
}

void append_digest_json(std::string& out, wall_time ts, nanos interval, std::span<const std::string* const> entries) {
  std::size_t size = 80 + entries.size();
  for (const std::string* e : entries) size += e->size();
  out.reserve(out.size() + size);
  out.append("{\"ts\":\"");
  append_rfc3339(out, ts);
  out.append("\",\"interval_ms\":");
  append_int(out, std::chrono::duration_cast<std::chrono::milliseconds>(interval).count());
  out.append(",\"count\":");
  append_uint(out, entries.size());
  out.append(",\"targets\":[");
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(*entries[i]);
  }
  out.append("]}");
}

std::string incidents_json(std::string_view target, const std::vector<incident>& incidents,
                           std::string_view type_field) {
  nlohmann::ordered_json j;
  if (!type_field.empty()) j["type"] = type_field;
  j["target"] = target;
  auto list = nlohmann::ordered_json::array();
  for (const auto& i : incidents) list.push_back(incident_to_json(i));
  j["incidents"] = std::move(list);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string_view to_string(event_type t) {
  switch (t) {
    case event_type::status_change: return "status_change";
    case event_type::incident_start: return "incident_start";
    case event_type::incident_end: return "incident_end";
    case event_type::target_added: return "target_added";
    case event_type::target_removed: return "target_removed";
    case event_type::resolve_failed: return "resolve_failed";
    case event_type::address_changed: return "address_changed";
    case event_type::started: return "started";
    case event_type::stopped: return "stopped";
    case event_type::config_reloaded: return "config_reloaded";
    case event_type::reload_failed: return "reload_failed";
  }
  return "started";
}

std::string event_json(const event& e, std::string_view type_field) {
  nlohmann::ordered_json j;
  if (!type_field.empty()) {
    j["type"] = type_field;
    j["event"] = to_string(e.type);
  } else {
    j["type"] = to_string(e.type);
  }
  j["ts"] = rfc3339(e.ts);
  switch (e.type) {
    case event_type::status_change:
      j["target"] = e.target;
      j["from"] = e.from;
      j["to"] = e.to;
      j["reason"] = e.reason;
      break;
    case event_type::incident_start:
    case event_type::incident_end:
      j["target"] = e.target;
      j["incident"] = e.inc ? incident_to_json(*e.inc) : nlohmann::ordered_json(nullptr);
      break;
    case event_type::target_added:
    case event_type::target_removed:
      j["target"] = e.target;
      break;
    case event_type::resolve_failed:
      j["target"] = e.target;
      j["error"] = e.error;
      break;
    case event_type::address_changed:
      j["target"] = e.target;
      j["from"] = e.from.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.from);
      j["to"] = e.to.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.to);
      break;
    case event_type::started:
    case event_type::stopped:
      break;
    case event_type::config_reloaded:
      j["reason"] = e.reason;
      break;
    case event_type::reload_failed:
      j["error"] = e.error;
      break;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// Built with the append helpers, not a JSON DOM: at 10,000 targets the state is about 2 MB, and a DOM of it
// (ten keys per target, each a node) held the loop for tens of milliseconds at every connect.
std::string state_json(const agent_state& st) {
  std::string out;
  out.reserve(192 + st.targets.size() * 224);
  out.append("{\"agent\":");
  append_json_string(out, st.agent);
  out.append(",\"version\":");
  append_json_string(out, st.version);
  out.append(",\"started_at\":\"");
  append_rfc3339(out, st.started_at);
  out.append("\",\"running\":");
  out.append(st.running ? "true" : "false");
  out.append(",\"targets\":[");
  for (std::size_t i = 0; i < st.targets.size(); ++i) {
    const state_target& t = st.targets[i];
    if (i > 0) out.push_back(',');
    out.append("{\"target\":");
    append_json_string(out, t.target);
    out.append(",\"slug\":");
    append_json_string(out, slug(t.target));
    out.append(",\"address\":");
    if (t.address.empty()) {
      out.append("null");
    } else {
      append_json_string(out, t.address);
    }
    out.append(",\"interval_ms\":");
    append_ms_number(out, t.probe.interval);
    out.append(",\"timeout_ms\":");
    append_ms_number(out, t.probe.timeout);
    out.append(",\"size\":");
    append_uint(out, t.probe.size);
    out.append(",\"ttl\":");
    append_int(out, t.probe.ttl);
    out.append(",\"tos\":");
    append_int(out, t.probe.tos);
    out.append(",\"ip_version\":");
    append_json_string(out, ip_version_name(t.probe.family));
    out.append(",\"publish_samples\":");
    out.append(t.probe.publish_samples ? "true" : "false");
    out.push_back('}');
  }
  out.append("],\"mqtt\":{\"buffered\":");
  append_uint(out, st.mqtt_buffered);
  out.append(",\"dropped\":");
  append_uint(out, st.mqtt_dropped);
  out.append(",\"unconfirmed\":");
  append_uint(out, st.mqtt_unconfirmed);
  out.append("}}");
  return out;
}

std::string reply_json(const nlohmann::json& id, bool ok, std::string_view cmd, std::string_view error,
                       const nlohmann::json& extra) {
  nlohmann::ordered_json j;
  if (!id.is_null()) j["id"] = id;
  j["ok"] = ok;
  j["cmd"] = cmd;
  if (!ok) j["error"] = error;
  if (extra.is_object()) {
    for (const auto& [k, v] : extra.items()) j[k] = v;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace netstab::core

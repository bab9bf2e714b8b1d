#include "core/payloads.hpp"

#include <charconv>
#include <cmath>

#include "core/topics.hpp"
#include "core/verdict_text.hpp"

namespace netstab::core {
namespace {

void append_key(std::string& out, std::string_view key) {
  // Keys are fixed ASCII identifiers: no escaping needed.
  out.push_back('"');
  out.append(key);
  out.append("\":");
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
  append_opt_fixed(out, s.last);
  out.append(",\"min\":");
  append_opt_fixed(out, s.min);
  out.append(",\"avg\":");
  append_opt_fixed(out, s.avg);
  out.append(",\"max\":");
  append_opt_fixed(out, s.max);
  out.append(",\"stddev\":");
  append_opt_fixed(out, s.stddev);
  out.append(",\"p50\":");
  append_opt_fixed(out, s.p50);
  out.append(",\"p95\":");
  append_opt_fixed(out, s.p95);
  out.append(",\"p99\":");
  append_opt_fixed(out, s.p99);
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

// A path as the contract gives it: addresses in TTL order, null for a hop that never answered.
nlohmann::ordered_json addresses_json(const std::vector<std::optional<ip_address>>& hops) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& a : hops) out.push_back(a ? nlohmann::ordered_json(a->text()) : nlohmann::ordered_json(nullptr));
  return out;
}

nlohmann::ordered_json fault_object(const fault& f) {
  std::string text;
  append_fault_json(text, f);
  return nlohmann::ordered_json::parse(text);
}

}  // namespace

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
                       const stats_snapshot& st, std::string_view type_field, const fault* f) {
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
  append_opt_fixed(out, st.jitter_ms);
  out.append(",\"jitter_rfc3550_ms\":");
  append_opt_fixed(out, st.jitter_rfc3550_ms);
  out.append(",\"mos\":");
  append_opt_fixed(out, st.mos, 2);
  out.append(",\"status\":\"");
  out.append(to_string(st.status));
  out.append("\",\"reason\":");
  append_json_string(out, st.reason);
  if (f != nullptr) {
    out.append(",\"fault\":");
    append_fault_json(out, *f);
  }
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
  j["fault"] = i.fault_json.empty() ? nlohmann::ordered_json(nullptr)
                                    : nlohmann::ordered_json::parse(i.fault_json, nullptr, false);
  if (j["fault"].is_discarded()) j["fault"] = nullptr;
  j["path"] = i.path ? addresses_json(*i.path) : nlohmann::ordered_json(nullptr);
  return j;
}

void append_digest_head(std::string& out, wall_time ts, nanos interval, std::size_t count, const digest_part* part) {
  out.append("{\"ts\":\"");
  append_rfc3339(out, ts);
  out.append("\",\"interval_ms\":");
  append_int(out, std::chrono::duration_cast<std::chrono::milliseconds>(interval).count());
  if (part != nullptr) {
    out.append(",\"part\":");
    append_uint(out, part->index);
    out.append(",\"parts\":");
    append_uint(out, part->count);
  }
  out.append(",\"count\":");
  append_uint(out, count);
  out.append(",\"targets\":[");
}

void append_digest_json(std::string& out, wall_time ts, nanos interval, std::span<const std::string* const> entries) {
  std::size_t size = 120 + entries.size();
  for (const std::string* e : entries) size += e->size();
  out.reserve(out.size() + size);
  append_digest_head(out, ts, interval, entries.size());
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

// One case per event type, each naming the fields the contract gives that type (docs/schemas/event.schema.json):
// a table kept whole, a little over 60 lines, so that every event's fields are read in one place.
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
    case event_type::fault_change:
      if (!e.target.empty()) j["target"] = e.target;
      j["from"] = e.from;
      j["to"] = e.to;
      j["reason"] = e.reason;
      if (e.f) j["fault"] = fault_object(*e.f);
      break;
    case event_type::path_change:
      j["target"] = e.target;
      j["reason"] = e.reason;
      j["hops"] = addresses_json(e.hops);
      break;
    case event_type::history:
      j["state"] = e.to;
      j["reason"] = e.reason;
      break;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
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

#include "core/payloads.hpp"
#include "core/topics.hpp"
#include "core/verdict_text.hpp"

namespace netstab::core {

// The state message, built with the append helpers, not a JSON DOM: the state of thousands of targets is
// megabytes, and a DOM of it (ten keys per target, each a node) held the loop at every connect
// (docs/benchmarks.md).
namespace {

std::string_view ip_version_name(ip_version v) {
  switch (v) {
    case ip_version::any:
      return "auto";
    case ip_version::v4:
      return "4";
    case ip_version::v6:
      return "6";
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

void append_history_state(std::string& out, const history_state& h) {
  out.append(",\"history\":{\"enabled\":");
  out.append(h.enabled ? "true" : "false");
  out.append(",\"paused\":");
  out.append(h.paused ? "true" : "false");
  out.append(",\"path\":");
  append_json_string(out, h.path);
  out.append(",\"error\":");
  if (h.error.empty()) {
    out.append("null");
  } else {
    append_json_string(out, h.error);
  }
  out.append(",\"rows_written\":");
  append_uint(out, h.rows_written);
  out.append(",\"rows_dropped\":");
  append_uint(out, h.rows_dropped);
  out.append(",\"queued_rows\":");
  append_uint(out, h.queued_rows);
  out.push_back('}');
}

void append_state_target(std::string& out, const state_target& t) {
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
  out.append(",\"path\":");
  out.append(t.path ? "true" : "false");
  out.push_back('}');
}

void append_path_summary(std::string& out, const path_summary& p) {
  out.append(",\"path\":{\"targets\":");
  append_uint(out, p.targets);
  out.append(",\"hops\":");
  append_uint(out, p.hops);
  out.append(",\"traces\":");
  append_uint(out, p.traces);
  out.append(",\"max_pps\":");
  append_uint(out, p.budget.max_pps);
  out.append(",\"peak_pps\":");
  append_uint(out, p.budget.peak_per_second);
  out.append(",\"sent\":");
  append_uint(out, p.budget.sent);
  out.append(",\"deferred\":");
  append_uint(out, p.budget.deferred);
  out.push_back('}');
}

}  // namespace

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
    if (i > 0) out.push_back(',');
    append_state_target(out, st.targets[i]);
  }
  out.append("],\"mqtt\":{\"buffered\":");
  append_uint(out, st.mqtt_buffered);
  out.append(",\"dropped\":");
  append_uint(out, st.mqtt_dropped);
  out.append(",\"unconfirmed\":");
  append_uint(out, st.mqtt_unconfirmed);
  out.push_back('}');
  if (st.agent_fault) {
    out.append(",\"fault\":");
    append_fault_json(out, *st.agent_fault);
  }
  if (st.path) append_path_summary(out, *st.path);
  if (st.history) append_history_state(out, *st.history);
  out.push_back('}');
  return out;
}

}  // namespace netstab::core

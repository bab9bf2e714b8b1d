#include "core/path_payloads.hpp"

#include "core/payloads.hpp"
#include "core/verdict_text.hpp"

namespace netstab::core {

namespace {

void append_hop(std::string& out, const hop_row& h) {
  out.append("{\"ttl\":");
  append_uint(out, h.ttl);
  out.append(",\"address\":");
  if (h.address) {
    append_json_string(out, h.address->text());
  } else {
    out.append("null");
  }
  out.append(",\"segment\":\"");
  out.append(to_string(h.where));
  out.append("\",\"sent\":");
  append_uint(out, h.sent);
  out.append(",\"lost\":");
  append_uint(out, h.lost);
  out.append(",\"loss_pct\":");
  append_fixed(out, h.loss_pct);
  out.append(",\"rtt_ms\":{\"p50\":");
  append_opt_fixed(out, h.rtt_p50_ms);
  out.append(",\"p95\":");
  append_opt_fixed(out, h.rtt_p95_ms);
  out.append("},\"rate_limited\":");
  out.append(h.rate_limited ? "true" : "false");
  out.push_back('}');
}

}  // namespace

void append_path_json(std::string& out, std::string_view target, std::string_view address, wall_time ts,
                      std::optional<wall_time> traced_at, std::span<const hop_row> hops, const fault& f,
                      std::string_view type_field) {
  out.push_back('{');
  if (!type_field.empty()) {
    out.append("\"type\":");
    append_json_string(out, type_field);
    out.push_back(',');
  }
  out.append("\"target\":");
  append_json_string(out, target);
  out.append(",\"address\":");
  append_json_string(out, address);
  out.append(",\"ts\":\"");
  append_rfc3339(out, ts);
  out.append("\",\"traced_at\":");
  if (traced_at) {
    out.push_back('"');
    append_rfc3339(out, *traced_at);
    out.push_back('"');
  } else {
    out.append("null");
  }
  out.append(",\"hops\":[");
  for (std::size_t i = 0; i < hops.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_hop(out, hops[i]);
  }
  out.append("],\"fault\":");
  append_fault_json(out, f);
  out.push_back('}');
}

}  // namespace netstab::core

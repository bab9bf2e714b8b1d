#include "core/verdict_text.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "core/payloads.hpp"

namespace netstab::core {
namespace {

constexpr std::string_view en_dash = "\xe2\x80\x93";

using number_buffer = std::array<char, 48>;

std::string printed(const number_buffer& buf, int n) {
  return std::string(buf.data(), n > 0 ? std::min(static_cast<std::size_t>(n), buf.size() - 1) : 0U);
}

std::int64_t utc_day(wall_time t) { return std::chrono::floor<std::chrono::days>(t).count(); }

}  // namespace

std::string text_fixed1(double v) {
  number_buffer buf{};
  return printed(buf, std::snprintf(buf.data(), buf.size(), "%.1f", v));
}

std::string text_short(double v) {
  number_buffer buf{};
  return printed(buf, std::snprintf(buf.data(), buf.size(), "%g", v));
}

std::string ttl_list(std::span<const unsigned> ttls) {
  std::string out;
  std::size_t i = 0;
  while (i < ttls.size()) {
    std::size_t j = i;
    while (j + 1 < ttls.size() && ttls[j + 1] == ttls[j] + 1) ++j;
    if (!out.empty()) out.append(", ");
    out.append(std::to_string(ttls[i]));
    if (j > i) {
      out.append(en_dash);
      out.append(std::to_string(ttls[j]));
    }
    i = j + 1;
  }
  return out;
}

std::string clean_phrase(std::span<const unsigned> ttls) {
  if (ttls.empty()) return {};
  return (ttls.size() == 1 ? "hop " : "hops ") + ttl_list(ttls) + " clean";
}

std::string no_data_phrase(std::span<const unsigned> ttls) {
  if (ttls.empty()) return {};
  return (ttls.size() == 1 ? "no data from hop " : "no data from hops ") + ttl_list(ttls);
}

std::string rate_limited_phrase(std::span<const unsigned> ttls, fault_metric m) {
  if (ttls.empty()) return {};
  const bool one = ttls.size() == 1;
  const char* verb = m == fault_metric::latency ? (one ? " delays" : " delay") : (one ? " drops" : " drop");
  return (one ? "hop " : "hops ") + ttl_list(ttls) + verb + (one ? " ICMP to itself" : " ICMP to themselves") +
         " (rate-limited), not blamed";
}

std::string since_phrase(wall_time since, wall_time now) {
  const std::string stamp = rfc3339(since);  // "2026-11-24T21:04:05.123Z"
  std::string out = "since ";
  if (utc_day(since) != utc_day(now)) {
    out.append(stamp, 0, 10);
    out.push_back(' ');
  }
  out.append(stamp, 11, 5);
  out.append(" UTC");
  return out;
}

void append_part(std::string& out, std::string_view part) {
  if (part.empty()) return;
  if (!out.empty()) out.append("; ");
  out.append(part);
}

std::string compose_reason(const fault& f, wall_time now) {
  std::string out = f.headline;
  if (f.since) {
    out.push_back(' ');
    out.append(since_phrase(*f.since, now));
  }
  append_part(out, f.context);
  return out;
}

void append_fault_json(std::string& out, const fault& f) {
  out.append("{\"segment\":\"");
  out.append(to_string(f.where));
  out.append("\",\"metric\":\"");
  out.append(to_string(f.metric));
  out.append("\",\"hop\":");
  if (f.hop) {
    append_uint(out, *f.hop);
  } else {
    out.append("null");
  }
  out.append(",\"address\":");
  if (f.address) {
    append_json_string(out, f.address->text());
  } else {
    out.append("null");
  }
  out.append(",\"since\":");
  if (f.since) {
    out.push_back('"');
    append_rfc3339(out, *f.since);
    out.push_back('"');
  } else {
    out.append("null");
  }
  out.append(",\"reason\":");
  append_json_string(out, f.reason);
  out.push_back('}');
}

}  // namespace netstab::core

#include "core/path.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace netstab::core {
namespace {

constexpr std::array<std::string_view, 7> segment_names = {"ok", "host", "lan", "isp", "upstream", "remote", "unknown"};
constexpr std::array<std::string_view, 7> segment_labels = {"ok",       "host",   "LAN",    "ISP",
                                                            "upstream", "target", "unknown"};

enum class address_class : std::uint8_t { silent, local, cgnat, global };

address_class class_of(const std::optional<ip_address>& a) {
  if (!a) return address_class::silent;
  if (a->is_cgnat()) return address_class::cgnat;
  if (a->is_private() || a->is_link_local() || a->is_loopback()) return address_class::local;
  return address_class::global;
}

bool is_gateway(const std::optional<ip_address>& a, const std::optional<ip_address>& gateway) {
  return a && gateway && *a == *gateway;
}

// Number of LAN hops: always a prefix of the path.
std::size_t lan_length(std::span<const std::optional<ip_address>> hops, const std::optional<ip_address>& gateway,
                       const path_config& cfg) {
  const std::size_t n = hops.size();
  if (cfg.lan_hops) return std::min<std::size_t>(*cfg.lan_hops, n);
  if (n == 0) return 0;
  std::size_t end = 1;  // hop 1 is the first router, whatever its address
  for (std::size_t i = 1; i < n; ++i) {
    const address_class c = class_of(hops[i]);
    if (c == address_class::silent) continue;
    if (c != address_class::local && !is_gateway(hops[i], gateway)) break;
    end = i + 1;
  }
  for (std::size_t i = end; i < n; ++i) {
    if (is_gateway(hops[i], gateway)) end = i + 1;
  }
  return end;
}

// End (exclusive) of the ISP's hops, which start at `start`.
std::size_t isp_end(std::span<const std::optional<ip_address>> hops, std::size_t start, const path_config& cfg) {
  const std::size_t n = hops.size();
  if (cfg.isp_hops) return std::min<std::size_t>(start + *cfg.isp_hops, n);
  std::size_t end = start;
  std::size_t i = start;
  for (; i < n; ++i) {  // the CGNAT and private hops right after the LAN
    const address_class c = class_of(hops[i]);
    if (c == address_class::global) break;
    if (c != address_class::silent) end = i + 1;
  }
  for (unsigned counted = 0; i < n && counted < cfg.isp_public_hops; ++i) {
    if (class_of(hops[i]) == address_class::global) {
      ++counted;
      end = i + 1;
    }
  }
  for (std::size_t j = end; j < n; ++j) {  // shared address space exists only inside an ISP
    if (class_of(hops[j]) == address_class::cgnat) end = j + 1;
  }
  return end;
}

segment target_segment(std::size_t hop_count, std::size_t lan, const ip_address& target,
                       const std::optional<ip_address>& gateway, const path_config& cfg) {
  const std::size_t ttl = hop_count + 1;
  const bool in_lan = cfg.lan_hops ? ttl <= *cfg.lan_hops : (hop_count == 0 || is_gateway(target, gateway));
  if (in_lan) return segment::lan;
  const std::size_t lan_count = cfg.lan_hops ? *cfg.lan_hops : lan;
  if (target.is_cgnat() || (cfg.isp_hops && ttl <= lan_count + *cfg.isp_hops)) return segment::isp;
  return segment::remote;
}

}  // namespace

std::string_view to_string(segment s) { return segment_names.at(static_cast<std::size_t>(s)); }

std::string_view segment_label(segment s) { return segment_labels.at(static_cast<std::size_t>(s)); }

std::optional<segment> parse_segment(std::string_view text) {
  for (std::size_t i = 0; i < segment_names.size(); ++i) {
    if (segment_names[i] == text) return static_cast<segment>(i);
  }
  return std::nullopt;
}

path_segments classify_path(std::span<const std::optional<ip_address>> hops, const ip_address& target,
                            const std::optional<ip_address>& gateway, const path_config& cfg) {
  path_segments out;
  const std::size_t lan = lan_length(hops, gateway, cfg);
  const std::size_t isp = isp_end(hops, lan, cfg);
  out.hops.reserve(hops.size());
  for (std::size_t i = 0; i < hops.size(); ++i) {
    out.hops.push_back(i < lan ? segment::lan : i < isp ? segment::isp : segment::upstream);
  }
  out.target = target_segment(hops.size(), lan, target, gateway, cfg);
  return out;
}

}  // namespace netstab::core

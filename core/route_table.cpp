#include "core/route_table.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <vector>

namespace netstab::core {

namespace {

constexpr unsigned rtf_up = 0x1;
constexpr unsigned rtf_gateway = 0x2;

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<std::uint32_t> hex32(std::string_view text) {
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::uint32_t> dec32(std::string_view text) {
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::array<std::uint8_t, 16>> hex128(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(text.data() + 2 * i, text.data() + 2 * i + 2, v, 16);
    if (ec != std::errc{} || end != text.data() + 2 * i + 2) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(v);
  }
  return out;
}

// Calls f(line) for every line of text.
template <class F>
void each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

std::optional<ip_address> default_gateway_v4(std::string_view proc_net_route) {
  std::optional<ip_address> best;
  std::uint32_t best_metric = 0;
  // Iface Destination Gateway Flags RefCnt Use Metric Mask ...
  each_line(proc_net_route, [&](std::string_view line) {
    const auto f = fields_of(line);
    if (f.size() < 8) return;
    // Addresses and flags are hexadecimal, the metric decimal.
    const auto dst = hex32(f[1]), gw = hex32(f[2]), flags = hex32(f[3]), mask = hex32(f[7]);
    const auto metric = dec32(f[6]);
    if (!dst || !gw || !flags || !metric || !mask) return;  // the header line too
    if (*dst != 0 || *mask != 0 || (*flags & (rtf_up | rtf_gateway)) != (rtf_up | rtf_gateway)) return;
    if (best && *metric >= best_metric) return;
    std::array<std::uint8_t, 4> bytes{};
    const std::uint32_t value = *gw;
    std::memcpy(bytes.data(), &value, bytes.size());
    best = ip_address::v4(bytes);
    best_metric = *metric;
  });
  return best;
}

std::optional<ip_address> default_gateway_v6(std::string_view proc_net_ipv6_route) {
  std::optional<ip_address> best;
  std::uint32_t best_metric = 0;
  // dst dst_len src src_len next_hop metric refcnt use flags iface (all hexadecimal)
  each_line(proc_net_ipv6_route, [&](std::string_view line) {
    const auto f = fields_of(line);
    if (f.size() < 10) return;
    const auto dst = hex128(f[0]), next_hop = hex128(f[4]);
    const auto dst_len = hex32(f[1]), metric = hex32(f[5]), flags = hex32(f[8]);
    if (!dst || !next_hop || !dst_len || !metric || !flags) return;
    if (*dst_len != 0 || *dst != std::array<std::uint8_t, 16>{}) return;
    if ((*flags & (rtf_up | rtf_gateway)) != (rtf_up | rtf_gateway) || *next_hop == std::array<std::uint8_t, 16>{}) {
      return;
    }
    if (best && *metric >= best_metric) return;
    best = ip_address::v6(*next_hop);
    best_metric = *metric;
  });
  return best;
}

}  // namespace netstab::core

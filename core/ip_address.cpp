#include "core/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace netstab::core {

ip_address ip_address::v4(std::array<std::uint8_t, 4> bytes) {
  ip_address a;
  a.family_ = ip_family::v4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

ip_address ip_address::v6(const std::array<std::uint8_t, 16>& bytes) {
  ip_address a;
  a.family_ = ip_family::v6;
  a.bytes_ = bytes;
  return a;
}

namespace {

// Linux interface names: 1..15 characters, none of them '/', ':', '%' or white space.
bool is_zone(std::string_view z) {
  return !z.empty() && z.size() < 16 && std::none_of(z.begin(), z.end(), [](char c) {
    return c == '/' || c == ':' || c == '%' || c <= ' ' || c == 127;
  });
}

}  // namespace

std::optional<ip_address> ip_address::parse(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  std::string_view zone;
  if (const auto percent = text.find('%'); percent != std::string_view::npos) {
    zone = text.substr(percent + 1);
    text = text.substr(0, percent);
    if (!is_zone(zone)) return std::nullopt;
  }
  // inet_pton needs a terminated string; the longest IPv6 text is 45 characters.
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> raw{};
  if (zone.empty() && ::inet_pton(AF_INET, buf, raw.data()) == 1) return v4({raw[0], raw[1], raw[2], raw[3]});
  if (::inet_pton(AF_INET6, buf, raw.data()) != 1) return std::nullopt;
  ip_address a = v6(raw);
  std::copy(zone.begin(), zone.end(), a.zone_.begin());
  return a;
}

std::string ip_address::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  std::string out = buf;
  if (zone_[0] != '\0') out.append("%").append(zone());
  return out;
}

bool ip_address::is_unspecified() const {
  const auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

namespace {

// The networks each class covers; parsed once.
struct classes {
  ip_network loopback4, loopback6, link_local4, link_local6, private10, private172, private192, ula, cgnat;
};

const classes& special() {
  static const classes c{
      *ip_network::parse("127.0.0.0/8"),    *ip_network::parse("::1/128"),    *ip_network::parse("169.254.0.0/16"),
      *ip_network::parse("fe80::/10"),      *ip_network::parse("10.0.0.0/8"), *ip_network::parse("172.16.0.0/12"),
      *ip_network::parse("192.168.0.0/16"), *ip_network::parse("fc00::/7"),   *ip_network::parse("100.64.0.0/10"),
  };
  return c;
}

}  // namespace

bool ip_address::is_loopback() const {
  const ip_address a = unmapped();
  return special().loopback4.contains(a) || special().loopback6.contains(a);
}

bool ip_address::is_link_local() const {
  const ip_address a = unmapped();
  return special().link_local4.contains(a) || special().link_local6.contains(a);
}

bool ip_address::is_private() const {
  const ip_address a = unmapped();
  const auto& c = special();
  return c.private10.contains(a) || c.private172.contains(a) || c.private192.contains(a) || c.ula.contains(a);
}

bool ip_address::is_cgnat() const { return special().cgnat.contains(unmapped()); }

ip_address ip_address::unmapped() const {
  if (is_v4()) return *this;
  static constexpr std::array<std::uint8_t, 12> mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!std::equal(mapped_prefix.begin(), mapped_prefix.end(), bytes_.begin())) return *this;
  return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

ip_network::ip_network(ip_address base, unsigned prefix) {
  base = base.is_v4() ? ip_address::v4({base.bytes()[0], base.bytes()[1], base.bytes()[2], base.bytes()[3]})
                      : ip_address::v6([&] {
                          std::array<std::uint8_t, 16> raw{};
                          std::copy(base.bytes().begin(), base.bytes().end(), raw.begin());
                          return raw;
                        }());
  const unsigned width = base.is_v4() ? 32 : 128;
  prefix_ = std::min(prefix, width);
  std::array<std::uint8_t, 16> raw{};
  const auto b = base.bytes();
  std::copy(b.begin(), b.end(), raw.begin());
  for (unsigned bit = prefix_; bit < width; ++bit) raw[bit / 8] &= static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  base_ = base.is_v4() ? ip_address::v4({raw[0], raw[1], raw[2], raw[3]}) : ip_address::v6(raw);
}

std::optional<ip_network> ip_network::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto addr = ip_address::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const unsigned width = addr->is_v4() ? 32 : 128;
  if (slash == std::string_view::npos) return ip_network(*addr, width);
  const std::string_view digits = text.substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix > width) {
    return std::nullopt;
  }
  return ip_network(*addr, prefix);
}

bool ip_network::contains(const ip_address& a) const {
  if (a.family() != base_.family()) return false;
  const auto x = a.bytes();
  const auto n = base_.bytes();
  const unsigned whole = prefix_ / 8;
  if (!std::equal(n.begin(), n.begin() + whole, x.begin())) return false;
  if (prefix_ % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xffU << (8 - prefix_ % 8));
  return (x[whole] & mask) == n[whole];
}

std::string ip_network::text() const { return base_.text() + "/" + std::to_string(prefix_); }

}  // namespace netstab::core

std::size_t std::hash<netstab::core::ip_address>::operator()(const netstab::core::ip_address& a) const noexcept {
  // FNV-1a over the family and the bytes.
  std::size_t h = 1469598103934665603ULL ^ static_cast<std::size_t>(a.family());
  for (const std::uint8_t b : a.bytes()) h = (h ^ b) * 1099511628211ULL;
  for (const char c : a.zone()) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

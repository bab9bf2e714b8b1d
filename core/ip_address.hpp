#pragma once
// IP addresses and networks as values: the one place netstab parses, prints, compares and classifies them.
//
// An ip_address is an IPv4 or IPv6 address held as bytes in network order, and for IPv6 an optional zone (the
// interface of a link-local address, "fe80::1%eth0": 1..15 letters, digits, '.', '_' or '-'). Config parses every
// address literal of the configuration into one (targets, probe.source, control.allow/deny networks), commands
// parse theirs in core::parse_command, and everything after that compares values, never text. An IPv4-mapped
// IPv6 address (::ffff:192.0.2.1) stays IPv6; unmapped() gives its IPv4 address.
//
// Classification follows the IANA special-purpose registries: loopback (127.0.0.0/8, ::1), link-local
// (169.254.0.0/16, fe80::/10), private (10/8, 172.16/12, 192.168/16, fc00::/7 unique local) and the shared
// address space of carrier-grade NAT (100.64.0.0/10, RFC 6598). The path verdict uses them to tell the LAN
// from the ISP; the access policy uses loopback and link-local.
//
// Pure values; any thread.
#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace netstab::core {

enum class ip_family : std::uint8_t { v4, v6 };

class ip_address {
 public:
  ip_address() = default;  // 0.0.0.0
  static ip_address v4(std::array<std::uint8_t, 4> bytes);
  static ip_address v6(const std::array<std::uint8_t, 16>& bytes);

  // "192.0.2.1", "2001:db8::1", "[2001:db8::1]" or "fe80::1%eth0"; nullopt for anything else (host names,
  // prefixes, surrounding spaces, a zone on an IPv4 address or one that is not an interface name).
  static std::optional<ip_address> parse(std::string_view text);

  ip_family family() const { return family_; }
  bool is_v4() const { return family_ == ip_family::v4; }
  // 4 bytes for IPv4, 16 for IPv6, network order.
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), is_v4() ? 4U : 16U}; }
  // The canonical text (RFC 5952 for IPv6: lower case, longest zero run compressed), with "%zone" when set.
  std::string text() const;
  // The IPv6 zone (an interface name), empty when none.
  std::string_view zone() const { return {zone_.data()}; }

  bool is_unspecified() const;
  bool is_loopback() const;
  bool is_link_local() const;
  bool is_private() const;  // RFC 1918 and IPv6 unique local addresses
  bool is_cgnat() const;    // 100.64.0.0/10
  // The IPv4 address inside an IPv4-mapped IPv6 address; the address itself otherwise.
  ip_address unmapped() const;

  friend bool operator==(const ip_address&, const ip_address&) = default;
  friend std::strong_ordering operator<=>(const ip_address&, const ip_address&) = default;

 private:
  ip_family family_ = ip_family::v4;
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first 4; the rest stay 0
  std::array<char, 16> zone_{};           // NUL-terminated; a fixed array keeps the value trivially copyable
};

// A network: an address and a prefix length; the address bits past the prefix are cleared when parsed.
class ip_network {
 public:
  ip_network() = default;
  ip_network(ip_address base, unsigned prefix);  // clears the host bits; prefix is capped at the family's width

  // "10.0.0.0/8", "fe80::/10"; a bare address is a host network (/32 or /128). nullopt for anything else.
  static std::optional<ip_network> parse(std::string_view text);

  const ip_address& base() const { return base_; }
  unsigned prefix() const { return prefix_; }
  // False for an address of the other family. The zone is not compared.
  bool contains(const ip_address& a) const;
  std::string text() const;  // "10.0.0.0/8"

  friend bool operator==(const ip_network&, const ip_network&) = default;

 private:
  ip_address base_;
  unsigned prefix_ = 0;
};

}  // namespace netstab::core

template <>
struct std::hash<netstab::core::ip_address> {
  std::size_t operator()(const netstab::core::ip_address& a) const noexcept;
};

#pragma once
// IP-level packet work for the netlab responder: recognising an ICMP echo request read from a TUN device and
// building the IPv4/IPv6 packets it answers with (echo reply, destination unreachable quoting the request).
// Pure functions over byte spans; the ICMP details come from core/icmp. Any thread may call them.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/icmp.hpp"

namespace netstab::netlab {

using address = std::array<std::byte, 16>;  // v4 uses the first 4 bytes

// Parses "198.18.0.2" or "2001:2::2". Returns nullopt when it is neither.
std::optional<std::pair<core::icmp::family, address>> parse_address(const std::string& text);

// An ICMP echo request found in an IP packet read from the TUN device.
struct request {
  core::icmp::family f = core::icmp::family::v4;
  address src{};
  address dst{};
  std::uint16_t id = 0;
  std::uint16_t seq16 = 0;
  std::size_t payload_size = 0;
};

// Returns the echo request carried by packet (a whole IPv4 or IPv6 packet, told apart by the version nibble),
// or nullopt for anything else: other protocols, other ICMP types, malformed or bad-checksum packets.
std::optional<request> parse_request(std::span<const std::byte> packet);

// Builds the echo reply to the request packet `packet` (which parse_request accepted) into out: addresses
// swapped, TTL / hop limit 64, type changed, checksums recomputed; identifier, sequence and payload unchanged.
void build_echo_reply(std::span<const std::byte> packet, std::vector<std::byte>& out);

// Builds an ICMP destination unreachable from `from` to the request's source, quoting the request packet
// (v4: host unreachable, code 1, quote capped so the error fits 576 bytes; v6: address unreachable, code 3,
// capped to 1280 bytes), into out.
void build_unreachable(std::span<const std::byte> packet, const address& from, std::vector<std::byte>& out);

// The hostile packets of the responder's flood (--flood K), each derived from one echo request so that it looks
// as close as possible to the real reply while being something the prober must ignore:
//   foreign_id      an echo reply with another identifier (another pinger's reply)
//   wrong_cookie    the request's identifier and sequence, but the payload's cookie changed (another netstab)
//   wrong_token     identifier, sequence and cookie right, the probe-slot token changed
//   truncated       the reply cut after 12 bytes of payload (magic and part of the cookie), lengths consistent
//   bad_checksum    the exact reply with its ICMP checksum corrupted
//   foreign_source  the exact reply, but from another address (the emulated host's address + 1)
//   foreign_error   a destination unreachable from the emulated host quoting a request with another identifier
enum class flood_kind : std::uint8_t {
  foreign_id,
  wrong_cookie,
  wrong_token,
  truncated,
  bad_checksum,
  foreign_source,
  foreign_error,
};
inline constexpr std::size_t flood_kind_count = 7;

// Builds the flood packet of kind k for the request packet `packet` (which parse_request accepted) into out.
// Every packet except bad_checksum carries valid IP and ICMP checksums, so only the prober's own matching can
// reject it.
void build_flood_packet(std::span<const std::byte> packet, flood_kind k, std::vector<std::byte>& out);

}  // namespace netstab::netlab

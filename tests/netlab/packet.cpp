#include "tests/netlab/packet.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace netstab::netlab {

namespace icmp = core::icmp;

namespace {

constexpr std::size_t ipv4_header = 20;
constexpr std::size_t ipv6_header = 40;
constexpr std::size_t ipv4_error_limit = 576;
constexpr std::size_t ipv6_error_limit = 1280;
constexpr std::uint8_t reply_ttl = 64;

std::span<const std::byte, 16> as16(const address& a) { return std::span<const std::byte, 16>(a.data(), 16); }

void set_ipv4_checksum(std::span<std::byte> header) {
  icmp::store_be16(header.data() + 10, 0);
  icmp::store_be16(header.data() + 10, icmp::internet_checksum(header));
}

// Writes a 20-byte IPv4 header without options.
void write_ipv4_header(std::byte* p, std::size_t total, const address& src, const address& dst) {
  p[0] = std::byte{0x45};
  p[1] = std::byte{0};
  icmp::store_be16(p + 2, static_cast<std::uint16_t>(total));
  icmp::store_be16(p + 4, 0);
  icmp::store_be16(p + 6, 0x4000);  // don't fragment
  p[8] = std::byte{reply_ttl};
  p[9] = std::byte{1};
  std::copy_n(src.begin(), 4, p + 12);
  std::copy_n(dst.begin(), 4, p + 16);
  set_ipv4_checksum(std::span<std::byte>(p, ipv4_header));
}

void write_ipv6_header(std::byte* p, std::size_t payload_length, const address& src, const address& dst) {
  icmp::store_be32(p, 0x60000000U);
  icmp::store_be16(p + 4, static_cast<std::uint16_t>(payload_length));
  p[6] = std::byte{58};
  p[7] = std::byte{reply_ttl};
  std::copy(src.begin(), src.end(), p + 8);
  std::copy(dst.begin(), dst.end(), p + 24);
}

void set_icmpv6_checksum(std::span<std::byte> message, const address& src, const address& dst) {
  icmp::store_be16(message.data() + 2, 0);
  const std::uint32_t pseudo =
      icmp::icmpv6_pseudo_header_sum(as16(src), as16(dst), static_cast<std::uint32_t>(message.size()));
  icmp::store_be16(message.data() + 2, icmp::internet_checksum(message, pseudo));
}

}  // namespace

std::optional<std::pair<icmp::family, address>> parse_address(const std::string& text) {
  address a{};
  if (::inet_pton(AF_INET, text.c_str(), a.data()) == 1) {
    return std::pair{icmp::family::v4, a};
  }
  if (::inet_pton(AF_INET6, text.c_str(), a.data()) == 1) {
    return std::pair{icmp::family::v6, a};
  }
  return std::nullopt;
}

std::optional<request> parse_request(std::span<const std::byte> packet) {
  if (packet.empty()) {
    return std::nullopt;
  }
  const unsigned version = std::to_integer<unsigned>(packet[0]) >> 4U;
  request r;
  if (version == 4) {
    r.f = icmp::family::v4;
  } else if (version == 6) {
    r.f = icmp::family::v6;
  } else {
    return std::nullopt;
  }
  const icmp::decode_result d = icmp::decode(r.f, packet, true);
  if (!d || d->what != icmp::kind::echo_request) {
    return std::nullopt;
  }
  // decode accepted the IP header, so the fixed address fields are in bounds.
  if (r.f == icmp::family::v4) {
    // Only option-less headers are answered: that keeps the reply builder a plain copy.
    if (std::to_integer<unsigned>(packet[0]) != 0x45U) {
      return std::nullopt;
    }
    std::copy_n(packet.begin() + 12, 4, r.src.begin());
    std::copy_n(packet.begin() + 16, 4, r.dst.begin());
  } else {
    // Likewise only ICMPv6 directly after the fixed header.
    if (std::to_integer<unsigned>(packet[6]) != 58U) {
      return std::nullopt;
    }
    std::copy_n(packet.begin() + 8, 16, r.src.begin());
    std::copy_n(packet.begin() + 24, 16, r.dst.begin());
  }
  r.id = d->id;
  r.seq16 = d->seq16;
  r.payload_size = d->payload_size;
  return r;
}

void build_echo_reply(std::span<const std::byte> packet, std::vector<std::byte>& out) {
  out.assign(packet.begin(), packet.end());
  const bool v4 = (std::to_integer<unsigned>(out[0]) >> 4U) == 4;
  if (v4) {
    const std::size_t total = icmp::load_be16(out.data() + 2);
    out.resize(total);
    std::array<std::byte, 4> tmp{};
    std::copy_n(out.begin() + 12, 4, tmp.begin());
    std::copy_n(out.begin() + 16, 4, out.begin() + 12);
    std::copy_n(tmp.begin(), 4, out.begin() + 16);
    out[8] = std::byte{reply_ttl};
    set_ipv4_checksum(std::span(out).first(ipv4_header));
    const auto message = std::span(out).subspan(ipv4_header);
    message[0] = std::byte{icmp::v4_echo_reply};
    icmp::store_be16(message.data() + 2, 0);
    icmp::store_be16(message.data() + 2, icmp::internet_checksum(message));
  } else {
    const std::size_t total = ipv6_header + icmp::load_be16(out.data() + 4);
    out.resize(total);
    address src{};
    address dst{};
    std::copy_n(out.begin() + 24, 16, src.begin());  // the reply's source is the request's destination
    std::copy_n(out.begin() + 8, 16, dst.begin());
    std::copy(src.begin(), src.end(), out.begin() + 8);
    std::copy(dst.begin(), dst.end(), out.begin() + 24);
    out[7] = std::byte{reply_ttl};
    const auto message = std::span(out).subspan(ipv6_header);
    message[0] = std::byte{icmp::v6_echo_reply};
    set_icmpv6_checksum(message, src, dst);
  }
}

void build_unreachable(std::span<const std::byte> packet, const address& from, std::vector<std::byte>& out) {
  const bool v4 = (std::to_integer<unsigned>(packet[0]) >> 4U) == 4;
  address to{};
  if (v4) {
    std::copy_n(packet.begin() + 12, 4, to.begin());
    const std::size_t quote = std::min(packet.size(), ipv4_error_limit - ipv4_header - icmp::header_size);
    const std::size_t total = ipv4_header + icmp::header_size + quote;
    out.assign(total, std::byte{0});
    write_ipv4_header(out.data(), total, from, to);
    const auto message = std::span(out).subspan(ipv4_header);
    message[0] = std::byte{icmp::v4_dest_unreachable};
    message[1] = std::byte{1};
    std::copy_n(packet.begin(), quote, message.begin() + icmp::header_size);
    icmp::store_be16(message.data() + 2, icmp::internet_checksum(message));
  } else {
    std::copy_n(packet.begin() + 8, 16, to.begin());
    const std::size_t quote = std::min(packet.size(), ipv6_error_limit - ipv6_header - icmp::header_size);
    const std::size_t length = icmp::header_size + quote;
    out.assign(ipv6_header + length, std::byte{0});
    write_ipv6_header(out.data(), length, from, to);
    const auto message = std::span(out).subspan(ipv6_header);
    message[0] = std::byte{icmp::v6_dest_unreachable};
    message[1] = std::byte{3};
    std::copy_n(packet.begin(), quote, message.begin() + icmp::header_size);
    set_icmpv6_checksum(message, from, to);
  }
}

namespace {

// An empty packet is not IPv4. Callers pass accepted requests, never empty ones, but without the check GCC 12
// at -O3 sees a read of an empty vector's first byte and reports -Werror=null-dereference.
bool is_v4(std::span<const std::byte> packet) {
  return !packet.empty() && (std::to_integer<unsigned>(packet[0]) >> 4U) == 4;
}

std::size_t ip_header_size(std::span<const std::byte> packet) { return is_v4(packet) ? ipv4_header : ipv6_header; }

// Recomputes the IPv4 header checksum and the ICMP / ICMPv6 checksum of a whole packet built here (option-less
// IPv4 header or ICMPv6 directly after the fixed IPv6 header), after its fields were changed.
void refresh_checksums(std::vector<std::byte>& p) {
  const auto message = std::span(p).subspan(ip_header_size(p));
  if (is_v4(p)) {
    set_ipv4_checksum(std::span(p).first(ipv4_header));
    icmp::store_be16(message.data() + 2, 0);
    icmp::store_be16(message.data() + 2, icmp::internet_checksum(message));
  } else {
    address src{};
    address dst{};
    std::copy_n(p.begin() + 8, 16, src.begin());
    std::copy_n(p.begin() + 24, 16, dst.begin());
    set_icmpv6_checksum(message, src, dst);
  }
}

// Sets the length fields of a packet built here to its current size.
void refresh_lengths(std::vector<std::byte>& p) {
  if (is_v4(p)) {
    icmp::store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  } else {
    icmp::store_be16(p.data() + 4, static_cast<std::uint16_t>(p.size() - ipv6_header));
  }
}

// Flips every bit of the byte at `offset` into the ICMP message, when the message is that long.
void flip_message_byte(std::vector<std::byte>& p, std::size_t offset) {
  const std::size_t at = ip_header_size(p) + offset;
  if (at < p.size()) {
    p[at] ^= std::byte{0xff};
  }
}

}  // namespace

void build_flood_packet(std::span<const std::byte> packet, flood_kind k, std::vector<std::byte>& out) {
  // Offsets into the ICMP message: id at 4, then netstab's payload: magic (8), cookie (12), token (20).
  constexpr std::size_t id_offset = 4;
  constexpr std::size_t cookie_offset = icmp::header_size + 4;
  constexpr std::size_t token_offset = icmp::header_size + 12;
  constexpr std::size_t truncated_payload = 12;
  switch (k) {
    case flood_kind::foreign_id:
      build_echo_reply(packet, out);
      flip_message_byte(out, id_offset);
      refresh_checksums(out);
      return;
    case flood_kind::wrong_cookie:
      build_echo_reply(packet, out);
      flip_message_byte(out, cookie_offset);
      refresh_checksums(out);
      return;
    case flood_kind::wrong_token:
      build_echo_reply(packet, out);
      flip_message_byte(out, token_offset);
      refresh_checksums(out);
      return;
    case flood_kind::truncated:
      build_echo_reply(packet, out);
      out.resize(std::min(out.size(), ip_header_size(out) + icmp::header_size + truncated_payload));
      refresh_lengths(out);
      refresh_checksums(out);
      return;
    case flood_kind::bad_checksum: {
      build_echo_reply(packet, out);
      const std::size_t at = ip_header_size(out) + 2;
      out[at] ^= std::byte{0x5a};
      return;
    }
    case flood_kind::foreign_source: {
      build_echo_reply(packet, out);
      // The reply's source field: bytes 12..15 (v4) or 8..23 (v6); its last byte is incremented.
      const std::size_t last = is_v4(out) ? 15 : 23;
      out[last] = static_cast<std::byte>(std::to_integer<unsigned>(out[last]) + 1U);
      refresh_checksums(out);
      return;
    }
    case flood_kind::foreign_error: {
      std::vector<std::byte> quoted(packet.begin(), packet.end());
      flip_message_byte(quoted, id_offset);
      refresh_checksums(quoted);
      address from{};
      if (is_v4(quoted)) {
        std::copy_n(quoted.begin() + 16, 4, from.begin());
      } else {
        std::copy_n(quoted.begin() + 24, 16, from.begin());
      }
      build_unreachable(quoted, from, out);
      return;
    }
  }
}

}  // namespace netstab::netlab

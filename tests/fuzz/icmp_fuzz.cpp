// Fuzz target for the ICMP / ICMPv6 decoder: whatever a socket or TUN device hands back.
//
// Input: one selector byte, then the packet. The selector's low two bits pick the form, so that one corpus
// covers all four: bit 0 = family (0: v4, 1: v6), bit 1 = has_ip_header (v4 raw socket / v6 TUN packet).
// The remaining bits of the selector seed an encode/decode round trip (see below).
//
// Invariants, beyond "no crash, no undefined behaviour, never reads outside the packet" (ASan):
//   - no reported size exceeds the input: payload_size + ICMP header <= packet size;
//   - the netstab block is only reported when the payload (or quote) holds all of it;
//   - kind agrees with type; ttl is -1 exactly when no IP header was parsed, else 0..255;
//   - a v4 message that decoded has a correct checksum (the decoder verifies it; the datagram form checks it
//     here again independently);
//   - decoding is deterministic (same bytes, same result);
//   - an echo encoded from fuzzer-chosen fields decodes to exactly those fields.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/icmp.hpp"
#include "tests/fuzz/check.hpp"

namespace netstab::fuzz {
namespace {

namespace icmp = core::icmp;

bool same(const icmp::decoded& a, const icmp::decoded& b) {
  return a.what == b.what && a.type == b.type && a.code == b.code && a.id == b.id && a.seq16 == b.seq16 &&
         a.has_netstab_payload == b.has_netstab_payload && a.cookie == b.cookie && a.token == b.token &&
         a.seq32 == b.seq32 && a.payload_size == b.payload_size && a.ttl == b.ttl &&
         a.has_quoted_echo == b.has_quoted_echo && a.quoted_dst == b.quoted_dst;
}

icmp::kind expected_kind(icmp::family f, std::uint8_t type) {
  const bool v4 = f == icmp::family::v4;
  if (type == (v4 ? icmp::v4_echo_reply : icmp::v6_echo_reply)) return icmp::kind::echo_reply;
  if (type == (v4 ? icmp::v4_echo_request : icmp::v6_echo_request)) return icmp::kind::echo_request;
  if (type == (v4 ? icmp::v4_dest_unreachable : icmp::v6_dest_unreachable)) return icmp::kind::dest_unreachable;
  if (type == (v4 ? icmp::v4_time_exceeded : icmp::v6_time_exceeded)) return icmp::kind::time_exceeded;
  return icmp::kind::other;
}

void check_decode(icmp::family f, std::span<const std::byte> packet, bool has_ip_header) {
  const icmp::decode_result r = icmp::decode(f, packet, has_ip_header);
  const icmp::decode_result again = icmp::decode(f, packet, has_ip_header);
  FUZZ_REQUIRE(r.has_value() == again.has_value());
  if (!r) {
    FUZZ_REQUIRE(again.error() == r.error());
    FUZZ_REQUIRE(has_ip_header || r.error() == icmp::decode_error::truncated ||
                 r.error() == icmp::decode_error::bad_checksum);
    FUZZ_REQUIRE(has_ip_header || packet.size() >= icmp::header_size || r.error() == icmp::decode_error::truncated);
    return;
  }
  const icmp::decoded& d = *r;
  FUZZ_REQUIRE(same(d, *again));
  FUZZ_REQUIRE(packet.size() >= icmp::header_size);
  FUZZ_REQUIRE(d.payload_size <= packet.size() - icmp::header_size);
  FUZZ_REQUIRE(d.what == expected_kind(f, d.type));
  if (has_ip_header) {
    FUZZ_REQUIRE(d.ttl >= 0 && d.ttl <= 255);
  } else {
    FUZZ_REQUIRE(d.ttl == -1);
    FUZZ_REQUIRE(std::to_integer<std::uint8_t>(packet[0]) == d.type);
    FUZZ_REQUIRE(std::to_integer<std::uint8_t>(packet[1]) == d.code);
    if (f == icmp::family::v4) FUZZ_REQUIRE(icmp::internet_checksum(packet) == 0);
  }
  const bool is_echo = d.what == icmp::kind::echo_reply || d.what == icmp::kind::echo_request;
  const bool is_error = d.what == icmp::kind::dest_unreachable || d.what == icmp::kind::time_exceeded;
  if (d.has_netstab_payload) {
    FUZZ_REQUIRE(d.payload_size >= icmp::payload_header_size);
    FUZZ_REQUIRE(is_echo || d.has_quoted_echo);
  } else {
    FUZZ_REQUIRE(d.cookie == 0 && d.token == 0 && d.seq32 == 0);
  }
  if (d.has_quoted_echo) FUZZ_REQUIRE(is_error);
  if (!is_echo && !d.has_quoted_echo) FUZZ_REQUIRE(d.id == 0 && d.seq16 == 0 && d.payload_size == 0);
  if (is_echo && !has_ip_header) FUZZ_REQUIRE(d.payload_size == packet.size() - icmp::header_size);
}

// Encodes an echo with fields taken from the input and checks that decode gives them back.
void check_round_trip(std::uint8_t selector, std::span<const std::byte> bytes) {
  std::array<std::byte, 20> fields{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), fields.size()), fields.begin());
  const icmp::echo e{icmp::load_be16(fields.data()), icmp::load_be16(fields.data() + 2),
                     icmp::load_be64(fields.data() + 4), icmp::load_be32(fields.data() + 12),
                     icmp::load_be32(fields.data() + 16)};
  const icmp::family f = (selector & 1U) != 0 ? icmp::family::v6 : icmp::family::v4;
  const std::size_t payload_size = icmp::payload_header_size + (selector >> 2U);
  std::array<std::byte, icmp::header_size + icmp::payload_header_size + 64> out{};
  const bool reply = (selector & 2U) != 0;
  const std::uint8_t type = f == icmp::family::v4 ? (reply ? icmp::v4_echo_reply : icmp::v4_echo_request)
                                                  : (reply ? icmp::v6_echo_reply : icmp::v6_echo_request);
  const std::size_t n = icmp::encode_echo(f, type, e, payload_size, out);
  FUZZ_REQUIRE(n == icmp::header_size + payload_size);
  const icmp::decode_result r = icmp::decode(f, std::span<const std::byte>(out.data(), n), false);
  FUZZ_REQUIRE(r.has_value());
  FUZZ_REQUIRE(r->what == (reply ? icmp::kind::echo_reply : icmp::kind::echo_request));
  FUZZ_REQUIRE(r->id == e.id && r->seq16 == e.seq16);
  FUZZ_REQUIRE(r->has_netstab_payload && r->cookie == e.cookie && r->token == e.token && r->seq32 == e.seq32);
  FUZZ_REQUIRE(r->payload_size == payload_size);
}

}  // namespace
}  // namespace netstab::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  // libFuzzer passes an exactly sized heap copy, so ASan sees any read past the packet's end.
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data + 1), size - 1);  // NOLINT
  const auto f = (selector & 1U) != 0 ? netstab::core::icmp::family::v6 : netstab::core::icmp::family::v4;
  netstab::fuzz::check_decode(f, bytes, (selector & 2U) != 0);
  netstab::fuzz::check_round_trip(selector, bytes);
  return 0;
}

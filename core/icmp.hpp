#pragma once
// ICMP / ICMPv6 codec over byte spans: netstab's echo request encoder, the decoder for whatever a socket hands
// back (echo replies, our own requests looped back, destination unreachable and time exceeded quoting our
// request), and the internet checksum. Pure functions without state or allocation: any thread may call them.
//
// Wire layout of every netstab echo payload (all integers big-endian):
//   magic "nsTB" (4) | cookie u64 (8) | token u32 (4) | seq32 u32 (4) | [flow word u16 (2)] | pattern bytes
// The cookie identifies the netstab process (so that several instances sharing a raw socket's traffic ignore
// each other's replies), the token identifies the probe slot, and seq32 is the full per-target sequence whose
// low 16 bits travel in the ICMP header.
//
// The flow word (when echo::flow is set and the payload has room for it: payload_size >= 22) keeps one flow
// per target, as Paris traceroute does: load balancers that spread flows over equal-cost paths hash the first
// bytes of the ICMP header (type, code, checksum), so probes whose checksum differs may take different paths
// and a traced path would mix them. The word is chosen so that the one's-complement sum of the sequence field
// and the whole payload equals echo::flow; the type, code and identifier are constant per socket (a datagram
// socket's identifier is its port, written by the kernel), so the checksum is the same for every probe of the
// target, whoever computes it. For ICMPv6 the pseudo header (addresses, length, next header) is constant per
// destination and size too. Pattern bytes keep their value i & 0xff after the flow word.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace netstab::core::icmp {

enum class family : std::uint8_t { v4, v6 };

inline constexpr std::size_t header_size = 8;  // type, code, checksum, id, sequence
inline constexpr std::size_t payload_header_size = 20;
inline constexpr std::array<std::byte, 4> magic{std::byte{'n'}, std::byte{'s'}, std::byte{'T'}, std::byte{'B'}};

// ICMP type numbers netstab cares about.
inline constexpr std::uint8_t v4_echo_reply = 0;
inline constexpr std::uint8_t v4_dest_unreachable = 3;
inline constexpr std::uint8_t v4_echo_request = 8;
inline constexpr std::uint8_t v4_time_exceeded = 11;
inline constexpr std::uint8_t v6_dest_unreachable = 1;
inline constexpr std::uint8_t v6_time_exceeded = 3;
inline constexpr std::uint8_t v6_echo_request = 128;
inline constexpr std::uint8_t v6_echo_reply = 129;

struct echo {
  std::uint16_t id = 0;
  std::uint16_t seq16 = 0;
  std::uint64_t cookie = 0;
  std::uint32_t token = 0;
  std::uint32_t seq32 = 0;
  // The one's-complement sum of seq16 and the payload, held constant by the flow word (see above); 0: no flow
  // word, the pattern starts right after the block. Use flow_sum() for a valid value.
  std::uint16_t flow = 0;
};

// Where the flow word sits in the payload, and the smallest payload with room for it.
inline constexpr std::size_t flow_word_offset = payload_header_size;
inline constexpr std::size_t flow_payload_size = payload_header_size + 2;

// A flow sum for a key (a target's token without its path bit): never 0 (no flow word) nor 0xffff (the
// one's-complement negative zero, which a sum of non-zero words never folds to).
std::uint16_t flow_sum(std::uint32_t key);

// Writes an ICMP echo request (type 8 for v4, 128 for v6; no IP header) with payload_size bytes of payload
// (>= payload_header_size) into out: the netstab payload block, then the pattern byte i = i & 0xff (i counted
// from the start of the payload). Returns the bytes written (header_size + payload_size), or 0 when out is
// too small or payload_size < payload_header_size.
// v4: the checksum is computed. v6: the checksum is left 0, because the kernel computes it for ICMPv6 sockets
// (it needs the pseudo header, whose source address only the kernel knows).
std::size_t encode_echo_request(family f, const echo& e, std::size_t payload_size, std::span<std::byte> out);

// Same, with an explicit type (echo request or echo reply) and, for v6, an optional checksum over the pseudo
// header (pass the value of icmpv6_pseudo_header_sum; 0 means "leave the checksum 0"). Used by the netlab.
std::size_t encode_echo(family f, std::uint8_t type, const echo& e, std::size_t payload_size, std::span<std::byte> out,
                        std::uint32_t v6_pseudo_sum = 0);

enum class kind : std::uint8_t { echo_reply, echo_request, dest_unreachable, time_exceeded, other };

struct decoded {
  kind what = kind::other;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t id = 0;
  std::uint16_t seq16 = 0;
  bool has_netstab_payload = false;  // magic found; cookie/token/seq32 valid
  std::uint64_t cookie = 0;
  std::uint32_t token = 0;
  std::uint32_t seq32 = 0;
  // Echo payload bytes. For errors: the echo payload bytes present in the quote (often 0 or truncated).
  std::size_t payload_size = 0;
  int ttl = -1;  // from the IPv4 header when one was given (v6: take the hop limit from IPV6_RECVHOPLIMIT)
  // For dest_unreachable/time_exceeded: true when the quote holds an ICMP echo request; then id, seq16 and (when
  // the quote is long enough) the netstab payload block above describe that original request, and quoted_dst
  // holds its destination address (4 bytes used for v4, 16 for v6), so a raw-socket prober can tell the target.
  bool has_quoted_echo = false;
  std::array<std::byte, 16> quoted_dst{};
};

enum class decode_error : std::uint8_t { truncated, bad_checksum, bad_ip_header, not_icmp };

// The result of decode: an expected-like value holding either `decoded` or a `decode_error` (kept close to
// C++23 std::expected's interface so it can be swapped in later).
class decode_result {
 public:
  decode_result(const decoded& d) : value_(d), ok_(true) {}  // NOLINT(google-explicit-constructor)
  decode_result(decode_error e) : error_(e), ok_(false) {}   // NOLINT(google-explicit-constructor)
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const decoded& value() const { return value_; }
  const decoded& operator*() const { return value_; }
  const decoded* operator->() const { return &value_; }
  decode_error error() const { return error_; }

 private:
  decoded value_{};
  decode_error error_ = decode_error::truncated;
  bool ok_ = false;
};

// Decodes a received packet. v4 raw sockets deliver the IPv4 header first (has_ip_header = true); ICMP datagram
// sockets and all v6 sockets deliver the ICMP message only (has_ip_header = false). For v6, has_ip_header = true
// means a full IPv6 packet (as read from a TUN device); extension headers before ICMPv6 are skipped.
// v4 checksums are verified; v6 checksums are not verifiable without the pseudo header (the kernel verified
// them), so they are skipped. Never reads outside packet, whatever its contents.
decode_result decode(family f, std::span<const std::byte> packet, bool has_ip_header);

// RFC 1071 internet checksum of data, starting from the partial (unfolded) sum `initial`. The result is the
// value to store in the checksum field, as a host-order number of the big-endian 16-bit field. A message that
// carries a correct checksum sums to 0.
std::uint16_t internet_checksum(std::span<const std::byte> data, std::uint32_t initial = 0);

// The unfolded one's-complement sum of the ICMPv6 pseudo header (RFC 8200 section 8.1): source, destination,
// upper-layer length and next header 58. Pass it as `initial` to internet_checksum over the ICMPv6 message.
std::uint32_t icmpv6_pseudo_header_sum(std::span<const std::byte, 16> src, std::span<const std::byte, 16> dst,
                                       std::uint32_t upper_layer_length);

// Big-endian load/store helpers; callers check bounds.
inline std::uint16_t load_be16(const std::byte* p) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8U) | std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t load_be32(const std::byte* p) {
  return (static_cast<std::uint32_t>(load_be16(p)) << 16U) | load_be16(p + 2);
}
inline std::uint64_t load_be64(const std::byte* p) {
  return (static_cast<std::uint64_t>(load_be32(p)) << 32U) | load_be32(p + 4);
}
inline void store_be16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v >> 8U);
  p[1] = static_cast<std::byte>(v & 0xffU);
}
inline void store_be32(std::byte* p, std::uint32_t v) {
  store_be16(p, static_cast<std::uint16_t>(v >> 16U));
  store_be16(p + 2, static_cast<std::uint16_t>(v & 0xffffU));
}
inline void store_be64(std::byte* p, std::uint64_t v) {
  store_be32(p, static_cast<std::uint32_t>(v >> 32U));
  store_be32(p + 4, static_cast<std::uint32_t>(v & 0xffffffffU));
}

}  // namespace netstab::core::icmp

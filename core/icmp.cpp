#include "core/icmp.hpp"

#include <algorithm>

namespace netstab::core::icmp {

namespace {

constexpr std::uint8_t ipproto_icmp = 1;
constexpr std::uint8_t ipproto_icmpv6 = 58;
constexpr std::size_t ipv4_min_header = 20;
constexpr std::size_t ipv6_header = 40;

std::uint8_t u8(std::byte b) { return std::to_integer<std::uint8_t>(b); }

// The IP payload found by walking an IP header: the bytes after the header(s), the upper-layer protocol, the
// TTL / hop limit and the destination address. `declared_size` is what the header says the payload is; the
// span itself never extends beyond the input.
struct ip_view {
  std::span<const std::byte> payload;
  std::uint8_t protocol = 0;
  int ttl = -1;
  std::array<std::byte, 16> dst{};
  std::size_t declared_size = 0;
};

enum class ip_status : std::uint8_t { ok, truncated, bad };

// Parses an IPv4 header at the start of data. When `strict_length` is set (a packet we received whole), a total
// length beyond the data is "truncated" and the payload ends at the total length (dropping link padding); for
// a quoted header (inside an ICMP error) the quote is usually shorter than the original, which is allowed.
ip_status parse_ipv4(std::span<const std::byte> data, bool strict_length, ip_view& out) {
  if (data.size() < ipv4_min_header) {
    return ip_status::truncated;
  }
  const unsigned version = u8(data[0]) >> 4U;
  const std::size_t ihl = static_cast<std::size_t>(u8(data[0]) & 0x0fU) * 4U;
  if (version != 4 || ihl < ipv4_min_header) {
    return ip_status::bad;
  }
  if (ihl > data.size()) {
    return ip_status::truncated;
  }
  const std::size_t total = load_be16(data.data() + 2);
  if (total < ihl) {
    return ip_status::bad;
  }
  std::size_t end = data.size();
  if (strict_length) {
    if (total > data.size()) {
      return ip_status::truncated;
    }
    end = total;
  } else {
    end = std::min(end, total);
  }
  out.payload = data.subspan(ihl, end - ihl);
  out.protocol = u8(data[9]);
  out.ttl = u8(data[8]);
  out.declared_size = total - ihl;
  std::copy_n(data.begin() + 16, 4, out.dst.begin());
  return ip_status::ok;
}

// Parses an IPv6 header and skips the extension headers that may precede ICMPv6 (hop-by-hop, routing,
// destination options, an unfragmented fragment header). Anything else ends the walk with that protocol, which
// the caller reports as not ICMP.
ip_status parse_ipv6(std::span<const std::byte> data, bool strict_length, ip_view& out) {
  if (data.size() < ipv6_header) {
    return ip_status::truncated;
  }
  if ((u8(data[0]) >> 4U) != 6) {
    return ip_status::bad;
  }
  const std::size_t declared = load_be16(data.data() + 4);
  std::size_t end = data.size();
  if (strict_length) {
    if (ipv6_header + declared > data.size()) {
      return ip_status::truncated;
    }
    end = ipv6_header + declared;
  } else {
    end = std::min(end, ipv6_header + declared);
  }
  std::uint8_t next = u8(data[6]);
  out.ttl = u8(data[7]);
  std::copy_n(data.begin() + 24, 16, out.dst.begin());
  std::size_t pos = ipv6_header;
  std::size_t declared_left = declared;
  // Each extension header is at least 8 bytes, so the walk ends after at most end/8 steps.
  for (;;) {
    std::size_t ext_len = 0;
    if (next == 0 || next == 43 || next == 60) {
      if (pos + 2 > end) {
        return ip_status::truncated;
      }
      ext_len = (static_cast<std::size_t>(u8(data[pos + 1])) + 1U) * 8U;
    } else if (next == 44) {
      if (pos + 8 > end) {
        return ip_status::truncated;
      }
      // A fragment other than a complete single fragment cannot be decoded on its own.
      if ((load_be16(data.data() + pos + 2) & 0xfff9U) != 0) {
        out.protocol = 44;
        out.payload = {};
        return ip_status::ok;
      }
      ext_len = 8;
    } else {
      break;
    }
    if (pos + ext_len > end) {
      return ip_status::truncated;
    }
    next = u8(data[pos]);
    pos += ext_len;
    declared_left = declared_left >= ext_len ? declared_left - ext_len : 0;
  }
  out.protocol = next;
  out.payload = data.subspan(pos, end - pos);
  out.declared_size = declared_left;
  return ip_status::ok;
}

// Reads netstab's payload block when the payload starts with the magic.
void read_payload_block(std::span<const std::byte> payload, decoded& d) {
  if (payload.size() < payload_header_size || !std::equal(magic.begin(), magic.end(), payload.begin())) {
    return;
  }
  d.has_netstab_payload = true;
  d.cookie = load_be64(payload.data() + 4);
  d.token = load_be32(payload.data() + 12);
  d.seq32 = load_be32(payload.data() + 16);
}

kind classify(family f, std::uint8_t type) {
  if (f == family::v4) {
    switch (type) {
      case v4_echo_reply:
        return kind::echo_reply;
      case v4_echo_request:
        return kind::echo_request;
      case v4_dest_unreachable:
        return kind::dest_unreachable;
      case v4_time_exceeded:
        return kind::time_exceeded;
      default:
        return kind::other;
    }
  }
  switch (type) {
    case v6_echo_reply:
      return kind::echo_reply;
    case v6_echo_request:
      return kind::echo_request;
    case v6_dest_unreachable:
      return kind::dest_unreachable;
    case v6_time_exceeded:
      return kind::time_exceeded;
    default:
      return kind::other;
  }
}

// Fills the quoted original request of an ICMP error. A quote that is malformed or not about an ICMP echo
// request leaves has_quoted_echo false: the error itself is still a valid message, just not one of ours.
void read_quote(family f, std::span<const std::byte> quote, decoded& d) {
  ip_view ip;
  const ip_status st = f == family::v4 ? parse_ipv4(quote, false, ip) : parse_ipv6(quote, false, ip);
  const std::uint8_t want_proto = f == family::v4 ? ipproto_icmp : ipproto_icmpv6;
  const std::uint8_t want_type = f == family::v4 ? v4_echo_request : v6_echo_request;
  if (st != ip_status::ok || ip.protocol != want_proto || ip.payload.size() < header_size ||
      u8(ip.payload[0]) != want_type) {
    return;
  }
  d.has_quoted_echo = true;
  d.quoted_dst = ip.dst;
  d.id = load_be16(ip.payload.data() + 4);
  d.seq16 = load_be16(ip.payload.data() + 6);
  const auto payload = ip.payload.subspan(header_size);
  d.payload_size = payload.size();
  read_payload_block(payload, d);
}

// The one's-complement sum (folded to 16 bits) of big-endian words of data; a trailing odd byte is the high half
// of a last word.
std::uint16_t ones_sum(std::span<const std::byte> data, std::uint32_t initial) {
  return static_cast<std::uint16_t>(~internet_checksum(data, initial) & 0xffffU);
}

// Writes the flow word so that seq16 plus the payload sums to `flow` (one's complement). The word is zero while
// the sum X of the rest is taken, then set to flow - X, which one's-complement arithmetic computes as
// flow + ~X; X + (flow + ~X) folds to flow for any flow other than 0.
void write_flow_word(std::byte* message, std::size_t total, std::uint16_t flow) {
  std::byte* word = message + header_size + flow_word_offset;
  store_be16(word, 0);
  const std::uint16_t rest =
      ones_sum(std::span<const std::byte>(message + header_size, total - header_size), load_be16(message + 6));
  const std::uint32_t sum = static_cast<std::uint32_t>(flow) + static_cast<std::uint16_t>(~rest);
  store_be16(word, static_cast<std::uint16_t>((sum & 0xffffU) + (sum >> 16U)));
}

}  // namespace

std::uint16_t flow_sum(std::uint32_t key) {
  // A multiplicative hash spreads neighbouring slots over the range 1 .. 0xfffe.
  const std::uint32_t h = key * 0x9e3779b1U;
  return static_cast<std::uint16_t>(1U + ((h >> 16U) % 0xfffeU));
}

std::size_t encode_echo(family f, std::uint8_t type, const echo& e, std::size_t payload_size, std::span<std::byte> out,
                        std::uint32_t v6_pseudo_sum) {
  if (payload_size < payload_header_size || out.size() < header_size || payload_size > out.size() - header_size) {
    return 0;
  }
  const std::size_t total = header_size + payload_size;
  std::byte* p = out.data();
  p[0] = std::byte{type};
  p[1] = std::byte{0};
  store_be16(p + 2, 0);
  store_be16(p + 4, e.id);
  store_be16(p + 6, e.seq16);
  std::byte* payload = p + header_size;
  std::copy(magic.begin(), magic.end(), payload);
  store_be64(payload + 4, e.cookie);
  store_be32(payload + 12, e.token);
  store_be32(payload + 16, e.seq32);
  for (std::size_t i = payload_header_size; i < payload_size; ++i) {
    payload[i] = static_cast<std::byte>(i & 0xffU);
  }
  if (e.flow != 0 && payload_size >= flow_payload_size) write_flow_word(p, total, e.flow);
  const auto message = std::span<const std::byte>(p, total);
  if (f == family::v4) {
    store_be16(p + 2, internet_checksum(message));
  } else if (v6_pseudo_sum != 0) {
    store_be16(p + 2, internet_checksum(message, v6_pseudo_sum));
  }
  return total;
}

std::size_t encode_echo_request(family f, const echo& e, std::size_t payload_size, std::span<std::byte> out) {
  return encode_echo(f, f == family::v4 ? v4_echo_request : v6_echo_request, e, payload_size, out);
}

decode_result decode(family f, std::span<const std::byte> packet, bool has_ip_header) {
  decoded d;
  std::span<const std::byte> message = packet;
  if (has_ip_header) {
    ip_view ip;
    const ip_status st = f == family::v4 ? parse_ipv4(packet, true, ip) : parse_ipv6(packet, true, ip);
    if (st == ip_status::truncated) {
      return decode_error::truncated;
    }
    if (st == ip_status::bad) {
      return decode_error::bad_ip_header;
    }
    if (ip.protocol != (f == family::v4 ? ipproto_icmp : ipproto_icmpv6)) {
      return decode_error::not_icmp;
    }
    message = ip.payload;
    d.ttl = ip.ttl;
  }
  if (message.size() < header_size) {
    return decode_error::truncated;
  }
  if (f == family::v4 && internet_checksum(message) != 0) {
    return decode_error::bad_checksum;
  }
  d.type = u8(message[0]);
  d.code = u8(message[1]);
  d.what = classify(f, d.type);
  switch (d.what) {
    case kind::echo_reply:
    case kind::echo_request:
      d.id = load_be16(message.data() + 4);
      d.seq16 = load_be16(message.data() + 6);
      d.payload_size = message.size() - header_size;
      read_payload_block(message.subspan(header_size), d);
      break;
    case kind::dest_unreachable:
    case kind::time_exceeded:
      read_quote(f, message.subspan(header_size), d);
      break;
    case kind::other:
      break;
  }
  return d;
}

std::uint16_t internet_checksum(std::span<const std::byte> data, std::uint32_t initial) {
  // Summing 16-bit words into 64 bits cannot overflow for any span that fits in memory; fold at the end.
  std::uint64_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += load_be16(data.data() + i);
  }
  if (i < data.size()) {
    sum += static_cast<std::uint64_t>(u8(data[i])) << 8U;
  }
  while ((sum >> 16U) != 0) {
    sum = (sum & 0xffffU) + (sum >> 16U);
  }
  return static_cast<std::uint16_t>(~sum & 0xffffU);
}

std::uint32_t icmpv6_pseudo_header_sum(std::span<const std::byte, 16> src, std::span<const std::byte, 16> dst,
                                       std::uint32_t upper_layer_length) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < 16; i += 2) {
    sum += load_be16(src.data() + i);
    sum += load_be16(dst.data() + i);
  }
  sum += upper_layer_length >> 16U;
  sum += upper_layer_length & 0xffffU;
  sum += ipproto_icmpv6;
  return sum;
}

}  // namespace netstab::core::icmp

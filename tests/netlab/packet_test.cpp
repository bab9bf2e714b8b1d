// Unit tests of the responder's packet building; no privileges needed.
#include "tests/netlab/packet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace netstab::netlab {
namespace {

namespace icmp = core::icmp;

std::vector<std::byte> from_hex(std::string_view hex) {
  std::vector<std::byte> out;
  auto nibble = [](char c) { return static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10); };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>((nibble(hex[i]) << 4U) | nibble(hex[i + 1])));
  }
  return out;
}

// A request as the kernel writes it to the TUN device: 198.18.0.1 -> 198.18.0.2 carrying netstab's payload
// (id 0x1d06, seq16 2, cookie 0x0123456789abcdef, token 7, seq32 0x00010002, 28 payload bytes).
constexpr std::string_view request_v4 =
    "450000381234400040019c69c6120001c612000208001db21d0600026e7354420123456789abcdef00000007000100021415161718191a"
    "1b";
// The same request over IPv6, 2001:2::1 -> 2001:2::2.
constexpr std::string_view request_v6 =
    "6000000000243a4020010002000000000000000000000001200100020000000000000000000000028000654a1d0600026e7354420123"
    "456789abcdef00000007000100021415161718191a1b";

address addr(const char* text) { return parse_address(text).value().second; }

TEST(NetlabPacket, ParsesEchoRequests) {
  const auto v4 = parse_request(from_hex(request_v4));
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->f, icmp::family::v4);
  EXPECT_EQ(v4->src, addr("198.18.0.1"));
  EXPECT_EQ(v4->dst, addr("198.18.0.2"));
  EXPECT_EQ(v4->id, 0x1d06);
  EXPECT_EQ(v4->seq16, 2);
  EXPECT_EQ(v4->payload_size, 28U);

  const auto v6 = parse_request(from_hex(request_v6));
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->f, icmp::family::v6);
  EXPECT_EQ(v6->src, addr("2001:2::1"));
  EXPECT_EQ(v6->dst, addr("2001:2::2"));
}

TEST(NetlabPacket, IgnoresWhatIsNotAnEchoRequest) {
  auto reply = from_hex(request_v4);
  reply[20] = std::byte{0};  // echo reply; the checksum is now wrong too
  EXPECT_FALSE(parse_request(reply).has_value());
  EXPECT_FALSE(parse_request({}).has_value());
  EXPECT_FALSE(parse_request(from_hex("60000000")).has_value());
  // An IPv6 router solicitation, which the kernel sends when the TUN comes up.
  EXPECT_FALSE(parse_request(from_hex("6000000000083afffe800000000000000000000000000001ff020000000000000000000000000002"
                                      "8500000000000000"))
                   .has_value());
}

TEST(NetlabPacket, EchoReplyV4SwapsAddressesAndKeepsPayload) {
  std::vector<std::byte> out;
  build_echo_reply(from_hex(request_v4), out);
  const auto d = icmp::decode(icmp::family::v4, out, true);  // verifies the ICMP checksum
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->what, icmp::kind::echo_reply);
  EXPECT_EQ(d->id, 0x1d06);
  EXPECT_EQ(d->seq16, 2);
  EXPECT_TRUE(d->has_netstab_payload);
  EXPECT_EQ(d->cookie, 0x0123456789abcdefULL);
  EXPECT_EQ(d->seq32, 0x00010002U);
  EXPECT_EQ(d->ttl, 64);
  EXPECT_EQ(icmp::internet_checksum(std::span(out).first(20)), 0);  // IP header checksum
  const auto back = from_hex(request_v4);
  EXPECT_TRUE(std::equal(out.begin() + 12, out.begin() + 16, back.begin() + 16));
  EXPECT_TRUE(std::equal(out.begin() + 16, out.begin() + 20, back.begin() + 12));
}

TEST(NetlabPacket, EchoReplyV6HasPseudoHeaderChecksum) {
  std::vector<std::byte> out;
  build_echo_reply(from_hex(request_v6), out);
  // The expected reply was computed independently (Python) and is the core icmp test's v6 reply fixture.
  EXPECT_EQ(out, from_hex("6000000000243a4020010002000000000000000000000002200100020000000000000000000000018100644a1d"
                          "0600026e7354420123456789abcdef00000007000100021415161718191a1b"));
}

TEST(NetlabPacket, UnreachableQuotesTheRequest) {
  for (const auto hex : {request_v4, request_v6}) {
    const auto request = from_hex(hex);
    const bool v4 = hex == request_v4;
    const auto f = v4 ? icmp::family::v4 : icmp::family::v6;
    std::vector<std::byte> out;
    build_unreachable(request, addr(v4 ? "198.18.0.2" : "2001:2::2"), out);
    const auto d = icmp::decode(f, out, true);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->what, icmp::kind::dest_unreachable);
    EXPECT_TRUE(d->has_quoted_echo);
    EXPECT_EQ(d->id, 0x1d06);
    EXPECT_EQ(d->seq16, 2);
    EXPECT_TRUE(d->has_netstab_payload);
    EXPECT_EQ(d->seq32, 0x00010002U);
    if (!v4) {
      // Verify the ICMPv6 checksum over the pseudo header: 2001:2::2 -> 2001:2::1.
      const auto src = addr("2001:2::2");
      const auto dst = addr("2001:2::1");
      const auto message = std::span<const std::byte>(out).subspan(40);
      const auto pseudo = icmp::icmpv6_pseudo_header_sum(std::span<const std::byte, 16>(src.data(), 16),
                                                         std::span<const std::byte, 16>(dst.data(), 16),
                                                         static_cast<std::uint32_t>(message.size()));
      EXPECT_EQ(icmp::internet_checksum(message, pseudo), 0);
    }
  }
}

TEST(NetlabPacket, UnreachableQuoteIsCappedAt576BytesForV4) {
  // A 1400-byte request: the error must stay within the 576 bytes every IPv4 host accepts.
  std::vector<std::byte> request(1400);
  const auto src = addr("198.18.0.1");
  const auto dst = addr("198.18.0.2");
  request[0] = std::byte{0x45};
  icmp::store_be16(request.data() + 2, 1400);
  request[8] = std::byte{64};
  request[9] = std::byte{1};
  std::copy_n(src.begin(), 4, request.begin() + 12);
  std::copy_n(dst.begin(), 4, request.begin() + 16);
  ASSERT_EQ(
      icmp::encode_echo_request(icmp::family::v4, icmp::echo{1, 2, 3, 4, 5}, 1400 - 28, std::span(request).subspan(20)),
      1380U);
  std::vector<std::byte> out;
  build_unreachable(request, dst, out);
  EXPECT_EQ(out.size(), 576U);
  const auto d = icmp::decode(icmp::family::v4, out, true);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->has_netstab_payload);
  EXPECT_EQ(d->seq32, 5U);
}

// Whether the ICMP(v6) checksum of a whole packet built by the responder is right (v6: over the pseudo header).
bool checksum_ok(const std::vector<std::byte>& p) {
  const bool v4 = (std::to_integer<unsigned>(p[0]) >> 4U) == 4;
  const auto message = std::span<const std::byte>(p).subspan(v4 ? 20 : 40);
  std::uint32_t pseudo = 0;
  if (!v4) {
    pseudo = icmp::icmpv6_pseudo_header_sum(std::span<const std::byte, 16>(p.data() + 8, 16),
                                            std::span<const std::byte, 16>(p.data() + 24, 16),
                                            static_cast<std::uint32_t>(message.size()));
  }
  return icmp::internet_checksum(message, pseudo) == 0;
}

struct flood_case {
  flood_kind kind;
  bool checksum_valid;
  icmp::kind what;
  std::uint16_t id;
  bool has_payload;
  std::uint64_t cookie;
  std::uint32_t token;
  std::size_t v4_length;  // the whole packet's size
  std::size_t v6_length;
  const char* v4_source;
  const char* v6_source;
};

// Each flood packet differs from the real reply (id 0x1d06, cookie 0x0123456789abcdef, token 7, from the emulated
// host) in exactly the one way its kind names.
TEST(NetlabPacket, FloodPacketsDifferFromTheReplyInOneWayEach) {
  const flood_case cases[] = {
      {flood_kind::foreign_id, true, icmp::kind::echo_reply, 0xe206, true, 0x0123456789abcdefU, 7, 56, 76, "198.18.0.2",
       "2001:2::2"},
      {flood_kind::wrong_cookie, true, icmp::kind::echo_reply, 0x1d06, true, 0x0123456789abcdefU ^ (0xffULL << 56U), 7,
       56, 76, "198.18.0.2", "2001:2::2"},
      {flood_kind::wrong_token, true, icmp::kind::echo_reply, 0x1d06, true, 0x0123456789abcdefU, 0xff000007U, 56, 76,
       "198.18.0.2", "2001:2::2"},
      {flood_kind::truncated, true, icmp::kind::echo_reply, 0x1d06, false, 0, 0, 40, 60, "198.18.0.2", "2001:2::2"},
      {flood_kind::bad_checksum, false, icmp::kind::echo_reply, 0x1d06, true, 0x0123456789abcdefU, 7, 56, 76,
       "198.18.0.2", "2001:2::2"},
      {flood_kind::foreign_source, true, icmp::kind::echo_reply, 0x1d06, true, 0x0123456789abcdefU, 7, 56, 76,
       "198.18.0.3", "2001:2::3"},
      {flood_kind::foreign_error, true, icmp::kind::dest_unreachable, 0xe206, true, 0x0123456789abcdefU, 7, 84, 124,
       "198.18.0.2", "2001:2::2"},
  };
  static_assert(std::size(cases) == flood_kind_count);
  for (const auto& c : cases) {
    for (const bool v4 : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(c.kind) << (v4 ? " v4" : " v6"));
      std::vector<std::byte> out;
      build_flood_packet(from_hex(v4 ? request_v4 : request_v6), c.kind, out);
      ASSERT_EQ(out.size(), v4 ? c.v4_length : c.v6_length);
      EXPECT_EQ(checksum_ok(out), c.checksum_valid);
      // decode verifies v4 checksums only (the kernel verifies v6 ones).
      const auto d = icmp::decode(v4 ? icmp::family::v4 : icmp::family::v6, out, true);
      if (v4 && !c.checksum_valid) {
        ASSERT_FALSE(d.has_value());
        EXPECT_EQ(d.error(), icmp::decode_error::bad_checksum);
      } else {
        ASSERT_TRUE(d.has_value());
        EXPECT_EQ(d->what, c.what);
        EXPECT_EQ(d->id, c.id);
        EXPECT_EQ(d->seq16, 2);
        EXPECT_EQ(d->has_netstab_payload, c.has_payload);
        EXPECT_EQ(d->has_quoted_echo, c.what == icmp::kind::dest_unreachable);
        if (c.has_payload) {
          EXPECT_EQ(d->cookie, c.cookie);
          EXPECT_EQ(d->token, c.token);
        }
      }
      address src{};
      std::copy_n(out.begin() + (v4 ? 12 : 8), v4 ? 4 : 16, src.begin());
      EXPECT_EQ(src, addr(v4 ? c.v4_source : c.v6_source));
    }
  }
}

}  // namespace
}  // namespace netstab::netlab

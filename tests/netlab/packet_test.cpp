// Unit tests of the responder's packet building; no privileges needed.
#include "tests/netlab/packet.hpp"

#include <gtest/gtest.h>

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
  ASSERT_EQ(icmp::encode_echo_request(icmp::family::v4, icmp::echo{1, 2, 3, 4, 5}, 1400 - 28,
                                      std::span(request).subspan(20)),
            1380U);
  std::vector<std::byte> out;
  build_unreachable(request, dst, out);
  EXPECT_EQ(out.size(), 576U);
  const auto d = icmp::decode(icmp::family::v4, out, true);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->has_netstab_payload);
  EXPECT_EQ(d->seq32, 5U);
}

}  // namespace
}  // namespace netstab::netlab

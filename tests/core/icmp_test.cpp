#include "core/icmp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netstab::core::icmp {
namespace {

std::vector<std::byte> from_hex(std::string_view hex) {
  std::vector<std::byte> out;
  auto nibble = [](char c) -> unsigned {
    if (c >= '0' && c <= '9') {
      return static_cast<unsigned>(c - '0');
    }
    return static_cast<unsigned>(c - 'a' + 10);
  };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>((nibble(hex[i]) << 4U) | nibble(hex[i + 1])));
  }
  return out;
}

std::string to_hex(std::span<const std::byte> bytes) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  for (const std::byte b : bytes) {
    const auto v = std::to_integer<unsigned>(b);
    out.push_back(digits[v >> 4U]);
    out.push_back(digits[v & 0xfU]);
  }
  return out;
}

// Fixtures. The Linux ones were read from a raw socket while `ping -c1 -s 24 127.0.0.1` ran; the netstab ones
// were built by hand (checksums computed independently with a short Python script) with id 0x1d06, seq16 2,
// cookie 0x0123456789abcdef, token 7, seq32 0x00010002 and a 28-byte payload (20-byte block + pattern 14..1b).
constexpr std::string_view linux_ping_request_v4 =
    "4500003427034000400115c47f0000017f00000108004b8d1d0600019c14076b000000009d9b0200000000001011121314151617";
constexpr std::string_view linux_ping_reply_v4 =
    "4500003427040000400155c37f0000017f0000010000538d1d0600019c14076b000000009d9b0200000000001011121314151617";
constexpr std::string_view netstab_request_v4 =
    "08001db21d0600026e7354420123456789abcdef00000007000100021415161718191a1b";
constexpr std::string_view netstab_reply_v4_ip =
    "45000038123440003f019d69c6120002c6120001000025b21d0600026e7354420123456789abcdef00000007000100021415161718191a"
    "1b";
// Host unreachable from 198.18.0.1 quoting the whole original request 198.18.0.1 -> 198.18.0.2.
constexpr std::string_view unreachable_v4_ip =
    "450000541234400040019c4ec6120001c61200010301fcfe00000000450000381234400040019c69c6120001c612000208001db21d06"
    "00026e7354420123456789abcdef00000007000100021415161718191a1b";
// TTL exceeded from 198.18.0.9 quoting the IP header and only the first 8 bytes of the request (RFC 792 minimum).
constexpr std::string_view time_exceeded_v4_ip =
    "4500003812344000fa01e261c6120009c61200010b00b24500000000450000381234400040019c69c6120001c612000208001db21d06"
    "0002";
// Echo reply 2001:2::2 -> 2001:2::1, checksum over the pseudo header.
constexpr std::string_view netstab_reply_v6 =
    "8100644a1d0600026e7354420123456789abcdef00000007000100021415161718191a1b";
constexpr std::string_view netstab_reply_v6_ip =
    "6000000000243a4020010002000000000000000000000002200100020000000000000000000000018100644a1d0600026e7354420123"
    "456789abcdef00000007000100021415161718191a1b";
// Port unreachable quoting the IPv6 header and the whole echo request 2001:2::1 -> 2001:2::2.
constexpr std::string_view unreachable_v6 =
    "01032460000000006000000000243a4020010002000000000000000000000001200100020000000000000000000000028000654a1d06"
    "00026e7354420123456789abcdef00000007000100021415161718191a1b";

constexpr std::uint64_t fixture_cookie = 0x0123456789abcdefULL;

struct expected_decode {
  kind what;
  std::uint8_t type;
  std::uint8_t code;
  std::uint16_t id;
  std::uint16_t seq16;
  bool netstab;
  std::size_t payload_size;
  int ttl;
  bool quoted_echo;
};

struct decode_case {
  const char* name;
  family f;
  std::string_view hex;
  bool has_ip_header;
  std::optional<decode_error> error;
  expected_decode want;
};

std::string replace_at(std::string_view hex, std::size_t byte_offset, std::string_view new_hex) {
  std::string s(hex);
  s.replace(byte_offset * 2, new_hex.size(), new_hex);
  return s;
}

void PrintTo(const decode_case& c, std::ostream* os) { *os << c.name; }

class DecodeTable : public ::testing::TestWithParam<decode_case> {};

TEST_P(DecodeTable, DecodesFixture) {
  const decode_case& c = GetParam();
  const auto bytes = from_hex(c.hex);
  const decode_result r = decode(c.f, bytes, c.has_ip_header);
  if (c.error) {
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error(), *c.error) << c.name;
    return;
  }
  ASSERT_TRUE(r.has_value()) << c.name << " error " << static_cast<int>(r.error());
  EXPECT_EQ(r->what, c.want.what);
  EXPECT_EQ(r->type, c.want.type);
  EXPECT_EQ(r->code, c.want.code);
  EXPECT_EQ(r->id, c.want.id);
  EXPECT_EQ(r->seq16, c.want.seq16);
  EXPECT_EQ(r->has_netstab_payload, c.want.netstab);
  EXPECT_EQ(r->payload_size, c.want.payload_size);
  EXPECT_EQ(r->ttl, c.want.ttl);
  EXPECT_EQ(r->has_quoted_echo, c.want.quoted_echo);
  if (c.want.netstab) {
    EXPECT_EQ(r->cookie, fixture_cookie);
    EXPECT_EQ(r->token, 7U);
    EXPECT_EQ(r->seq32, 0x00010002U);
  } else {
    EXPECT_EQ(r->cookie, 0U);
    EXPECT_EQ(r->token, 0U);
    EXPECT_EQ(r->seq32, 0U);
  }
}

// The strings built by replace_at must outlive the table; keep them in statics.
const std::string wrong_magic_v4 = replace_at(netstab_request_v4, 8, "6e735443");  // "nsTC", checksum now wrong
const std::string wrong_magic_v6 = replace_at(netstab_reply_v6, 8, "6e735443");    // v6: checksum not checked
const std::string bad_checksum_v4 = replace_at(netstab_request_v4, 2, "1db3");
const std::string bad_ip_version = replace_at(netstab_reply_v4_ip, 0, "55");
const std::string bad_ihl = replace_at(netstab_reply_v4_ip, 0, "44");
const std::string udp_not_icmp = replace_at(netstab_reply_v4_ip, 9, "11");
const std::string total_len_beyond = replace_at(netstab_reply_v4_ip, 2, "0039");
const std::string total_len_short = replace_at(netstab_reply_v4_ip, 2, "0010");
const std::string v6_not_icmp = replace_at(netstab_reply_v6_ip, 6, "11");
const std::string v6_bad_version = replace_at(netstab_reply_v6_ip, 0, "40");
// Ethernet minimum-frame padding after an IPv4 packet is ignored thanks to the total length.
const std::string padded_v4 = std::string(netstab_reply_v4_ip) + "000000000000";
// The quoted original inside an unreachable is a UDP datagram: a valid error, but not about our echo.
const std::string unreachable_quoting_udp = replace_at(unreachable_v4_ip, 28 + 9, "11");

const decode_case decode_cases[] = {
    {"linux_ping_request_v4",
     family::v4,
     linux_ping_request_v4,
     true,
     std::nullopt,
     {kind::echo_request, 8, 0, 0x1d06, 1, false, 24, 64, false}},
    {"linux_ping_reply_v4",
     family::v4,
     linux_ping_reply_v4,
     true,
     std::nullopt,
     {kind::echo_reply, 0, 0, 0x1d06, 1, false, 24, 64, false}},
    {"netstab_request_v4_no_ip",
     family::v4,
     netstab_request_v4,
     false,
     std::nullopt,
     {kind::echo_request, 8, 0, 0x1d06, 2, true, 28, -1, false}},
    {"netstab_reply_v4_ip",
     family::v4,
     netstab_reply_v4_ip,
     true,
     std::nullopt,
     {kind::echo_reply, 0, 0, 0x1d06, 2, true, 28, 63, false}},
    {"padded_v4", family::v4, padded_v4, true, std::nullopt, {kind::echo_reply, 0, 0, 0x1d06, 2, true, 28, 63, false}},
    {"unreachable_v4",
     family::v4,
     unreachable_v4_ip,
     true,
     std::nullopt,
     {kind::dest_unreachable, 3, 1, 0x1d06, 2, true, 28, 64, true}},
    {"time_exceeded_v4_short_quote",
     family::v4,
     time_exceeded_v4_ip,
     true,
     std::nullopt,
     {kind::time_exceeded, 11, 0, 0x1d06, 2, false, 0, 250, true}},
    {"unreachable_quoting_udp", family::v4, unreachable_quoting_udp, true, decode_error::bad_checksum, {}},
    {"netstab_reply_v6",
     family::v6,
     netstab_reply_v6,
     false,
     std::nullopt,
     {kind::echo_reply, 129, 0, 0x1d06, 2, true, 28, -1, false}},
    {"netstab_reply_v6_ip",
     family::v6,
     netstab_reply_v6_ip,
     true,
     std::nullopt,
     {kind::echo_reply, 129, 0, 0x1d06, 2, true, 28, 64, false}},
    {"unreachable_v6",
     family::v6,
     unreachable_v6,
     false,
     std::nullopt,
     {kind::dest_unreachable, 1, 3, 0x1d06, 2, true, 28, -1, true}},
    {"wrong_magic_v4", family::v4, wrong_magic_v4, false, decode_error::bad_checksum, {}},
    {"wrong_magic_v6",
     family::v6,
     wrong_magic_v6,
     false,
     std::nullopt,
     {kind::echo_reply, 129, 0, 0x1d06, 2, false, 28, -1, false}},
    {"bad_checksum_v4", family::v4, bad_checksum_v4, false, decode_error::bad_checksum, {}},
    {"bad_ip_version", family::v4, bad_ip_version, true, decode_error::bad_ip_header, {}},
    {"bad_ihl", family::v4, bad_ihl, true, decode_error::bad_ip_header, {}},
    {"udp_not_icmp", family::v4, udp_not_icmp, true, decode_error::not_icmp, {}},
    {"total_length_beyond_data", family::v4, total_len_beyond, true, decode_error::truncated, {}},
    {"total_length_below_header", family::v4, total_len_short, true, decode_error::bad_ip_header, {}},
    {"v6_not_icmp", family::v6, v6_not_icmp, true, decode_error::not_icmp, {}},
    {"v6_bad_version", family::v6, v6_bad_version, true, decode_error::bad_ip_header, {}},
    {"empty", family::v4, "", false, decode_error::truncated, {}},
    {"icmp_header_cut", family::v4, "08001db21d06", false, decode_error::truncated, {}},
    {"ip_header_cut", family::v4, "4500003812344000", true, decode_error::truncated, {}},
    {"v6_icmp_header_cut", family::v6, "8100644a1d06", false, decode_error::truncated, {}},
};

INSTANTIATE_TEST_SUITE_P(Fixtures, DecodeTable, ::testing::ValuesIn(decode_cases),
                         [](const ::testing::TestParamInfo<decode_case>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(Icmp, UnreachableQuotingUdpIsNotOurEcho) {
  // Rebuild the fixture with a UDP quote and a correct outer checksum: decoded, but without a quoted echo.
  auto bytes = from_hex(unreachable_quoting_udp);
  const auto message = std::span<std::byte>(bytes).subspan(20);
  store_be16(message.data() + 2, 0);
  store_be16(message.data() + 2, internet_checksum(message));
  const decode_result r = decode(family::v4, bytes, true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->what, kind::dest_unreachable);
  EXPECT_FALSE(r->has_quoted_echo);
  EXPECT_FALSE(r->has_netstab_payload);
}

TEST(Icmp, QuotedDestinationIsTheOriginalTarget) {
  const auto v4 = decode(family::v4, from_hex(unreachable_v4_ip), true);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(to_hex(std::span(v4->quoted_dst).first(4)), "c6120002");
  const auto v6 = decode(family::v6, from_hex(unreachable_v6), false);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(to_hex(v6->quoted_dst), "20010002000000000000000000000002");
}

TEST(Icmp, EncodesRequestFixtureV4) {
  std::array<std::byte, 64> out{};
  const echo e{0x1d06, 2, fixture_cookie, 7, 0x00010002};
  const std::size_t n = encode_echo_request(family::v4, e, 28, out);
  ASSERT_EQ(n, 36U);
  EXPECT_EQ(to_hex(std::span(out).first(n)), netstab_request_v4);
}

TEST(Icmp, EncodesRequestV6WithZeroChecksum) {
  std::array<std::byte, 64> out{};
  const echo e{0x1d06, 2, fixture_cookie, 7, 0x00010002};
  const std::size_t n = encode_echo_request(family::v6, e, 28, out);
  ASSERT_EQ(n, 36U);
  EXPECT_EQ(to_hex(std::span(out).first(n)),
            "800000001d0600026e7354420123456789abcdef00000007000100021415161718191a1b");
}

TEST(Icmp, EncodesV6ReplyWithPseudoHeaderChecksum) {
  const auto src = from_hex("20010002000000000000000000000002");
  const auto dst = from_hex("20010002000000000000000000000001");
  std::array<std::byte, 64> out{};
  const echo e{0x1d06, 2, fixture_cookie, 7, 0x00010002};
  const std::uint32_t pseudo = icmpv6_pseudo_header_sum(std::span<const std::byte, 16>(src.data(), 16),
                                                        std::span<const std::byte, 16>(dst.data(), 16), 36);
  const std::size_t n = encode_echo(family::v6, v6_echo_reply, e, 28, out, pseudo);
  ASSERT_EQ(n, 36U);
  EXPECT_EQ(to_hex(std::span(out).first(n)), netstab_reply_v6);
}

// Paris-traceroute flows: probes of one target with different sequence numbers carry the same checksum. The
// fixtures were computed independently (a Python script that searches the flow word by brute force) for token 7,
// whose flow sum is flow_sum(7) = 0x5385; the flow word is the two bytes after the 20-byte block ("aa52").
constexpr std::string_view flow_request_v4_seq2 =
    "080087741d0600026e7354420123456789abcdef0000000700010002aa52161718191a1b";
constexpr std::string_view flow_request_v4_seq3 =
    "080087741d0600036e7354420123456789abcdef0000000700010003aa50161718191a1b";
constexpr std::string_view flow_request_v4_wrapped =
    "080087741d06abcd6e7354420123456789abcdef000000070002abcd52ba161718191a1b";
// ICMPv6 from fd00:1::10 to 2001:db8:4::2: the checksum over the pseudo header, as the kernel computes it.
constexpr std::string_view flow_request_v6_seq2 =
    "8000e4441d0600026e7354420123456789abcdef0000000700010002aa52161718191a1b";
constexpr std::string_view flow_request_v6_seq3 =
    "8000e4441d0600036e7354420123456789abcdef0000000700010003aa50161718191a1b";

echo flow_echo(std::uint32_t seq32) {
  echo e{0x1d06, static_cast<std::uint16_t>(seq32 & 0xffffU), fixture_cookie, 7, seq32};
  e.flow = flow_sum(7);
  return e;
}

TEST(IcmpFlow, FlowSumIsNeverZeroNorNegativeZero) {
  EXPECT_EQ(flow_sum(7), 0x5385);
  for (std::uint32_t key = 0; key < 200'000; key += 7) {
    const std::uint16_t f = flow_sum(key);
    ASSERT_NE(f, 0);
    ASSERT_NE(f, 0xffff);
  }
}

TEST(IcmpFlow, V4ProbesWithDifferentSequencesShareTheChecksum) {
  const std::pair<std::uint32_t, std::string_view> cases[] = {
      {0x00010002, flow_request_v4_seq2}, {0x00010003, flow_request_v4_seq3}, {0x0002abcd, flow_request_v4_wrapped}};
  for (const auto& [seq, want] : cases) {
    std::array<std::byte, 64> out{};
    const std::size_t n = encode_echo_request(family::v4, flow_echo(seq), 28, out);
    ASSERT_EQ(n, 36U);
    EXPECT_EQ(to_hex(std::span(out).first(n)), want) << seq;
    const decode_result r = decode(family::v4, std::span(out).first(n), false);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->seq32, seq);
    EXPECT_EQ(r->token, 7U);
  }
}

TEST(IcmpFlow, V6ProbesWithDifferentSequencesShareThePseudoHeaderChecksum) {
  const auto src = from_hex("fd000001000000000000000000000010");
  const auto dst = from_hex("20010db8000400000000000000000002");
  const std::uint32_t pseudo = icmpv6_pseudo_header_sum(std::span<const std::byte, 16>(src.data(), 16),
                                                        std::span<const std::byte, 16>(dst.data(), 16), 36);
  const std::pair<std::uint32_t, std::string_view> cases[] = {{0x00010002, flow_request_v6_seq2},
                                                              {0x00010003, flow_request_v6_seq3}};
  for (const auto& [seq, want] : cases) {
    std::array<std::byte, 64> out{};
    const std::size_t n = encode_echo(family::v6, v6_echo_request, flow_echo(seq), 28, out, pseudo);
    ASSERT_EQ(n, 36U);
    EXPECT_EQ(to_hex(std::span(out).first(n)), want) << seq;
  }
}

// What a datagram socket does: the kernel writes its own identifier and computes the checksum. Any identifier
// gives one checksum for every sequence, so the flow holds whoever fills the header.
TEST(IcmpFlow, ChecksumStaysConstantWhenTheKernelRewritesTheIdentifier) {
  std::mt19937 rng(13);
  for (const std::size_t size : {std::size_t{22}, std::size_t{23}, std::size_t{56}, std::size_t{1001}}) {
    std::optional<std::uint16_t> first;
    for (int i = 0; i < 200; ++i) {
      const auto seq = static_cast<std::uint32_t>(rng());
      echo e = flow_echo(seq);
      e.token = 7U | (static_cast<std::uint32_t>(i & 1) << 31U);  // a path probe's token differs in one bit
      e.flow = flow_sum(7);
      std::vector<std::byte> out(header_size + size);
      ASSERT_EQ(encode_echo_request(family::v4, e, size, out), out.size());
      store_be16(out.data() + 4, 0x4242);  // the kernel's identifier
      store_be16(out.data() + 2, 0);
      const std::uint16_t sum = internet_checksum(out);
      if (!first) first = sum;
      ASSERT_EQ(sum, *first) << "size " << size << " seq " << seq;
    }
  }
}

TEST(IcmpFlow, NoFlowWordWithoutRoomOrWithoutFlow) {
  std::array<std::byte, 64> with_room{};
  echo e = flow_echo(0x00010002);
  e.flow = 0;
  ASSERT_EQ(encode_echo_request(family::v4, e, 28, with_room), 36U);
  EXPECT_EQ(to_hex(std::span(with_room).first(36)), netstab_request_v4);
  std::array<std::byte, 64> small{};
  e.flow = flow_sum(7);
  ASSERT_EQ(encode_echo_request(family::v4, e, 21, small), 29U);
  EXPECT_EQ(std::to_integer<unsigned>(small[header_size + 20]), 20U);
}

struct encode_size_case {
  std::size_t payload_size;
  std::size_t buffer_size;
  std::size_t want;
};

TEST(Icmp, EncodeRejectsSmallPayloadOrBuffer) {
  const encode_size_case cases[] = {
      {20, 28, 28}, {19, 64, 0}, {0, 64, 0}, {20, 27, 0}, {56, 64, 64}, {57, 64, 0}, {20, 0, 0}, {20, 7, 0},
  };
  for (const auto& c : cases) {
    std::vector<std::byte> out(c.buffer_size);
    EXPECT_EQ(encode_echo_request(family::v4, echo{}, c.payload_size, out), c.want)
        << "payload " << c.payload_size << " buffer " << c.buffer_size;
  }
}

TEST(Icmp, RoundTripsAcrossSizesAndValues) {
  std::mt19937_64 rng(42);
  for (const family f : {family::v4, family::v6}) {
    for (std::size_t size = payload_header_size; size <= 300; size += 7) {
      const echo e{static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()), rng(),
                   static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(rng())};
      std::vector<std::byte> out(header_size + size);
      ASSERT_EQ(encode_echo_request(f, e, size, out), out.size());
      if (size > payload_header_size) {
        EXPECT_EQ(std::to_integer<unsigned>(out[header_size + size - 1]), (size - 1) & 0xffU);
      }
      const decode_result r = decode(f, out, false);
      ASSERT_TRUE(r.has_value()) << "size " << size;
      EXPECT_EQ(r->what, kind::echo_request);
      EXPECT_EQ(r->id, e.id);
      EXPECT_EQ(r->seq16, e.seq16);
      EXPECT_TRUE(r->has_netstab_payload);
      EXPECT_EQ(r->cookie, e.cookie);
      EXPECT_EQ(r->token, e.token);
      EXPECT_EQ(r->seq32, e.seq32);
      EXPECT_EQ(r->payload_size, size);
    }
  }
}

struct checksum_case {
  const char* name;
  std::string_view hex;
  std::uint32_t initial;
  std::uint16_t want;
};

TEST(Icmp, InternetChecksumKnownVectors) {
  const checksum_case cases[] = {
      // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2, whose complement is 220d.
      {"rfc1071", "0001f203f4f5f6f7", 0, 0x220d},
      {"empty", "", 0, 0xffff},
      {"odd_length_pads_with_zero", "0001f203f4f5f6", 0, 0x2304},
      {"carry_folds", "ffffffff", 0, 0x0000},
      {"initial_is_added", "0001f203f4f5f6f7", 0x0001, 0x220c},
      {"linux_ping_reply_sums_to_zero", linux_ping_reply_v4.substr(40), 0, 0x0000},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(internet_checksum(from_hex(c.hex), c.initial), c.want) << c.name;
  }
}

// Every prefix of every fixture, and random single-byte corruptions, decode to a value or an error without
// reading out of bounds (run under -fsanitize=address,undefined to make that check strict).
TEST(Icmp, MalformedInputNeverCrashes) {
  const std::string_view fixtures[] = {linux_ping_request_v4, netstab_request_v4,  netstab_reply_v4_ip,
                                       unreachable_v4_ip,     time_exceeded_v4_ip, netstab_reply_v6,
                                       netstab_reply_v6_ip,   unreachable_v6};
  std::mt19937 rng(7);
  std::size_t decoded_count = 0;
  for (const auto hex : fixtures) {
    const auto full = from_hex(hex);
    for (const family f : {family::v4, family::v6}) {
      for (const bool ip : {false, true}) {
        for (std::size_t n = 0; n <= full.size(); ++n) {
          // A fresh heap copy of exactly n bytes, so that ASan flags any read past the end.
          const std::vector<std::byte> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
          decoded_count += decode(f, prefix, ip).has_value() ? 1U : 0U;
        }
        for (int i = 0; i < 200; ++i) {
          auto mutated = full;
          mutated[rng() % mutated.size()] = static_cast<std::byte>(rng());
          decoded_count += decode(f, mutated, ip).has_value() ? 1U : 0U;
        }
      }
    }
  }
  EXPECT_GT(decoded_count, 0U);
}

TEST(Icmp, WrongMagicWithValidChecksumHasNoNetstabPayload) {
  std::array<std::byte, 64> out{};
  const std::size_t n = encode_echo(family::v4, v4_echo_reply, echo{9, 10, 11, 12, 13}, 40, out);
  ASSERT_EQ(n, 48U);
  out[header_size + 3] = std::byte{'C'};
  store_be16(out.data() + 2, 0);
  store_be16(out.data() + 2, internet_checksum(std::span(out).first(n)));
  const decode_result r = decode(family::v4, std::span(out).first(n), false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->what, kind::echo_reply);
  EXPECT_EQ(r->id, 9U);
  EXPECT_EQ(r->seq16, 10U);
  EXPECT_FALSE(r->has_netstab_payload);
  EXPECT_EQ(r->cookie, 0U);
  EXPECT_EQ(r->payload_size, 40U);
}

TEST(Icmp, V6ExtensionHeadersAreSkipped) {
  // The v6 reply packet with a hop-by-hop options header (8 bytes of PadN) inserted before ICMPv6.
  auto bytes = from_hex(netstab_reply_v6_ip);
  const auto hop_by_hop = from_hex("3a00010400000000");
  bytes.insert(bytes.begin() + 40, hop_by_hop.begin(), hop_by_hop.end());
  bytes[6] = std::byte{0};               // next header: hop-by-hop
  store_be16(bytes.data() + 4, 36 + 8);  // payload length
  const decode_result r = decode(family::v6, bytes, true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->what, kind::echo_reply);
  EXPECT_TRUE(r->has_netstab_payload);
  EXPECT_EQ(r->payload_size, 28U);

  // The same header claiming to be longer than the packet is truncated.
  bytes[41] = std::byte{9};
  EXPECT_FALSE(decode(family::v6, bytes, true).has_value());
}

}  // namespace
}  // namespace netstab::core::icmp

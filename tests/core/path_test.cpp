#include "core/path.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

std::optional<ip_address> ip(const char* text) { return ip_address::parse(text); }

constexpr std::nullopt_t silent = std::nullopt;

// "lan isp isp upstream | remote": every hop's segment, then the target's.
std::string render(const path_segments& p) {
  std::string out;
  for (segment s : p.hops) {
    out.append(to_string(s));
    out.push_back(' ');
  }
  out.append("| ");
  out.append(to_string(p.target));
  return out;
}

struct row {
  const char* name;
  std::vector<std::optional<ip_address>> hops;
  const char* target;
  std::optional<ip_address> gateway;
  path_config cfg;
  std::string expected;
};

path_config lan_hops(unsigned n) {
  path_config c;
  c.lan_hops = n;
  return c;
}

path_config isp_hops(unsigned n) {
  path_config c;
  c.isp_hops = n;
  return c;
}

void check(const std::vector<row>& rows) {
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    const path_segments p = classify_path(r.hops, *ip_address::parse(r.target), r.gateway, r.cfg);
    ASSERT_EQ(p.hops.size(), r.hops.size());
    EXPECT_EQ(render(p), r.expected);
  }
}

TEST(Path, SegmentsByAddressClassAndPosition) {
  const auto gw = ip("192.168.1.1");
  check({
      {"home behind CGNAT: LAN, CGNAT run, two public ISP hops, upstream",
       {gw, ip("100.64.0.1"), ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1"), ip("192.0.2.33")},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp isp upstream upstream | remote"},
      {"private hops right after hop 1 are the LAN; private hops after CGNAT the ISP's",
       {gw, ip("10.0.0.1"), ip("100.64.0.1"), ip("10.10.0.1"), ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       {},
       "lan lan isp isp isp isp upstream | remote"},
      {"no CGNAT: the first two public hops are the ISP's",
       {gw, ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp upstream | remote"},
      {"a public gateway at hop 2 makes hops 1-2 the LAN",
       {ip("10.0.0.1"), ip("198.51.100.1"), ip("203.0.113.1"), ip("192.0.2.1"), ip("192.0.2.9")},
       "8.8.8.8",
       ip("198.51.100.1"),
       {},
       "lan lan isp isp upstream | remote"},
      {"hop 1 is the LAN whatever its address (a phone on CGNAT)",
       {ip("100.64.0.1"), ip("100.64.0.2"), ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       std::nullopt,
       {},
       "lan isp isp isp upstream | remote"},
      {"a CGNAT hop after public ones is still the ISP's, and so is every hop before it",
       {gw, ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1"), ip("100.64.5.5"), ip("192.0.2.77")},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp isp isp upstream | remote"},
  });
}

TEST(Path, SilentHops) {
  const auto gw = ip("192.168.1.1");
  check({
      {"silent hop inside the ISP takes the ISP",
       {gw, ip("100.64.0.1"), silent, ip("100.64.0.9"), ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp isp isp isp upstream | remote"},
      {"silent hop inside the LAN takes the LAN",
       {gw, silent, ip("10.0.0.1"), ip("203.0.113.1")},
       "8.8.8.8",
       gw,
       {},
       "lan lan lan isp | remote"},
      {"silent hop at the LAN/ISP boundary takes the later segment",
       {gw, silent, ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp isp upstream | remote"},
      {"silent hops do not count as public ISP hops",
       {gw, ip("203.0.113.1"), silent, silent, ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp isp isp upstream | remote"},
      {"silent hops after the ISP's last hop are upstream",
       {gw, ip("203.0.113.1"), ip("198.51.100.1"), silent, silent},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp upstream upstream | remote"},
      {"silent first hop is still the LAN",
       {silent, ip("100.64.0.1"), ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       {},
       "lan isp isp isp upstream | remote"},
      {"every hop silent: hop 1 the LAN, the rest upstream by position",
       {silent, silent, silent, silent},
       "8.8.8.8",
       gw,
       {},
       "lan upstream upstream upstream | remote"},
  });
}

TEST(Path, Targets) {
  const auto gw = ip("192.168.1.1");
  check({
      {"single-hop path: the target is the gateway", {}, "192.168.1.1", gw, {}, "| lan"},
      {"the target answers at TTL 1 without a known gateway", {}, "198.51.100.7", std::nullopt, {}, "| lan"},
      {"the gateway as a target further away is still the LAN", {ip("10.0.0.1")}, "192.168.1.1", gw, {}, "lan | lan"},
      {"a private target beyond the ISP is remote",
       {gw, ip("203.0.113.1"), ip("198.51.100.1")},
       "10.1.2.3",
       gw,
       {},
       "lan isp isp | remote"},
      {"a private target on the LAN's far side is remote", {gw}, "192.168.7.7", gw, {}, "lan | remote"},
      {"a CGNAT target is the ISP's", {gw}, "100.64.0.1", gw, {}, "lan | isp"},
      {"no LAN: the target at TTL 1 is remote", {}, "203.0.113.1", gw, lan_hops(0), "| remote"},
  });
}

TEST(Path, Overrides) {
  const auto gw = ip("192.168.1.1");
  path_config no_public;
  no_public.isp_public_hops = 0;
  path_config both = lan_hops(1);
  both.isp_hops = 2;
  path_config three_public;
  three_public.isp_public_hops = 3;
  check({
      {"lan_hops 1: an ISP numbering its hops in 10/8 keeps them",
       {gw, ip("10.0.0.1"), ip("10.0.0.2"), ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       lan_hops(1),
       "lan isp isp isp isp upstream | remote"},
      {"lan_hops 0: a host dialling PPPoE itself has no LAN",
       {ip("100.64.0.1"), ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1")},
       "8.8.8.8",
       gw,
       lan_hops(0),
       "isp isp isp upstream | remote"},
      {"isp_hops 1: exactly one hop after the LAN",
       {gw, ip("100.64.0.1"), ip("100.64.0.2"), ip("203.0.113.1")},
       "8.8.8.8",
       gw,
       isp_hops(1),
       "lan isp upstream upstream | remote"},
      {"isp_hops 0: no ISP segment", {gw, ip("203.0.113.1")}, "8.8.8.8", gw, isp_hops(0), "lan upstream | remote"},
      {"isp_public_hops 0: only the CGNAT run",
       {gw, ip("100.64.0.1"), ip("203.0.113.1")},
       "8.8.8.8",
       gw,
       no_public,
       "lan isp upstream | remote"},
      {"isp_public_hops 3",
       {gw, ip("203.0.113.1"), ip("198.51.100.1"), ip("192.0.2.1"), ip("192.0.2.9")},
       "8.8.8.8",
       gw,
       three_public,
       "lan isp isp isp upstream | remote"},
      {"overrides covering the target's TTL", {gw, ip("203.0.113.1")}, "198.51.100.1", gw, both, "lan isp | isp"},
      {"lan_hops longer than the path", {gw, ip("203.0.113.1")}, "198.51.100.1", gw, lan_hops(5), "lan lan | lan"},
  });
}

TEST(Path, Ipv6) {
  const auto gw = ip("fe80::1");  // IPv6 routes name the router by its link-local address
  check({
      {"ULA hops after hop 1 are the LAN; no CGNAT in IPv6",
       {ip("fd00::1"), ip("fd00:1::1"), ip("2001:db8:1::1"), ip("2001:db8:2::1"), ip("2001:db8:3::1")},
       "2001:db8:ffff::7",
       gw,
       {},
       "lan lan isp isp upstream | remote"},
      {"a link-local hop is private",
       {ip("2001:db8:a::1"), ip("fe80::2"), ip("2001:db8:b::1"), ip("2001:db8:c::1"), ip("2001:db8:d::1")},
       "2001:db8:ffff::7",
       gw,
       {},
       "lan lan isp isp upstream | remote"},
      {"the link-local gateway answering at hop 2 makes hops 1-2 the LAN",
       {ip("2001:db8:a::1"), gw, ip("2001:db8:b::1"), ip("2001:db8:c::1"), ip("2001:db8:d::1")},
       "2001:db8:ffff::7",
       gw,
       {},
       "lan lan isp isp upstream | remote"},
      {"an IPv4-mapped CGNAT address is still CGNAT",
       {ip("fd00::1"), ip("::ffff:100.64.0.1"), ip("2001:db8:1::1"), ip("2001:db8:2::1"), ip("2001:db8:3::1")},
       "2001:db8:ffff::7",
       gw,
       {},
       "lan isp isp isp upstream | remote"},
      {"single-hop IPv6 path", {}, "fe80::1", gw, {}, "| lan"},
  });
}

TEST(Path, SegmentNamesRoundTrip) {
  for (segment s :
       {segment::ok, segment::host, segment::lan, segment::isp, segment::upstream, segment::remote, segment::unknown}) {
    EXPECT_EQ(parse_segment(to_string(s)), s);
  }
  EXPECT_EQ(to_string(segment::isp), "isp");
  EXPECT_EQ(segment_label(segment::isp), "ISP");
  EXPECT_EQ(segment_label(segment::lan), "LAN");
  EXPECT_EQ(segment_label(segment::remote), "target");
  for (const char* bad : {"", "ISP", "lan ", "wan", "remote\n"}) {
    EXPECT_FALSE(parse_segment(bad)) << bad;
  }
}

}  // namespace
}  // namespace netstab::core

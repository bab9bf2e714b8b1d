#include "core/ip_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace netstab::core {
namespace {

TEST(IpAddress, ParsesAndPrintsBothFamiliesCanonically) {
  struct row {
    const char* in;
    const char* text;
    ip_family family;
  };
  const row rows[] = {
      {"192.0.2.1", "192.0.2.1", ip_family::v4},
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1", ip_family::v6},
      {"[::1]", "::1", ip_family::v6},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1", ip_family::v6},
      {"0.0.0.0", "0.0.0.0", ip_family::v4},
      {"fe80::1%eth0", "fe80::1%eth0", ip_family::v6},
      {"[FE80::1%wlan0.5]", "fe80::1%wlan0.5", ip_family::v6},
  };
  for (const auto& r : rows) {
    const auto a = ip_address::parse(r.in);
    ASSERT_TRUE(a) << r.in;
    EXPECT_EQ(a->text(), r.text) << r.in;
    EXPECT_EQ(a->family(), r.family) << r.in;
    EXPECT_EQ(a->bytes().size(), r.family == ip_family::v4 ? 4U : 16U);
  }
}

TEST(IpAddress, RefusesWhatIsNotALiteral) {
  for (const char* bad :
       {"", "example.org", "192.0.2", "192.0.2.1 ", " ::1", "192.0.2.1%eth0", "fe80::1%", "fe80::1%a/b",
        "fe80::1%waytoolonginterface", "fe80::1%a%b", "10.0.0.0/8", "[::1", "::1]", "256.1.1.1", "[]"}) {
    EXPECT_FALSE(ip_address::parse(bad)) << bad;
  }
}

TEST(IpAddress, ClassifiesSpecialPurposeAddresses) {
  struct row {
    const char* addr;
    bool loopback, link_local, priv, cgnat;
  };
  const row rows[] = {
      {"127.0.0.1", true, false, false, false},
      {"127.255.255.254", true, false, false, false},
      {"::1", true, false, false, false},
      {"::ffff:127.0.0.1", true, false, false, false},
      {"169.254.10.1", false, true, false, false},
      {"fe80::1", false, true, false, false},
      {"febf::1", false, true, false, false},
      {"fec0::1", false, false, false, false},
      {"10.1.2.3", false, false, true, false},
      {"172.16.0.1", false, false, true, false},
      {"172.31.255.255", false, false, true, false},
      {"172.32.0.1", false, false, false, false},
      {"192.168.1.1", false, false, true, false},
      {"fd00::1", false, false, true, false},
      {"fc00::1", false, false, true, false},
      {"100.64.0.1", false, false, false, true},
      {"100.127.255.255", false, false, false, true},
      {"100.128.0.1", false, false, false, false},
      {"8.8.8.8", false, false, false, false},
      {"2001:db8::1", false, false, false, false},
  };
  for (const auto& r : rows) {
    const auto a = *ip_address::parse(r.addr);
    EXPECT_EQ(a.is_loopback(), r.loopback) << r.addr;
    EXPECT_EQ(a.is_link_local(), r.link_local) << r.addr;
    EXPECT_EQ(a.is_private(), r.priv) << r.addr;
    EXPECT_EQ(a.is_cgnat(), r.cgnat) << r.addr;
  }
}

TEST(IpAddress, ComparesAndHashesByValue) {
  const auto a = *ip_address::parse("2001:db8::1");
  const auto b = *ip_address::parse("2001:0db8:0000::0001");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, *ip_address::parse("192.0.2.1"));
  // Same bytes, other family: 0.0.0.0 is not ::.
  EXPECT_NE(*ip_address::parse("0.0.0.0"), *ip_address::parse("::"));
  std::unordered_set<ip_address> set{a, b, *ip_address::parse("192.0.2.1")};
  EXPECT_EQ(set.size(), 2U);
  EXPECT_EQ(ip_address::parse("::ffff:10.0.0.1")->unmapped(), *ip_address::parse("10.0.0.1"));
  EXPECT_EQ(a.unmapped(), a);
  // The zone is part of the value: fe80::1 on eth0 is not fe80::1 on eth1.
  EXPECT_NE(*ip_address::parse("fe80::1%eth0"), *ip_address::parse("fe80::1%eth1"));
  EXPECT_EQ(ip_address::parse("fe80::1%eth0")->zone(), "eth0");
  EXPECT_TRUE(ip_address::parse("fe80::1%eth0")->is_link_local());
  EXPECT_TRUE(ip_network::parse("fe80::/10")->contains(*ip_address::parse("fe80::1%eth0")));
}

TEST(IpNetwork, ContainsTableDriven) {
  struct row {
    const char* net;
    const char* addr;
    bool inside;
  };
  const row rows[] = {
      {"10.0.0.0/8", "10.255.0.1", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"10.1.2.3/8", "10.9.9.9", true},
      {"192.0.2.128/25", "192.0.2.127", false},
      {"192.0.2.128/25", "192.0.2.200", true},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "::1", false},
      {"fe80::/10", "fe80::abcd", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"192.0.2.1", "192.0.2.1", true},
      {"192.0.2.1", "192.0.2.2", false},
      {"::/0", "2001:db8::1", true},
  };
  for (const auto& r : rows) {
    const auto n = ip_network::parse(r.net);
    ASSERT_TRUE(n) << r.net;
    EXPECT_EQ(n->contains(*ip_address::parse(r.addr)), r.inside) << r.net << " " << r.addr;
  }
  EXPECT_EQ(ip_network::parse("10.1.2.3/8")->text(), "10.0.0.0/8");
  EXPECT_EQ(ip_network::parse("2001:db8::1")->prefix(), 128U);
}

TEST(IpNetwork, RefusesBadPrefixes) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "10.0.0.0/8/8", "host/8", "/8",
                          "10.0.0.0/-1", "10.0.0.0/ 8"}) {
    EXPECT_FALSE(ip_network::parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace netstab::core

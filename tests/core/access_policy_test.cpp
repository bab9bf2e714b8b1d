#include "core/access_policy.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

std::vector<access_rule> rules(std::initializer_list<const char*> texts) {
  std::vector<access_rule> out;
  for (const char* t : texts) out.push_back(*access_rule::parse(t));
  return out;
}

std::string check(const access_policy& p, const std::string& host) {
  const auto r = p.check_host(host, ip_address::parse(host));
  return r.ok() ? "ok" : r.message();
}

TEST(AccessRule, MatchesNetworksAddressesAndNamePatterns) {
  struct row {
    const char* rule;
    const char* host;
    bool match;
  };
  const row rows[] = {
      {"10.0.0.0/8", "10.9.8.7", true},          {"10.0.0.0/8", "11.0.0.1", false},
      {"192.0.2.1", "192.0.2.1", true},          {"2001:db8::/32", "2001:db8::5", true},
      {"10.0.0.0/8", "::ffff:10.0.0.1", true},   {"example.org", "EXAMPLE.org", true},
      {"example.org", "www.example.org", false}, {"*.example.org", "www.example.org", true},
      {"*.example.org", "example.org", false},   {".example.org", "a.b.example.org", true},
      {".example.org", "badexample.org", false}, {"*.example.org", "evilexample.org", false},
  };
  for (const auto& r : rows) {
    const auto rule = *access_rule::parse(r.rule);
    const auto a = ip_address::parse(r.host);
    const bool m = a ? rule.matches_address(*a) || rule.matches_name(r.host) : rule.matches_name(r.host);
    EXPECT_EQ(m, r.match) << r.rule << " vs " << r.host;
  }
  EXPECT_FALSE(access_rule::parse(""));
  EXPECT_TRUE(access_rule::parse("10.0.0.0/8")->is_network());
  EXPECT_FALSE(access_rule::parse("example.org")->is_network());
  EXPECT_EQ(access_rule::parse("Example.ORG")->text(), "Example.ORG");
}

TEST(AccessPolicy, CheckHostTableDriven) {
  access_config open;
  access_config lists;
  lists.allow = rules({"192.0.2.0/24", "*.example.org", "127.0.0.2"});
  lists.deny = rules({"192.0.2.66", "bad.example.org"});
  access_config switches;
  switches.allow_loopback = true;
  switches.allow_link_local = true;
  struct row {
    const access_config* cfg;
    const char* host;
    const char* expect;  // "ok" or the start of the error
  };
  const row rows[] = {
      {&open, "1.1.1.1", "ok"},
      {&open, "example.com", "ok"},
      {&open, "127.0.0.1", "target not allowed: loopback addresses need control.allow_loopback = true"},
      {&open, "::1", "target not allowed: loopback addresses need control.allow_loopback = true"},
      {&open, "localhost", "target not allowed: loopback addresses need control.allow_loopback = true"},
      {&open, "LocalHost", "target not allowed: loopback addresses need control.allow_loopback = true"},
      {&open, "169.254.1.1", "target not allowed: link-local addresses need control.allow_link_local = true"},
      {&open, "fe80::1%eth0", "target not allowed: link-local addresses need control.allow_link_local = true"},
      {&switches, "127.0.0.1", "ok"},
      {&switches, "fe80::1", "ok"},
      {&lists, "192.0.2.10", "ok"},
      {&lists, "www.example.org", "ok"},
      {&lists, "192.0.2.66", "target not allowed: \"192.0.2.66\" is on the deny list"},
      {&lists, "bad.example.org", "target not allowed: \"bad.example.org\" is on the deny list"},
      {&lists, "8.8.8.8", "target not allowed: \"8.8.8.8\" is not on the allow list"},
      {&lists, "example.org", "target not allowed: \"example.org\" is not on the allow list"},
      // The allow list may name a loopback address; the switch is then not needed.
      {&lists, "127.0.0.2", "ok"},
      {&lists, "127.0.0.3", "target not allowed: loopback addresses need control.allow_loopback = true"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(check(access_policy(*r.cfg), r.host), r.expect) << r.host;
  }
}

TEST(AccessPolicy, ResolvedAddressesAreCheckedAgain) {
  access_config c;
  c.deny = rules({"10.66.0.0/16"});
  const access_policy p(c);
  struct row {
    const char* host;
    const char* address;
    const char* expect;
  };
  const row rows[] = {
      {"www.example.org", "10.1.1.1", "ok"},
      {"www.example.org", "10.66.0.1",
       "target not allowed: \"www.example.org\" resolves to 10.66.0.1, on the deny list"},
      {"www.example.org", "127.0.0.1",
       "target not allowed: \"www.example.org\" resolves to the loopback address 127.0.0.1 (needs "
       "control.allow_loopback = true)"},
      {"www.example.org", "169.254.9.9",
       "target not allowed: \"www.example.org\" resolves to the link-local address 169.254.9.9 (needs "
       "control.allow_link_local = true)"},
  };
  for (const auto& r : rows) {
    const auto res = p.check_resolved(r.host, *ip_address::parse(r.address));
    EXPECT_EQ(res.ok() ? "ok" : res.message(), r.expect) << r.host << " " << r.address;
  }
  // A name the allow list names may resolve to loopback (the list is the administrator's word); so may any name
  // with the switch on.
  access_config listed;
  listed.allow = rules({"*.example.org"});
  EXPECT_TRUE(access_policy(listed).check_resolved("www.example.org", *ip_address::parse("127.0.0.1")).ok());
  access_config sw;
  sw.allow_loopback = true;
  EXPECT_TRUE(access_policy(sw).check_resolved("local.test", *ip_address::parse("127.0.0.1")).ok());
  EXPECT_FALSE(access_policy(access_config{}).check_resolved("local.test", *ip_address::parse("::1")).ok());
}

}  // namespace
}  // namespace netstab::core

#include "config/validate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netstab::config {
namespace {

struct host_case {
  std::string_view text;
  bool valid;
};

TEST(Validate, TargetHosts) {
  const std::vector<host_case> cases{
      {"1.1.1.1", true},
      {"255.255.255.255", true},
      {"2001:db8::1", true},
      {"::1", true},
      {"fe80::1%eth0", true},
      {"example.org", true},
      {"example.org.", true},
      {"a-b.example", true},
      {"localhost", true},
      {"xn--bcher-kva.example", true},
      {"1e100.net", true},
      {"", false},
      {".", false},
      {"1.2.3", false},
      {"256.1.1.1", false},
      {"1.1.1.1%eth0", false},
      {"fe80::1%", false},
      {"-a.example", false},
      {"a-.example", false},
      {"a..example", false},
      {"under_score.example", false},
      {"sp ace.example", false},
      {"[::1]", false},
      {"http://example.org", false},
      {std::string_view("a.example\0b", 11), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(!check_host(c.text).has_value(), c.valid);
  }
  EXPECT_TRUE(check_host(std::string(63, 'a') + ".example") == std::nullopt);
  EXPECT_TRUE(check_host(std::string(64, 'a') + ".example").has_value());
  std::string long_name;
  for (int i = 0; i < 64; ++i) {
    long_name += "abc.";
  }
  EXPECT_EQ(long_name.size(), 256U);
  EXPECT_TRUE(check_host(long_name).has_value());
  EXPECT_EQ(check_host("a b"), "\"a b\" is not a valid IP address or host name");
}

TEST(Validate, IpLiteralFamilyAndCanonicalForm) {
  EXPECT_EQ(ip_literal_family("192.0.2.1"), core::ip_version::v4);
  EXPECT_EQ(ip_literal_family("2001:db8::1"), core::ip_version::v6);
  EXPECT_EQ(ip_literal_family("example.org"), std::nullopt);
  EXPECT_EQ(canonical_ip("2001:DB8:0::1"), "2001:db8::1");
  EXPECT_EQ(canonical_ip("fe80::0:1%eth0"), "fe80::1%eth0");
  EXPECT_EQ(canonical_ip("example.org"), std::nullopt);
}

TEST(Validate, HostsAndCidrs) {
  const std::vector<host_case> cases{
      {"10.0.0.0/8", true},      {"0.0.0.0/0", true},   {"2001:db8::/32", true},  {"::/0", true},
      {"192.0.2.1", true},       {"example.org", true}, {"10.0.0.0/33", false},   {"2001:db8::/129", false},
      {"10.0.0.0/", false},      {"10.0.0.0/x", false}, {"example.org/8", false}, {"10.0.0.0/8/8", false},
      {"fe80::%eth0/64", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(!check_host_or_cidr(c.text).has_value(), c.valid);
  }
}

TEST(Validate, TopicPrefixes) {
  EXPECT_EQ(check_topic_prefix("netstab"), std::nullopt);
  EXPECT_EQ(check_topic_prefix("site/a/netstab"), std::nullopt);
  EXPECT_EQ(check_topic_prefix(""), "must not be empty");
  EXPECT_EQ(check_topic_prefix("a/+/b"), "\"a/+/b\" must not contain the MQTT wildcards '+' or '#'");
  EXPECT_EQ(check_topic_prefix("a/"), "\"a/\" must not start or end with '/'");
  EXPECT_EQ(check_topic_prefix("a//b"), "\"a//b\" must not contain an empty level (\"//\")");
  EXPECT_EQ(check_topic_prefix("$SYS"), "\"$SYS\" must not start with '$' (reserved for broker topics)");
  EXPECT_EQ(check_topic_prefix("a\tb"), "\"a\tb\" must not contain control characters");
}

TEST(Validate, AgentIds) {
  EXPECT_EQ(check_agent("host-1.lan_x"), std::nullopt);
  EXPECT_TRUE(check_agent("").has_value());
  EXPECT_TRUE(check_agent("a+b").has_value());
  EXPECT_TRUE(check_agent(std::string(129, 'a')).has_value());
  EXPECT_EQ(agent_from_host_name("my host/1"), "my-host-1");
  EXPECT_EQ(agent_from_host_name(""), "netstab");
}

TEST(Validate, InterfaceNames) {
  EXPECT_EQ(check_interface_name("eth0"), std::nullopt);
  EXPECT_EQ(check_interface_name("wlp0s20f3.100"), std::nullopt);
  EXPECT_TRUE(check_interface_name("sixteen-chars-xx").has_value());
  EXPECT_TRUE(check_interface_name("a b").has_value());
  EXPECT_TRUE(check_interface_name("eth0:1").has_value());
}

struct broker_case {
  std::string_view url;
  std::string_view scheme;
  std::string_view host;
  std::uint16_t port;
  std::string_view path;
};

TEST(Validate, ParsesBrokerUrls) {
  const std::vector<broker_case> cases{
      {"mqtt://localhost", "mqtt", "localhost", 1883, ""},
      {"mqtt://127.0.0.1:1884", "mqtt", "127.0.0.1", 1884, ""},
      {"MQTTS://broker.example.org", "mqtts", "broker.example.org", 8883, ""},
      {"ws://broker:9001", "ws", "broker", 9001, ""},
      {"ws://broker:9001/mqtt", "ws", "broker", 9001, "/mqtt"},
      {"wss://broker/", "wss", "broker", 443, "/"},
      {"mqtt://[::1]", "mqtt", "::1", 1883, ""},
      {"mqtt://[2001:db8::1]:8884", "mqtt", "2001:db8::1", 8884, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    const auto parsed = parse_broker_url(c.url);
    ASSERT_TRUE(parsed.address.has_value()) << parsed.problem;
    EXPECT_EQ(parsed.address->scheme, c.scheme);
    EXPECT_EQ(parsed.address->host, c.host);
    EXPECT_EQ(parsed.address->port, c.port);
    EXPECT_EQ(parsed.address->path, c.path);
  }
  EXPECT_TRUE(parse_broker_url("wss://b").address->tls());
  EXPECT_TRUE(parse_broker_url("wss://b").address->websocket());
  EXPECT_FALSE(parse_broker_url("mqtt://b").address->tls());
}

struct bad_broker_case {
  std::string_view url;
  std::string_view problem;
};

TEST(Validate, RefusesBadBrokerUrls) {
  const std::vector<bad_broker_case> cases{
      {"localhost:1883",
       "\"localhost:1883\" is not a URL (expected mqtt://, mqtts://, ws:// or wss:// followed by a host)"},
      {"tcp://localhost",
       "\"tcp://localhost\" has the unsupported scheme \"tcp\" (use mqtt://, mqtts://, ws:// or wss://)"},
      {"mqtt://", "\"mqtt://\" has no host"},
      {"mqtt://:1883", "\"mqtt://:1883\" has no host"},
      {"mqtt://host:", "\"mqtt://host:\" has the invalid port \"\" (1 to 65535)"},
      {"mqtt://host:65536", "\"mqtt://host:65536\" has the invalid port \"65536\" (1 to 65535)"},
      {"mqtt://host:12x", "\"mqtt://host:12x\" has the invalid port \"12x\" (1 to 65535)"},
      {"mqtt://::1", "\"mqtt://::1\" has an IPv6 address without brackets (write it as [address])"},
      {"mqtt://[::1", "\"mqtt://[::1\" has an unterminated '[' in its host"},
      {"mqtt://[1.2.3.4]", "\"mqtt://[1.2.3.4]\" has \"[1.2.3.4]\", which is not an IPv6 address"},
      {"mqtt://[::1]x", "\"mqtt://[::1]x\" has text after ']' that is not a port"},
      {"mqtt://bad_host", "\"mqtt://bad_host\" has the invalid host \"bad_host\" (IPv6 addresses go in brackets)"},
      {"ws://h/a b", "\"ws://h/a b\" has a path with a space, '?' or '#'"},
      {"mqtt://user@h", "\"mqtt://user@h\" contains user info; set mqtt.username and mqtt.password instead"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    const auto parsed = parse_broker_url(c.url);
    EXPECT_FALSE(parsed.address.has_value());
    EXPECT_EQ(parsed.problem, c.problem);
  }
}

TEST(Validate, EditDistance) {
  EXPECT_EQ(edit_distance("interval_ms", "interval_ms"), 0U);
  EXPECT_EQ(edit_distance("intervall_ms", "interval_ms"), 1U);
  EXPECT_EQ(edit_distance("brokr", "broker"), 1U);
  EXPECT_EQ(edit_distance("", "abc"), 3U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
}

}  // namespace
}  // namespace netstab::config

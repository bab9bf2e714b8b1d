// Tests of the netlab fixture itself, with the system's ping rather than netstab, so a failure here points at
// the lab and not at the program under test.
#include "tests/netlab/netlab.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/support/privileges.hpp"

namespace netstab::netlab {
namespace {

bool namespace_exists(const std::string& name) {
  const run_result r = run({"ip", "netns", "list"}, std::chrono::seconds(10));
  return r.out.find(name + " ") != std::string::npos || r.out.find(name + "\n") != std::string::npos;
}

// ping's summary line: "rtt min/avg/max/mdev = 20.129/20.235/20.380/0.093 ms".
std::optional<double> ping_avg(const std::string& out) {
  const auto pos = out.find(" = ");
  if (pos == std::string::npos) {
    return std::nullopt;
  }
  const auto first = out.find('/', pos);
  if (first == std::string::npos) {
    return std::nullopt;
  }
  return std::stod(out.substr(first + 1));
}

TEST(NetlabFixture, PingReachesEmulatedHostAndTeardownRemovesNamespace) {
  NETSTAB_REQUIRE_ROOT();
  std::string name;
  {
    netlab lab({"--delay", "fixed:10"});
    name = lab.name();
    EXPECT_TRUE(namespace_exists(name));
    for (const char* host : {host_v4, host_v6}) {
      const run_result r = lab.exec({"ping", "-c", "5", "-i", "0.05", "-W", "1", host}, std::chrono::seconds(10));
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      EXPECT_NE(r.out.find("5 received"), std::string::npos) << r.out;
      const auto avg = ping_avg(r.out);
      ASSERT_TRUE(avg.has_value()) << r.out;
      // ping adds its own user-space overhead and shares the machine: a loose bound, the exact one is netstab's.
      EXPECT_GE(*avg, 9.9);
      EXPECT_LT(*avg, 12.0);
    }
    const auto summary = lab.stop_responder();
    EXPECT_EQ(summary.value("requests", -1), 10);
    EXPECT_EQ(summary.value("replies", -1), 10);
    EXPECT_EQ(summary["delay_ms"].value("p50", 0.0), 10.0);
  }
  EXPECT_FALSE(namespace_exists(name));
}

TEST(NetlabFixture, TwoLabsAtOnceAreIsolated) {
  NETSTAB_REQUIRE_ROOT();
  netlab a({"--pattern", "loss"});
  netlab b({});
  EXPECT_NE(a.name(), b.name());
  EXPECT_NE(a.exec({"ping", "-c", "1", "-W", "1", host_v4}, std::chrono::seconds(10)).exit_code, 0);
  EXPECT_EQ(b.exec({"ping", "-c", "1", "-W", "1", host_v4}, std::chrono::seconds(10)).exit_code, 0);
}

TEST(NetlabFixture, BadResponderArgumentsFailConstruction) {
  NETSTAB_REQUIRE_ROOT();
  EXPECT_THROW(netlab({"--delay", "nonsense"}), std::runtime_error);
}

}  // namespace
}  // namespace netstab::netlab

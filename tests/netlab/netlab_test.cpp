// Tests of the netlab fixture itself, with the system's ping rather than netstab, so a failure here points at
// the lab and not at the program under test.
#include "tests/netlab/netlab.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/support/privileges.hpp"

namespace netstab::netlab {
namespace {

bool namespace_exists(const std::string& name) {
  const run_result r = run({"ip", "netns", "list"}, std::chrono::seconds(10));
  return r.out.find(name + " ") != std::string::npos || r.out.find(name + "\n") != std::string::npos;
}

// ping's summary line: "rtt min/avg/max/mdev = 20.129/20.235/20.380/0.093 ms"; the minimum.
std::optional<double> ping_min(const std::string& out) {
  const auto pos = out.find(" = ");
  if (pos == std::string::npos) {
    return std::nullopt;
  }
  return std::stod(out.substr(pos + 3));
}

TEST(NetlabFixture, PingReachesEmulatedHostAndTeardownRemovesNamespace) {
  NETSTAB_REQUIRE_ROOT();
  std::string name;
  {
    netlab lab({"--delay", "fixed:10"});
    name = lab.name();
    EXPECT_TRUE(namespace_exists(name));
    std::vector<double> fastest;
    for (const char* host : {host_v4, host_v6}) {
      const run_result r = lab.exec({"ping", "-c", "10", "-i", "0.05", "-W", "1", host}, std::chrono::seconds(30));
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      EXPECT_NE(r.out.find("10 received"), std::string::npos) << r.out;
      const auto min = ping_min(r.out);
      ASSERT_TRUE(min.has_value()) << r.out;
      fastest.push_back(*min);
    }
    const auto summary = lab.stop_responder();
    EXPECT_EQ(summary.value("requests", -1), 20);
    EXPECT_EQ(summary.value("replies", -1), 20);
    EXPECT_EQ(summary["delay_ms"].value("p50", 0.0), 10.0);
    // No reply comes before the delay. Above it, each RTT adds the responder's lateness (measured by the
    // responder in this run: its wake-ups wait behind whatever else the machine runs) and ping's own
    // user-space time between taking its send time and sending; the fastest of ten pings has the least of the
    // latter, and 2 ms cover it on a loaded machine. A delay applied twice, or not at all, is still far off.
    const double late_ms = summary["send_error_us"].value("max", 0.0) / 1000.0;
    for (const double min : fastest) {
      EXPECT_GE(min, 9.9);
      EXPECT_LT(min, 10.0 + late_ms + 2.0) << "the responder was up to " << late_ms << " ms late";
    }
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

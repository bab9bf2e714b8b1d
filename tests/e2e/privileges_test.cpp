// drop_capabilities against the real binary: netstab started as root keeps only CAP_NET_RAW (and still probes),
// clears the ambient set and sets no_new_privs. Read from /proc while it runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/wait.hpp"

namespace netstab::test {
namespace {

std::map<std::string, std::string> proc_status(pid_t pid) {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    out[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return out;
}

std::uint64_t hex(const std::string& s) { return s.empty() ? ~0ULL : std::stoull(s, nullptr, 16); }

constexpr std::uint64_t net_raw_only = 1ULL << 13;  // CAP_NET_RAW

TEST(Privileges, RootStartKeepsOnlyNetRawAndStillProbes) {
  NETSTAB_REQUIRE_ROOT();
  // The test itself runs as root with a full set, so the child starts with one too.
  ASSERT_NE(hex(proc_status(::getpid())["CapEff"]) & ~net_raw_only, 0U) << "the test should start with capabilities";
  const std::string log = ::testing::TempDir() + "netstab_privileges_" + std::to_string(::getpid()) + ".log";
  // Enough probes to outlast a slow start on a loaded machine; SIGTERM ends it below.
  child_process p({netstab_binary(), "--target", "127.0.0.1", "--interval", "100", "--count", "600", "--json"}, {},
                  log);
  // The first sample on stdout means start-up (and the drop before it) is over and probing works.
  poll_until([&] { return p.log().find("\"type\":\"sample\"") != std::string::npos; });
  ASSERT_NE(p.log().find("\"status\":\"ok\""), std::string::npos) << p.log();
  auto st = proc_status(p.pid());
  EXPECT_EQ(hex(st["CapEff"]), net_raw_only) << st["CapEff"];
  EXPECT_EQ(hex(st["CapPrm"]), net_raw_only) << st["CapPrm"];
  EXPECT_EQ(hex(st["CapInh"]), 0U) << st["CapInh"];
  EXPECT_EQ(hex(st["CapAmb"]), 0U) << st["CapAmb"];
  EXPECT_EQ(hex(st["CapBnd"]), net_raw_only) << st["CapBnd"];
  EXPECT_EQ(st["NoNewPrivs"], "1");
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(patience), 0) << p.log();
}

}  // namespace
}  // namespace netstab::test

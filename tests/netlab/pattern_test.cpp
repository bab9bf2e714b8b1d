// Integration tests: deterministic per-request patterns of loss, duplicates, late replies and ICMP unreachable,
// injected by the responder; netstab's samples and stats must count them exactly.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "tests/netlab/netlab.hpp"
#include "tests/support/privileges.hpp"

namespace netstab::netlab {
namespace {

struct pattern_case {
  const char* name;
  const char* host;
  const char* pattern;
  int count;
  // Expected netstab output.
  std::size_t ok;
  std::size_t timeout;
  std::size_t late;
  std::size_t duplicate;
  std::size_t unreachable;
  int lost;
  double loss_pct;
};

class Pattern : public ::testing::TestWithParam<pattern_case> {};

void PrintTo(const pattern_case& c, std::ostream* os) { *os << c.name << " (" << c.pattern << ")"; }

// Probes go 50 ms apart with a 200 ms timeout; the emulated host answers after 5 ms unless the pattern says
// otherwise. netstab exits once every probe has resolved, so the patterns make the last probe a plain ok that
// resolves after every late reply (250 ms, past the timeout) and every duplicate (1 ms after the first reply)
// of earlier probes has arrived.
TEST_P(Pattern, CountsMatchInjectedPattern) {
  NETSTAB_REQUIRE_ROOT();
  const pattern_case& c = GetParam();
  netlab lab({"--delay", "fixed:5", "--pattern", c.pattern, "--realtime"});
  // netstab should exit 200 ms after its last probe; allow generous slack, but don't wait minutes on a hang.
  const auto limit = std::chrono::milliseconds(50 * c.count + 200) + std::chrono::seconds(15);
  const auto out =
      run_netstab(lab, {"--target", c.host, "--interval", "50", "--timeout", "200", "--count", std::to_string(c.count)},
                  false, limit);
  EXPECT_FALSE(out.raw.timed_out) << "netstab did not exit after its last probe; stdout:\n" << out.raw.out;
  EXPECT_EQ(out.raw.exit_code, 0) << out.raw.err;
  EXPECT_TRUE(out.bad_lines.empty());
  ASSERT_EQ(out.stats.size(), 1U) << out.raw.out << out.raw.err;

  EXPECT_EQ(count_status(out.samples, "ok"), c.ok);
  EXPECT_EQ(count_status(out.samples, "timeout"), c.timeout);
  EXPECT_EQ(count_status(out.samples, "late"), c.late);
  EXPECT_EQ(count_status(out.samples, "duplicate"), c.duplicate);
  EXPECT_EQ(count_status(out.samples, "unreachable"), c.unreachable);
  EXPECT_EQ(count_status(out.samples, "error"), 0U);

  const auto& stats = out.stats.front();
  EXPECT_EQ(stats.value("sent", -1), c.count);
  EXPECT_EQ(stats.value("lost", -1), c.lost);
  EXPECT_EQ(stats.value("received", -1), c.count - c.lost);
  EXPECT_NEAR(stats.value("loss_pct", -1.0), c.loss_pct, 0.001);
  EXPECT_EQ(stats.value("duplicates", -1), static_cast<int>(c.duplicate));
  EXPECT_EQ(stats.value("late", -1), static_cast<int>(c.late));

  // Late replies carry an RTT too: the injected 250 ms (loosely: this checks which reply it is, not timing).
  for (const auto& s : out.samples) {
    if (s.value("status", "") == "late") {
      ASSERT_TRUE(s["rtt_ms"].is_number()) << s.dump();
      EXPECT_NEAR(s["rtt_ms"].get<double>(), 250.0, 5.0) << s.dump();
    }
    if (s.value("status", "") == "unreachable") {
      EXPECT_TRUE(s["rtt_ms"].is_null()) << s.dump();
    }
  }

  const auto summary = lab.stop_responder();
  EXPECT_EQ(summary.value("requests", -1), c.count);
  EXPECT_EQ(summary.value("late", -1), static_cast<int>(c.late));
  EXPECT_EQ(summary.value("duplicates", -1), static_cast<int>(c.duplicate));
  EXPECT_EQ(summary.value("unreachable", -1), static_cast<int>(c.unreachable));
}

// name, host, pattern, count: ok, timeout, late, duplicate, unreachable samples; lost, loss_pct.
const pattern_case pattern_cases[] = {
    {"LossV4", host_v4, "ok,ok,ok,loss", 40, 30, 10, 0, 0, 0, 10, 25.0},
    {"LossV6", host_v6, "ok,ok,ok,loss", 40, 30, 10, 0, 0, 0, 10, 25.0},
    // Indices 1, 3, ..., 17 are answered twice; the last probe (18) once.
    {"DuplicateV4", host_v4, "ok,dup", 19, 19, 0, 0, 9, 0, 0, 0.0},
    {"DuplicateV6", host_v6, "ok,dup", 19, 19, 0, 0, 9, 0, 0, 0.0},
    // Indices 1, 9 and 17 are late; the last late reply (17 * 50 + 250 = 1100 ms) comes before the last
    // probe's reply (23 * 50 + 5 = 1155 ms).
    {"LateV4", host_v4, "ok,late:250,ok,ok,ok,ok,ok,ok", 24, 21, 3, 3, 0, 0, 3, 12.5},
    {"LateV6", host_v6, "ok,late:250,ok,ok,ok,ok,ok,ok", 24, 21, 3, 3, 0, 0, 3, 12.5},
    {"UnreachableV4", host_v4, "ok,unreach", 10, 5, 0, 0, 0, 5, 5, 50.0},
    {"UnreachableV6", host_v6, "ok,unreach", 10, 5, 0, 0, 0, 5, 5, 50.0},
};

INSTANTIATE_TEST_SUITE_P(Netlab, Pattern, ::testing::ValuesIn(pattern_cases),
                         [](const ::testing::TestParamInfo<pattern_case>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace netstab::netlab

// Integration tests: deterministic per-request patterns of loss, duplicates, late replies and ICMP unreachable,
// injected by the responder; netstab's samples and stats must count them exactly.
#include <gtest/gtest.h>

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

// Probes go 50 ms apart with a 200 ms timeout; the emulated host answers after 5 ms unless the pattern says
// otherwise. Late replies come after 300 ms, past the timeout; the count is chosen so that the last probe is not
// late, so every late reply arrives before netstab exits (its last timeout ends the run).
TEST_P(Pattern, CountsMatchInjectedPattern) {
  NETSTAB_REQUIRE_ROOT();
  const pattern_case& c = GetParam();
  netlab lab({"--delay", "fixed:5", "--pattern", c.pattern, "--realtime"});
  const auto out = run_netstab(
      lab, {"--target", c.host, "--interval", "50", "--timeout", "200", "--count", std::to_string(c.count)});
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

  // Late and duplicate replies carry an RTT too; late ones show the injected 300 ms.
  for (const auto& s : out.samples) {
    if (s.value("status", "") == "late") {
      ASSERT_TRUE(s["rtt_ms"].is_number()) << s.dump();
      EXPECT_NEAR(s["rtt_ms"].get<double>(), 300.0, 1.0) << s.dump();
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
    {"DuplicateV4", host_v4, "ok,dup", 20, 20, 0, 0, 10, 0, 0, 0.0},
    {"DuplicateV6", host_v6, "ok,dup", 20, 20, 0, 0, 10, 0, 0, 0.0},
    // Indices 3, 7, 11 and 15 are late; the last probe (18) is on time.
    {"LateV4", host_v4, "ok,ok,ok,late:300", 19, 15, 4, 4, 0, 0, 4, 400.0 / 19.0},
    {"LateV6", host_v6, "ok,ok,ok,late:300", 19, 15, 4, 4, 0, 0, 4, 400.0 / 19.0},
    {"UnreachableV4", host_v4, "ok,unreach", 10, 5, 0, 0, 0, 5, 5, 50.0},
    {"UnreachableV6", host_v6, "ok,unreach", 10, 5, 0, 0, 0, 5, 5, 50.0},
};

INSTANTIATE_TEST_SUITE_P(Netlab, Pattern, ::testing::ValuesIn(pattern_cases),
                         [](const ::testing::TestParamInfo<pattern_case>& param_info) {
                           return std::string(param_info.param.name);
                         });

}  // namespace
}  // namespace netstab::netlab

// The path monitoring and verdict settings: probe.path ("auto" | true | false) in the file, per target, in the
// environment and as --path; the [path] and [verdict] sections with their ranges.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/cli.hpp"
#include "config/loader.hpp"
#include "config/print.hpp"
#include "tests/config/temp_files.hpp"

namespace netstab::config {
namespace {

using namespace std::chrono_literals;
using testing::temp_dir;

settings from_toml(std::string_view toml, environment env = {}) {
  const temp_dir dir;
  load_request request;
  request.config_file = dir.write("netstab.toml", toml);
  request.env = std::move(env);
  request.host_name = "testhost";
  return build(request);
}

std::string error_in(std::string_view toml) {
  const temp_dir dir;
  load_request request;
  request.config_file = dir.write("netstab.toml", toml);
  request.host_name = "testhost";
  std::string message = testing::error_of(request);
  const auto at = message.find(request.config_file);
  if (at != std::string::npos) message.replace(at, request.config_file.size(), "netstab.toml");
  return message;
}

TEST(PathSettings, ProbePathTakesAutoTrueOrFalse) {
  EXPECT_EQ(settings{}.probe.path, core::path_mode::automatic);
  EXPECT_EQ(from_toml("[probe]\npath = true\n").probe.path, core::path_mode::on);
  EXPECT_EQ(from_toml("[probe]\npath = false\n").probe.path, core::path_mode::off);
  EXPECT_EQ(from_toml("[probe]\npath = \"auto\"\n").probe.path, core::path_mode::automatic);
  EXPECT_EQ(from_toml("", {{"NETSTAB_PROBE_PATH", "true"}}).probe.path, core::path_mode::on);
  EXPECT_EQ(error_in("[probe]\npath = \"yes\"\n"),
            "netstab.toml:2: probe.path: \"yes\" is not one of \"auto\", \"true\", \"false\"");
  EXPECT_EQ(error_in("[probe]\npath = 1\n"),
            "netstab.toml:2: probe.path: \"1\" is not one of \"auto\", \"true\", \"false\"");
}

TEST(PathSettings, PerTargetPath) {
  const settings s = from_toml(R"(
targets = ["192.0.2.1", { host = "192.0.2.2", path = false }]
[[target]]
host = "192.0.2.3"
path = true
)");
  ASSERT_EQ(s.targets.size(), 3U);
  EXPECT_EQ(s.targets[0].probe.path, core::path_mode::automatic);
  EXPECT_EQ(s.targets[1].probe.path, core::path_mode::off);
  EXPECT_EQ(s.targets[2].probe.path, core::path_mode::on);
}

TEST(PathSettings, DashDashPathAsksForPathMonitoring) {
  const char* argv[] = {"netstab", "--target", "192.0.2.1", "--path", nullptr};
  const cli_result r = load(4, argv, {}, load_options{"testhost", "9.9.9"});
  ASSERT_FALSE(r.exit_now);
  ASSERT_EQ(r.value.targets.size(), 1U);
  EXPECT_EQ(r.value.targets[0].probe.path, core::path_mode::on);
}

TEST(PathSettings, SectionsAndRanges) {
  const settings s = from_toml(R"(
[path]
enabled = false
max_targets = 3
max_ttl = 12
trace_rounds = 2
retrace_s = 60
retrace_min_s = 5
hop_interval_ms = 250
unknown_interval_s = 20
max_pps = 40
lan_hops = 1
isp_hops = 2
isp_public_hops = 1
[verdict]
excess_ms = 30
excess_pct = 10
carry_share = 0.25
carry_noise_sd = 0
host_gap_ms = 15
confirm_after = 2
clear_after = 5
)");
  EXPECT_FALSE(s.path.enabled);
  EXPECT_EQ(s.path.max_targets, 3U);
  EXPECT_EQ(s.path.max_ttl, 12U);
  EXPECT_EQ(s.path.trace_rounds, 2U);
  EXPECT_EQ(s.path.retrace, 60s);
  EXPECT_EQ(s.path.retrace_min, 5s);
  EXPECT_EQ(s.path.hop_interval, 250ms);
  EXPECT_EQ(s.path.unknown_interval, 20s);
  EXPECT_EQ(s.path.max_pps, 40U);
  EXPECT_EQ(s.path.lan_hops, 1);
  EXPECT_EQ(s.path.isp_hops, 2);
  EXPECT_EQ(s.path.isp_public_hops, 1U);
  EXPECT_DOUBLE_EQ(s.verdict.excess_ms, 30);
  EXPECT_DOUBLE_EQ(s.verdict.excess_pct, 10);
  EXPECT_DOUBLE_EQ(s.verdict.carry_share, 0.25);
  EXPECT_DOUBLE_EQ(s.verdict.carry_noise_sd, 0);
  EXPECT_DOUBLE_EQ(s.verdict.host_gap_ms, 15);
  EXPECT_EQ(s.verdict.confirm_after, 2U);
  EXPECT_EQ(s.verdict.clear_after, 5U);
  EXPECT_EQ(error_in("[path]\nmax_pps = 0\n"), "netstab.toml:2: path.max_pps: 0 is below the minimum of 1");
  EXPECT_EQ(error_in("[path]\nhop_interval_ms = 10\n"),
            "netstab.toml:2: path.hop_interval_ms: 10 is below the minimum of 100");
  EXPECT_EQ(error_in("[path]\nlan_hops = -2\n"), "netstab.toml:2: path.lan_hops: -2 is below the minimum of -1");
  EXPECT_EQ(error_in("[verdict]\ncarry_share = 1.5\n"),
            "netstab.toml:2: verdict.carry_share: 1.5 is above the maximum of 1");
}

TEST(PathSettings, PrintedConfigurationLoadsBack) {
  settings s = from_toml("[probe]\npath = false\n[[target]]\nhost = \"192.0.2.3\"\npath = true\n");
  const std::string printed = to_toml(s);
  EXPECT_NE(printed.find("path = false"), std::string::npos) << printed;
  const settings again = from_toml(printed);
  EXPECT_EQ(again.probe.path, core::path_mode::off);
  ASSERT_EQ(again.targets.size(), 1U);
  EXPECT_EQ(again.targets[0].probe.path, core::path_mode::on);
}

}  // namespace
}  // namespace netstab::config

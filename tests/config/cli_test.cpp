#include "config/cli.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/config/temp_files.hpp"

namespace netstab::config {
namespace {

using namespace std::chrono_literals;
using testing::temp_dir;

cli_result run(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), "netstab");
  std::vector<const char*> argv;
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  argv.push_back(nullptr);
  return load(static_cast<int>(args.size()), argv.data(), env, load_options{"testhost", "9.9.9"});
}

std::string error_of(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
  try {
    run(std::move(args), env);
  } catch (const config_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Cli, ParsesEveryFlag) {
  const temp_dir dir;
  const std::string secret = dir.write("secret", "pw\n");
  const cli_result r = run({"--target",
                            "1.1.1.1",
                            "--target",
                            "example.org",
                            "--interval",
                            "250",
                            "--timeout",
                            "900",
                            "--count",
                            "3",
                            "--json",
                            "--size",
                            "64",
                            "--ttl",
                            "12",
                            "--tos",
                            "16",
                            "-6",
                            "--source",
                            "2001:db8::5",
                            "--interface",
                            "wlan0",
                            "--broker",
                            "mqtts://broker.lan",
                            "--agent",
                            "a1",
                            "--username",
                            "u",
                            "--password-file",
                            secret,
                            "--no-samples",
                            "--log-level",
                            "warn"});
  ASSERT_FALSE(r.exit_now) << r.output;
  const settings& s = r.value;
  ASSERT_EQ(s.targets.size(), 2U);
  EXPECT_EQ(s.targets[0].host, "1.1.1.1");
  EXPECT_EQ(s.targets[1].host, "example.org");
  EXPECT_EQ(s.targets[1].probe.interval, 250ms);
  EXPECT_EQ(s.probe.timeout, 900ms);
  EXPECT_EQ(s.output.count, 3U);
  EXPECT_TRUE(s.output.json);
  EXPECT_EQ(s.probe.size, 64U);
  EXPECT_EQ(s.probe.ttl, 12);
  EXPECT_EQ(s.probe.tos, 16);
  EXPECT_EQ(s.probe.family, core::ip_version::v6);
  EXPECT_EQ(s.probe.source, core::ip_address::parse("2001:db8::5"));
  EXPECT_EQ(s.probe.interface, "wlan0");
  EXPECT_EQ(s.mqtt.address->port, 8883);
  EXPECT_EQ(s.mqtt.agent, "a1");
  EXPECT_EQ(s.mqtt.username, "u");
  EXPECT_EQ(s.mqtt.password, "pw");
  EXPECT_FALSE(s.probe.publish_samples);
  EXPECT_EQ(s.log.level, log_level::warn);
}

TEST(Cli, MinusFourSelectsIpv4) {
  EXPECT_EQ(run({"-4"}).value.probe.family, core::ip_version::v4);
  EXPECT_EQ(run({}).value.probe.family, core::ip_version::any);
}

TEST(Cli, CommandLineBeatsEnvironmentAndFile) {
  const temp_dir dir;
  const std::string file = dir.write("netstab.toml", "targets = [\"192.0.2.1\"]\n[probe]\ninterval_ms = 500\n");
  const std::map<std::string, std::string> env{{"NETSTAB_PROBE_INTERVAL_MS", "400"}, {"NETSTAB_OUTPUT_COUNT", "9"}};
  cli_result r = run({"--config", file}, env);
  EXPECT_EQ(r.value.probe.interval, 400ms);
  EXPECT_EQ(r.value.output.count, 9U);
  EXPECT_EQ(r.value.targets.at(0).host, "192.0.2.1");
  r = run({"--config", file, "--interval", "300", "--target", "192.0.2.2"}, env);
  EXPECT_EQ(r.value.probe.interval, 300ms);
  EXPECT_EQ(r.value.output.count, 9U);
  ASSERT_EQ(r.value.targets.size(), 1U);
  EXPECT_EQ(r.value.targets[0].host, "192.0.2.2");
}

TEST(Cli, TheLastOfARepeatedFlagWins) { EXPECT_EQ(run({"--ttl", "3", "--ttl", "4"}).value.probe.ttl, 4); }

struct flag_case {
  std::vector<std::string> args;
  std::string_view message;
};

TEST(Cli, RefusesInvalidValuesNamingTheFlag) {
  const std::vector<flag_case> cases{
      {{"--interval", "0"}, "--interval: 0 is below the minimum of 1"},
      {{"--interval", "soon"}, "--interval: expected an integer, got \"soon\""},
      {{"--timeout", "60001"}, "--timeout: 60001 is above the maximum of 60000"},
      {{"--count", "-1"}, "--count: -1 is below the minimum of 0"},
      {{"--size", "10"}, "--size: 10 is below the minimum of 24"},
      {{"--ttl", "256"}, "--ttl: 256 is above the maximum of 255"},
      {{"--tos", "x"}, "--tos: expected an integer, got \"x\""},
      {{"--source", "example.org"}, "--source: \"example.org\" is not an IP address"},
      {{"--interface", "a very long interface"},
       "--interface: \"a very long interface\" is not a valid interface name (1 to 15 characters, no '/', ':' or "
       "spaces)"},
      {{"--broker", "mqtt:/x"},
       "--broker: \"mqtt:/x\" is not a URL (expected mqtt://, mqtts://, ws:// or wss:// followed by a host)"},
      {{"--agent", "a/b"}, "--agent: \"a/b\" may only contain letters, digits, '.', '_' and '-'"},
      {{"--log-level", "chatty"},
       "--log-level: \"chatty\" is not one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", \"off\""},
      {{"--target", "no_underscores.example"},
       "--target: \"no_underscores.example\" is not a valid IP address or host name"},
      {{"--target", "1.1.1.1", "--target", "1.1.1.1"}, "--target: duplicate target \"1.1.1.1\""},
      {{"--password-file", "/nonexistent/pw"},
       "--password-file: cannot read \"/nonexistent/pw\": No such file or directory"},
      {{"--config", "/nonexistent/netstab.toml"},
       "/nonexistent/netstab.toml: cannot read the configuration file: No such file or directory"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args.front());
    EXPECT_EQ(error_of(c.args), c.message);
  }
}

TEST(Cli, SyntaxErrorsExitWithCodeTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--frobnicate"}, {"--interval"}, {"-4", "-6"}, {"stray"}, {"--target", "a.example", "b.example"}}) {
    SCOPED_TRACE(args.front());
    const cli_result r = run(args);
    EXPECT_TRUE(r.exit_now);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--help"), std::string::npos) << r.output;
  }
}

TEST(Cli, HelpListsEveryFlagWithItsDefault) {
  const cli_result r = run({"--help"});
  EXPECT_TRUE(r.exit_now);
  EXPECT_EQ(r.exit_code, 0);
  for (const std::string_view flag : {"--config",   "--target",        "--interval",   "--timeout",   "--count",
                                      "--json",     "--size",          "--ttl",        "--tos",       "-4",
                                      "-6",         "--source",        "--interface",  "--broker",    "--agent",
                                      "--username", "--password-file", "--no-samples", "--log-level", "--print-config",
                                      "--version",  "NETSTAB_"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << "\n" << r.output;
  }
  for (const std::string_view default_value :
       {"--interval MS=1000", "--size BYTES=56", "--ttl N=64", "--log-level LEVEL=info"}) {
    EXPECT_NE(r.output.find(default_value), std::string::npos) << default_value << "\n" << r.output;
  }
}

TEST(Cli, VersionPrintsTheVersion) {
  const cli_result r = run({"--version"});
  EXPECT_TRUE(r.exit_now);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "netstab 9.9.9\n");
  EXPECT_EQ(version(), "0.1.0");
}

TEST(Cli, PrintConfigMasksSecrets) {
  const cli_result r = run({"--print-config", "--broker", "mqtt://localhost"}, {{"NETSTAB_MQTT_PASSWORD", "hunter2"}});
  EXPECT_TRUE(r.exit_now);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("password = \"********\""), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("broker = \"mqtt://localhost\""), std::string::npos) << r.output;
  EXPECT_EQ(r.value.mqtt.password, "hunter2");
}

TEST(Cli, PrintConfigNeverPrintsAPasswordFromAFile) {
  const temp_dir dir;
  const std::string secret = dir.write("secret", "hunter2\n");
  const cli_result r = run({"--print-config", "--password-file", secret});
  EXPECT_EQ(r.output.find("hunter2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("password_file = \"" + secret + "\""), std::string::npos) << r.output;
}

TEST(Cli, KeepsTheRequestForReload) {
  const temp_dir dir;
  const std::string file = dir.write("netstab.toml", "[probe]\nttl = 5\n");
  const cli_result r = run({"--config", file, "--tos", "4"}, {{"NETSTAB_PROBE_SIZE", "100"}});
  EXPECT_EQ(r.value.probe.ttl, 5);
  dir.write("netstab.toml", "[probe]\nttl = 6\n");
  const settings reloaded = reload(r.request);
  EXPECT_EQ(reloaded.probe.ttl, 6);
  EXPECT_EQ(reloaded.probe.tos, 4);
  EXPECT_EQ(reloaded.probe.size, 100U);
  EXPECT_EQ(reloaded.mqtt.agent, "testhost");
}

}  // namespace
}  // namespace netstab::config

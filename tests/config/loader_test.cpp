#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "config/print.hpp"
#include "tests/config/temp_files.hpp"

namespace netstab::config {
namespace {

// The allow/deny rules as configured.
std::vector<std::string> rule_texts(const std::vector<core::access_rule>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back(r.text());
  return out;
}

using namespace std::chrono_literals;
using testing::error_of;
using testing::fixture;
using testing::temp_dir;

settings load_text(const temp_dir& dir, std::string_view toml, environment env = {}) {
  load_request request;
  request.config_file = dir.write("netstab.toml", toml);
  request.env = std::move(env);
  request.host_name = "testhost";
  return build(request);
}

std::string file_error(std::string_view toml) {
  const temp_dir dir;
  load_request request;
  request.config_file = dir.write("netstab.toml", toml);
  request.host_name = "testhost";
  std::string message = error_of(request);
  // Messages name the path as given; the tests compare them with the file name alone.
  for (auto at = message.find(request.config_file); at != std::string::npos; at = message.find(request.config_file)) {
    message.replace(at, request.config_file.size(), "netstab.toml");
  }
  return message;
}

std::string env_error(environment env) {
  load_request request;
  request.env = std::move(env);
  request.host_name = "testhost";
  return error_of(request);
}

struct invalid_file_case {
  std::string_view toml;
  std::string_view message;
};

TEST(Loader, RefusesInvalidFileValuesNamingFileLineAndKey) {
  const std::vector<invalid_file_case> cases{
      {"[probe]\ninterval_ms = 0\n", "netstab.toml:2: probe.interval_ms: 0 is below the minimum of 1"},
      {"[probe]\ninterval_ms = 3600001\n",
       "netstab.toml:2: probe.interval_ms: 3600001 is above the maximum of 3600000"},
      {"[probe]\ninterval_ms = \"fast\"\n", "netstab.toml:2: probe.interval_ms: expected an integer, got a string"},
      {"[probe]\ntimeout_ms = 0\n", "netstab.toml:2: probe.timeout_ms: 0 is below the minimum of 1"},
      {"[probe]\ntimeout_ms = 60001\n", "netstab.toml:2: probe.timeout_ms: 60001 is above the maximum of 60000"},
      {"[probe]\nsize = 23\n", "netstab.toml:2: probe.size: 23 is below the minimum of 24"},
      {"[probe]\nsize = 65001\n", "netstab.toml:2: probe.size: 65001 is above the maximum of 65000"},
      {"[probe]\nttl = 0\n", "netstab.toml:2: probe.ttl: 0 is below the minimum of 1"},
      {"[probe]\nttl = 256\n", "netstab.toml:2: probe.ttl: 256 is above the maximum of 255"},
      {"[probe]\ntos = -1\n", "netstab.toml:2: probe.tos: -1 is below the minimum of 0"},
      {"[probe]\nip_version = \"5\"\n", "netstab.toml:2: probe.ip_version: \"5\" is not one of \"auto\", \"4\", \"6\""},
      {"[probe]\nip_version = true\n", "netstab.toml:2: probe.ip_version: expected a string, got a boolean"},
      {"[probe]\nsource = \"1.2.3\"\n", "netstab.toml:2: probe.source: \"1.2.3\" is not an IP address"},
      {"[probe]\ninterface = \"eth0/1\"\n",
       "netstab.toml:2: probe.interface: \"eth0/1\" is not a valid interface name (1 to 15 characters, no '/', ':' or "
       "spaces)"},
      {"[probe]\npublish_samples = \"yes\"\n",
       "netstab.toml:2: probe.publish_samples: expected a boolean, got a string"},
      {"[probe]\nresolve_interval_s = 5\n", "netstab.toml:2: probe.resolve_interval_s: 5 is below the minimum of 10"},
      {"[probe]\nsend_grid_ms = 0\n", "netstab.toml:2: probe.send_grid_ms: 0 is below the minimum of 1"},
      {"[probe]\nsend_grid_ms = 101\n", "netstab.toml:2: probe.send_grid_ms: 101 is above the maximum of 100"},
      {"[stats]\nwindow_s = 0\n", "netstab.toml:2: stats.window_s: 0 is below the minimum of 1"},
      {"[stats]\nextra_windows_s = [10,\n  0]\n", "netstab.toml:3: stats.extra_windows_s: 0 is below the minimum of 1"},
      {"[stats]\nextra_windows_s = 10\n",
       "netstab.toml:2: stats.extra_windows_s: expected an array of integers, got an integer"},
      {"[stats]\nextra_windows_s = [10, \"x\"]\n",
       "netstab.toml:2: stats.extra_windows_s: expected an integer, got a string"},
      {"[stats]\nextra_windows_s = [10, 300, 10]\n", "netstab.toml:2: stats.extra_windows_s: 10 is listed twice"},
      {"[stats]\nbuckets = 1\n", "netstab.toml:2: stats.buckets: 1 is below the minimum of 2"},
      {"[stats]\nbuckets = 65\n", "netstab.toml:2: stats.buckets: 65 is above the maximum of 64"},
      {"[stats]\npublish_interval_ms = 50\n",
       "netstab.toml:2: stats.publish_interval_ms: 50 is below the minimum of 100 (0 means once per target interval)"},
      {"[stats]\nmax_incidents = -1\n", "netstab.toml:2: stats.max_incidents: -1 is below the minimum of 0"},
      {"[stats]\ndigest_interval_ms = 99\n",
       "netstab.toml:2: stats.digest_interval_ms: 99 is below the minimum of 100 (0 turns the digest off)"},
      {"[stats]\nper_target = \"no\"\n", "netstab.toml:2: stats.per_target: expected a boolean, got a string"},
      {"[status]\nloss_warn_pct = 101\n", "netstab.toml:2: status.loss_warn_pct: 101 is above the maximum of 100"},
      {"[status]\nloss_bad_pct = \"5\"\n", "netstab.toml:2: status.loss_bad_pct: expected a number, got a string"},
      {"[status]\nrto_streak_warn = 1.5\n",
       "netstab.toml:2: status.rto_streak_warn: expected an integer, got a floating-point number"},
      {"[status]\nrtt_p95_bad_ms = nan\n", "netstab.toml:2: status.rtt_p95_bad_ms: nan is not a finite number"},
      {"[status]\nrecover_after = 0\n", "netstab.toml:2: status.recover_after: 0 is below the minimum of 1"},
      {"[output]\njson = 1\n", "netstab.toml:2: output.json: expected a boolean, got an integer"},
      {"[output]\ncount = -1\n", "netstab.toml:2: output.count: -1 is below the minimum of 0"},
      {"[mqtt]\nbroker = \"http://example.org\"\n",
       "netstab.toml:2: mqtt.broker: \"http://example.org\" has the unsupported scheme \"http\" (use mqtt://, "
       "mqtts://, "
       "ws:// or wss://)"},
      {"[mqtt]\nbroker = \"example.org\"\n",
       "netstab.toml:2: mqtt.broker: \"example.org\" is not a URL (expected mqtt://, mqtts://, ws:// or wss:// "
       "followed by a host)"},
      {"[mqtt]\nbroker = \"mqtt://example.org:0\"\n",
       "netstab.toml:2: mqtt.broker: \"mqtt://example.org:0\" has the invalid port \"0\" (1 to 65535)"},
      {"[mqtt]\nbroker = \"mqtt://u:p@example.org\"\n",
       "netstab.toml:2: mqtt.broker: \"mqtt://u:p@example.org\" contains user info; set mqtt.username and "
       "mqtt.password instead"},
      {"[mqtt]\nbroker = \"mqtt://example.org/mqtt\"\n",
       "netstab.toml:2: mqtt.broker: \"mqtt://example.org/mqtt\" has a path, which only ws:// and wss:// URLs may "
       "have"},
      {"[mqtt]\nagent = \"my agent\"\n",
       "netstab.toml:2: mqtt.agent: \"my agent\" may only contain letters, digits, '.', '_' and '-'"},
      {"[mqtt]\nbase_topic = \"home/#\"\n",
       "netstab.toml:2: mqtt.base_topic: \"home/#\" must not contain the MQTT wildcards '+' or '#'"},
      {"[mqtt]\nbase_topic = \"/netstab\"\n",
       "netstab.toml:2: mqtt.base_topic: \"/netstab\" must not start or end with '/'"},
      {"[mqtt]\nprotocol = \"4\"\n", "netstab.toml:2: mqtt.protocol: \"4\" is not one of \"5\", \"3.1.1\""},
      {"[mqtt]\nqos_sample = 3\n", "netstab.toml:2: mqtt.qos_sample: 3 is above the maximum of 2"},
      {"[mqtt]\nqos_other = -1\n", "netstab.toml:2: mqtt.qos_other: -1 is below the minimum of 0"},
      {"[mqtt]\ntls_verify = \"no\"\n", "netstab.toml:2: mqtt.tls_verify: expected a boolean, got a string"},
      {"[mqtt]\nreconnect_min_s = 0\n", "netstab.toml:2: mqtt.reconnect_min_s: 0 is below the minimum of 1"},
      {"[control]\nallow = [\"10.0.0.0/33\"]\n",
       "netstab.toml:2: control.allow: \"10.0.0.0/33\" is not a valid host name, IP address or CIDR"},
      {"[control]\ndeny = [1]\n", "netstab.toml:2: control.deny: expected a string, got an integer"},
      {"[control]\ncommands_per_minute = 0\n",
       "netstab.toml:2: control.commands_per_minute: 0 is below the minimum of 1"},
      {"[control]\nmin_interval_ms = 9\n", "netstab.toml:2: control.min_interval_ms: 9 is below the minimum of 10"},
      {"[discovery]\nprefix = \"\"\n", "netstab.toml:2: discovery.prefix: must not be empty"},
      {"[log]\nlevel = \"verbose\"\n",
       "netstab.toml:2: log.level: \"verbose\" is not one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", "
       "\"off\""},
      {"[log]\nformat = \"xml\"\n", "netstab.toml:2: log.format: \"xml\" is not one of \"text\", \"json\""},
      // Cross-key rules blame the key that was set.
      {"[status]\nloss_warn_pct = 6\n", "netstab.toml:2: status.loss_warn_pct: 6 is above status.loss_bad_pct (5)"},
      {"[status]\nloss_bad_pct = 1.5\n", "netstab.toml:2: status.loss_bad_pct: 1.5 is below status.loss_warn_pct (2)"},
      {"[status]\nrtt_p95_warn_ms = 300\n",
       "netstab.toml:2: status.rtt_p95_warn_ms: 300 is above status.rtt_p95_bad_ms (250)"},
      {"[status]\njitter_bad_ms = 10\n",
       "netstab.toml:2: status.jitter_bad_ms: 10 is below status.jitter_warn_ms (20)"},
      {"[status]\nrto_streak_warn = 5\n",
       "netstab.toml:2: status.rto_streak_warn: 5 is above status.rto_streak_bad (4)"},
      {"[mqtt]\nreconnect_min_s = 100\n",
       "netstab.toml:2: mqtt.reconnect_min_s: 100 is above mqtt.reconnect_max_s (60)"},
      {"[mqtt]\ntls_cert_file = \"/etc/hostname\"\n",
       "netstab.toml:2: mqtt.tls_cert_file: set mqtt.tls_cert_file and mqtt.tls_key_file together"},
      {"[mqtt]\ntls_ca_file = \"/nonexistent/ca.pem\"\n",
       "netstab.toml:2: mqtt.tls_ca_file: cannot read \"/nonexistent/ca.pem\": No such file or directory"},
      // Targets.
      {"targets = [\"exa mple.org\"]\n",
       "netstab.toml:1: targets[0]: \"exa mple.org\" is not a valid IP address or host name"},
      {"targets = [\"1.2.3\"]\n", "netstab.toml:1: targets[0]: \"1.2.3\" is not a valid IP address or host name"},
      {"targets = [\"-bad.example\"]\n",
       "netstab.toml:1: targets[0]: \"-bad.example\" is not a valid IP address or host name"},
      {"targets = \"1.1.1.1\"\n", "netstab.toml:1: targets: expected an array of host names, got a string"},
      {"targets = [\n  \"1.1.1.1\",\n  \"example.org\",\n  \"1.1.1.1\",\n]\n",
       "netstab.toml:4: targets[2]: duplicate target \"1.1.1.1\" (first at line 2)"},
      {"targets = [\"Example.ORG\"]\n[[target]]\nhost = \"example.org.\"\n",
       "netstab.toml:3: target[0].host: duplicate target \"example.org.\" (first at line 1)"},
      {"targets = [\"::1\"]\n[[target]]\nhost = \"0:0::1\"\n",
       "netstab.toml:3: target[0].host: duplicate target \"0:0::1\" (first at line 1)"},
      {"targets = [42]\n", "netstab.toml:1: targets[0]: expected a string or a table, got an integer"},
      {"[[target]]\nttl = 3\n", "netstab.toml:1: target[0]: missing the key \"host\""},
      {"[[target]]\nhost = \"1.1.1.1\"\nresolve_interval_s = 30\n",
       "netstab.toml:3: target[0].resolve_interval_s: cannot be set per target; set probe.resolve_interval_s instead"},
      {"[[target]]\nhost = \"1.1.1.1\"\nintervall_ms = 30\n",
       "netstab.toml:3: target[0].intervall_ms: unknown key; did you mean \"interval_ms\"?"},
      {"[[target]]\nhost = \"1.1.1.1\"\ninterval_ms = 0\n",
       "netstab.toml:3: target[0].interval_ms: 0 is below the minimum of 1"},
      {"targets = [{ host = \"1.1.1.1\", ttl = 300 }]\n",
       "netstab.toml:1: targets[0].ttl: 300 is above the maximum of 255"},
      // Unknown keys and sections.
      {"[probe]\nintervall_ms = 5\n", "netstab.toml:2: probe.intervall_ms: unknown key; did you mean \"interval_ms\"?"},
      {"[probe]\nwindow_s = 5\n", "netstab.toml:2: probe.window_s: unknown key; did you mean \"stats.window_s\"?"},
      {"[probe]\nzzz = 5\n", "netstab.toml:2: probe.zzz: unknown key"},
      {"[prbe]\ninterval_ms = 5\n", "netstab.toml:1: prbe: unknown section; did you mean \"probe\"?"},
      {"interval_ms = 5\n", "netstab.toml:1: interval_ms: unknown key; did you mean \"probe.interval_ms\"?"},
      {"taregts = []\n", "netstab.toml:1: taregts: unknown key; did you mean \"targets\"?"},
      {"probe = 5\n", "netstab.toml:1: probe: expected a table, got an integer"},
      {"[probe.extra]\nx = 1\n", "netstab.toml:1: probe.extra: unknown key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.toml);
    EXPECT_EQ(file_error(c.toml), c.message);
  }
}

TEST(Loader, ReportsEveryProblemOfAFileInLineOrder) {
  EXPECT_EQ(file_error("[stats]\nbuckets = 1\n[probe]\nttl = 0\nintervall_ms = 5\n"),
            "netstab.toml:2: stats.buckets: 1 is below the minimum of 2\n"
            "netstab.toml:4: probe.ttl: 0 is below the minimum of 1\n"
            "netstab.toml:5: probe.intervall_ms: unknown key; did you mean \"interval_ms\"?");
}

TEST(Loader, ReportsSyntaxErrorsWithTheirLine) {
  const std::string message = file_error("[probe]\ninterval_ms = = 5\n");
  EXPECT_EQ(message.rfind("netstab.toml:2: ", 0), 0U) << message;
}

TEST(Loader, ReportsAMissingFile) {
  load_request request;
  request.config_file = "/nonexistent/netstab.toml";
  EXPECT_EQ(error_of(request),
            "/nonexistent/netstab.toml: cannot read the configuration file: No such file or directory");
}

TEST(Loader, ReadsEverySectionOfAFile) {
  const temp_dir dir;
  const settings s = load_text(dir, R"(
targets = ["1.1.1.1", { host = "example.org", interval_ms = 5000, ip_version = 6 }]
[probe]
interval_ms = 500
timeout_ms = 800
size = 100
ttl = 32
tos = 184
ip_version = "4"
source = "192.0.2.10"
interface = "eth0"
publish_samples = false
resolve_interval_s = 60
send_grid_ms = 5
[stats]
window_s = 30
extra_windows_s = [10, 300]
buckets = 6
publish_interval_ms = 1000
max_incidents = 7
[status]
loss_warn_pct = 0.5
rtt_p95_warn_ms = 80
recover_after = 4
[output]
json = true
count = 10
[mqtt]
broker = "wss://broker.example.org/mqtt"
agent = "probe-1"
protocol = "3.1.1"
keepalive_s = 20
qos_sample = 1
retain_stats = false
reconnect_max_s = 120
[control]
allow = ["10.0.0.0/8", "example.org"]
allow_loopback = true
[discovery]
enabled = false
prefix = "ha"
[log]
level = "debug"
format = "json"
[[target]]
host = "2001:db8::1"
ttl = 10
)");
  ASSERT_EQ(s.targets.size(), 3U);
  EXPECT_EQ(s.targets[0].host, "1.1.1.1");
  EXPECT_EQ(s.targets[0].probe.interval, 500ms);
  EXPECT_EQ(s.targets[0].probe.family, core::ip_version::v4);
  EXPECT_EQ(s.targets[1].host, "example.org");
  EXPECT_EQ(s.targets[1].probe.interval, 5000ms);
  EXPECT_EQ(s.targets[1].probe.family, core::ip_version::v6);
  EXPECT_EQ(s.targets[1].probe.ttl, 32);
  EXPECT_EQ(s.targets[2].host, "2001:db8::1");
  EXPECT_EQ(s.targets[2].probe.ttl, 10);
  EXPECT_EQ(s.probe.timeout, 800ms);
  EXPECT_EQ(s.probe.size, 100U);
  EXPECT_EQ(s.probe.tos, 184);
  EXPECT_EQ(s.probe.source, core::ip_address::parse("192.0.2.10"));
  EXPECT_EQ(s.probe.interface, "eth0");
  EXPECT_FALSE(s.probe.publish_samples);
  EXPECT_EQ(s.resolve_interval, 60s);
  EXPECT_EQ(s.send_grid, 5ms);
  EXPECT_EQ(s.stats.window, 30s);
  EXPECT_EQ(s.stats.extra_windows, (std::vector<std::chrono::seconds>{10s, 300s}));
  EXPECT_EQ(s.stats.buckets, 6U);
  EXPECT_EQ(s.stats.publish_interval, 1000ms);
  EXPECT_EQ(s.stats.max_incidents, 7U);
  EXPECT_DOUBLE_EQ(s.status.loss_warn_pct, 0.5);
  EXPECT_DOUBLE_EQ(s.status.loss_bad_pct, 5);
  EXPECT_DOUBLE_EQ(s.status.rtt_p95_warn_ms, 80);
  EXPECT_EQ(s.status.recover_after, 4U);
  EXPECT_TRUE(s.output.json);
  EXPECT_EQ(s.output.count, 10U);
  EXPECT_FALSE(s.stdout_mode());
  ASSERT_TRUE(s.mqtt.address.has_value());
  EXPECT_EQ(s.mqtt.address->scheme, "wss");
  EXPECT_EQ(s.mqtt.address->host, "broker.example.org");
  EXPECT_EQ(s.mqtt.address->port, 443);
  EXPECT_EQ(s.mqtt.address->path, "/mqtt");
  EXPECT_EQ(s.mqtt.agent, "probe-1");
  EXPECT_EQ(s.mqtt.client_id, "netstab-probe-1");
  EXPECT_EQ(s.mqtt.protocol, mqtt_protocol::v3_1_1);
  EXPECT_EQ(s.mqtt.keepalive, 20s);
  EXPECT_EQ(s.mqtt.qos_sample, 1);
  EXPECT_FALSE(s.mqtt.retain_stats);
  EXPECT_EQ(s.mqtt.reconnect_max, 120s);
  EXPECT_EQ(rule_texts(s.control.allow), (std::vector<std::string>{"10.0.0.0/8", "example.org"}));
  EXPECT_TRUE(s.control.allow_loopback);
  EXPECT_FALSE(s.discovery.enabled);
  EXPECT_EQ(s.discovery.prefix, "ha");
  EXPECT_EQ(s.log.level, log_level::debug);
  EXPECT_EQ(s.log.format, log_format::json);
}

TEST(Loader, DefaultsWithoutAnySource) {
  load_request request;
  request.host_name = "my host!";
  const settings s = build(request);
  EXPECT_TRUE(s.targets.empty());
  EXPECT_TRUE(s.stdout_mode());
  EXPECT_FALSE(s.mqtt.address.has_value());
  EXPECT_EQ(s.probe.interval, 1000ms);
  EXPECT_EQ(s.mqtt.agent, "my-host-");
  EXPECT_EQ(s.mqtt.client_id, "netstab-my-host-");
  EXPECT_EQ(s.log.level, log_level::info);
}

TEST(Loader, FileBeatsDefaultsEnvironmentBeatsFileCommandLineBeatsEnvironment) {
  const temp_dir dir;
  load_request request;
  request.host_name = "testhost";
  EXPECT_EQ(build(request).probe.interval, 1000ms);
  request.config_file = dir.write("netstab.toml", "targets = [\"192.0.2.1\"]\n[probe]\ninterval_ms = 500\nttl = 9\n");
  EXPECT_EQ(build(request).probe.interval, 500ms);
  request.env = {{"NETSTAB_PROBE_INTERVAL_MS", "300"}, {"NETSTAB_TARGETS", "192.0.2.2, 192.0.2.3"}};
  settings s = build(request);
  EXPECT_EQ(s.probe.interval, 300ms);
  EXPECT_EQ(s.probe.ttl, 9);
  ASSERT_EQ(s.targets.size(), 2U);
  EXPECT_EQ(s.targets[0].host, "192.0.2.2");
  EXPECT_EQ(s.targets[1].host, "192.0.2.3");
  EXPECT_EQ(s.targets[1].probe.interval, 300ms);
  request.cli = {{"--interval", "probe.interval_ms", "200"}};
  request.cli_targets = std::vector<std::string>{"192.0.2.4"};
  s = build(request);
  EXPECT_EQ(s.probe.interval, 200ms);
  ASSERT_EQ(s.targets.size(), 1U);
  EXPECT_EQ(s.targets[0].host, "192.0.2.4");
  EXPECT_EQ(s.targets[0].probe.interval, 200ms);
}

TEST(Loader, ProbeKeysFromLaterLayersBeatPerTargetValues) {
  const temp_dir dir;
  load_request request;
  request.host_name = "testhost";
  request.config_file =
      dir.write("netstab.toml", "[probe]\nttl = 9\n[[target]]\nhost = \"192.0.2.1\"\nttl = 20\ninterval_ms = 5000\n");
  settings s = build(request);
  EXPECT_EQ(s.targets.at(0).probe.ttl, 20);
  EXPECT_EQ(s.targets.at(0).probe.interval, 5000ms);
  request.env = {{"NETSTAB_PROBE_TTL", "30"}};
  s = build(request);
  EXPECT_EQ(s.targets.at(0).probe.ttl, 30);
  EXPECT_EQ(s.targets.at(0).probe.interval, 5000ms);
  request.cli = {{"--interval", "probe.interval_ms", "100"}};
  s = build(request);
  EXPECT_EQ(s.targets.at(0).probe.interval, 100ms);
}

TEST(Loader, NetstabConfigNamesTheFileWhenNoneIsGiven) {
  const temp_dir dir;
  load_request request;
  request.env = {{"NETSTAB_CONFIG", dir.write("a.toml", "[probe]\nttl = 7\n")}};
  EXPECT_EQ(build(request).probe.ttl, 7);
  request.config_file = dir.write("b.toml", "[probe]\nttl = 8\n");
  EXPECT_EQ(config_file_of(request), request.config_file);
  EXPECT_EQ(build(request).probe.ttl, 8);
}

struct env_case {
  std::string_view variable;
  std::string_view text;
  std::string_view message;
};

TEST(Loader, RefusesInvalidEnvironmentValuesNamingTheVariable) {
  const std::vector<env_case> cases{
      {"NETSTAB_PROBE_INTERVAL_MS", "0", "NETSTAB_PROBE_INTERVAL_MS: 0 is below the minimum of 1"},
      {"NETSTAB_PROBE_INTERVAL_MS", "abc", "NETSTAB_PROBE_INTERVAL_MS: expected an integer, got \"abc\""},
      {"NETSTAB_PROBE_INTERVAL_MS", "", "NETSTAB_PROBE_INTERVAL_MS: expected an integer, got \"\""},
      {"NETSTAB_PROBE_INTERVAL_MS", "10.5", "NETSTAB_PROBE_INTERVAL_MS: expected an integer, got \"10.5\""},
      {"NETSTAB_OUTPUT_JSON", "maybe", "NETSTAB_OUTPUT_JSON: expected a boolean (true or false), got \"maybe\""},
      {"NETSTAB_STATUS_LOSS_WARN_PCT", "x", "NETSTAB_STATUS_LOSS_WARN_PCT: expected a number, got \"x\""},
      {"NETSTAB_STATUS_LOSS_WARN_PCT", "7", "NETSTAB_STATUS_LOSS_WARN_PCT: 7 is above status.loss_bad_pct (5)"},
      {"NETSTAB_STATS_EXTRA_WINDOWS_S", "10,x",
       "NETSTAB_STATS_EXTRA_WINDOWS_S: expected a comma-separated list of integers, got \"10,x\""},
      {"NETSTAB_STATS_EXTRA_WINDOWS_S", "10,0", "NETSTAB_STATS_EXTRA_WINDOWS_S: 0 is below the minimum of 1"},
      {"NETSTAB_MQTT_BROKER", "tcp://localhost",
       "NETSTAB_MQTT_BROKER: \"tcp://localhost\" has the unsupported scheme \"tcp\" (use mqtt://, mqtts://, ws:// or "
       "wss://)"},
      {"NETSTAB_LOG_LEVEL", "loud",
       "NETSTAB_LOG_LEVEL: \"loud\" is not one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", \"off\""},
      {"NETSTAB_TARGETS", "1.1.1.1,bad host", "NETSTAB_TARGETS: \"bad host\" is not a valid IP address or host name"},
      {"NETSTAB_TARGETS", "1.1.1.1,1.1.1.1", "NETSTAB_TARGETS: duplicate target \"1.1.1.1\""},
      {"NETSTAB_CONTROL_DENY", "10.0.0.0/8,::1/129",
       "NETSTAB_CONTROL_DENY: \"::1/129\" is not a valid host name, IP address or CIDR"},
      {"NETSTAB_PROBE_INTERVALL_MS", "5",
       "NETSTAB_PROBE_INTERVALL_MS: unknown setting; did you mean \"NETSTAB_PROBE_INTERVAL_MS\"?"},
      {"NETSTAB_BROKER", "mqtt://x", "NETSTAB_BROKER: unknown setting"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.variable) + "=" + std::string(c.text));
    EXPECT_EQ(env_error({{std::string(c.variable), std::string(c.text)}}), c.message);
  }
}

TEST(Loader, ParsesEnvironmentValues) {
  load_request request;
  request.host_name = "testhost";
  request.env = {
      {"PATH", "/usr/bin"},
      {"NETSTAB_OUTPUT_JSON", "yes"},
      {"NETSTAB_PROBE_PUBLISH_SAMPLES", "off"},
      {"NETSTAB_STATS_EXTRA_WINDOWS_S", "10, 300,3600"},
      {"NETSTAB_STATUS_LOSS_WARN_PCT", "0.5"},
      {"NETSTAB_CONTROL_ALLOW", "10.0.0.0/8, example.org"},
      {"NETSTAB_CONTROL_DENY", ""},
      {"NETSTAB_TARGETS", " 1.1.1.1 ,example.org,"},
      {"NETSTAB_MQTT_BROKER", "mqtt://[::1]:1884"},
      {"NETSTAB_MQTT_USERNAME", " spaced "},
      {"NETSTAB_PROBE_IP_VERSION", "6"},
      {"NETSTAB_MQTT_PROTOCOL", "3.1.1"},
  };
  const settings s = build(request);
  EXPECT_TRUE(s.output.json);
  EXPECT_FALSE(s.probe.publish_samples);
  EXPECT_EQ(s.stats.extra_windows, (std::vector<std::chrono::seconds>{10s, 300s, 3600s}));
  EXPECT_DOUBLE_EQ(s.status.loss_warn_pct, 0.5);
  EXPECT_EQ(rule_texts(s.control.allow), (std::vector<std::string>{"10.0.0.0/8", "example.org"}));
  EXPECT_TRUE(s.control.deny.empty());
  ASSERT_EQ(s.targets.size(), 2U);
  EXPECT_EQ(s.targets[0].host, "1.1.1.1");
  EXPECT_EQ(s.targets[1].host, "example.org");
  ASSERT_TRUE(s.mqtt.address.has_value());
  EXPECT_EQ(s.mqtt.address->host, "::1");
  EXPECT_EQ(s.mqtt.address->port, 1884);
  EXPECT_EQ(s.mqtt.username, " spaced ");  // strings are taken as they are
  EXPECT_EQ(s.probe.family, core::ip_version::v6);
  EXPECT_EQ(s.mqtt.protocol, mqtt_protocol::v3_1_1);
}

TEST(Loader, EmptyTargetsVariableClearsTheFileTargets) {
  const temp_dir dir;
  const settings s = load_text(dir, "targets = [\"1.1.1.1\"]\n", {{"NETSTAB_TARGETS", ""}});
  EXPECT_TRUE(s.targets.empty());
}

TEST(Loader, ReadsThePasswordFileAndStripsTheTrailingNewline) {
  const temp_dir dir;
  const std::string secret = dir.write("secret", "s3cr3t pass\r\n\n");
  const settings s = load_text(dir, "[mqtt]\npassword_file = \"" + secret + "\"\n");
  EXPECT_EQ(s.mqtt.password, "s3cr3t pass");
  EXPECT_EQ(s.mqtt.password_file, secret);
}

TEST(Loader, RefusesAnUnreadableOrEmptyPasswordFile) {
  const temp_dir dir;
  EXPECT_EQ(env_error({{"NETSTAB_MQTT_PASSWORD_FILE", "/nonexistent/secret"}}),
            "NETSTAB_MQTT_PASSWORD_FILE: cannot read \"/nonexistent/secret\": No such file or directory");
  const std::string empty = dir.write("empty", "\n");
  EXPECT_EQ(env_error({{"NETSTAB_MQTT_PASSWORD_FILE", empty}}),
            "NETSTAB_MQTT_PASSWORD_FILE: \"" + empty + "\" is empty");
}

TEST(Loader, PasswordAndPasswordFileFromOneLayerConflict) {
  const temp_dir dir;
  const std::string secret = dir.write("secret", "from-file\n");
  EXPECT_EQ(env_error({{"NETSTAB_MQTT_PASSWORD", "x"}, {"NETSTAB_MQTT_PASSWORD_FILE", secret}}),
            "NETSTAB_MQTT_PASSWORD_FILE: set either mqtt.password or mqtt.password_file, not both");
}

TEST(Loader, TheLaterLayerChoosesBetweenPasswordAndPasswordFile) {
  const temp_dir dir;
  const std::string secret = dir.write("secret", "from-file\n");
  settings s = load_text(dir, "[mqtt]\npassword = \"from-toml\"\n", {{"NETSTAB_MQTT_PASSWORD_FILE", secret}});
  EXPECT_EQ(s.mqtt.password, "from-file");
  s = load_text(dir, "[mqtt]\npassword_file = \"" + secret + "\"\n", {{"NETSTAB_MQTT_PASSWORD", "from-env"}});
  EXPECT_EQ(s.mqtt.password, "from-env");
  EXPECT_TRUE(s.mqtt.password_file.empty());
}

TEST(Loader, ReloadReadsTheFileAgain) {
  const temp_dir dir;
  load_request request;
  request.host_name = "testhost";
  request.config_file = dir.write("netstab.toml", "[probe]\nttl = 7\n");
  request.env = {{"NETSTAB_PROBE_TOS", "8"}};
  EXPECT_EQ(build(request).probe.ttl, 7);
  dir.write("netstab.toml", "[probe]\nttl = 11\n");
  const settings s = reload(request);
  EXPECT_EQ(s.probe.ttl, 11);
  EXPECT_EQ(s.probe.tos, 8);
  dir.write("netstab.toml", "[probe]\nttl = 0\n");
  EXPECT_THROW(reload(request), config_error);
}

TEST(Loader, ConfigErrorIsARuntimeError) {
  load_request request;
  request.env = {{"NETSTAB_PROBE_TTL", "0"}};
  EXPECT_THROW(build(request), std::runtime_error);
}

TEST(Loader, LoadsTheFixtureExample) {
  load_request request;
  request.config_file = fixture("example.toml");
  request.host_name = "testhost";
  const settings s = build(request);
  ASSERT_EQ(s.targets.size(), 4U);
  EXPECT_EQ(s.targets[3].host, "192.0.2.1");
  EXPECT_EQ(s.targets[3].probe.interval, 200ms);
  EXPECT_EQ(s.mqtt.broker, "mqtt://127.0.0.1:1883");
  EXPECT_EQ(s.mqtt.agent, "lab-1");
}

TEST(Loader, ReportsTheProblemsOfTheFixtureWithTypos) {
  load_request request;
  request.config_file = fixture("typos.toml");
  const std::string path = request.config_file;
  EXPECT_EQ(error_of(request), path + ":4: probe.intervall_ms: unknown key; did you mean \"interval_ms\"?\n" + path +
                                   ":7: stats.windows_s: unknown key; did you mean \"window_s\"?\n" + path +
                                   ":10: mqtt.brokr: unknown key; did you mean \"broker\"?");
}

}  // namespace
}  // namespace netstab::config

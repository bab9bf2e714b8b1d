#include "config/print.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "config/loader.hpp"
#include "tests/config/temp_files.hpp"

namespace netstab::config {
namespace {

using namespace std::chrono_literals;
using testing::temp_dir;

settings load_file(const std::string& path) {
  load_request request;
  request.config_file = path;
  request.host_name = "testhost";
  return build(request);
}

TEST(Print, OutputLoadsBackToTheSameSettings) {
  const temp_dir dir;
  const settings original = load_file(dir.write("in.toml", R"(
targets = ["1.1.1.1", { host = "example.org", interval_ms = 5000, ip_version = "6", publish_samples = false }]
[probe]
ttl = 30
source = "192.0.2.7"
[stats]
extra_windows_s = [10, 3600]
[status]
loss_warn_pct = 0.25
[mqtt]
broker = "ws://[::1]:9001/mqtt"
username = "quote\" back\\slash\ttab"
protocol = "3.1.1"
[control]
deny = ["192.0.2.0/24", "bad.example"]
[log]
level = "trace"
)"));
  const std::string printed = to_toml(original);
  EXPECT_NE(printed.find("[[target]]\nhost = \"example.org\"\ninterval_ms = 5000\nip_version = \"6\"\n"
                         "publish_samples = false\n"),
            std::string::npos)
      << printed;
  const settings again = load_file(dir.write("out.toml", printed));
  EXPECT_EQ(to_toml(again), printed);
  EXPECT_EQ(again.mqtt.username, "quote\" back\\slash\ttab");
  EXPECT_EQ(again.targets.at(1).probe.interval, 5000ms);
  EXPECT_EQ(again.targets.at(0).probe.ttl, 30);
  EXPECT_DOUBLE_EQ(again.status.loss_warn_pct, 0.25);
}

TEST(Print, TargetsWithoutOverridesUseTheShortForm) {
  settings s;
  s.targets.push_back(core::make_target("1.1.1.1", s.probe));
  s.targets.push_back(core::make_target("example.org", s.probe));
  const std::string printed = to_toml(s);
  EXPECT_NE(printed.find("targets = [\"1.1.1.1\", \"example.org\"]\n"), std::string::npos) << printed;
  EXPECT_EQ(printed.find("[[target]]"), std::string::npos) << printed;
}

TEST(Print, MasksAPasswordAndShowsAnEmptyOne) {
  settings s;
  EXPECT_NE(to_toml(s).find("password = \"\"\n"), std::string::npos);
  s.mqtt.password = "hunter2";
  const std::string printed = to_toml(s);
  EXPECT_NE(printed.find("password = \"********\"\n"), std::string::npos) << printed;
  EXPECT_EQ(printed.find("hunter2"), std::string::npos) << printed;
}

TEST(Print, EscapesControlCharacters) {
  settings s;
  s.mqtt.username = std::string("a\x01z\n");
  EXPECT_NE(to_toml(s).find("username = \"a\\u0001z\\n\"\n"), std::string::npos) << to_toml(s);
}

}  // namespace
}  // namespace netstab::config

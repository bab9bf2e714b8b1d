// build_from_text: the in-memory entry point of the loader (used by the configuration fuzz target).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/loader.hpp"
#include "config/print.hpp"
#include "tests/config/temp_files.hpp"

namespace netstab::config {
namespace {

using testing::fixture;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

load_request plain_request() {
  load_request request;
  request.host_name = "testhost";
  return request;
}

TEST(LoaderText, GivesTheSameSettingsAsTheSameFile) {
  for (const char* name : {"example.toml"}) {
    load_request from_file = plain_request();
    from_file.config_file = fixture(name);
    const settings expected = build(from_file);
    const settings actual = build_from_text(read_all(fixture(name)), name, plain_request());
    EXPECT_EQ(to_toml(actual), to_toml(expected)) << name;
  }
  const std::string reference = std::string(NETSTAB_SOURCE_DIR) + "/config/netstab.toml";
  load_request from_file = plain_request();
  from_file.config_file = reference;
  EXPECT_EQ(to_toml(build_from_text(read_all(reference), "netstab.toml", plain_request())), to_toml(build(from_file)));
}

TEST(LoaderText, ErrorsNameTheGivenNameAndLine) {
  try {
    build_from_text("[probe]\ninterval_ms = 0\n", "memory.toml", plain_request());
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("memory.toml:2: probe.interval_ms: ", 0), 0U) << e.what();
  }
  try {
    build_from_text("[probe\n", "memory.toml", plain_request());
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("memory.toml:1: ", 0), 0U) << e.what();
  }
}

TEST(LoaderText, EnvironmentAndCommandLineStillOverrideTheText) {
  load_request request = plain_request();
  request.config_file = "/nonexistent/ignored.toml";  // the text stands in for the file
  request.env = {{"NETSTAB_PROBE_TTL", "7"}};
  request.cli = {{"--interval", "probe.interval_ms", "250"}};
  const settings s = build_from_text("[probe]\nttl = 3\ninterval_ms = 900\ntimeout_ms = 200\n", "m.toml", request);
  EXPECT_EQ(s.probe.ttl, 7);
  EXPECT_EQ(s.probe.interval, std::chrono::milliseconds(250));
  EXPECT_EQ(s.probe.timeout, std::chrono::milliseconds(200));
}

TEST(LoaderText, EmptyTextIsTheDefaults) {
  EXPECT_EQ(to_toml(build_from_text("", "empty.toml", plain_request())), to_toml(build(plain_request())));
}

}  // namespace
}  // namespace netstab::config

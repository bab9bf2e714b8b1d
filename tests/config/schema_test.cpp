#include "config/schema.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "config/loader.hpp"
#include "config/print.hpp"
#include "tests/config/temp_files.hpp"

namespace netstab::config {
namespace {

std::string reference_file() { return std::string(NETSTAB_SOURCE_DIR) + "/config/netstab.toml"; }

TEST(Schema, KeysAndVariablesAreUnique) {
  std::set<std::string> names;
  std::set<std::string> variables;
  for (const auto& spec : known_keys()) {
    EXPECT_TRUE(names.insert(spec.full_name()).second) << spec.full_name();
    EXPECT_TRUE(variables.insert(spec.env_name()).second) << spec.env_name();
    EXPECT_NE(std::find(sections().begin(), sections().end(), spec.section), sections().end()) << spec.full_name();
    EXPECT_EQ(spec.store != nullptr, spec.fetch != nullptr) << spec.full_name();
    EXPECT_EQ(spec.store_probe != nullptr, spec.fetch_probe != nullptr) << spec.full_name();
    EXPECT_NE(spec.store != nullptr, spec.store_probe != nullptr) << spec.full_name();
    EXPECT_EQ(spec.per_target, spec.store_probe != nullptr || spec.full_name() == "probe.ip_version")
        << spec.full_name();
  }
  EXPECT_EQ(find_key("probe", "interval_ms")->env_name(), "NETSTAB_PROBE_INTERVAL_MS");
  EXPECT_EQ(find_key("probe", "nope"), nullptr);
}

// Each default, given back as an environment variable, passes validation and changes nothing: the defaults
// in settings.hpp and the limits in the key table agree, and every key can be set from the environment.
TEST(Schema, EveryDefaultIsAValidEnvironmentValue) {
  load_request plain;
  plain.host_name = "testhost";
  const std::string expected = to_toml(build(plain));
  const settings defaults;
  for (const auto& spec : known_keys()) {
    SCOPED_TRACE(spec.env_name());
    const value v = spec.read(defaults);
    std::string text;
    if (const auto* b = std::get_if<bool>(&v)) {
      text = *b ? "true" : "false";
    } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
      text = std::to_string(*i);
    } else if (const auto* d = std::get_if<double>(&v)) {
      text = std::to_string(*d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      text = *s;
    }  // default lists are empty: ""
    load_request request = plain;
    request.env = {{spec.env_name(), text}};
    EXPECT_EQ(to_toml(build(request)), expected);
  }
}

TEST(ReferenceFile, LoadsToTheBuiltInDefaults) {
  load_request with_file;
  with_file.config_file = reference_file();
  with_file.host_name = "testhost";
  load_request without_file;
  without_file.host_name = "testhost";
  EXPECT_EQ(to_toml(build(with_file)), to_toml(build(without_file)));
}

TEST(ReferenceFile, ListsEveryKnownKey) {
  const auto in_file = keys_in_file(reference_file());
  const std::set<std::string> present(in_file.begin(), in_file.end());
  EXPECT_TRUE(present.count("targets") == 1);
  for (const auto& spec : known_keys()) {
    EXPECT_TRUE(present.count(spec.full_name()) == 1) << spec.full_name() << " is missing from config/netstab.toml";
  }
  for (const auto& key : in_file) {
    const auto dot = key.find('.');
    EXPECT_TRUE(key == "targets" || (dot != std::string::npos && find_key(std::string_view(key).substr(0, dot),
                                                                          std::string_view(key).substr(dot + 1))))
        << key << " in config/netstab.toml is not a known key";
  }
}

TEST(ReferenceFile, KeysInFileFollowTheFileOrder) {
  const testing::temp_dir dir;
  const auto keys =
      keys_in_file(dir.write("x.toml", "targets = []\n[stats]\nwindow_s = 5\n[probe]\nttl = 3\nsize = 30\n"));
  EXPECT_EQ(keys, (std::vector<std::string>{"targets", "stats.window_s", "probe.ttl", "probe.size"}));
}

// Every setting is documented: the README's configuration table has a row naming the key and its environment
// variable, so a new key cannot ship without its documentation.
TEST(Schema, EveryKeyHasARowInTheReadmeConfigurationTable) {
  // Read through rdbuf, not istreambuf_iterator: with those iterators GCC 12 at -O3 (the release preset, with
  // -Werror) reports a false -Wnull-dereference inside <streambuf>.
  std::ifstream in(std::string(NETSTAB_SOURCE_DIR) + "/README.md");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  ASSERT_FALSE(readme.empty());
  for (const key_spec& k : known_keys()) {
    const std::string row = "| `" + k.full_name() + "` |";
    const auto at = readme.find(row);
    ASSERT_NE(at, std::string::npos) << k.full_name() << " has no row in README.md's configuration table";
    const std::string line = readme.substr(at, readme.find('\n', at) - at);
    EXPECT_NE(line.find("`" + k.env_name() + "`"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace netstab::config

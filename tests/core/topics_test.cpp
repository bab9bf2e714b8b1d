#include "core/topics.hpp"

#include <gtest/gtest.h>

namespace netstab::core {
namespace {

using std::chrono::seconds;

TEST(Slug, ReplacesEveryCharacterOutsideTheSafeSet) {
  struct row {
    std::string_view target;
    std::string_view slug;
  };
  const row rows[] = {
      {"1.1.1.1", "1.1.1.1"},
      {"dns.google", "dns.google"},
      {"2606:4700::1111", "2606_4700__1111"},
      {"fe80::1%eth0", "fe80__1_eth0"},
      {"a/b+c#d", "a_b_c_d"},
      {"host name", "host_name"},
      {"under_score-dash", "under_score-dash"},
      {"caf\xc3\xa9", "caf__"},  // each byte of a multi-byte character becomes '_'
      {"", "_"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(slug(r.target), r.slug) << r.target;
  }
}

TEST(WindowName, UsesTheLargestWholeUnit) {
  struct row {
    nanos window;
    std::string_view name;
  };
  const row rows[] = {
      {seconds(10), "10s"},   {seconds(60), "1m"},   {seconds(90), "90s"},
      {seconds(300), "5m"},   {seconds(3600), "1h"}, {seconds(7200), "2h"},
      {seconds(5400), "90m"}, {seconds(1), "1s"},    {std::chrono::milliseconds(1500), "1s"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(window_name(r.window), r.name) << r.window.count();
  }
}

TEST(TopicBuilder, BuildsEveryContractTopic) {
  const topic_builder t("netstab", "host1");
  EXPECT_EQ(t.prefix(), "netstab/host1");
  EXPECT_EQ(t.availability(), "netstab/host1/availability");
  EXPECT_EQ(t.state(), "netstab/host1/state");
  EXPECT_EQ(t.events(), "netstab/host1/events");
  EXPECT_EQ(t.command(), "netstab/host1/cmd");
  EXPECT_EQ(t.command_reply(), "netstab/host1/cmd/reply");
  const std::string s = slug("fe80::1%eth0");
  EXPECT_EQ(t.sample(s), "netstab/host1/targets/fe80__1_eth0/sample");
  EXPECT_EQ(t.stats(s), "netstab/host1/targets/fe80__1_eth0/stats");
  EXPECT_EQ(t.stats(s, seconds(300)), "netstab/host1/targets/fe80__1_eth0/stats/5m");
  EXPECT_EQ(t.incidents(s), "netstab/host1/targets/fe80__1_eth0/incidents");
}

TEST(TopicBuilder, KeepsAConfiguredMultiLevelBase) {
  const topic_builder t("home/monitoring", "pi");
  EXPECT_EQ(t.sample("8.8.8.8"), "home/monitoring/pi/targets/8.8.8.8/sample");
}

}  // namespace
}  // namespace netstab::core

// The digest of mqtt_sink against the fake message bus and a fake clock: one message per period with every
// target's latest statistics, or parts of it spread over the period on topics of their own.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/service/publish/sink_fixture.hpp"

namespace netstab::service {
namespace {

using namespace test_sink;

// The digest: one message per period with every target's latest statistics, each entry exactly the payload of
// the target's own stats topic.
mqtt_sink::options digest_options(core::nanos every, bool per_target) {
  mqtt_sink::options o;
  o.digest_interval = every;
  o.per_target = per_target;
  return o;
}

std::vector<std::string> digest_targets(const std::string& payload) {
  const auto digest = nlohmann::json::parse(payload);
  std::vector<std::string> out;
  for (const auto& e : digest.at("targets")) out.push_back(e.at("target").get<std::string>());
  return out;
}

TEST(MqttSink, DigestCarriesEveryTargetsLatestStatisticsOncePerPeriod) {
  sink_fixture f(digest_options(1s, true));
  fake_target a(spec_of("127.0.0.1", 1s));
  fake_target b(spec_of("127.0.0.2", 1s), {}, 1);
  // 5 s of samples, the two targets half a period apart.
  for (std::uint32_t i = 0; i < 10; ++i) {
    f.sink.on_sample(i % 2 == 0 ? a : b, ok_sample(i / 2, f.clock.now()));
    f.clock.advance(500ms);
  }
  const auto digests = f.bus.on_topic("netstab/a1/digest");
  // The first period starts at the first sample: digests at 1, 2, 3 and 4 s (the last sample is at 4.5 s).
  ASSERT_EQ(digests.size(), 4U);
  for (const auto& m : digests) {
    EXPECT_EQ(m.qos, 0);
    EXPECT_TRUE(m.retain);
    EXPECT_EQ(digest_targets(m.payload), (std::vector<std::string>{"127.0.0.1", "127.0.0.2"})) << m.payload;
  }
  const auto last = nlohmann::json::parse(digests.back().payload);
  EXPECT_EQ(last.at("interval_ms"), 1000);
  EXPECT_EQ(last.at("count"), 2);
  // Each entry is the payload the target's own stats topic got last before the digest.
  const auto own = f.bus.on_topic("netstab/a1/targets/127.0.0.2/stats");
  ASSERT_FALSE(own.empty());
  EXPECT_EQ(last.at("targets").at(1), nlohmann::json::parse(own[own.size() - 2].payload));
}

TEST(MqttSink, WithoutPerTargetTopicsOnlyTheDigestCarriesStatistics) {
  core::monitor_config mc;
  mc.extra_windows = {10s};
  sink_fixture f(digest_options(2s, false));
  fake_target t(spec_of("127.0.0.1", 1s), mc);
  for (std::uint32_t i = 0; i < 7; ++i) {
    f.sink.on_sample(t, ok_sample(i, f.clock.now()));
    f.clock.advance(1s);
  }
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats").empty());
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats/10s").empty());
  const auto digests = f.bus.on_topic("netstab/a1/digest");
  ASSERT_EQ(digests.size(), 3U);  // at 2, 4 and 6 s
  const auto last = nlohmann::json::parse(digests.back().payload);
  ASSERT_EQ(last.at("targets").size(), 1U);
  EXPECT_EQ(last.at("targets")[0].at("window_s"), 60);
  EXPECT_EQ(last.at("targets")[0].at("ts"), last.at("ts")) << "the entry of the sample that made the digest due";
  // Samples still go out on their own topic.
  EXPECT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.1/sample").size(), 7U);
}

TEST(MqttSink, DigestDropsARemovedTargetAndSkipsPeriodsWithoutSamples) {
  sink_fixture f(digest_options(1s, false));
  fake_target a(spec_of("127.0.0.1", 1s));
  fake_target b(spec_of("127.0.0.2", 1s), {}, 1);
  f.sink.on_sample(a, ok_sample(0, f.clock.now()));
  f.sink.on_sample(b, ok_sample(0, f.clock.now()));
  f.clock.advance(1s);
  f.sink.on_sample(a, ok_sample(1, f.clock.now()));
  ASSERT_EQ(f.bus.on_topic("netstab/a1/digest").size(), 1U);
  f.sink.on_target_event(b, core::target_event::removed, "");
  // A pause (probing stopped) of 10 periods: no digest meanwhile, and one, not ten, when samples come back.
  f.clock.advance(10s);
  f.sink.on_sample(a, ok_sample(2, f.clock.now()));
  const auto digests = f.bus.on_topic("netstab/a1/digest");
  ASSERT_EQ(digests.size(), 2U);
  EXPECT_EQ(digest_targets(digests[1].payload), std::vector<std::string>{"127.0.0.1"});
  f.clock.advance(500ms);
  f.sink.on_sample(a, ok_sample(3, f.clock.now()));
  EXPECT_EQ(f.bus.on_topic("netstab/a1/digest").size(), 2U) << "the next one is a whole period after the last";
}

// Slots are reused after a removal: the target that takes one publishes on its own topics and takes its own place
// in the digest, also when the sink was not told of the removal before.
TEST(MqttSink, ATargetReusingASlotGetsItsOwnTopicsAndDigestPlace) {
  sink_fixture f(digest_options(1s, true));
  fake_target a(spec_of("127.0.0.1", 1s));
  fake_target b(spec_of("127.0.0.2", 1s), {}, 1);
  f.sink.on_sample(a, ok_sample(0, f.clock.now()));
  f.sink.on_sample(b, ok_sample(0, f.clock.now()));
  f.sink.on_target_event(b, core::target_event::removed, "");
  fake_target c(spec_of("127.0.0.3", 1s), {}, 1);  // b's slot, after b's removal
  fake_target d(spec_of("127.0.0.4", 1s), {}, 0);  // a's slot, a never reported removed
  f.sink.on_sample(c, ok_sample(0, f.clock.now()));
  f.sink.on_sample(d, ok_sample(0, f.clock.now()));
  f.bus.clear();
  f.clock.advance(1s);
  f.sink.on_sample(c, ok_sample(1, f.clock.now()));
  f.sink.on_sample(d, ok_sample(1, f.clock.now()));
  EXPECT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.3/stats").size(), 1U);
  EXPECT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.4/stats").size(), 1U);
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats").empty());
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/targets/127.0.0.2/stats").empty());
  const auto digests = f.bus.on_topic("netstab/a1/digest");
  ASSERT_EQ(digests.size(), 1U);
  EXPECT_EQ(digest_targets(digests[0].payload), (std::vector<std::string>{"127.0.0.3", "127.0.0.4"}));
}

// Removals leave the digest's order in one pass before the next digest (or once they are half of it): a target
// that takes a freed slot meanwhile keeps its own place, at the end.
TEST(MqttSink, RemovedTargetsLeaveTheDigestsOrderAndANewTargetInTheirSlotComesLast) {
  sink_fixture f(digest_options(1s, false));
  std::vector<std::unique_ptr<fake_target>> t;
  for (std::uint32_t i = 0; i < 6; ++i) {
    t.push_back(
        std::make_unique<fake_target>(spec_of("127.0.0." + std::to_string(i + 1), 1s), core::monitor_config{}, i));
    f.sink.on_sample(*t.back(), ok_sample(0, f.clock.now()));
  }
  f.sink.on_target_event(*t[1], core::target_event::removed, "");
  f.sink.on_target_event(*t[2], core::target_event::removed, "");
  fake_target in_slot_1(spec_of("127.0.0.9", 1s), {}, 1);
  f.sink.on_sample(in_slot_1, ok_sample(0, f.clock.now()));
  f.clock.advance(1s);
  for (const std::size_t i : {0U, 3U, 4U, 5U}) f.sink.on_sample(*t[i], ok_sample(1, f.clock.now()));
  const auto digests = f.bus.on_topic("netstab/a1/digest");
  ASSERT_EQ(digests.size(), 1U);
  EXPECT_EQ(digest_targets(digests[0].payload),
            (std::vector<std::string>{"127.0.0.1", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.9"}));

  // Five of six removed at once: cleaned while they go, and the one left is the whole digest.
  for (const std::size_t i : {0U, 3U, 4U, 5U}) f.sink.on_target_event(*t[i], core::target_event::removed, "");
  f.sink.on_target_event(in_slot_1, core::target_event::removed, "");
  fake_target last(spec_of("127.0.0.10", 1s), {}, 4);
  f.sink.on_sample(last, ok_sample(0, f.clock.now()));
  f.clock.advance(1s);
  f.sink.on_sample(last, ok_sample(1, f.clock.now()));
  const auto after = f.bus.on_topic("netstab/a1/digest");
  ASSERT_EQ(after.size(), 2U);
  EXPECT_EQ(digest_targets(after[1].payload), std::vector<std::string>{"127.0.0.10"});
}

// In parts: part k of n is due k/n of the way through the period, on its own retained topic, with the targets at
// its places of the digest's order, their entries built when the part is due (from the live targets, as the
// prober's at_slot gives them); when the targets no longer fill a part, the part is cleared at the end of the
// period.
TEST(MqttSink, DigestInPartsSpreadsThemOverThePeriodAndClearsPartsNoLongerNeeded) {
  mqtt_sink::options o = digest_options(1s, false);
  o.digest_part_size = 2;
  sink_fixture f(o);
  std::vector<std::unique_ptr<fake_target>> targets;
  for (std::uint32_t i = 0; i < 5; ++i) {
    targets.push_back(
        std::make_unique<fake_target>(spec_of("127.0.0." + std::to_string(i + 1), 1s), core::monitor_config{}, i));
    f.sink.on_sample(*targets.back(), ok_sample(0, f.clock.now()));
  }
  f.sink.set_target_lookup(
      [&](std::uint32_t slot) -> const target_view* { return slot < targets.size() ? targets[slot].get() : nullptr; });
  // Samples every 100 ms up to 1.9 s; the first period starts at 1 s: parts 0, 1 and 2 of 3 are due at 1.0, 1.33
  // and 1.67 s, so they go with the samples at 1.0, 1.4 and 1.7 s.
  std::vector<std::pair<std::string, core::mono_time>> seen;
  for (std::uint32_t i = 1; i < 20; ++i) {
    f.clock.advance(100ms);
    const std::size_t before = f.bus.published.size();
    f.sink.on_sample(*targets[0], ok_sample(i, f.clock.now()));
    for (std::size_t m = before; m < f.bus.published.size(); ++m) {
      if (f.bus.published[m].topic.starts_with("netstab/a1/digest"))
        seen.emplace_back(f.bus.published[m].topic, f.clock.now());
    }
  }
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/digest").empty()) << "no single message besides the parts";
  const core::mono_time start = seen.empty() ? core::mono_time{} : seen[0].second;
  const std::vector<std::pair<std::string, core::nanos>> want = {
      {"netstab/a1/digest/0", 0ms}, {"netstab/a1/digest/1", 400ms}, {"netstab/a1/digest/2", 700ms}};
  ASSERT_EQ(seen.size(), want.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(seen[k].first, want[k].first);
    EXPECT_EQ(seen[k].second - start, want[k].second) << k;
  }
  const std::vector<std::vector<std::string>> members = {
      {"127.0.0.1", "127.0.0.2"}, {"127.0.0.3", "127.0.0.4"}, {"127.0.0.5"}};
  for (std::size_t k = 0; k < members.size(); ++k) {
    const auto part = f.bus.on_topic("netstab/a1/digest/" + std::to_string(k));
    ASSERT_EQ(part.size(), 1U) << k;
    EXPECT_TRUE(part[0].retain);
    const auto j = nlohmann::json::parse(part[0].payload);
    EXPECT_EQ(j.at("part"), k);
    EXPECT_EQ(j.at("parts"), 3);
    EXPECT_EQ(j.at("count"), members[k].size());
    EXPECT_EQ(digest_targets(part[0].payload), members[k]) << part[0].payload;
    for (const auto& e : j.at("targets")) EXPECT_EQ(e.at("ts"), j.at("ts")) << "built with the part";
  }
  // Two targets go: the period from 2 s has two parts, and its last (at 2.5 s) clears the third.
  f.sink.on_target_event(*targets[3], core::target_event::removed, "");
  f.sink.on_target_event(*targets[4], core::target_event::removed, "");
  targets[3].reset();
  targets[4].reset();
  f.bus.clear();
  for (std::uint32_t i = 20; i < 30; ++i) {
    f.clock.advance(100ms);
    f.sink.on_sample(*targets[0], ok_sample(i, f.clock.now()));
  }
  const auto last = f.bus.on_topic("netstab/a1/digest/1");
  ASSERT_EQ(last.size(), 1U);
  EXPECT_EQ(digest_targets(last[0].payload), std::vector<std::string>{"127.0.0.3"});
  EXPECT_EQ(nlohmann::json::parse(last[0].payload).at("parts"), 2);
  const auto cleared = f.bus.on_topic("netstab/a1/digest/2");
  ASSERT_EQ(cleared.size(), 1U);
  EXPECT_TRUE(cleared[0].payload.empty());
  EXPECT_TRUE(cleared[0].retain);
}

}  // namespace
}  // namespace netstab::service

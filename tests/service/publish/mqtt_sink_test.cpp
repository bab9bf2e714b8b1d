// mqtt_sink against the fake message bus and a fake clock: what goes out on which topic, with which QoS and
// retain flag, and the statistics cadence (once per interval, the configured period, at once on a status change).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/service/publish/sink_fixture.hpp"

namespace netstab::service {
namespace {

using namespace test_sink;

TEST(MqttSink, SamplesGoOutWithTheirQosUnretainedUnlessTurnedOffPerTarget) {
  sink_fixture f;
  fake_target on(spec_of("127.0.0.1", 1s));
  fake_target off(spec_of("127.0.0.2", 1s, false), {}, 1);
  f.sink.on_sample(on, ok_sample(0, f.clock.now()));
  f.sink.on_sample(off, ok_sample(0, f.clock.now()));
  const auto samples = f.bus.on_topic("netstab/a1/targets/127.0.0.1/sample");
  ASSERT_EQ(samples.size(), 1U);
  EXPECT_EQ(samples[0].qos, 0);
  EXPECT_FALSE(samples[0].retain);
  EXPECT_NE(samples[0].payload.find("\"seq\":0"), std::string::npos) << samples[0].payload;
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/targets/127.0.0.2/sample").empty());
  // Statistics still go out for a target without per-sample publishing.
  EXPECT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.2/stats").size(), 1U);
}

TEST(MqttSink, StatisticsOncePerTargetIntervalByDefault) {
  sink_fixture f;
  fake_target t(spec_of("127.0.0.1", 1s));
  // Five samples a second (as if replies of a faster target arrived): statistics still once a second.
  for (std::uint32_t i = 0; i < 25; ++i) {
    f.sink.on_sample(t, ok_sample(i, f.clock.now()));
    f.clock.advance(200ms);
  }
  const auto stats = f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats");
  EXPECT_EQ(stats.size(), 5U);
  for (const auto& m : stats) {
    EXPECT_EQ(m.qos, 0);  // mqtt.qos_stats, not qos_other
    EXPECT_TRUE(m.retain);
  }
}

TEST(MqttSink, StatisticsTakeTheirOwnQosAndClearingARemovedTargetUsesQosOther) {
  mqtt_sink::options o;
  o.qos_stats = 2;
  o.qos_other = 1;
  sink_fixture f(o);
  fake_target t(spec_of("127.0.0.1", 1s));
  f.sink.on_sample(t, ok_sample(0, f.clock.now()));
  f.sink.clear_retained(t);
  const auto stats = f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats");
  ASSERT_EQ(stats.size(), 2U);
  EXPECT_EQ(stats[0].qos, 2);
  EXPECT_FALSE(stats[0].payload.empty());
  // The empty retained message that deletes the topic must not be lost: it is not replaced a period later.
  EXPECT_EQ(stats[1].qos, 1);
  EXPECT_TRUE(stats[1].payload.empty());
}

TEST(MqttSink, StatisticsEveryConfiguredPeriod) {
  mqtt_sink::options o;
  o.publish_interval = 2s;
  sink_fixture f(o);
  fake_target t(spec_of("127.0.0.1", 200ms));
  for (std::uint32_t i = 0; i < 50; ++i) {  // 10 s of samples at 200 ms
    f.sink.on_sample(t, ok_sample(i, f.clock.now()));
    f.clock.advance(200ms);
  }
  EXPECT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats").size(), 5U);
}

// Per-target statistics messages in each second of samples (one from each target a second).
std::vector<std::size_t> stats_per_second(sink_fixture& f, const std::vector<fake_target*>& targets, int seconds) {
  std::vector<std::size_t> out;
  for (int second = 0; second < seconds; ++second) {
    f.bus.clear();
    for (fake_target* t : targets) {
      f.sink.on_sample(*t, ok_sample(static_cast<std::uint32_t>(second), f.clock.now()));
      f.clock.advance(10ms);
    }
    f.clock.advance(1s - 10ms * static_cast<int>(targets.size()));
    const auto& m = f.bus.published;
    out.push_back(static_cast<std::size_t>(
        std::count_if(m.begin(), m.end(), [](const auto& x) { return x.topic.ends_with("/stats"); })));
  }
  return out;
}

// Eight targets at 1 s would publish 8 messages a second; with a limit of 4 each publishes every 2 s, half of them
// in one second and half in the next, from the first second on (not all eight every other second). Without the
// limit, or back under it after a removal, every target publishes once per interval.
TEST(MqttSink, StatisticsSlowDownInProportionBeyondTheMaxPublishRate) {
  for (const unsigned limit : {0U, 4U}) {
    mqtt_sink::options o;
    o.max_publish_rate = limit;
    sink_fixture f(o);
    std::vector<std::unique_ptr<fake_target>> owned;
    std::vector<fake_target*> targets;
    f.sink.announce_additions(false);
    for (std::uint32_t i = 0; i < 8; ++i) {
      owned.push_back(std::make_unique<fake_target>(spec_of("10.0.0." + std::to_string(i + 1), 1s, false),
                                                    core::monitor_config{}, i));
      targets.push_back(owned.back().get());
      f.sink.on_target_event(*targets.back(), core::target_event::added, "");
    }
    const auto counts = stats_per_second(f, targets, 10);
    for (std::size_t s = 0; s < counts.size(); ++s) EXPECT_EQ(counts[s], limit == 0 ? 8U : 4U) << "second " << s;
    for (std::size_t i = 4; i < 8; ++i) f.sink.on_target_event(*targets[i], core::target_event::removed, "");
    targets.resize(4);
    for (const std::size_t n : stats_per_second(f, targets, 4)) EXPECT_EQ(n, 4U) << "limit " << limit;
  }
}

// A (re)connect republishes every target's statistics and incident list (controller::publish_all). Beyond the
// limit that would be the burst the limit prevents: each list goes with its target's next statistics instead.
TEST(MqttSink, BeyondTheMaxPublishRateIncidentListsGoWithTheNextStatistics) {
  for (const unsigned limit : {0U, 1U}) {
    mqtt_sink::options o;
    o.max_publish_rate = limit;
    sink_fixture f(o);
    fake_target a(spec_of("10.0.0.1", 1s, false), {}, 0);
    fake_target b(spec_of("10.0.0.2", 1s, false), {}, 1);
    f.sink.on_target_event(a, core::target_event::added, "");
    f.sink.on_target_event(b, core::target_event::added, "");
    f.sink.on_sample(a, ok_sample(0, f.clock.now()));
    f.sink.on_sample(b, ok_sample(0, f.clock.now()));
    f.bus.clear();
    for (const fake_target* t : {&a, &b}) {
      f.sink.republish_stats(*t);
      f.sink.republish_incidents(*t);
    }
    const std::string a_inc = "netstab/a1/targets/10.0.0.1/incidents";
    const std::string b_inc = "netstab/a1/targets/10.0.0.2/incidents";
    EXPECT_EQ(f.bus.on_topic(a_inc).size(), limit == 0 ? 1U : 0U) << "limit " << limit;
    EXPECT_EQ(f.bus.on_topic(b_inc).size(), limit == 0 ? 1U : 0U) << "limit " << limit;
    if (limit == 0) continue;
    // Each target publishes every 2 s, a at its first sample, b a second later: b's list goes now, a's next.
    f.clock.advance(1s);
    f.sink.on_sample(a, ok_sample(1, f.clock.now()));
    f.sink.on_sample(b, ok_sample(1, f.clock.now()));
    EXPECT_TRUE(f.bus.on_topic(a_inc).empty());
    EXPECT_EQ(f.bus.on_topic(b_inc).size(), 1U);
    f.clock.advance(1s);
    f.sink.on_sample(a, ok_sample(2, f.clock.now()));
    f.sink.on_sample(b, ok_sample(2, f.clock.now()));
    EXPECT_EQ(f.bus.on_topic(a_inc).size(), 1U);
    EXPECT_EQ(f.bus.on_topic(b_inc).size(), 1U) << "once, not with every statistics";
  }
}

TEST(MqttSink, StatusChangePublishesStatisticsAtOnceAndAnEvent) {
  sink_fixture f;
  fake_target t(spec_of("127.0.0.1", 10s));
  f.sink.on_sample(t, ok_sample(0, f.clock.now()));
  ASSERT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats").size(), 1U);
  f.clock.advance(100ms);
  core::monitor_event e{core::monitor_event::kind::status_change, core::health::ok, core::health::bad, "loss", {}};
  f.sink.on_monitor_event(t, e);
  EXPECT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats").size(), 2U) << "not held back to the next period";
  const auto events = f.bus.on_topic("netstab/a1/events");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_NE(events[0].payload.find("\"type\":\"status_change\""), std::string::npos) << events[0].payload;
  EXPECT_FALSE(events[0].retain);
}

TEST(MqttSink, IncidentEventsRepublishTheRetainedIncidentList) {
  sink_fixture f;
  fake_target t(spec_of("127.0.0.1", 1s));
  core::monitor_event e{core::monitor_event::kind::incident_start, core::health::ok, core::health::bad, "timeouts", {}};
  f.sink.on_monitor_event(t, e);
  const auto inc = f.bus.on_topic("netstab/a1/targets/127.0.0.1/incidents");
  ASSERT_EQ(inc.size(), 1U);
  EXPECT_TRUE(inc[0].retain);
  EXPECT_NE(inc[0].payload.find("\"incidents\":"), std::string::npos) << inc[0].payload;
  EXPECT_EQ(f.bus.on_topic("netstab/a1/events").size(), 1U);
}

TEST(MqttSink, RemovedTargetClearsEveryRetainedTopicOfIt) {
  sink_fixture f;
  core::monitor_config mc;
  mc.extra_windows = {10s};
  fake_target t(spec_of("10.0.0.1", 1s), mc);
  f.sink.on_sample(t, ok_sample(0, f.clock.now()));
  f.bus.clear();
  f.sink.on_target_event(t, core::target_event::removed, "");
  for (const std::string topic : {"netstab/a1/targets/10.0.0.1/stats", "netstab/a1/targets/10.0.0.1/stats/10s",
                                  "netstab/a1/targets/10.0.0.1/incidents"}) {
    const auto m = f.bus.on_topic(topic);
    ASSERT_EQ(m.size(), 1U) << topic;
    EXPECT_TRUE(m[0].payload.empty()) << topic;
    EXPECT_TRUE(m[0].retain) << topic;
  }
  const auto events = f.bus.on_topic("netstab/a1/events");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_NE(events[0].payload.find("\"type\":\"target_removed\""), std::string::npos);
}

// The targets a process starts with are not announced one by one (the state lists them); later additions are.
// Either way the target takes its place in the digest, in the order added.
TEST(MqttSink, AdditionsAreAnnouncedOnlyWhileAnnouncementIsOn) {
  mqtt_sink::options o;
  o.digest_interval = 1s;
  sink_fixture f(o);
  fake_target a(spec_of("10.0.0.1", 1s));
  fake_target b(spec_of("10.0.0.2", 1s), {}, 1);
  f.sink.announce_additions(false);
  f.sink.on_target_event(a, core::target_event::added, "");
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/events").empty());
  f.sink.announce_additions(true);
  f.sink.on_target_event(b, core::target_event::added, "");
  const auto events = f.bus.on_topic("netstab/a1/events");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_NE(events[0].payload.find("\"type\":\"target_added\""), std::string::npos);
  EXPECT_NE(events[0].payload.find("10.0.0.2"), std::string::npos);
  // b answers first, yet a comes first in the digest.
  f.sink.on_sample(b, ok_sample(0, f.clock.now()));
  f.sink.on_sample(a, ok_sample(0, f.clock.now()));
  f.clock.advance(1s);
  f.sink.on_sample(b, ok_sample(1, f.clock.now()));
  const auto digest = f.bus.on_topic("netstab/a1/digest");
  ASSERT_EQ(digest.size(), 1U);
  EXPECT_LT(digest[0].payload.find("10.0.0.1"), digest[0].payload.find("10.0.0.2"));
}

TEST(MqttSink, ReconnectRepublishesOnlyStatisticsPublishedBefore) {
  sink_fixture f;
  fake_target probed(spec_of("127.0.0.1", 1s));
  fake_target fresh(spec_of("127.0.0.2", 1s), {}, 1);
  f.sink.on_sample(probed, ok_sample(0, f.clock.now()));
  f.bus.clear();
  f.sink.republish_stats(probed);
  f.sink.republish_stats(fresh);
  EXPECT_EQ(f.bus.on_topic("netstab/a1/targets/127.0.0.1/stats").size(), 1U) << "the broker may have lost it";
  EXPECT_TRUE(f.bus.on_topic("netstab/a1/targets/127.0.0.2/stats").empty()) << "nothing to restore yet";
}

}  // namespace
}  // namespace netstab::service

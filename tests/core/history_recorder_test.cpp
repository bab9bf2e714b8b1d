#include "core/history_recorder.hpp"

#include <gtest/gtest.h>

namespace netstab::core {
namespace {

using std::chrono::seconds;

constexpr wall_time t0{1'699'999'980'000'000'000};  // a minute boundary

sample reply(wall_time wall, std::uint32_t seq) {
  sample s;
  s.seq = seq;
  s.wall = wall;
  s.rtt = std::chrono::milliseconds(20);
  s.process = std::chrono::milliseconds(21);
  return s;
}

TEST(HistoryRecorder, BatchesFinishedMinutesUnderTheTargetName) {
  history_recorder rec({.raw_max_targets = 0});
  const auto a = rec.add_target("1.1.1.1", t0);
  const auto b = rec.add_target("example.org", t0);
  for (int i = 0; i < 61; ++i) {
    rec.on_sent(a, t0 + seconds(i));
    rec.on_sample(a, reply(t0 + seconds(i), static_cast<std::uint32_t>(i)), health::ok);
  }
  rec.on_sample(b, reply(t0 + seconds(3), 0), health::warn);
  history_batch batch = rec.take_batch(t0 + seconds(61));
  EXPECT_EQ(batch.heartbeat, t0 + seconds(61));
  ASSERT_EQ(batch.targets.size(), 2U);
  EXPECT_EQ(batch.targets[1].target, "example.org");
  EXPECT_FALSE(batch.targets[1].removed);
  ASSERT_EQ(batch.minutes.size(), 1U);  // a's first minute; b's is still open
  EXPECT_EQ(batch.minutes[0].target, "1.1.1.1");
  EXPECT_EQ(batch.minutes[0].minute.received, 60U);
  EXPECT_EQ(batch.minutes[0].minute.sent, 60U);
  EXPECT_TRUE(batch.raw.empty());
  EXPECT_EQ(rec.pending_rows(), 0U);

  rec.close_ended(t0 + seconds(119));  // a's second minute and b's first ended; a's second has not
  batch = rec.take_batch(t0 + seconds(119));
  ASSERT_EQ(batch.minutes.size(), 1U);
  EXPECT_EQ(batch.minutes[0].target, "example.org");
  EXPECT_EQ(batch.minutes[0].minute.worst, health::warn);
  rec.close_all();
  batch = rec.take_batch(t0 + seconds(120));
  ASSERT_EQ(batch.minutes.size(), 1U);
  EXPECT_EQ(batch.minutes[0].minute.start_s * 1'000'000'000, (t0 + seconds(60)).count());
}

TEST(HistoryRecorder, KeepsRawSamplesOfTheFirstTargetsOnly) {
  history_recorder rec({.raw_max_targets = 2});
  const auto a = rec.add_target("a", t0);
  const auto b = rec.add_target("b", t0);
  const auto c = rec.add_target("c", t0);
  EXPECT_TRUE(rec.records_raw(a));
  EXPECT_TRUE(rec.records_raw(b));
  EXPECT_FALSE(rec.records_raw(c));
  for (const auto h : {a, b, c}) rec.on_sample(h, reply(t0, 7), health::ok);
  auto batch = rec.take_batch(t0);
  ASSERT_EQ(batch.raw.size(), 2U);
  EXPECT_EQ(batch.raw[0].target, "a");
  EXPECT_EQ(batch.raw[1].target, "b");
  EXPECT_EQ(batch.raw[1].seq, 7U);
  EXPECT_EQ(batch.raw[1].rtt, std::chrono::milliseconds(20));

  // A removed raw target frees its place for the next target added, not for one already there.
  rec.remove_target(a, t0 + seconds(1));
  EXPECT_FALSE(rec.records_raw(c));
  const auto d = rec.add_target("d", t0 + seconds(2));
  EXPECT_TRUE(rec.records_raw(d));
}

TEST(HistoryRecorder, RemovingATargetFinishesItsMinuteAndRecordsTheRemoval) {
  history_recorder rec({});
  const auto a = rec.add_target("a", t0);
  rec.on_sample(a, reply(t0 + seconds(5), 1), health::ok);
  (void)rec.take_batch(t0 + seconds(5));
  rec.remove_target(a, t0 + seconds(6));
  const auto batch = rec.take_batch(t0 + seconds(6));
  ASSERT_EQ(batch.minutes.size(), 1U);
  EXPECT_EQ(batch.minutes[0].minute.received, 1U);
  ASSERT_EQ(batch.targets.size(), 1U);
  EXPECT_TRUE(batch.targets[0].removed);
  EXPECT_EQ(batch.targets[0].at, t0 + seconds(6));
  // The slot is reused by the next target.
  EXPECT_EQ(rec.add_target("b", t0 + seconds(7)), a);
}

TEST(HistoryRecorder, IncidentsCarryVerdictAndPath) {
  history_recorder rec({});
  const auto a = rec.add_target("a", t0);
  incident inc;
  inc.id = 3;
  inc.start = t0;
  inc.reason = "4 consecutive timeouts";
  rec.on_incident(a, inc, "isp", "192.168.1.1 > 10.0.0.1 > *");
  const auto batch = rec.take_batch(t0);
  ASSERT_EQ(batch.incidents.size(), 1U);
  EXPECT_EQ(batch.incidents[0].target, "a");
  EXPECT_EQ(batch.incidents[0].inc.id, 3U);
  EXPECT_EQ(batch.incidents[0].verdict, "isp");
  EXPECT_EQ(batch.incidents[0].path, "192.168.1.1 > 10.0.0.1 > *");
  EXPECT_EQ(batch.rows(), 2U);  // the target added and the incident
}

}  // namespace
}  // namespace netstab::core

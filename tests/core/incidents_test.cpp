#include "core/incidents.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace netstab::core {
namespace {

using std::chrono::seconds;

constexpr wall_time wall_s(std::int64_t s) { return seconds(1'700'000'000 + s); }

TEST(Incidents, OpenCountCloseAndDuration) {
  incident_log log(20);
  EXPECT_FALSE(log.is_open());
  const incident opened = log.open(wall_s(10), "4 probes lost in a row", 4);
  EXPECT_TRUE(log.is_open());
  EXPECT_EQ(opened.id, 1U);
  EXPECT_EQ(opened.start, wall_s(10));
  EXPECT_FALSE(opened.end);
  EXPECT_EQ(opened.probes_lost, 4U);
  EXPECT_EQ(opened.worst, health::bad);
  EXPECT_EQ(opened.reason, "4 probes lost in a row");

  log.on_lost();
  log.on_lost();
  log.touch(wall_s(25));
  EXPECT_EQ(log.incidents().back().duration, seconds(15));
  EXPECT_EQ(log.incidents().back().probes_lost, 6U);

  const incident closed = log.close(wall_s(40));
  EXPECT_FALSE(log.is_open());
  EXPECT_EQ(closed.end, wall_s(40));
  EXPECT_EQ(closed.duration, seconds(30));
  EXPECT_EQ(closed.probes_lost, 6U);
  ASSERT_EQ(log.incidents().size(), 1U);
  EXPECT_EQ(log.incidents().front().end, wall_s(40));

  log.on_lost();  // nothing open: not counted anywhere
  log.touch(wall_s(90));
  EXPECT_EQ(log.incidents().front().probes_lost, 6U);
  EXPECT_EQ(log.incidents().front().duration, seconds(30));
}

TEST(Incidents, KeepsOnlyTheLastN) {
  incident_log log(3);
  for (std::int64_t i = 0; i < 5; ++i) {
    log.open(wall_s(i * 10), "x", 0);
    log.close(wall_s(i * 10 + 5));
  }
  const incident open = log.open(wall_s(100), "y", 1);
  EXPECT_EQ(open.id, 6U);
  ASSERT_EQ(log.incidents().size(), 3U);
  EXPECT_EQ(log.incidents()[0].id, 4U);
  EXPECT_EQ(log.incidents()[1].id, 5U);
  EXPECT_EQ(log.incidents()[2].id, 6U);  // the open one last
  EXPECT_FALSE(log.incidents()[2].end);
  EXPECT_EQ(log.opened_total(), 6U);
}

TEST(Incidents, ZeroCapacityKeepsOnlyTheOpenOne) {
  incident_log log(0);
  log.open(wall_s(0), "x", 2);
  ASSERT_EQ(log.incidents().size(), 1U);
  log.on_lost();
  const incident closed = log.close(wall_s(3));
  EXPECT_EQ(closed.probes_lost, 3U);
  EXPECT_EQ(closed.duration, seconds(3));
  EXPECT_TRUE(log.incidents().empty());
  EXPECT_EQ(log.open(wall_s(5), "y", 0).id, 2U);
}

}  // namespace
}  // namespace netstab::core

#include "core/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using netstab::core::nanos;
using netstab::core::scheduler;
using netstab::core::spread_offset;
using netstab::core::spread_steps;
using netstab::core::stagger_offset;

TEST(Scheduler, PopsInDeadlineOrder) {
  scheduler s;
  s.schedule(3, 30ms);
  s.schedule(1, 10ms);
  s.schedule(2, 20ms);
  EXPECT_EQ(s.next(), nanos(10ms));
  EXPECT_FALSE(s.pop_due(9ms).has_value());
  std::vector<std::uint32_t> order;
  while (auto id = s.pop_due(100ms)) order.push_back(*id);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_FALSE(s.next().has_value());
}

TEST(Scheduler, RescheduleReplacesEarlierEntry) {
  scheduler s;
  s.schedule(1, 10ms);
  s.schedule(1, 50ms);  // interval changed: later
  EXPECT_EQ(s.next(), nanos(50ms));
  EXPECT_FALSE(s.pop_due(20ms).has_value());
  EXPECT_EQ(s.pop_due(50ms), 1u);
  EXPECT_FALSE(s.pop_due(1s).has_value());
}

TEST(Scheduler, RescheduleToTheSameTimeAddsNoEntry) {
  scheduler s;
  s.schedule(1, 10ms);
  s.schedule(2, 20ms);
  s.schedule(1, 10ms);
  s.schedule(1, 10ms);
  EXPECT_EQ(s.heap_size(), 2u);
  EXPECT_EQ(s.pop_due(15ms), 1u);
  // Popped: the id is no longer live, so the same time schedules it again.
  s.schedule(1, 10ms);
  EXPECT_EQ(s.heap_size(), 2u);
  EXPECT_EQ(s.pop_due(15ms), 1u);
  EXPECT_FALSE(s.pop_due(15ms).has_value());
  // Cancelled, then scheduled for the time it had: live again.
  s.cancel(2);
  s.schedule(2, 20ms);
  EXPECT_EQ(s.pop_due(20ms), 2u);
  EXPECT_FALSE(s.next().has_value());
}

TEST(Scheduler, CancelStopsAnId) {
  scheduler s;
  s.schedule(1, 10ms);
  s.schedule(2, 20ms);
  s.cancel(1);
  EXPECT_FALSE(s.scheduled(1));
  EXPECT_EQ(s.pop_due(1s), 2u);
  EXPECT_FALSE(s.pop_due(1s).has_value());
}

TEST(Scheduler, ClearLeavesNothingToFire) {
  scheduler s;
  for (std::uint32_t i = 0; i < 100; ++i) s.schedule(i, nanos(i));
  s.clear();
  EXPECT_FALSE(s.next().has_value());
  s.schedule(5, 1ms);
  EXPECT_EQ(s.pop_due(1ms), 5u);
}

TEST(Scheduler, HeapStaysBoundedUnderChurn) {
  scheduler s;
  for (int round = 0; round < 10000; ++round) {
    for (std::uint32_t id = 0; id < 10; ++id) s.schedule(id, nanos(static_cast<std::int64_t>(round) * 10 + id));
  }
  EXPECT_LE(s.heap_size(), 4u * 10 + 64 + 1);
}

TEST(Stagger, SpreadsTargetsAcrossTheInterval) {
  // 1000 targets over 1 s: no 10 ms slot may hold more than twice its share.
  std::vector<int> slots(100, 0);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const auto off = stagger_offset(i, 1s);
    ASSERT_GE(off, 0ns);
    ASSERT_LT(off, nanos(1s));
    ++slots[static_cast<std::size_t>(off / 10ms)];
  }
  EXPECT_LE(*std::max_element(slots.begin(), slots.end()), 20);
  EXPECT_GE(*std::min_element(slots.begin(), slots.end()), 5);
}

TEST(Spread, GivesEachRankItsShareOfTheInterval) {
  struct row {
    std::size_t rank;
    std::size_t count;
    nanos interval;
    nanos want;
  };
  const std::vector<row> rows{
      {0, 4, 100ms, 0ms},
      {1, 4, 100ms, 25ms},
      {3, 4, 100ms, 75ms},
      {0, 1, 1s, 0ms},
      {4, 4, 100ms, 0ms},  // out of range
      {0, 0, 100ms, 0ms},  // no targets
      {1, 3, 1s, nanos(333'333'333)},
      // Past 20 targets they share 20 steps, neighbours together: 1,000 targets go in steps of 50, 50 ms apart.
      {49, 1000, 1s, 0ms},
      {50, 1000, 1s, 50ms},
      {999, 1000, 1s, 950ms},
      {39, 40, 100ms, 95ms},
      // Past 1,000 a step holds at most 50: 10,000 targets go in 200 steps, 5 ms apart.
      {9'999, 10'000, 1s, 995ms},
      {150, 10'000, 1s, 15ms},
  };
  for (const row& r : rows) {
    EXPECT_EQ(spread_offset(r.rank, r.count, r.interval), r.want) << r.rank << " of " << r.count;
  }
}

TEST(Spread, UsesAStepPerTargetUpToTwentyThenStepsOfAtMostFifty) {
  const std::vector<std::pair<std::size_t, std::size_t>> rows{
      {0, 0}, {1, 1}, {8, 8}, {20, 20}, {21, 20}, {1'000, 20}, {1'001, 21}, {10'000, 200}, {50'000, 1'000},
  };
  for (const auto& [count, steps] : rows) EXPECT_EQ(spread_steps(count), steps) << count << " targets";
}

TEST(Spread, KeepsRankOrderWithinTheIntervalForLongIntervals) {
  // A day's interval times a million ranks does not fit 64 bits of nanoseconds; the offsets must still rise.
  const nanos day = std::chrono::hours(24);
  nanos previous{-1};
  for (std::size_t rank = 0; rank < 1'000'000; rank += 999) {
    const nanos off = spread_offset(rank, 1'000'000, day);
    ASSERT_GT(off, previous) << rank;
    ASSERT_LT(off, day) << rank;
    previous = off;
  }
}

#include "core/baseline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace netstab::core {
namespace {

using namespace std::chrono_literals;

TEST(Baseline, LowestP50OverTheTrailingPeriod) {
  // One hour in six buckets of ten minutes.
  struct step {
    nanos advance;
    std::optional<double> feed;
    std::optional<double> baseline;
  };
  const step steps[] = {
      {0min, std::nullopt, std::nullopt},  // nothing fed yet
      {0min, 20.0, 20.0},
      {5min, 25.0, 20.0},
      {5min, 15.0, 15.0},                   // 10 min: bucket 1
      {20min, 30.0, 15.0},                  // 30 min: bucket 3
      {29min, std::nullopt, 15.0},          // 59 min: bucket 5, all six still in the ring
      {1min, std::nullopt, 15.0},           // 60 min: bucket 6 pushes bucket 0 (20, 25) out; 15 is in bucket 1
      {10min, std::nullopt, 30.0},          // 70 min: bucket 1 leaves
      {10min, 40.0, 30.0},                  // 80 min: bucket 8; bucket 3 (30) is still in
      {10min, std::nullopt, 40.0},          // 90 min: bucket 3 leaves
      {70min, std::nullopt, std::nullopt},  // long silence: nothing left
  };
  fake_clock clock;
  baseline_tracker b;  // 1 h, 6 buckets
  int i = 0;
  for (const step& s : steps) {
    SCOPED_TRACE(i++);
    clock.advance(s.advance);
    if (s.feed) b.feed(clock.now(), *s.feed);
    EXPECT_EQ(b.baseline(clock.now()), s.baseline);
  }
}

TEST(Baseline, IgnoresBadValuesAndTimesOlderThanTheRing) {
  fake_clock clock(2h);
  baseline_tracker b(60s, 6);
  b.feed(clock.now(), std::numeric_limits<double>::quiet_NaN());
  b.feed(clock.now(), std::numeric_limits<double>::infinity());
  b.feed(clock.now(), -1.0);
  EXPECT_FALSE(b.baseline(clock.now()));
  b.feed(clock.now(), 12.0);
  b.feed(clock.now() - 10min, 1.0);  // older than the ring: its slot holds a newer epoch or it falls out of view
  EXPECT_EQ(b.baseline(clock.now()), 12.0);
  b.feed(clock.now() - 30s, 11.0);  // older but inside the ring
  EXPECT_EQ(b.baseline(clock.now()), 11.0);
}

TEST(Baseline, ResetForgetsEverything) {
  fake_clock clock;
  baseline_tracker b;
  b.feed(clock.now(), 5.0);
  b.reset();
  EXPECT_FALSE(b.baseline(clock.now()));
  b.feed(clock.now(), 9.0);
  EXPECT_EQ(b.baseline(clock.now()), 9.0);
}

TEST(Baseline, MemoryIsBoundedWhateverTheFeedRate) {
  fake_clock clock;
  baseline_tracker b;
  const std::size_t before = b.memory_bytes();
  for (int i = 0; i < 100'000; ++i) {
    b.feed(clock.now(), 10.0 + (i % 7));
    clock.advance(100ms);
  }
  EXPECT_EQ(b.memory_bytes(), before);
  EXPECT_LE(before, 512U);
  EXPECT_EQ(b.baseline(clock.now()), 10.0);
}

TEST(Baseline, TimesBeforeTheClocksEpoch) {
  baseline_tracker b(60s, 6);
  b.feed(-25s, 8.0);
  b.feed(-5s, 9.0);
  EXPECT_EQ(b.baseline(-5s), 8.0);
  EXPECT_EQ(b.baseline(40s), 9.0);  // -25 s is in bucket -3, out of the ring -1 .. 4
}

TEST(Baseline, RejectsBadShapes) {
  EXPECT_THROW(baseline_tracker(1h, 0), std::invalid_argument);
  EXPECT_THROW(baseline_tracker(1h, 65), std::invalid_argument);
  EXPECT_THROW(baseline_tracker(nanos{3}, 6), std::invalid_argument);
  EXPECT_NO_THROW(baseline_tracker(1h, 64));
}

}  // namespace
}  // namespace netstab::core

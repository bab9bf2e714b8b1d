#include "core/probe_budget.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace netstab::core {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The most sends within any one-second span (half open), counted independently of the budget.
std::uint32_t max_in_any_second(const std::vector<mono_time>& sends) {
  std::deque<mono_time> window;
  std::uint32_t best = 0;
  for (const mono_time t : sends) {
    window.push_back(t);
    while (window.front() <= t - seconds(1)) window.pop_front();
    best = std::max(best, static_cast<std::uint32_t>(window.size()));
  }
  return best;
}

TEST(ProbeBudget, StartsWithASmallBurstThenPacesEvenly) {
  mono_time t{seconds(10)};
  probe_budget b(100, t);  // burst 5
  int burst = 0;
  while (b.try_take(t)) ++burst;
  EXPECT_EQ(burst, 5);
  EXPECT_EQ(b.next_free(t), t + milliseconds(10));
  EXPECT_FALSE(b.try_take(t + milliseconds(9)));
  EXPECT_TRUE(b.try_take(t + milliseconds(10)));
}

// Whatever asks, and however it asks (polling every 100 us for ten seconds, or in bursts after long pauses),
// no one-second span ever holds more than max_pps sends, and the counter says so.
TEST(ProbeBudget, NeverMoreThanMaxPpsInAnySecond) {
  for (const std::uint32_t max_pps : {1U, 7U, 20U, 150U, 1000U}) {
    mono_time t{seconds(1)};
    probe_budget b(max_pps, t);
    std::vector<mono_time> sends;
    for (int i = 0; i < 100'000; ++i) {
      t += microseconds(100);
      while (b.try_take(t)) sends.push_back(t);
      if (i % 20'000 == 0) t += seconds(5);  // idle spells refill the bucket, never beyond its burst
    }
    EXPECT_LE(max_in_any_second(sends), max_pps) << max_pps;
    EXPECT_EQ(b.counters().peak_per_second, max_in_any_second(sends)) << max_pps;
    EXPECT_LE(b.counters().peak_per_second, b.counters().max_pps);
    EXPECT_EQ(b.counters().sent, sends.size());
  }
}

TEST(ProbeBudget, NextFreeIsWhenTheNextTakeSucceeds) {
  mono_time t{0};
  probe_budget b(20, t);  // burst 1, one every 50 ms
  std::vector<mono_time> sends;
  for (int i = 0; i < 200; ++i) {
    const mono_time at = b.next_free(t);
    EXPECT_GE(at, t);
    if (at > t) {
      EXPECT_FALSE(b.try_take(at - microseconds(1)));
    }
    t = at;
    ASSERT_TRUE(b.try_take(t)) << i;
    sends.push_back(t);
  }
  EXPECT_LE(max_in_any_second(sends), 20U);
}

TEST(ProbeBudget, DeferredProbesAreCountedByTheCaller) {
  probe_budget b(10, mono_time{0});
  b.note_deferred();
  b.note_deferred();
  EXPECT_EQ(b.counters().deferred, 2U);
  EXPECT_EQ(b.counters().max_pps, 10U);
}

TEST(ProbeBudget, ZeroIsTakenAsOne) {
  mono_time t{0};
  probe_budget b(0, t);
  EXPECT_TRUE(b.try_take(t));
  EXPECT_FALSE(b.try_take(t + milliseconds(999)));
  EXPECT_TRUE(b.try_take(t + seconds(1)));
}

}  // namespace
}  // namespace netstab::core

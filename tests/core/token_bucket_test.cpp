#include "core/token_bucket.hpp"

#include <gtest/gtest.h>

namespace netstab::core {
namespace {

using std::chrono::seconds;

TEST(TokenBucket, AllowsABurstOfAFullBucketThenRefills) {
  mono_time t{seconds(100)};
  token_bucket b(6, t);  // 6 a minute: one every 10 s
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(b.take(t)) << i;
  EXPECT_FALSE(b.take(t));
  t += seconds(9);
  EXPECT_FALSE(b.take(t));
  t += seconds(1);
  EXPECT_TRUE(b.take(t));
  EXPECT_FALSE(b.take(t));
}

TEST(TokenBucket, NeverHoldsMoreThanOneMinutesWorth) {
  mono_time t{0};
  token_bucket b(3, t);
  t += seconds(3600);
  int taken = 0;
  while (b.take(t)) ++taken;
  EXPECT_EQ(taken, 3);
}

TEST(TokenBucket, ARefusedTakeCostsNothing) {
  mono_time t{0};
  token_bucket b(60, t);  // one a second
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(b.take(t));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(b.take(t));
  t += seconds(1);
  EXPECT_TRUE(b.take(t));
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
  mono_time t{seconds(10)};
  token_bucket b(1, t);
  EXPECT_TRUE(b.take(t));
  EXPECT_FALSE(b.take(mono_time{seconds(5)}));
  EXPECT_FALSE(b.take(t));
}

}  // namespace
}  // namespace netstab::core

#include "core/qos0_ledger.hpp"

#include <gtest/gtest.h>

namespace netstab::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Qos0Ledger, CountsQos0CompletionsWithinTheWindow) {
  qos0_ledger l(seconds(75));
  mono_time t{seconds(1000)};
  for (std::uint64_t id = 1; id <= 10; ++id) l.on_completed(id, 0, t + milliseconds(id * 100));
  EXPECT_EQ(l.take_unconfirmed(t + seconds(2)), 10U);
  EXPECT_EQ(l.take_unconfirmed(t + seconds(2)), 0U) << "taking resets";
}

TEST(Qos0Ledger, AnAcknowledgementConfirmsEverythingWrittenBeforeIt) {
  qos0_ledger l(seconds(75));
  mono_time t{seconds(1000)};
  l.on_completed(1, 0, t);
  l.on_completed(2, 0, t);
  l.on_completed(3, 0, t + seconds(1));
  l.on_completed(4, 1, t + seconds(1));  // acknowledged QoS 1: the broker read 1..3
  l.on_completed(5, 0, t + seconds(2));
  EXPECT_EQ(l.take_unconfirmed(t + seconds(3)), 1U);
}

TEST(Qos0Ledger, AnAcknowledgementOnlyDropsWholeBucketsBeforeIt) {
  qos0_ledger l(seconds(75));
  mono_time t{seconds(1000)};
  l.on_completed(1, 0, t);
  l.on_completed(3, 0, t);  // same second: the bucket's last id is 3
  l.on_completed(2, 1, t);  // acknowledges 1 but not 3: the bucket stays (an upper bound)
  EXPECT_EQ(l.take_unconfirmed(t), 2U);
}

TEST(Qos0Ledger, CompletionsOlderThanTheWindowAreForgotten) {
  qos0_ledger l(seconds(10));
  mono_time t{seconds(1000)};
  l.on_completed(1, 0, t);
  l.on_completed(2, 0, t + seconds(5));
  l.on_completed(3, 0, t + seconds(12));
  EXPECT_EQ(l.take_unconfirmed(t + seconds(14)), 2U);
}

}  // namespace
}  // namespace netstab::core

#include "core/outbox.hpp"

#include <gtest/gtest.h>

#include <string>

namespace netstab::core {
namespace {

outgoing_message msg(int n) { return outgoing_message{"t/" + std::to_string(n), std::to_string(n), 0, false, {}}; }

std::vector<std::string> drain(outbox& box) {
  std::vector<std::string> out;
  while (auto m = box.pop()) out.push_back(m->payload);
  return out;
}

TEST(Outbox, KeepsOrder) {
  outbox box(10);
  for (int i = 1; i <= 5; ++i) box.push(msg(i));
  EXPECT_EQ(box.size(), 5U);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.dropped(), 0U);
}

TEST(Outbox, DropsOldestWhenFullAndCounts) {
  outbox box(3);
  for (int i = 1; i <= 7; ++i) box.push(msg(i));
  EXPECT_EQ(box.size(), 3U);
  EXPECT_EQ(box.dropped(), 4U);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"5", "6", "7"}));
}

TEST(Outbox, PushFrontPutsABatchBeforeEverythingInItsOrder) {
  outbox box(10);
  box.push(msg(3));
  box.push(msg(4));
  box.push_front({msg(1), msg(2)});
  EXPECT_EQ(drain(box), (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST(Outbox, PushFrontOverCapacityDropsTheOldest) {
  outbox box(3);
  box.push(msg(3));
  box.push(msg(4));
  box.push_front({msg(1), msg(2)});
  EXPECT_EQ(box.dropped(), 1U);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"2", "3", "4"}));
}

TEST(Outbox, ByteBoundDropsOldest) {
  // Each message weighs topic "t/N" (3) + payload "N" (1) = 4 bytes.
  outbox box(100, 10);
  for (int i = 1; i <= 4; ++i) box.push(msg(i));
  EXPECT_EQ(box.size(), 2U);
  EXPECT_EQ(box.bytes(), 8U);
  EXPECT_EQ(box.dropped(), 2U);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(box.bytes(), 0U);
}

TEST(Outbox, ZeroCapacityDropsEverything) {
  outbox box(0);
  box.push(msg(1));
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.dropped(), 1U);
}

TEST(Outbox, ClearCountsAsDropped) {
  outbox box(5);
  box.push(msg(1));
  box.push(msg(2));
  box.clear();
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.dropped(), 2U);
  EXPECT_EQ(box.front(), nullptr);
}

}  // namespace
}  // namespace netstab::core

#include "core/retained_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netstab::core {
namespace {

outgoing_message msg(const std::string& topic, const std::string& payload) { return {topic, payload, 1, true, {}}; }

std::vector<std::string> drain(retained_queue& q) {
  std::vector<std::string> out;
  while (!q.empty()) {
    const auto m = q.pop();
    out.push_back(m.topic + "=" + m.payload);
  }
  return out;
}

TEST(RetainedQueue, ANewerValueReplacesTheWaitingOneAndKeepsItsTurn) {
  retained_queue q;
  q.put(msg("a", "1"));
  q.put(msg("b", "1"));
  q.put(msg("a", "2"));
  q.put(msg("c", "1"));
  EXPECT_EQ(q.size(), 3U);
  EXPECT_EQ(q.coalesced(), 1U);
  EXPECT_EQ(drain(q), (std::vector<std::string>{"a=2", "b=1", "c=1"}));
}

TEST(RetainedQueue, AfterAPopTheTopicQueuesAnew) {
  retained_queue q;
  q.put(msg("a", "1"));
  q.put(msg("b", "1"));
  EXPECT_EQ(q.pop().payload, "1");
  q.put(msg("a", "2"));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"b=1", "a=2"}));
  EXPECT_EQ(q.coalesced(), 0U);
}

TEST(RetainedQueue, PushFrontPutsARefusedMessageBackUnlessANewerOneCame) {
  retained_queue q;
  q.put(msg("a", "1"));
  q.put(msg("b", "1"));
  auto m = q.pop();
  q.push_front(std::move(m));
  const outgoing_message* first = q.front();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->topic, "a");
  auto again = q.pop();
  q.put(msg("a", "2"));  // a newer value arrived while "a=1" was being sent
  q.push_front(std::move(again));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"b=1", "a=2"}));
}

TEST(RetainedQueue, KeepEveryTopicsKeepEveryMessageInOrder) {
  retained_queue q({"ha/config"});
  q.put(msg("ha/config", "removal"));
  q.put(msg("s", "1"));
  q.put(msg("ha/config", "clean"));
  q.put(msg("s", "2"));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"ha/config=removal", "s=2", "ha/config=clean"}));
  q.put(msg("ha/config", "x"));
  auto m = q.pop();
  q.push_front(std::move(m));
  EXPECT_EQ(q.size(), 1U);
}

TEST(RetainedQueue, ReplacementStaysCorrectAfterManyPushFronts) {
  // Sequence numbers wrap below zero with push_front; replacement must still find the right slot.
  retained_queue q;
  for (int i = 0; i < 5; ++i) {
    // Appended piece by piece: `"t" + std::string` makes GCC 12 at -O3 report a false -Werror=restrict.
    std::string topic = "t";
    topic += std::to_string(i);
    q.put(msg(topic, "0"));
  }
  for (int i = 0; i < 3; ++i) {
    auto m = q.pop();
    q.push_front(std::move(m));
  }
  q.put(msg("t3", "new"));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"t0=0", "t1=0", "t2=0", "t3=new", "t4=0"}));
}

TEST(RetainedQueue, ClearEmptiesAndForgetsTopics) {
  retained_queue q;
  q.put(msg("a", "1"));
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.front(), nullptr);
  q.put(msg("a", "2"));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"a=2"}));
}

}  // namespace
}  // namespace netstab::core

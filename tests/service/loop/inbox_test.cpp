#include "service/loop/inbox.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "service/loop/uv.hpp"

namespace netstab::service {
namespace {

TEST(Inbox, ValuesPostedFromAnotherThreadArriveOnTheLoopThreadInOrder) {
  loop lp;
  std::vector<int> got;
  std::vector<std::thread::id> threads;
  auto box = std::make_unique<inbox<int>>(lp.get(), [&](int& v) {
    got.push_back(v);
    threads.push_back(std::this_thread::get_id());
    if (got.size() == 1000) lp.stop();
  });
  std::thread producer([p = box->make_poster()] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(p.post(i));
  });
  lp.run();
  producer.join();
  ASSERT_EQ(got.size(), 1000U);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
  for (const auto& id : threads) EXPECT_EQ(id, std::this_thread::get_id());
  box.reset();
  EXPECT_EQ(lp.close(), 0) << "handles left: " << lp.handle_count();
}

TEST(Inbox, TryPostRefusesBeyondCapacityButPostNever) {
  loop lp;
  int handled = 0;
  inbox<int> box(
      lp.get(), [&](int&) { ++handled; }, 3);
  const auto p = box.make_poster();
  EXPECT_TRUE(p.try_post(1));
  EXPECT_TRUE(p.try_post(2));
  EXPECT_TRUE(p.try_post(3));
  EXPECT_FALSE(p.try_post(4));
  EXPECT_TRUE(p.post(5)) << "post() is for what must not be lost";
  EXPECT_EQ(box.refused(), 1U);
  lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(handled, 4);
  EXPECT_TRUE(p.try_post(6)) << "room again once drained";
  box.close();
  EXPECT_EQ(lp.close(), 0);
}

TEST(Inbox, APosterThatOutlivesItsInboxPostsNothing) {
  loop lp;
  inbox<int>::poster p;
  {
    inbox<int> box(lp.get(), [](int&) { FAIL() << "nothing may arrive after close"; });
    p = box.make_poster();
    EXPECT_TRUE(p.post(1));
    box.close();
  }
  EXPECT_FALSE(p.post(2));
  EXPECT_FALSE(p.try_post(3));
  lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(lp.close(), 0);
}

TEST(Inbox, TheHandlerMayDestroyTheInbox) {
  loop lp;
  std::unique_ptr<inbox<int>> box;
  int handled = 0;
  box = std::make_unique<inbox<int>>(lp.get(), [&](int&) {
    ++handled;
    box.reset();
  });
  const auto p = box->make_poster();
  p.post(1);
  p.post(2);
  lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(handled, 1) << "the drain stops once its inbox is gone";
  EXPECT_EQ(lp.close(), 0);
}

TEST(Inbox, AnUnreferencedInboxLetsTheLoopEnd) {
  loop lp;
  inbox<int> box(lp.get(), [](int&) {});
  box.keep_loop_alive(false);
  EXPECT_EQ(lp.run(), 0) << "the loop ended although the inbox is open";
  box.keep_loop_alive(true);
  EXPECT_NE(lp.run(UV_RUN_NOWAIT), 0) << "a referenced inbox keeps the loop alive";
  box.close();
  EXPECT_EQ(lp.close(), 0);
}

}  // namespace
}  // namespace netstab::service

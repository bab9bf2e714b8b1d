// The libuv wrappers whose behaviour netstab relies on beyond "it calls back": the idle handle that lets the loop
// read I/O and run due timers between the links of a chain (mqtt_link's pump budget depends on it), and the
// prepare handle that runs once per turn before the loop waits (stdout mode writes its lines there).
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "service/loop/uv.hpp"

namespace {

using netstab::service::idle;
using netstab::service::loop;
using netstab::service::poll;
using netstab::service::prepare;
using netstab::service::timer;

TEST(Idle, RunsItsCallbackOnceAndLeavesNoHandleAfterClose) {
  loop l;
  int runs = 0;
  {
    idle i(l.get());
    i.start_once([&] { ++runs; });
    EXPECT_TRUE(i.active());
    l.run(UV_RUN_NOWAIT);
    EXPECT_EQ(runs, 1);
    EXPECT_FALSE(i.active());
    l.run(UV_RUN_NOWAIT);
    EXPECT_EQ(runs, 1);
    i.close();
  }
  EXPECT_EQ(l.close(), 0);
}

TEST(Idle, StoppedCallbackDoesNotRun) {
  loop l;
  int runs = 0;
  idle i(l.get());
  i.start_once([&] { ++runs; });
  i.stop();
  l.run(UV_RUN_NOWAIT);
  EXPECT_EQ(runs, 0);
  i.close();
  EXPECT_EQ(l.close(), 0);
}

// A chain of idle links re-armed from their own callback: I/O that became ready during one link is handled
// before the next link runs, and so is a timer that fell due. A chain of zero-delay timers would run to its end
// first (libuv 1.44 runs a timer re-armed from its own callback again in the same pass).
TEST(Idle, ChainLetsIoAndDueTimersRunBetweenLinks) {
  loop l;
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe(fds.data()), 0);
  std::vector<std::string> order;
  {
    poll reader(l.get(), fds[0]);
    timer due(l.get());
    idle chain(l.get());
    ASSERT_TRUE(reader.start(UV_READABLE, [&](int, int) {
      char c = 0;
      ASSERT_EQ(::read(fds[0], &c, 1), 1);
      order.push_back("io");
    }));
    int links = 0;
    std::function<void()> link = [&] {
      ++links;
      order.push_back("link" + std::to_string(links));
      if (links == 1) {
        ASSERT_EQ(::write(fds[1], "x", 1), 1);
        due.start(0, [&] { order.push_back("timer"); });
      }
      if (links < 4) chain.start_once(link);
    };
    chain.start_once(link);
    for (int i = 0; i < 10 && links < 4; ++i) l.run(UV_RUN_ONCE);
    EXPECT_EQ(order, (std::vector<std::string>{"link1", "io", "timer", "link2", "link3", "link4"}));
    reader.close();
    due.close();
    chain.close();
  }
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(l.close(), 0);
}

// One turn: the due timer, then prepare, then the loop waits for I/O. The I/O callback of that wait runs before
// the next turn's prepare, so everything a turn produced, from timers or from I/O, is seen by a prepare callback
// before the loop waits again.
TEST(Prepare, RunsAfterTheTimersAndAfterTheIoOfATurnBeforeTheLoopWaits) {
  loop l;
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe(fds.data()), 0);
  std::vector<std::string> order;
  {
    poll reader(l.get(), fds[0]);
    timer due(l.get());
    prepare turn_end(l.get());
    ASSERT_TRUE(reader.start(UV_READABLE, [&](int, int) {
      char c = 0;
      ASSERT_EQ(::read(fds[0], &c, 1), 1);
      order.push_back("io");
    }));
    turn_end.start([&] { order.push_back("prepare"); });
    due.start(0, [&] {
      order.push_back("timer");
      ASSERT_EQ(::write(fds[1], "x", 1), 1);
    });
    l.run(UV_RUN_ONCE);    // timer, prepare, then the wait returns the readable pipe: io
    l.run(UV_RUN_NOWAIT);  // the reader keeps the loop alive (as netstab's sockets do): one more turn
    EXPECT_EQ(order, (std::vector<std::string>{"timer", "prepare", "io", "prepare"}));
    reader.close();
    due.close();
    turn_end.close();
  }
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(l.close(), 0);
}

TEST(Prepare, DoesNotKeepTheLoopAlive) {
  loop l;
  int runs = 0;
  {
    prepare turn_end(l.get());
    turn_end.start([&] { ++runs; });
    EXPECT_EQ(l.run(), 0);  // returns at once: nothing referenced is active
    EXPECT_LE(runs, 1);
    turn_end.close();
  }
  EXPECT_EQ(l.close(), 0);
}

}  // namespace

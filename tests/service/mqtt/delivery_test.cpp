// delivery's window against a transport that records what it is handed and completes nothing by itself: the
// test completes messages as Paho would, so what waits and what goes is exact. A real loop runs its timers.
#include "service/mqtt/delivery.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "service/loop/uv.hpp"

namespace netstab::service {
namespace {

struct handed {
  std::uint64_t id;
  std::string topic;
  std::size_t bytes;
};

struct delivery_fixture {
  explicit delivery_fixture(mqtt_options o)
      : opts(std::move(o)), d(lp.get(), opts, [this](auto& m, auto id, auto*) {
          sent.push_back(handed{id, m.topic, m.payload.size()});
          return publish_outcome::sent;
        }) {
    d.go_online(20, std::nullopt);
  }
  ~delivery_fixture() {
    d.close();
    EXPECT_EQ(lp.close(), 0);
  }
  void retained(const std::string& topic, std::size_t bytes) {
    d.publish(core::outgoing_message{topic, std::string(bytes, 'x'), 0, true, {}});
  }
  loop lp;
  mqtt_options opts;
  std::vector<handed> sent;
  delivery d;
};

mqtt_options window(std::size_t messages, std::size_t bytes) {
  mqtt_options o;
  o.max_inflight = messages;
  o.max_inflight_bytes = bytes;
  return o;
}

// Paho holds at most max_inflight_bytes of payload: the third 3 MB message waits for a completion.
TEST(Delivery, PahoHoldsAtMostTheWindowsBytes) {
  delivery_fixture f(window(64, 8 << 20));
  for (const char* topic : {"a", "b", "c"}) f.retained(topic, 3 << 20);
  f.lp.run(UV_RUN_NOWAIT);
  ASSERT_EQ(f.sent.size(), 3U) << "6 MB in flight is below the 8 MiB window";
  f.retained("d", 3 << 20);
  f.lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(f.sent.size(), 3U) << "9 MB would be in flight";
  f.d.on_completed(f.sent[0].id, core::mono_time{});
  f.lp.run(UV_RUN_NOWAIT);
  ASSERT_EQ(f.sent.size(), 4U);
  EXPECT_EQ(f.sent[3].topic, "d");
}

// A message larger than the window goes alone; while it is in flight the newer messages of its topic replace one
// another instead of queueing (a digest every period behind a slow broker), and the newest goes next.
TEST(Delivery, ALargeMessageGoesAloneAndNewerOnesOfItsTopicReplaceTheWaitingOne) {
  delivery_fixture f(window(64, 8 << 20));
  f.retained("digest", 30 << 20);
  f.lp.run(UV_RUN_NOWAIT);
  ASSERT_EQ(f.sent.size(), 1U);
  f.retained("digest", (30 << 20) + 1);
  f.retained("digest", (30 << 20) + 2);
  f.lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(f.sent.size(), 1U) << "30 MB in flight: nothing more";
  f.d.on_completed(f.sent[0].id, core::mono_time{});
  f.lp.run(UV_RUN_NOWAIT);
  ASSERT_EQ(f.sent.size(), 2U);
  EXPECT_EQ(f.sent[1].bytes, (30U << 20) + 2) << "the newest digest, the one in between was replaced";
  f.d.on_completed(f.sent[1].id, core::mono_time{});
  f.lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(f.sent.size(), 2U);
  EXPECT_TRUE(f.d.flushed());
}

// The message count still bounds the window when the messages are small.
TEST(Delivery, TheMessageCountStillBoundsSmallMessages) {
  delivery_fixture f(window(2, 8 << 20));
  for (const char* topic : {"a", "b", "c"}) f.retained(topic, 10);
  f.lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(f.sent.size(), 2U);
  f.d.on_completed(f.sent[1].id, core::mono_time{});
  f.lp.run(UV_RUN_NOWAIT);
  EXPECT_EQ(f.sent.size(), 3U);
}

}  // namespace
}  // namespace netstab::service

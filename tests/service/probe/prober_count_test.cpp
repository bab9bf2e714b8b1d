// The prober with a count (--count): it reports that it has finished once every target has sent its probes and
// each of them was answered or timed out, and not before, also when a target is added to a freed slot while the
// others finish. Real sockets to 127.0.0.x on a real loop, so root (raw ICMP) is needed.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "service/loop/system_clock.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/prober.hpp"
#include "tests/service/probe/probe_target.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/wait.hpp"

namespace netstab::service {
namespace {

// Counts each host's replies; calls on_ok after each one and on_done when the prober reports it has finished.
class finishing_sink final : public probe_sink {
 public:
  void on_sample(const target_view& t, const core::sample& s) override {
    if (s.status != core::probe_status::ok) return;
    ++ok[t.spec().host];
    if (on_ok) on_ok(t.spec().host);
  }
  void on_monitor_event(const target_view&, const core::monitor_event&) override {}
  void on_target_event(const target_view&, core::target_event, std::string_view) override {}
  void on_finished() override {
    ++finished;
    at_finish = ok;
    if (on_done) on_done();
  }

  std::map<std::string, int> ok;
  std::map<std::string, int> at_finish;  // ok as it was when the prober reported it had finished
  int finished = 0;
  std::function<void(const std::string&)> on_ok;
  std::function<void()> on_done;
};

// Runs the loop until it is stopped, or the tests' patience has run out.
void run_guarded(loop& lp) {
  timer guard(lp.get());
  guard.start(static_cast<std::uint64_t>(std::chrono::milliseconds(test::patience).count()), [&] { lp.stop(); });
  lp.run();
  guard.close();
}

// Slot 0 is freed before the start. The fast target in slot 1 finishes first, so the prober's scan for unfinished
// targets has moved past slots 0 and 1 when a slow target is added, into slot 0, while the target in slot 2 is
// still probing. The prober must wait for the added target too.
TEST(Prober, WithACountFinishesOnlyWhenATargetAddedToAFreedSlotHasAlsoFinished) {
  NETSTAB_REQUIRE_ROOT();
  constexpr int count = 3;
  loop lp;
  system_clock clk;
  finishing_sink sink;
  prober_options o;
  o.count = count;
  o.path.enabled = false;
  o.path.read_gateway = false;
  auto pr = std::make_unique<prober>(lp.get(), clk, o, sink);
  ASSERT_EQ(pr->add_target(test::probe_target("127.0.0.9", std::chrono::milliseconds(10))).message(), "");
  ASSERT_EQ(pr->add_target(test::probe_target("127.0.0.1", std::chrono::milliseconds(10))).message(), "");
  ASSERT_EQ(pr->add_target(test::probe_target("127.0.0.2", std::chrono::milliseconds(150))).message(), "");
  ASSERT_TRUE(pr->remove_target("127.0.0.9"));
  ASSERT_EQ(pr->start().message(), "");

  sink.on_ok = [&](const std::string& host) {
    if (host == "127.0.0.1" && sink.ok[host] == count) lp.stop();
  };
  run_guarded(lp);
  ASSERT_EQ(sink.ok["127.0.0.1"], count);
  ASSERT_LT(sink.ok["127.0.0.2"], count) << "the slow target finished first: the added one would not be tested";
  EXPECT_EQ(sink.finished, 0);

  sink.on_ok = nullptr;
  sink.on_done = [&] { lp.stop(); };
  ASSERT_EQ(pr->add_target(test::probe_target("127.0.0.3", std::chrono::milliseconds(400))).message(), "");
  ASSERT_EQ(pr->find("127.0.0.3")->slot(), 0U) << "the added target should take the freed slot";
  run_guarded(lp);
  ASSERT_EQ(sink.finished, 1);
  EXPECT_EQ(sink.at_finish["127.0.0.1"], count);
  EXPECT_EQ(sink.at_finish["127.0.0.2"], count);
  EXPECT_EQ(sink.at_finish["127.0.0.3"], count) << "finished before the target added to slot 0 had answered";
  EXPECT_EQ(pr->counters().sent, 3U * count);
  pr->close();
  pr.reset();
  EXPECT_EQ(lp.close(), 0);
}

}  // namespace
}  // namespace netstab::service

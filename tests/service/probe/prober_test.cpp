// The prober with ICMP sockets handed over by start-up (service/main.cpp opens them before it drops its
// capabilities): it probes through them instead of opening its own, keeps them across stop and start, and warns
// once when a socket's receive buffer holds too little for the probe rate. Real sockets to 127.0.0.1 on a real
// loop, so root (raw ICMP) is needed.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "service/loop/system_clock.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/icmp_socket.hpp"
#include "service/probe/prober.hpp"
#include "tests/service/probe/probe_target.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/wait.hpp"

namespace netstab::service {
namespace {

// Inodes of the sockets this process has open.
std::set<std::string> open_sockets() {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:", 0) == 0) out.insert(target);
  }
  return out;
}

std::string socket_name(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return "";
  return "socket:[" + std::to_string(st.st_ino) + "]";
}

// Counts replies and calls on_enough once `wanted` have come (run_until_replies); the recording sinks below add
// what they record to it.
class counting_sink : public probe_sink {
 public:
  void on_sample(const target_view&, const core::sample& s) override {
    if (s.status == core::probe_status::ok) ++ok;
    if (ok >= wanted && on_enough) on_enough();
  }
  void on_monitor_event(const target_view&, const core::monitor_event&) override {}
  void on_target_event(const target_view&, core::target_event, std::string_view) override {}

  int ok = 0;
  int wanted = 0;
  std::function<void()> on_enough;
};

// Runs the loop until the sink has seen `more` further replies, or the tests' patience has run out.
void run_until_replies(loop& lp, counting_sink& sink, int more) {
  sink.wanted = sink.ok + more;
  timer guard(lp.get());
  guard.start(static_cast<std::uint64_t>(std::chrono::milliseconds(test::patience).count()), [&] { lp.stop(); });
  sink.on_enough = [&] { lp.stop(); };
  lp.run();
  sink.on_enough = nullptr;
  guard.close();
}

// A prober on the handed-over sockets, probing 127.0.0.1 every 10 ms until its first replies came.
struct probing_loopback {
  loop lp;
  system_clock clk;
  counting_sink sink;
  std::unique_ptr<prober> pr;

  void start(icmp_descriptors pre, int replies) {
    pr = std::make_unique<prober>(lp.get(), clk, prober_options{}, sink, std::move(pre));
    ASSERT_EQ(pr->add_target(test::probe_target("127.0.0.1", std::chrono::milliseconds(10))).message(), "");
    ASSERT_EQ(pr->start().message(), "");
    run_until_replies(lp, sink, replies);
    EXPECT_GE(sink.ok, replies);
  }
};

TEST(Prober, ProbesThroughTheHandedOverSocketAcrossStopAndStart) {
  NETSTAB_REQUIRE_ROOT();
  icmp_descriptors pre = icmp_descriptors::open();
  ASSERT_TRUE(pre.v4.valid()) << pre.v4_error;
  const std::string handed = socket_name(pre.v4.fd());
  const auto before = open_sockets();
  ASSERT_EQ(before.count(handed), 1U);

  probing_loopback p;
  p.start(std::move(pre), 3);
  EXPECT_EQ(open_sockets(), before) << "the prober opened a socket of its own instead of the handed-over one";

  // Stopped, the socket is kept (not attached); started again, it is used again.
  p.pr->stop();
  EXPECT_EQ(open_sockets(), before);
  ASSERT_EQ(p.pr->start().message(), "");
  run_until_replies(p.lp, p.sink, 3);
  EXPECT_GE(p.sink.ok, 6);
  EXPECT_EQ(open_sockets(), before);

  p.pr->close();
  p.pr.reset();
  EXPECT_EQ(open_sockets().count(handed), 0U) << "close() must close the handed-over socket";
  EXPECT_EQ(p.lp.close(), 0);
}

TEST(Prober, OpensAFamilyThatWasNotHandedOver) {
  NETSTAB_REQUIRE_ROOT();
  icmp_descriptors pre = icmp_descriptors::open();
  ASSERT_TRUE(pre.v4.valid()) << pre.v4_error;
  pre.v4.close();  // as if IPv4 could not be opened at start-up
  const auto before = open_sockets();

  probing_loopback p;
  p.start(std::move(pre), 2);
  EXPECT_EQ(open_sockets().size(), before.size() + 1) << "the prober opens its own IPv4 socket";
  p.pr->close();
  p.pr.reset();
  EXPECT_EQ(p.lp.close(), 0);
}

// Captures what the prober logs, at warn level and above, while it lives.
class captured_log {
 public:
  captured_log() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    auto logger = std::make_shared<spdlog::logger>("prober_test", sink);
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
  }
  ~captured_log() { spdlog::set_default_logger(previous_); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

// Starts a prober on a handed-over IPv4 socket whose buffer is shrunk to `buffer` bytes (SO_RCVBUF; the kernel
// reports twice that), with `targets` loopback targets at `interval`, and returns what it warned.
std::string warnings_for(int buffer, int targets, std::chrono::milliseconds interval) {
  icmp_descriptors pre = icmp_descriptors::open();
  if (!pre.v4.valid()) return "no socket: " + pre.v4_error;
  if (buffer > 0) ::setsockopt(pre.v4.fd(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  captured_log log;
  loop lp;
  system_clock clk;
  counting_sink sink;
  {
    prober pr(lp.get(), clk, prober_options{}, sink, std::move(pre));
    for (int i = 1; i <= targets; ++i) {
      if (!pr.add_target(test::probe_target("127.0.3." + std::to_string(i), interval))) return "target not added";
    }
    // Every start() checks; the warning still comes at most once.
    if (!pr.start()) return "not started";
    pr.stop();
    if (!pr.start()) return "not started again";
    pr.close();
  }
  lp.close();
  return log.text();
}

TEST(Prober, WarnsOnceWhenTheReceiveBufferHoldsTooLittleForTheRate) {
  NETSTAB_REQUIRE_ROOT();
  // 64 KiB (128 KiB as the kernel counts it) holds about 80 probes with transmit timestamps: under 100 ms at
  // 20 targets every 10 ms (2,000 probes/s).
  const std::string short_buffer = warnings_for(64 << 10, 20, std::chrono::milliseconds(10));
  EXPECT_NE(short_buffer.find("receive buffer"), std::string::npos) << short_buffer;
  EXPECT_NE(short_buffer.find("net.core.rmem_max=4194304"), std::string::npos) << short_buffer;
  EXPECT_EQ(short_buffer.find("receive buffer"), short_buffer.rfind("receive buffer")) << "once: " << short_buffer;
  // The same buffer at 1 probe/s is plenty: no warning for a small run.
  EXPECT_EQ(warnings_for(64 << 10, 1, std::chrono::milliseconds(1000)), "");
  // The full 4 MiB at 2,000 probes/s: nothing to say.
  EXPECT_EQ(warnings_for(0, 20, std::chrono::milliseconds(10)), "");
}

// Which targets get a path: "auto" only where auto_path allows (not in stdout mode), true always (within
// path.max_targets), false never. The prober is not started: nothing is sent.
TEST(Prober, AutoPathOnlyWhereAllowed) {
  struct row {
    bool auto_path;
    core::path_mode mode;
    bool path_on;
  };
  const row rows[] = {
      {true, core::path_mode::automatic, true},
      {false, core::path_mode::automatic, false},
      {false, core::path_mode::on, true},
      {true, core::path_mode::off, false},
  };
  for (const row& r : rows) {
    loop lp;
    system_clock clk;
    counting_sink sink;
    prober_options o;
    o.path.auto_path = r.auto_path;
    o.path.read_gateway = false;
    auto pr = std::make_unique<prober>(lp.get(), clk, o, sink, icmp_descriptors{});
    core::target_spec t = test::probe_target("192.0.2.1", std::chrono::milliseconds(1000));
    t.probe.path = r.mode;
    ASSERT_EQ(pr->add_target(t).message(), "");
    const target_view* v = pr->find("192.0.2.1");
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->path_on(), r.path_on) << "auto_path " << r.auto_path << ", mode " << static_cast<int>(r.mode);
    pr->close();
    pr.reset();
    EXPECT_EQ(lp.close(), 0);
  }
}

// A batch removal hands path monitoring on once, to the first targets in the order they were added; hosts that are
// not monitored are not counted. The prober is not started: nothing is sent.
TEST(Prober, RemovingTargetsInOneBatchHandsTheirPathsToTheNextTargetsInOrder) {
  loop lp;
  system_clock clk;
  counting_sink sink;
  prober_options o;
  o.path.auto_path = true;
  o.path.read_gateway = false;
  o.path.max_targets = 2;
  auto pr = std::make_unique<prober>(lp.get(), clk, o, sink, icmp_descriptors{});
  const std::vector<std::string> hosts{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"};
  for (const std::string& h : hosts)
    ASSERT_EQ(pr->add_target(test::probe_target(h, std::chrono::milliseconds(1000))).message(), "");
  auto path_on = [&](const std::string& h) { return pr->find(h) != nullptr && pr->find(h)->path_on(); };
  EXPECT_TRUE(path_on("192.0.2.1"));
  EXPECT_TRUE(path_on("192.0.2.2"));
  EXPECT_FALSE(path_on("192.0.2.3"));

  const std::vector<std::string> gone{"192.0.2.1", "192.0.2.3", "198.51.100.9"};
  EXPECT_EQ(pr->remove_targets(gone), 2U);
  EXPECT_EQ(pr->find("192.0.2.1"), nullptr);
  EXPECT_EQ(pr->find("192.0.2.3"), nullptr);
  EXPECT_TRUE(path_on("192.0.2.2"));
  EXPECT_TRUE(path_on("192.0.2.4"));
  EXPECT_FALSE(path_on("192.0.2.5"));
  EXPECT_EQ(pr->remove_targets(std::vector<std::string>{}), 0U);
  pr->close();
  pr.reset();
  EXPECT_EQ(lp.close(), 0);
}

// 20 targets every 10 ms, staggered over the interval: with a 5 ms send grid the prober wakes at most once per
// step and every probe still goes out; with the loop timer's own 1 ms resolution it wakes more than twice as often.
struct grid_run {
  std::uint64_t wakeups = 0, sent = 0;
  double seconds = 0;
  int ok = 0;
};

grid_run probe_with_grid(std::chrono::milliseconds grid) {
  loop lp;
  system_clock clk;
  counting_sink sink;
  prober_options o;
  o.send_grid = grid;
  o.path.enabled = false;  // echo probes only: path probes have a pace of their own
  o.path.read_gateway = false;
  auto pr = std::make_unique<prober>(lp.get(), clk, o, sink, icmp_descriptors{});
  for (int i = 1; i <= 20; ++i) {
    EXPECT_EQ(
        pr->add_target(test::probe_target("127.0.0." + std::to_string(i), std::chrono::milliseconds(10))).message(),
        "");
  }
  EXPECT_EQ(pr->start().message(), "");
  const auto t0 = clk.now();
  run_until_replies(lp, sink, 1000);
  grid_run r{pr->counters().wakeups, pr->counters().sent, std::chrono::duration<double>(clk.now() - t0).count(),
             sink.ok};
  pr->close();
  pr.reset();
  EXPECT_EQ(lp.close(), 0);
  return r;
}

TEST(Prober, SendGridGathersTheProbesOfAStepIntoOneWakeUp) {
  NETSTAB_REQUIRE_ROOT();
  const grid_run grid = probe_with_grid(std::chrono::milliseconds(5));
  ASSERT_GE(grid.ok, 1000);
  // Every probe went out: 2,000 probes/s for the run, less the ones still due (one per target and step).
  EXPECT_GE(static_cast<double>(grid.sent), 2000 * grid.seconds - 40) << grid.seconds << " s";
  // At most one wake-up per step, and a few for the start.
  EXPECT_LE(static_cast<double>(grid.wakeups), grid.seconds / 0.005 + 5) << grid.seconds << " s";
  std::cout << "5 ms grid: " << grid.wakeups << " wake-ups, " << grid.sent << " probes in " << grid.seconds << " s\n";
  const grid_run fine = probe_with_grid(std::chrono::milliseconds(1));
  std::cout << "1 ms: " << fine.wakeups << " wake-ups, " << fine.sent << " probes in " << fine.seconds << " s\n";
  ASSERT_GE(fine.ok, 1000);
  // About 480 a second against 200 on a quiet machine; a loaded one wakes late and gathers more per wake-up.
  EXPECT_GT(static_cast<double>(fine.wakeups) / fine.seconds, 1.3 * static_cast<double>(grid.wakeups) / grid.seconds)
      << "1 ms: " << fine.wakeups << " wake-ups in " << fine.seconds << " s; 5 ms: " << grid.wakeups << " in "
      << grid.seconds << " s";
}

// Records, for every send and sample the prober reports, whether the sink had been asked to fetch that target's
// slot (probe_sink::prefetch) by then. The prober asks before each; a record of every slot asked for shows at
// least that no target's first send or sample comes unannounced.
class prefetch_sink final : public counting_sink {
 public:
  void prefetch(std::uint32_t slot) const override { fetched.insert(slot); }
  void on_sent(const target_view& t, core::mono_time, core::wall_time) override {
    ++sends;
    if (fetched.count(t.slot()) == 0) ++unannounced;
  }
  void on_sample(const target_view& t, const core::sample& s) override {
    if (fetched.count(t.slot()) == 0) ++unannounced;
    counting_sink::on_sample(t, s);
  }

  mutable std::set<std::uint32_t> fetched;
  int sends = 0;
  int unannounced = 0;
};

TEST(Prober, AsksTheSinkToFetchATargetsStateBeforeItsSendsAndSamples) {
  NETSTAB_REQUIRE_ROOT();
  loop lp;
  system_clock clk;
  prefetch_sink sink;
  auto pr = std::make_unique<prober>(lp.get(), clk, prober_options{}, sink);
  for (const char* host : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
    ASSERT_EQ(pr->add_target(test::probe_target(host, std::chrono::milliseconds(10))).message(), "");
  }
  ASSERT_EQ(pr->start().message(), "");
  run_until_replies(lp, sink, 30);
  EXPECT_GE(sink.ok, 30);
  EXPECT_GE(sink.sends, 30);
  EXPECT_EQ(sink.unannounced, 0) << "sends and samples whose target's slot the sink was not asked to fetch first";
  pr->close();
  pr.reset();
  EXPECT_EQ(lp.close(), 0);
}

// Records each target's first send, slot and time, in the order the prober reports them.
class first_send_sink final : public counting_sink {
 public:
  void on_sent(const target_view& t, core::mono_time at, core::wall_time) override {
    if (seen.insert(t.slot()).second) firsts.emplace_back(t.slot(), at);
  }

  std::set<std::uint32_t> seen;
  std::vector<std::pair<std::uint32_t, core::mono_time>> firsts;
};

TEST(Prober, StartsTheTargetsItHoldsInSlotOrderSpreadOverTheInterval) {
  NETSTAB_REQUIRE_ROOT();
  loop lp;
  system_clock clk;
  first_send_sink sink;
  prober_options o;
  o.path.enabled = false;
  o.path.read_gateway = false;
  auto pr = std::make_unique<prober>(lp.get(), clk, o, sink);
  constexpr std::size_t n = 8;
  for (std::size_t i = 1; i <= n; ++i) {
    ASSERT_EQ(
        pr->add_target(test::probe_target("127.0.0." + std::to_string(i), std::chrono::milliseconds(400))).message(),
        "");
  }
  ASSERT_EQ(pr->start().message(), "");
  run_until_replies(lp, sink, 2 * static_cast<int>(n));
  ASSERT_EQ(sink.firsts.size(), n);
  // The golden-ratio stagger spreads them too, but sends slots 0, 5, 2, 7, 4, 1, 6, 3 in that order.
  for (std::size_t i = 1; i < n; ++i) {
    EXPECT_LT(sink.firsts[i - 1].first, sink.firsts[i].first) << "first send " << i << " is not in slot order";
  }
  // An eighth of the interval apart (350 ms from the first to the last), not in one burst; the bound leaves room
  // for a first wake-up that a loaded machine delays.
  EXPECT_GE(sink.firsts.back().second - sink.firsts.front().second, std::chrono::milliseconds(100));
  pr->close();
  pr.reset();
  EXPECT_EQ(lp.close(), 0);
}

}  // namespace
}  // namespace netstab::service

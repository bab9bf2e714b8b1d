#include "service/history/writer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "service/history/sqlite.hpp"
#include "tests/service/history/support.hpp"
#include "tests/support/privileges.hpp"

namespace netstab::service::history {
namespace {

using namespace testing;
using std::chrono::milliseconds;

writer_options options_for(const std::string& path) {
  writer_options o;
  o.store.path = path;
  o.retry_interval = milliseconds(50);
  return o;
}

std::int64_t count(const std::string& path, const std::string& sql) {
  connection db(path, SQLITE_OPEN_READONLY);
  return db.pragma_int(sql.c_str());
}

std::string integrity(const std::string& path) {
  connection db(path, SQLITE_OPEN_READWRITE);
  return db.pragma_text("PRAGMA integrity_check");
}

TEST(HistoryWriter, WritesBatchesAndRecordsTheRun) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  test_clock clock;
  report_collector reports;
  {
    writer w(options_for(path), clock, reports.callback());
    EXPECT_EQ(reports.wait_for(history_report::kind::opened).message, "history: created " + path);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(w.submit(minutes_batch({"a", "b"}, day0_s + i * 60, 1)));
    ASSERT_TRUE(eventually([&] { return w.counters().batches_written == 5; }));
    const auto c = w.counters();
    EXPECT_TRUE(c.enabled);
    EXPECT_FALSE(c.paused);
    EXPECT_EQ(c.rows_written, 10U);
    EXPECT_EQ(c.rows_dropped, 0U);
    EXPECT_EQ(c.path, path);
    clock.set(day0 + std::chrono::minutes(6));
    w.stop();
    EXPECT_FALSE(w.submit(minutes_batch({"a"}, day0_s + 600, 1)));  // after stop: dropped, counted
    EXPECT_EQ(w.counters().rows_dropped, 1U);
  }
  EXPECT_EQ(reports.wait_for(history_report::kind::stopped).message, "history: closed " + path);
  EXPECT_EQ(count(path, "SELECT count(*) FROM minutes"), 10);
  EXPECT_EQ(count(path, "SELECT stopped FROM runs"), (day0_s + 360) * 1000);
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute_recent"), 10);  // the current hour's, kept for the next run
}

TEST(HistoryWriter, NeverWaitsForTheDiskAndCountsWhatItDrops) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  test_clock clock;
  report_collector reports;
  auto opt = options_for(path);
  opt.max_queued_rows = 500;
  writer w(opt, clock, reports.callback());
  ASSERT_FALSE(reports.wait_for(history_report::kind::opened).message.empty());
  // Another connection holds the write lock, so the writer thread waits inside its first transaction.
  connection blocker(path, SQLITE_OPEN_READWRITE);
  blocker.exec("BEGIN IMMEDIATE");
  std::vector<std::string> targets;
  for (int t = 0; t < 100; ++t) targets.push_back("10.0.0." + std::to_string(t));
  auto slowest = std::chrono::steady_clock::duration::zero();
  int accepted = 0;
  for (int i = 0; i < 50; ++i) {
    auto b = minutes_batch(targets, day0_s + i * 60, 1);
    const auto start = std::chrono::steady_clock::now();
    accepted += w.submit(std::move(b)) ? 1 : 0;
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
  }
  const auto c = w.counters();
  EXPECT_LT(slowest, milliseconds(20));
  EXPECT_LE(c.queued_rows, 500U);
  EXPECT_EQ(c.batches_dropped, static_cast<std::uint64_t>(50 - accepted));
  EXPECT_EQ(c.rows_dropped, static_cast<std::uint64_t>((50 - accepted) * 100));
  EXPECT_GE(c.batches_dropped, 44U);  // at most one in the writer's hands and five in the queue
  blocker.exec("ROLLBACK");
  ASSERT_TRUE(eventually([&] { return w.counters().batches_written == static_cast<std::uint64_t>(accepted); }));
  EXPECT_EQ(w.counters().queued_rows, 0U);
}

TEST(HistoryWriter, AnUnwritablePathDisablesHistoryWithTheFix) {
  temp_dir dir;
  const auto path = dir.path("no/such/dir/h.db");
  test_clock clock;
  report_collector reports;
  writer w(options_for(path), clock, reports.callback());
  const auto r = reports.wait_for(history_report::kind::disabled);
  EXPECT_NE(r.message.find(path), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("does not exist: create it"), std::string::npos) << r.message;
  EXPECT_TRUE(w.submit(minutes_batch({"a"}, day0_s, 1)));
  ASSERT_TRUE(eventually([&] { return w.counters().rows_dropped == 1; }));
  const auto c = w.counters();
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.error, r.message);
}

TEST(HistoryWriter, ASecondWriterOnTheSameFileIsRefused) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  test_clock clock;
  report_collector first_reports, second_reports;
  writer first(options_for(path), clock, first_reports.callback());
  ASSERT_FALSE(first_reports.wait_for(history_report::kind::opened).message.empty());
  writer second(options_for(path), clock, second_reports.callback());
  const auto r = second_reports.wait_for(history_report::kind::disabled);
  EXPECT_NE(r.message.find("is in use by another netstab process (pid " + std::to_string(::getpid())),
            std::string::npos)
      << r.message;
  // The first one is not disturbed.
  EXPECT_TRUE(first.submit(minutes_batch({"a"}, day0_s, 1)));
  ASSERT_TRUE(eventually([&] { return first.counters().batches_written == 1; }));
}

TEST(HistoryWriter, MovesACorruptFileAsideAndStartsANewOne) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  std::ofstream(path) << "SQLite format 3" << std::string(5000, '\x01');
  test_clock clock;
  report_collector reports;
  writer w(options_for(path), clock, reports.callback());
  const auto r = reports.wait_for(history_report::kind::recovered);
  EXPECT_NE(r.message.find("moved it to " + path + ".corrupt-20261201T000000Z and started a new file"),
            std::string::npos)
      << r.message;
  EXPECT_FALSE(reports.wait_for(history_report::kind::opened).message.empty());
  EXPECT_TRUE(std::filesystem::exists(path + ".corrupt-20261201T000000Z"));
  EXPECT_TRUE(w.submit(minutes_batch({"a"}, day0_s, 1)));
  ASSERT_TRUE(eventually([&] { return w.counters().batches_written == 1; }));
}

// Unmounts the tmpfs when the test ends, whatever happens.
struct tmpfs_mount {
  std::string dir;
  bool mounted = false;
  tmpfs_mount(const std::string& d, const char* size) : dir(d) {
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, size) == 0;
  }
  ~tmpfs_mount() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

// Fills the file system holding path with a filler file until it has no room left.
void fill_up(const std::string& filler) {
  const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const std::string block(4096, 'f');
  while (::write(fd, block.data(), block.size()) > 0) {
  }
  while (::write(fd, block.data(), 1) > 0) {
  }
  ::close(fd);
}

TEST(HistoryWriter, ADiskFullPausesHistoryAndItResumesWhenSpaceReturns) {
  NETSTAB_REQUIRE_ROOT();
  temp_dir dir;
  tmpfs_mount fs(dir.dir().string(), "size=512k");
  ASSERT_TRUE(fs.mounted) << std::strerror(errno);
  const auto path = dir.path("h.db");
  const auto filler = dir.path("filler");
  test_clock clock;
  report_collector reports;
  writer w(options_for(path), clock, reports.callback());
  ASSERT_FALSE(reports.wait_for(history_report::kind::opened).message.empty());
  std::vector<std::string> targets;
  for (int t = 0; t < 20; ++t) targets.push_back("10.0.0." + std::to_string(t));
  int minute = 0;
  const auto submit_one = [&] {
    const auto before = w.counters();
    EXPECT_TRUE(w.submit(minutes_batch(targets, day0_s + 60 * minute++, 1)));
    return eventually([&] {
      const auto c = w.counters();
      return c.batches_written + c.batches_dropped > before.batches_written + before.batches_dropped;
    });
  };
  ASSERT_TRUE(submit_one());
  fill_up(filler);
  for (int i = 0; i < 200 && !w.counters().paused; ++i) ASSERT_TRUE(submit_one());
  const auto paused = reports.wait_for(history_report::kind::paused, milliseconds(100));
  ASSERT_FALSE(paused.message.empty()) << "the writer never reported a full disk";
  EXPECT_NE(paused.message.find("is full"), std::string::npos) << paused.message;
  EXPECT_NE(paused.message.find("probing goes on"), std::string::npos);
  auto c = w.counters();
  EXPECT_TRUE(c.paused);
  EXPECT_EQ(c.error, paused.message);
  const std::uint64_t dropped_at_pause = c.rows_dropped;
  EXPECT_GT(dropped_at_pause, 0U);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(submit_one());
  EXPECT_GT(w.counters().rows_dropped, dropped_at_pause);  // still counting

  std::filesystem::remove(filler);
  ASSERT_TRUE(eventually([&] {
    submit_one();
    return !w.counters().paused;
  }));
  const auto resumed = reports.wait_for(history_report::kind::resumed);
  EXPECT_NE(resumed.message.find("rows were dropped while the disk was full"), std::string::npos) << resumed.message;
  const std::uint64_t written = w.counters().rows_written;
  w.stop();
  EXPECT_EQ(integrity(path), "ok");
  EXPECT_EQ(static_cast<std::uint64_t>(count(path, "SELECT count(*) FROM minutes")), written);
}

// A child process writes batches as fast as it can and tells the parent, through a pipe, how many the writer
// has committed; the parent kills it with SIGKILL mid-stream and checks the file.
TEST(HistoryWriter, KillNineDuringHeavyWritesLosesNothingCommitted) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  constexpr int targets_per_batch = 50;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    test_clock clock;
    auto opt = options_for(path);
    opt.max_queued_rows = 20 * targets_per_batch * 2;
    writer w(opt, clock, nullptr);
    std::vector<std::string> targets;
    for (int t = 0; t < targets_per_batch; ++t) targets.push_back("10.0.0." + std::to_string(t));
    std::uint64_t told = 0;
    for (std::int64_t k = 0;; ++k) {
      core::history_batch b = minutes_batch(targets, day0_s + k * 60, 1);
      for (const auto& t : targets) {
        core::raw_sample r;
        r.target = t;
        r.wall = day0 + std::chrono::seconds(k * 60);
        r.seq = static_cast<std::uint32_t>(k);
        b.raw.push_back(r);
      }
      while (!w.submit(core::history_batch(b))) std::this_thread::yield();
      const std::uint64_t written = w.counters().batches_written;
      if (written != told) {
        told = written;
        if (::write(fds[1], &told, sizeof told) != sizeof told) ::_exit(3);
      }
    }
  }
  ::close(fds[1]);
  std::uint64_t committed = 0;
  while (committed < 300) {
    std::uint64_t v = 0;
    ASSERT_EQ(::read(fds[0], &v, sizeof v), static_cast<ssize_t>(sizeof v)) << "the child stopped early";
    committed = v;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status));

  EXPECT_EQ(integrity(path), "ok");
  connection db(path, SQLITE_OPEN_READONLY);
  statement st(db, "SELECT ts, count(*) FROM minutes GROUP BY ts ORDER BY ts");
  std::int64_t expected = day0_s;
  std::uint64_t batches = 0;
  while (st.step()) {
    ASSERT_EQ(st.int64(0), expected) << "batches form a prefix, without holes";
    ASSERT_EQ(st.int64(1), targets_per_batch) << "a batch is all there or not at all";
    expected += 60;
    ++batches;
  }
  EXPECT_GE(batches, committed);
  EXPECT_EQ(db.pragma_int("SELECT count(*) FROM raw"), static_cast<std::int64_t>(batches * targets_per_batch));
  std::cout << "committed " << committed << " batches as seen before the kill; " << batches << " in the file\n";
  // The file opens again for writing (the lock died with the child).
  test_clock clock;
  report_collector reports;
  writer again(options_for(path), clock, reports.callback());
  EXPECT_FALSE(reports.wait_for(history_report::kind::opened).message.empty());
}

}  // namespace
}  // namespace netstab::service::history

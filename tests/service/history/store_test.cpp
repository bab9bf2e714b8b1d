#include "service/history/store.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "service/history/schema.hpp"
#include "service/history/sqlite.hpp"
#include "tests/service/history/support.hpp"
#include "tests/support/privileges.hpp"

namespace netstab::service::history {
namespace {

using namespace testing;

std::unique_ptr<store> open_store(const std::string& path, core::wall_time now = day0, store_options opt = {}) {
  opt.path = path;
  open_notes notes;
  auto s = store::open(opt, now, notes);
  EXPECT_TRUE(s) << s.message();
  return s ? std::move(*s) : nullptr;
}

std::int64_t count(const std::string& path, const std::string& sql) {
  connection db(path, SQLITE_OPEN_READONLY);
  return db.pragma_int(sql.c_str());
}

TEST(HistoryStore, CreatesAFileAtTheCurrentSchemaInWalMode) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  ASSERT_TRUE(s);
  connection db(path, SQLITE_OPEN_READONLY);
  EXPECT_EQ(user_version(db), schema_version);
  EXPECT_EQ(db.pragma_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(count(path, "SELECT count(*) FROM runs WHERE stopped IS NULL"), 1);
  EXPECT_TRUE(std::filesystem::exists(path + ".lock"));
}

TEST(HistoryStore, WritesEveryKindOfRowInOneBatch) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  core::history_batch b = minutes_batch({"1.1.1.1", "example.org"}, day0_s, 3);
  b.targets.push_back({"9.9.9.9", day0, false});
  b.targets.push_back({"example.org", day0 + seconds(170), true});
  core::raw_sample r;
  r.target = "1.1.1.1";
  r.wall = day0 + std::chrono::microseconds(1'234'567);
  r.seq = 42;
  r.rtt = std::chrono::microseconds(20'100);
  r.process = std::chrono::microseconds(20'400);
  b.raw.push_back(r);
  core::incident_record inc;
  inc.target = "1.1.1.1";
  inc.inc.id = 1;
  inc.inc.start = day0 + seconds(30);
  inc.inc.reason = "4 consecutive timeouts";
  inc.verdict = "isp";
  b.incidents.push_back(inc);
  ASSERT_TRUE(s->write(b).ok());
  // The incident closes in a later batch: the same row is updated, the verdict and path kept or filled.
  inc.inc.end = day0 + seconds(90);
  inc.inc.duration = seconds(60);
  inc.inc.probes_lost = 60;
  inc.verdict.clear();
  inc.path = "192.168.1.1 > *";
  core::history_batch b2;
  b2.incidents.push_back(inc);
  ASSERT_TRUE(s->write(b2).ok());

  EXPECT_EQ(count(path, "SELECT count(*) FROM minutes"), 6);
  EXPECT_EQ(count(path, "SELECT count(*) FROM targets"), 3);
  EXPECT_EQ(count(path, "SELECT removed FROM targets WHERE name = 'example.org'"), (day0_s + 170) * 1000);
  EXPECT_EQ(count(path, "SELECT rtt FROM raw WHERE seq = 42"), 20'100);
  EXPECT_EQ(count(path, "SELECT ts FROM raw WHERE seq = 42"), day0_s * 1'000'000 + 1'234'567);
  EXPECT_EQ(count(path, "SELECT count(*) FROM incidents"), 1);
  EXPECT_EQ(count(path, "SELECT lost FROM incidents"), 60);
  connection db(path, SQLITE_OPEN_READONLY);
  EXPECT_EQ(db.pragma_text("SELECT verdict || ' / ' || path FROM incidents"), "isp / 192.168.1.1 > *");
  EXPECT_EQ(count(path, "SELECT last_seen FROM runs"), (day0_s + 180) * 1000);
  // Derived columns: percentiles in microseconds, from the minute's distribution.
  EXPECT_EQ(count(path, "SELECT rtt_min FROM minutes LIMIT 1"), 20'000);
  EXPECT_NEAR(static_cast<double>(count(path, "SELECT p50 FROM minutes LIMIT 1")), 20'800, 20'800 / 32);
}

TEST(HistoryStore, RollsCompletedHoursFromMergedMinutesAndDaysFromHours) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  // Hour 0 calm with one busy minute, hour 1 calm; then the first minute of hour 2 completes both.
  core::history_batch b;
  core::rollup hour0;
  core::rollup both;
  for (int m = 0; m < 120; ++m) {
    const auto minute = make_minute(day0_s + m * 60, m == 17 ? 300.0 : 20.0, 60, m == 17 ? 6 : 0);
    if (m < 60) core::merge(hour0, minute);
    core::merge(both, minute);
    b.minutes.push_back({"a", minute});
  }
  ASSERT_TRUE(s->write(b).ok());
  EXPECT_EQ(count(path, "SELECT count(*) FROM hour"), 1);  // hour 1's minutes completed hour 0
  core::history_batch next;
  next.minutes.push_back({"a", make_minute(day0_s + 7200, 20.0)});
  ASSERT_TRUE(s->write(next).ok());
  EXPECT_EQ(count(path, "SELECT count(*) FROM hour"), 2);
  EXPECT_EQ(count(path, "SELECT received FROM hour WHERE ts = " + std::to_string(day0_s)), 3600);
  EXPECT_EQ(count(path, "SELECT lost FROM hour WHERE ts = " + std::to_string(day0_s)), 6);
  const auto p99 = std::llround(*core::summarize(hour0).rtt_p99 * 1000);
  EXPECT_EQ(count(path, "SELECT p99 FROM hour WHERE ts = " + std::to_string(day0_s)), p99);
  EXPECT_GT(p99, 290'000);  // the busy minute shows in the hour's p99
  // The day holding them is rebuilt from the hours, partial until it completes.
  EXPECT_EQ(count(path, "SELECT received FROM day WHERE ts = " + std::to_string(day0_s)), 7200);
  // 66 busy outcomes in 7,266 leave the day's p99 calm; it is the merged distribution's, not a mean of hours.
  EXPECT_EQ(count(path, "SELECT p99 FROM day"), std::llround(*core::summarize(both).rtt_p99 * 1000));
  EXPECT_LT(count(path, "SELECT p99 FROM day"), 23'000);
}

TEST(HistoryStore, KeepsTheCurrentHourInMinuteRecentAndMovesCompletedHours) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  ASSERT_TRUE(s->write(minutes_batch({"a", "b"}, day0_s, 59)).ok());
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute_recent"), 118);
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute"), 0);
  ASSERT_TRUE(s->write(minutes_batch({"a", "b"}, day0_s + 59 * 60, 2)).ok());  // 00:59 and 01:00
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute_recent"), 2);
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute"), 120);
  EXPECT_EQ(count(path, "SELECT count(*) FROM hour"), 2);
  EXPECT_EQ(count(path, "SELECT min(ts) FROM minute_recent"), day0_s + 3600);
  // A minute of an hour already moved (the clock stepped back) is merged into its row at the next move, and
  // that hour is rebuilt.
  core::history_batch late;
  late.minutes.push_back({"a", make_minute(day0_s + 600, 20.0, 10)});
  ASSERT_TRUE(s->write(late).ok());
  EXPECT_EQ(count(path, "SELECT received FROM minute WHERE target_id = 1 AND ts = " + std::to_string(day0_s + 600)),
            70);
  EXPECT_EQ(count(path, "SELECT received FROM hour WHERE target_id = 1 AND ts = " + std::to_string(day0_s)), 3610);
}

TEST(HistoryStore, MovesHoursOfMinutesAtOnceWithTargetsMissingFromSomeMinutes) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  // Three hours arrive in one batch (more minutes than one merge of cursors holds), "c" only every 7th minute,
  // and a minute of hour 3 completes all three.
  core::history_batch b = minutes_batch({"a", "b"}, day0_s, 180);
  for (int m = 0; m < 180; m += 7) b.minutes.push_back({"c", make_minute(day0_s + m * 60, 30.0)});
  b.minutes.push_back({"a", make_minute(day0_s + 3 * 3600, 20.0)});
  ASSERT_TRUE(s->write(b).ok());
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute_recent"), 1);
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute"), 2 * 180 + 26);
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute m JOIN targets t ON t.id = m.target_id WHERE t.name = 'c'"), 26);
  EXPECT_EQ(count(path, "SELECT count(*) FROM hour"), 9);
  for (int h = 0; h < 3; ++h) {
    const std::string at = std::to_string(day0_s + h * 3600);
    EXPECT_EQ(count(path, "SELECT sum(received) FROM hour WHERE ts = " + at), 2 * 3600 + (h == 2 ? 8 : 9) * 60)
        << "hour " << h;
  }
  EXPECT_EQ(count(path, "SELECT sum(received) FROM day"), 2 * 180 * 60 + 26 * 60);
}

TEST(HistoryStore, MergesAMinuteItAlreadyHolds) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  core::history_batch b;
  b.minutes.push_back({"a", make_minute(day0_s, 20.0, 30)});
  ASSERT_TRUE(s->write(b).ok());
  b.minutes[0].minute = make_minute(day0_s, 40.0, 20, 10);  // the same minute, from a restarted process
  ASSERT_TRUE(s->write(b).ok());
  EXPECT_EQ(count(path, "SELECT count(*) FROM minutes"), 1);
  EXPECT_EQ(count(path, "SELECT received FROM minutes"), 50);
  EXPECT_EQ(count(path, "SELECT lost FROM minutes"), 10);
  EXPECT_EQ(count(path, "SELECT rtt_max FROM minutes"), 41'800);
}

TEST(HistoryStore, StopRecordsTheRunAndTheNextStartMarksAKilledOne) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  {
    auto s = open_store(path);
    ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s, 10)).ok());
    ASSERT_TRUE(s->stop(day0 + seconds(600)).ok());
  }
  EXPECT_EQ(count(path, "SELECT count(*) FROM hour"), 0);  // the partial hour waits in minute_recent
  EXPECT_EQ(count(path, "SELECT count(*) FROM minute_recent"), 10);
  EXPECT_EQ(count(path, "SELECT stopped FROM runs"), (day0_s + 600) * 1000);
  {
    // A second run in the same hour, never stopped (killed): the next open marks it crashed, and the hour is
    // rebuilt from both runs' minutes when it completes.
    auto s = open_store(path, day0 + seconds(900));
    ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s + 900, 5)).ok());
  }
  {
    auto s = open_store(path, day0 + seconds(3600));
    EXPECT_EQ(count(path, "SELECT count(*) FROM runs WHERE crashed = 1"), 1);
    EXPECT_EQ(count(path, "SELECT last_seen FROM runs WHERE crashed = 1"), (day0_s + 1200) * 1000);
    ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s + 3600, 1)).ok());
  }
  EXPECT_EQ(count(path, "SELECT received FROM hour WHERE ts = " + std::to_string(day0_s)), 900);
}

TEST(HistoryStore, RetentionDeletesExpiredRowsInBoundedSteps) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  store_options opt;
  opt.retention_batch = 100;
  opt.keep.minutes = std::chrono::hours(2);
  opt.keep.raw = std::chrono::hours(1);
  auto s = open_store(path, day0, opt);
  core::history_batch b = minutes_batch({"a", "b"}, day0_s, 180);  // 3 hours of two targets
  for (int i = 0; i < 300; ++i) {
    core::raw_sample r;
    r.target = "a";
    r.wall = day0 + seconds(i * 30);
    r.seq = static_cast<std::uint32_t>(i);
    b.raw.push_back(r);
  }
  ASSERT_TRUE(s->write(b).ok());
  const core::wall_time now = day0 + std::chrono::hours(3);
  // Expired: minutes before 01:00 (2 x 60) and raw samples before 02:00 (240).
  std::uint64_t deleted = 0;
  std::uint64_t total = 0;
  int steps = 0;
  do {
    ASSERT_TRUE(s->retention_step(now, deleted).ok());
    EXPECT_LE(deleted, 100U);
    total += deleted;
    ++steps;
  } while (deleted > 0 && steps < 20);
  EXPECT_EQ(total, 120U + 240U);
  EXPECT_GE(steps, 4);
  EXPECT_EQ(count(path, "SELECT min(ts) FROM minutes"), day0_s + 3600);
  EXPECT_EQ(count(path, "SELECT count(*) FROM raw"), 60);
  EXPECT_EQ(count(path, "SELECT count(*) FROM hour"), 4);  // hours and days stay
  EXPECT_EQ(count(path, "SELECT count(*) FROM targets"), 2);
}

TEST(HistoryStore, RefusesASecondWriterOnTheSameFile) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto first = open_store(path);
  open_notes notes;
  store_options opt;
  opt.path = path;
  auto second = store::open(opt, day0, notes);
  ASSERT_FALSE(second);
  EXPECT_NE(second.message().find(path + " is in use by another netstab process (pid " + std::to_string(::getpid())),
            std::string::npos)
      << second.message();
  EXPECT_NE(second.message().find("own history.path"), std::string::npos);
  first.reset();
  EXPECT_TRUE(store::open(opt, day0, notes));  // the lock goes with the first
}

TEST(HistoryStore, AnUnwritablePathGetsTheFix) {
  temp_dir dir;
  const auto path = dir.path("missing/h.db");
  open_notes notes;
  store_options opt;
  opt.path = path;
  auto s = store::open(opt, day0, notes);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("cannot create " + path + ".lock"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("the directory " + dir.path("missing") + " does not exist: create it"), std::string::npos);
  EXPECT_NE(s.message().find("set history.path"), std::string::npos);
  EXPECT_NE(s.message().find("probing goes on"), std::string::npos);
}

TEST(HistoryStore, AReadOnlyFileSystemGetsTheFix) {
  NETSTAB_REQUIRE_ROOT();
  temp_dir dir;
  ASSERT_EQ(::mount("tmpfs", dir.dir().c_str(), "tmpfs", MS_RDONLY, "size=64k"), 0) << std::strerror(errno);
  const auto path = dir.path("h.db");
  open_notes notes;
  store_options opt;
  opt.path = path;
  auto s = store::open(opt, day0, notes);
  ::umount(dir.dir().c_str());
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("read-only file system"), std::string::npos) << s.message();
}

TEST(HistoryStore, LeavesAFileFromANewerNetstabAlone) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  {
    connection db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("CREATE TABLE future (x); PRAGMA user_version = 99;");
  }
  open_notes notes;
  store_options opt;
  opt.path = path;
  auto s = store::open(opt, day0, notes);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("schema version 99, newer than this netstab knows (2)"), std::string::npos);
  EXPECT_TRUE(notes.moved_aside.empty());
  EXPECT_EQ(count(path, "PRAGMA user_version"), 99);
}

TEST(HistoryStore, MigratesAVersionOneFileAndKeepsItsRows) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  {
    connection db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    migrate(db, 1);
    ASSERT_EQ(user_version(db), 1);
    db.exec(
        "INSERT INTO runs (started, last_seen, stopped) VALUES (1000, 2000, 2000);"
        "INSERT INTO targets (name, added) VALUES ('old.example', 1000);"
        "INSERT INTO incidents (run_id, target_id, seq, start_ms, end_ms, duration_ms, lost, worst, reason)"
        " VALUES (1, 1, 1, 1500, 1800, 300, 3, 2, 'loss 9% > 5%');");
  }
  auto s = open_store(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(count(path, "PRAGMA user_version"), 2);
  EXPECT_EQ(count(path, "SELECT count(*) FROM runs WHERE version IS NULL"), 1);  // the old run
  EXPECT_EQ(count(path, "SELECT count(*) FROM incidents WHERE path IS NULL AND lost = 3"), 1);
  EXPECT_EQ(count(path, "SELECT count(*) FROM targets WHERE name = 'old.example'"), 1);
  ASSERT_TRUE(s->write(minutes_batch({"old.example"}, day0_s, 1)).ok());
}

void fill_and_close(const std::string& path) {
  auto s = open_store(path);
  ASSERT_TRUE(s->write(minutes_batch({"a", "b", "c"}, day0_s, 240)).ok());
  ASSERT_TRUE(s->stop(day0 + std::chrono::hours(4)).ok());
}

TEST(HistoryStore, MovesAGarbageFileAsideAndStartsANewOne) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  std::ofstream(path) << std::string(10000, 'x');
  open_notes notes;
  store_options opt;
  opt.path = path;
  auto s = store::open(opt, day0, notes);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(notes.moved_aside, path + ".corrupt-20261201T000000Z");
  EXPECT_NE(notes.damage.find("not a database"), std::string::npos) << notes.damage;
  EXPECT_TRUE(notes.created);
  EXPECT_EQ(std::filesystem::file_size(notes.moved_aside), 10000U);
  EXPECT_TRUE((*s)->write(minutes_batch({"a"}, day0_s, 1)).ok());
}

TEST(HistoryStore, MovesATruncatedFileAside) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  fill_and_close(path);
  {
    connection db(path, SQLITE_OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2 + 100);  // cuts a page in two
  open_notes notes;
  store_options opt;
  opt.path = path;
  auto s = store::open(opt, day0 + std::chrono::hours(5), notes);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(notes.moved_aside, path + ".corrupt-20261201T050000Z");
  EXPECT_TRUE(notes.damage.find("truncated") != std::string::npos ||
              notes.damage.find("malformed") != std::string::npos)
      << notes.damage;
  EXPECT_EQ(count(path, "SELECT count(*) FROM minutes"), 0);
}

TEST(HistoryStore, MovesAFileWithDamagedPagesAside) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  fill_and_close(path);
  std::int64_t page = 0;
  std::int64_t page_size = 0;
  {
    connection db(path, SQLITE_OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    page = db.pragma_int("SELECT pageno FROM dbstat WHERE name = 'minute' AND pagetype = 'leaf' LIMIT 1 OFFSET 3");
    page_size = db.pragma_int("PRAGMA page_size");
  }
  ASSERT_GT(page, 1);
  {
    // Overwrite a leaf page of the minute table (pages count from 1) with garbage.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>((page - 1) * page_size));
    const std::string junk(static_cast<std::size_t>(page_size), '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  open_notes notes;
  store_options opt;
  opt.path = path;
  auto s = store::open(opt, day0, notes);
  ASSERT_TRUE(s) << s.message();
  EXPECT_FALSE(notes.moved_aside.empty());
  EXPECT_NE(notes.damage.find("quick_check"), std::string::npos) << notes.damage;
}

}  // namespace
}  // namespace netstab::service::history

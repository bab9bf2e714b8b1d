#include "service/history/query.hpp"

#include <gtest/gtest.h>

#include <future>

#include "service/history/reader.hpp"
#include "service/history/store.hpp"
#include "tests/service/history/support.hpp"

namespace netstab::service::history {
namespace {

using namespace testing;
using std::chrono::hours;
using std::chrono::minutes;

std::unique_ptr<store> open_store(const std::string& path, core::wall_time now = day0, store_options opt = {}) {
  opt.path = path;
  open_notes notes;
  auto s = store::open(opt, now, notes);
  EXPECT_TRUE(s) << s.message();
  return s ? std::move(*s) : nullptr;
}

core::history_request request(const std::string& target, core::wall_time from, core::wall_time to, const char* step) {
  core::history_request r;
  r.target = target;
  r.from = from;
  r.to = to;
  r.step = *core::parse_history_step(step);
  return r;
}

core::result<core::history_reply> ask(const std::string& path, const core::history_request& req) {
  auto db = open_for_reading(path);
  EXPECT_TRUE(db) << db.message();
  return run_query(**db, req);
}

// The rows of a reply as JSON, to compare two replies' figures as the requester sees them.
std::string rows_json(const std::vector<core::history_point>& rows) {
  core::history_reply r;
  r.asked = {core::history_step::kind::fixed, 60};
  r.rows = rows;
  return core::to_json(r)["rows"].dump();
}

TEST(HistoryQuery, MinutesComeBackAsTheyWereRecorded) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  std::vector<core::history_point> expected;
  core::history_batch b;
  for (int m = 0; m < 10; ++m) {
    const auto minute =
        make_minute(day0_s + m * 60, 20.0 + m, 55, m % 3, 3.0, m == 4 ? core::health::warn : core::health::ok);
    b.minutes.push_back({"a", minute});
    expected.push_back(core::point_of(minute));
  }
  ASSERT_TRUE(s->write(b).ok());
  const auto r = ask(path, request("a", day0, day0 + minutes(10), "1m"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->step_s, 60);
  ASSERT_EQ(r->rows.size(), 10U);
  EXPECT_EQ(rows_json(r->rows), rows_json(expected));
  EXPECT_EQ(r->rows[4].worst, core::health::warn);
}

TEST(HistoryQuery, HoursIncludeTheCurrentHourRebuiltFromMinutes) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s, 150)).ok());  // two hours rolled up, the third not yet
  const auto r = ask(path, request("a", day0, day0 + hours(3), "1h"));
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r->rows.size(), 3U);
  EXPECT_EQ(r->rows[0].received, 3600U);
  EXPECT_EQ(r->rows[2].received, 1800U);
  EXPECT_EQ(r->rows[2].ts, day0_s + 7200);
  const auto d = ask(path, request("a", day0, day0 + hours(24), "1d"));
  ASSERT_TRUE(d) << d.message();
  ASSERT_EQ(d->rows.size(), 1U);
  EXPECT_EQ(d->rows[0].received, 9000U);  // the day row lags an hour; the minutes make it current
}

TEST(HistoryQuery, MergedStepsMergeDistributions) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  core::history_batch b;
  core::rollup first5;
  for (int m = 0; m < 20; ++m) {
    const auto minute = make_minute(day0_s + m * 60, m == 2 ? 250.0 : 20.0, 60, 0, 2.0);
    if (m < 5) core::merge(first5, minute);
    b.minutes.push_back({"a", minute});
  }
  ASSERT_TRUE(s->write(b).ok());
  const auto r = ask(path, request("a", day0, day0 + minutes(20), "5m"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->step_s, 300);
  ASSERT_EQ(r->rows.size(), 4U);
  EXPECT_EQ(r->rows[0].received, 300U);
  EXPECT_EQ(r->rows[0].summary.rtt_p99, core::summarize(first5).rtt_p99);
  EXPECT_GT(*r->rows[0].summary.rtt_p99, 240.0);
  EXPECT_LT(*r->rows[1].summary.rtt_p99, 23.0);
}

TEST(HistoryQuery, AutoTakesTheFinestStepTheFileStillCovers) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  store_options opt;
  opt.keep.minutes = hours(24);
  auto s = open_store(path, day0, opt);
  for (int h = 0; h < 72; ++h) ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s + h * 3600, 60)).ok());
  const core::wall_time end = day0 + hours(72);
  auto r = ask(path, request("a", end - hours(24), end, "auto"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->step_s, 60);
  EXPECT_EQ(r->rows.size(), 1440U);
  r = ask(path, request("a", end - hours(72), end, "auto"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->step_s, 300);  // 4,320 minutes: 5-minute rows, merged from minutes
  EXPECT_EQ(r->rows.size(), 864U);
  // Retention takes the minutes older than a day: a 3-day range now comes from hours.
  std::uint64_t deleted = 0;
  do {
    ASSERT_TRUE(s->retention_step(end, deleted).ok());
  } while (deleted > 0);
  r = ask(path, request("a", end - hours(72), end, "auto"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->step_s, 3600);
  ASSERT_EQ(r->rows.size(), 72U);
  EXPECT_EQ(r->rows.front().received, 3600U);
  // A range inside what the minutes still hold keeps the fine step.
  r = ask(path, request("a", end - hours(6), end, "auto"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->step_s, 60);
}

TEST(HistoryQuery, RawSamplesAndTheirLimit) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  core::history_batch b;
  for (int i = 0; i < 100; ++i) {
    core::raw_sample r;
    r.target = "a";
    r.wall = day0 + std::chrono::milliseconds(i * 1000 + 7);
    r.seq = static_cast<std::uint32_t>(i);
    r.status = i % 10 == 9 ? core::probe_status::timeout : core::probe_status::ok;
    if (r.status == core::probe_status::ok) {
      r.rtt = std::chrono::microseconds(20'000 + i);
      r.process = std::chrono::microseconds(20'300 + i);
    }
    b.raw.push_back(r);
  }
  ASSERT_TRUE(s->write(b).ok());
  auto req = request("a", day0 + std::chrono::seconds(10), day0 + std::chrono::seconds(20), "raw");
  auto r = ask(path, req);
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r->raw.size(), 10U);
  EXPECT_EQ(r->raw[0].seq, 10U);
  EXPECT_EQ(r->raw[0].wall, day0 + std::chrono::milliseconds(10'007));
  EXPECT_EQ(r->raw[0].rtt_ms, 20.010);
  EXPECT_EQ(r->raw[9].status, core::probe_status::timeout);
  EXPECT_FALSE(r->raw[9].rtt_ms);
  req.max_rows = 9;
  r = ask(path, req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(),
            "the range holds 10 raw samples, more than the limit of 9: ask for a shorter range or a step such as 1m");
}

TEST(HistoryQuery, RefusesWithSentences) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  ASSERT_TRUE(s->write(minutes_batch({"b", "a"}, day0_s, 1)).ok());
  auto r = ask(path, request("c", day0, day0 + hours(1), "1m"));
  EXPECT_EQ(r.message(), "unknown target \"c\": the store holds a, b");
  r = ask(path, request("a", day0, day0, "1m"));
  EXPECT_EQ(r.message(), "the range is empty: from (2026-12-01T00:00:00Z) must be before to (2026-12-01T00:00:00Z)");
  r = ask(path, request("a", day0, day0 + hours(24 * 30), "1m"));
  EXPECT_EQ(r.message(),
            "the range at step 1m has 43200 rows, more than the limit of 10000: ask for a coarser step or a shorter "
            "range");
  r = ask(path, request("a", day0 - hours(24 * 365 * 40), day0, "auto"));
  EXPECT_NE(r.message().find("more than the limit of 2000"), std::string::npos) << r.message();
  auto missing = open_for_reading(dir.path("nope.db"));
  EXPECT_EQ(missing.message(),
            "history: " + dir.path("nope.db") + " does not exist (the service creates it at history.path)");
}

TEST(HistoryQuery, RunsShowWhenNetstabWasNotRunning) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  {
    auto s = open_store(path, day0);
    ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s, 60)).ok());
    ASSERT_TRUE(s->stop(day0 + hours(1)).ok());
  }
  {
    auto s = open_store(path, day0 + hours(2));  // not running from 01:00 to 02:00
    ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s + 7200, 30)).ok());
  }  // killed: never stopped
  auto s = open_store(path, day0 + hours(3));
  ASSERT_TRUE(s->write(minutes_batch({"a"}, day0_s + 10800, 10)).ok());
  const auto r = ask(path, request("a", day0, day0 + hours(4), "1m"));
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->rows.size(), 100U);  // no row, and so no loss, where netstab did not run
  for (const auto& p : r->rows) EXPECT_EQ(p.lost, 0U);
  ASSERT_EQ(r->runs.size(), 3U);
  EXPECT_EQ(r->runs[0].how, core::run_span::ending::stopped);
  EXPECT_EQ(r->runs[0].end, day0 + hours(1));
  EXPECT_EQ(r->runs[1].how, core::run_span::ending::crashed);
  EXPECT_EQ(r->runs[1].start, day0 + hours(2));
  EXPECT_EQ(r->runs[1].end, day0 + hours(2) + minutes(30));  // its last heartbeat
  EXPECT_EQ(r->runs[2].how, core::run_span::ending::running);
  // A range that only the first run covers lists only it.
  const auto early = ask(path, request("a", day0, day0 + minutes(30), "1m"));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->runs.size(), 1U);
}

TEST(HistoryQuery, IncidentsOverlappingTheRange) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  core::history_batch b;
  for (int i = 1; i <= 3; ++i) {
    core::incident_record rec;
    rec.target = "a";
    rec.inc.id = static_cast<std::uint64_t>(i);
    rec.inc.start = day0 + hours(i);
    rec.inc.end = day0 + hours(i) + minutes(10);
    rec.inc.duration = minutes(10);
    rec.inc.probes_lost = 600;
    rec.inc.reason = "loss 100% > 5%";
    rec.verdict = i == 2 ? "isp" : "";
    rec.path = i == 2 ? "192.168.1.1 > 100.64.0.1 > *" : "";
    b.incidents.push_back(rec);
  }
  ASSERT_TRUE(s->write(b).ok());
  const auto r = ask(path, request("a", day0 + hours(2) + minutes(5), day0 + hours(3), "1m"));
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r->incidents.size(), 1U);
  EXPECT_EQ(r->incidents[0].start, day0 + hours(2));
  EXPECT_EQ(r->incidents[0].duration, minutes(10));
  EXPECT_EQ(r->incidents[0].verdict, "isp");
  EXPECT_EQ(r->incidents[0].path, "192.168.1.1 > 100.64.0.1 > *");
  EXPECT_EQ(r->incidents[0].probes_lost, 600U);
}

TEST(HistoryQuery, ListsTargetsIncludingRemovedOnes) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  auto s = open_store(path);
  core::history_batch b = minutes_batch({"a", "b"}, day0_s, 2);
  b.targets.push_back({"c", day0, false});
  ASSERT_TRUE(s->write(b).ok());
  core::history_batch removal;
  removal.targets.push_back({"b", day0 + minutes(2), true});
  ASSERT_TRUE(s->write(removal).ok());
  auto db = open_for_reading(path);
  ASSERT_TRUE(db);
  const auto t = list_targets(**db);
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(core::to_json(*t).dump(),
            R"({"targets":[{"added":"2026-12-01T00:00:00Z","first":1796083200,"last":1796083260,"removed":null,)"
            R"("target":"a"},{"added":"2026-12-01T00:00:00Z","first":1796083200,"last":1796083260,)"
            R"("removed":"2026-12-01T00:02:00Z","target":"b"},{"added":"2026-12-01T00:00:00Z","first":null,)"
            R"("last":null,"removed":null,"target":"c"}]})");
}

TEST(HistoryReader, AnswersOffTheCallersThreadWhileTheWriterWrites) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  test_clock clock;
  report_collector reports;
  writer_options wo;
  wo.store.path = path;
  writer w(wo, clock, reports.callback());
  ASSERT_FALSE(reports.wait_for(history_report::kind::opened).message.empty());
  ASSERT_TRUE(w.submit(minutes_batch({"a"}, day0_s, 5)));
  ASSERT_TRUE(eventually([&] { return w.counters().batches_written == 1; }));
  reader rd(path);
  std::promise<core::result<core::history_reply>> got;
  const auto caller = std::this_thread::get_id();
  std::thread::id answered_on;
  ASSERT_TRUE(rd.query(request("a", day0, day0 + hours(1), "1m"), [&](core::result<core::history_reply> r) {
    answered_on = std::this_thread::get_id();
    got.set_value(std::move(r));
  }));
  const auto r = got.get_future().get();
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->rows.size(), 5U);
  EXPECT_NE(answered_on, caller);
  std::promise<core::result<std::vector<core::history_target>>> listed;
  ASSERT_TRUE(rd.targets([&](auto t) { listed.set_value(std::move(t)); }));
  EXPECT_EQ(listed.get_future().get()->size(), 1U);
}

TEST(HistoryReader, RefusesWhenTooManyRequestsWaitAndCancelsThemAtShutdown) {
  temp_dir dir;
  const auto path = dir.path("h.db");
  { auto s = open_store(path); }
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  std::vector<std::string> outcomes;
  std::mutex mu;
  {
    reader rd(path, 1);
    // The first request holds the reader thread until the test releases it.
    ASSERT_TRUE(rd.targets([&, released](auto) {
      started.set_value();
      released.wait();
    }));
    started.get_future().wait();
    EXPECT_TRUE(rd.targets([&](auto r) {
      std::lock_guard lock(mu);
      outcomes.push_back(r ? "ok" : r.message());
    }));
    EXPECT_FALSE(rd.targets([](auto) { FAIL() << "a refused request must not be answered"; }));
    release.set_value();
  }  // the destructor answers or cancels what still waits
  ASSERT_EQ(outcomes.size(), 1U);
  EXPECT_TRUE(outcomes[0] == "ok" || outcomes[0] == "history is shutting down") << outcomes[0];
}

}  // namespace
}  // namespace netstab::service::history

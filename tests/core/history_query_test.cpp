#include "core/history_query.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netstab::core {
namespace {

constexpr std::int64_t s = 1'000'000'000;
constexpr wall_time day0{1'796'083'200 * s};  // 2026-12-01T00:00:00Z

TEST(HistoryStep, ParsesStepsAndRefusesOthers) {
  struct row {
    const char* text;
    history_step::kind kind;
    std::int64_t seconds;
    const char* back;
  };
  using k = history_step::kind;
  const std::vector<row> good = {
      {"auto", k::automatic, 0, "auto"},
      {"raw", k::raw, 0, "raw"},
      {"1m", k::fixed, 60, "1m"},
      {"5m", k::fixed, 300, "5m"},
      {"90m", k::fixed, 5400, "90m"},
      {"120s", k::fixed, 120, "2m"},
      {"1h", k::fixed, 3600, "1h"},
      {"6h", k::fixed, 21600, "6h"},
      {"1d", k::fixed, 86400, "1d"},
      {"1w", k::fixed, 604800, "7d"},
      {"366d", k::fixed, 366 * 86400, "366d"},
  };
  for (const auto& r : good) {
    SCOPED_TRACE(r.text);
    const auto st = parse_history_step(r.text);
    ASSERT_TRUE(st) << st.message();
    EXPECT_EQ(st->what, r.kind);
    EXPECT_EQ(st->seconds, r.seconds);
    EXPECT_EQ(to_string(*st), r.back);
  }
  for (const char* bad : {"", "m", "0m", "-1m", "30s", "1.5h", "1y", "367d", "53w", "1 m", "1M", "9999999999999999d"}) {
    SCOPED_TRACE(bad);
    const auto st = parse_history_step(bad);
    EXPECT_FALSE(st);
    EXPECT_NE(st.message().find("expected auto, raw"), std::string::npos) << st.message();
  }
}

TEST(HistoryStep, SourceIsTheCoarsestStoredStepThatDivides) {
  EXPECT_EQ(source_step(60), 60);
  EXPECT_EQ(source_step(600), 60);
  EXPECT_EQ(source_step(5400), 60);
  EXPECT_EQ(source_step(7200), 3600);
  EXPECT_EQ(source_step(86400), 86400);
  EXPECT_EQ(source_step(604800), 86400);
}

TEST(HistoryQuery, CountsAlignedBuckets) {
  EXPECT_EQ(bucket_count(day0, day0 + std::chrono::hours(24), 60), 1440);
  EXPECT_EQ(bucket_count(day0 + std::chrono::seconds(30), day0 + std::chrono::seconds(90), 60), 2);
  EXPECT_EQ(bucket_count(day0, day0 + std::chrono::seconds(1), 86400), 1);
  EXPECT_EQ(bucket_count(day0 - std::chrono::seconds(1), day0 + std::chrono::seconds(1), 86400), 2);
}

TEST(HistoryQuery, AutoTakesTheFinestStepWithinTwoThousandRows) {
  struct row {
    const char* what;
    std::chrono::seconds span;
    std::int64_t finest;
    std::int64_t expected;
  };
  const std::vector<row> rows = {
      {"1 h", std::chrono::hours(1), 60, 60},
      {"24 h", std::chrono::hours(24), 60, 60},
      {"7 d", std::chrono::hours(24 * 7), 60, 600},  // 5 min would be 2,016 rows
      {"30 d from minutes", std::chrono::hours(24 * 30), 60, 1800},
      {"30 d from hours", std::chrono::hours(24 * 30), 3600, 3600},
      {"1 y", std::chrono::hours(24 * 365), 3600, 21600},
      {"10 y", std::chrono::hours(24 * 3650), 86400, 172800},
      {"100 y", std::chrono::hours(24 * 36500), 86400, 604800},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(choose_auto_step(day0, day0 + r.span, r.finest), r.expected);
  }
}

TEST(HistoryQuery, RefusesEmptyAndEndlessRanges) {
  const auto empty = validate_range(day0, day0);
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.message(),
            "the range is empty: from (2026-12-01T00:00:00Z) must be before to (2026-12-01T00:00:00Z)");
  EXPECT_FALSE(validate_range(day0, day0 - std::chrono::seconds(1)));
  EXPECT_FALSE(validate_range(wall_time{0}, wall_time{0} + std::chrono::hours(24 * 366 * 101)));
  EXPECT_TRUE(validate_range(day0, day0 + std::chrono::seconds(1)));
}

history_reply small_reply() {
  history_reply r;
  r.target = "1.1.1.1";
  r.asked = {history_step::kind::fixed, 60};
  r.step_s = 60;
  r.from = day0;
  r.to = day0 + std::chrono::minutes(2);
  rollup m;
  m.start_s = day0.count() / s;
  m.sent = 4;
  m.received = 3;
  m.lost = 1;
  m.rtt_n = 3;
  m.rtt_min_us = 10000;
  m.rtt_max_us = 12000;
  m.rtt_sum_us = 33000;
  m.process_n = 3;
  m.process_sum_us = 36000;
  m.ipdv_n = 2;
  m.ipdv_sum_us = 3000;
  for (const std::uint32_t us : {10000U, 11000U, 12000U}) {
    m.latency.add_value(rollup_rtt, us);
    m.latency.add_value(rollup_process, us + 1000);
  }
  m.worst = health::bad;
  m.verdict = "isp, \"upstream\"";
  r.rows.push_back(point_of(m));
  history_point empty;
  empty.ts = m.start_s + 60;
  empty.sent = 1;
  r.rows.push_back(empty);
  r.runs.push_back({day0 - std::chrono::hours(1), day0 + std::chrono::milliseconds(61500), run_span::ending::crashed});
  incident_span inc;
  inc.start = day0 + std::chrono::seconds(10);
  inc.end = day0 + std::chrono::seconds(40);
  inc.duration = std::chrono::seconds(30);
  inc.probes_lost = 1;
  inc.reason = "4 consecutive timeouts";
  inc.verdict = "isp";
  r.incidents.push_back(inc);
  return r;
}

TEST(HistoryQuery, JsonRowsFollowTheColumns) {
  const auto j = to_json(small_reply());
  EXPECT_EQ(
      j.dump(),
      R"({"columns":["ts","sent","received","lost","late","duplicates","loss_pct","rtt_min","rtt_p10","rtt_p25",)"
      R"("rtt_p50","rtt_p75","rtt_p90","rtt_p99","rtt_max","rtt_mean","jitter","mos","process_mean","process_p95",)"
      R"("worst","verdict"],"from":"2026-12-01T00:00:00Z",)"
      R"("incidents":[{"duration_s":30.0,"end":1796083240.0,"path":null,"probes_lost":1,"reason":)"
      R"("4 consecutive timeouts","start":1796083210.0,"verdict":"isp","worst":"BAD"}],)"
      R"("rows":[[1796083200,4,3,1,0,0,25.0,10.0,10.112,10.112,10.88,11.904,11.904,11.904,12.0,11.0,1.5,1.61,12.0,)"
      R"(12.928,"BAD","isp, \"upstream\""],)"
      R"([1796083260,1,0,0,0,0,null,null,null,null,null,null,null,null,null,null,null,null,null,null,"OK",null]],)"
      R"("runs":[{"end":1796083261.5,"ending":"crashed","start":1796079600.0}],"step_s":60,"target":"1.1.1.1",)"
      R"("to":"2026-12-01T00:02:00Z"})");
}

TEST(HistoryQuery, CsvHasAHeaderRfc3339TimesAndQuotedText) {
  EXPECT_EQ(to_csv(small_reply()),
            "ts,sent,received,lost,late,duplicates,loss_pct,rtt_min,rtt_p10,rtt_p25,rtt_p50,rtt_p75,rtt_p90,rtt_p99,"
            "rtt_max,rtt_mean,jitter,mos,process_mean,process_p95,worst,verdict\n"
            "2026-12-01T00:00:00Z,4,3,1,0,0,25.0,10.0,10.112,10.112,10.88,11.904,11.904,11.904,12.0,11.0,1.5,1.61,12.0,"
            "12.928,BAD,\"isp, \"\"upstream\"\"\"\n"
            "2026-12-01T00:01:00Z,1,0,0,0,0,,,,,,,,,,,,,,,OK,\n");
}

TEST(HistoryQuery, RawRepliesListSamples) {
  history_reply r;
  r.target = "a";
  r.asked = {history_step::kind::raw, 0};
  r.from = day0;
  r.to = day0 + std::chrono::seconds(2);
  r.raw.push_back({day0 + std::chrono::microseconds(1'500'250), 7, probe_status::ok, 20.25, 20.5});
  r.raw.push_back({day0 + std::chrono::seconds(1), 8, probe_status::timeout, std::nullopt, std::nullopt});
  EXPECT_EQ(to_csv(r),
            "ts,seq,status,rtt,process\n2026-12-01T00:00:01.500250Z,7,ok,20.25,20.5\n"
            "2026-12-01T00:00:01.000000Z,8,timeout,,\n");
  const auto j = to_json(r);
  EXPECT_EQ(j["columns"].dump(), R"(["ts","seq","status","rtt","process"])");
  EXPECT_EQ(j["rows"].dump(), R"([[1796083201.50025,7,"ok",20.25,20.5],[1796083201.0,8,"timeout",null,null]])");
  EXPECT_EQ(j["step_s"], 0);
}

}  // namespace
}  // namespace netstab::core

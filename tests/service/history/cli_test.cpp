#include "service/history/cli.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "service/history/store.hpp"
#include "tests/service/history/support.hpp"

namespace netstab::service::history {
namespace {

using namespace testing;
using std::chrono::minutes;

// A small store with fixed content: two targets (one removed), three minutes each, raw samples, an incident,
// one run that stopped.
void make_store(const std::string& path) {
  store_options opt;
  opt.path = path;
  open_notes notes;
  auto s = store::open(opt, day0, notes);
  ASSERT_TRUE(s) << s.message();
  core::history_batch b;
  b.targets.push_back({"1.1.1.1", day0, false});
  b.targets.push_back({"example.org", day0, false});
  for (int m = 0; m < 3; ++m) {
    b.minutes.push_back({"1.1.1.1", make_minute(day0_s + m * 60, 12.0 + m, 58, 2, 1.5,
                                                m == 1 ? core::health::warn : core::health::ok)});
    b.minutes.push_back({"example.org", make_minute(day0_s + m * 60, 31.0, 60, 0, 4.0)});
  }
  b.minutes[2].minute.verdict = "isp";
  for (int i = 0; i < 4; ++i) {
    core::raw_sample r;
    r.target = "1.1.1.1";
    r.wall = day0 + std::chrono::microseconds(1'000'000LL * i + 250);
    r.seq = static_cast<std::uint32_t>(i);
    r.status = i == 2 ? core::probe_status::timeout : core::probe_status::ok;
    if (i != 2) {
      r.rtt = std::chrono::microseconds(12'345 + i);
      r.process = std::chrono::microseconds(12'600 + i);
    }
    b.raw.push_back(r);
  }
  core::incident_record inc;
  inc.target = "1.1.1.1";
  inc.inc.id = 1;
  inc.inc.start = day0 + std::chrono::seconds(70);
  inc.inc.end = day0 + std::chrono::seconds(100);
  inc.inc.duration = std::chrono::seconds(30);
  inc.inc.probes_lost = 2;
  inc.inc.reason = "2 consecutive timeouts";
  inc.verdict = "isp";
  b.incidents.push_back(inc);
  b.heartbeat = day0 + minutes(3);
  ASSERT_TRUE((*s)->write(b).ok());
  core::history_batch removal;
  removal.targets.push_back({"example.org", day0 + minutes(3), true});
  ASSERT_TRUE((*s)->write(removal).ok());
  ASSERT_TRUE((*s)->stop(day0 + minutes(10)).ok());
}

struct outcome {
  int code;
  std::string out, err;
};

outcome run(std::vector<std::string> args) {
  args.insert(args.begin(), "history");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  const int code = history_main(static_cast<int>(argv.size()), argv.data(), out, err, day0 + minutes(10));
  return {code, out.str(), err.str()};
}

std::string golden_path(const std::string& name) {
  return std::string(NETSTAB_SOURCE_DIR) + "/tests/service/history/golden/" + name;
}

// Compares with the golden file; UPDATE_GOLDEN=1 rewrites it instead (then check the diff by eye).
void expect_golden(const std::string& name, const std::string& text) {
  if (const char* u = std::getenv("UPDATE_GOLDEN"); u != nullptr && std::string(u) == "1") {
    std::ofstream(golden_path(name), std::ios::binary) << text;
  }
  std::ifstream in(golden_path(name), std::ios::binary);
  ASSERT_TRUE(in) << "missing " << golden_path(name);
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(text, want.str()) << name;
}

class HistoryCli : public ::testing::Test {
 protected:
  void SetUp() override { make_store(db_); }
  temp_dir dir_;
  std::string db_ = dir_.path("history.db");
};

TEST_F(HistoryCli, MinutesAsCsv) {
  const auto r =
      run({"--db", db_, "--target", "1.1.1.1", "--from", "2026-12-01T00:00:00Z", "--to", "2026-12-01T00:05:00Z"});
  EXPECT_EQ(r.code, 0) << r.err;
  expect_golden("minutes.csv", r.out);
}

TEST_F(HistoryCli, MinutesAsJson) {
  const auto r = run({"--db", db_, "--target", "1.1.1.1", "--from", "2026-12-01T00:00:00Z", "--to", "-5m", "--step",
                      "1m", "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
  expect_golden("minutes.json", r.out);
}

TEST_F(HistoryCli, MergedStepAndRemovedTarget) {
  const auto r = run({"--db", db_, "--target", "example.org", "--from", "2026-12-01", "--to", "now", "--step", "5m"});
  EXPECT_EQ(r.code, 0) << r.err;
  expect_golden("example-5m.csv", r.out);
}

TEST_F(HistoryCli, RawSamples) {
  const auto r = run({"--db", db_, "--target", "1.1.1.1", "--from", "-10m", "--step", "raw"});
  EXPECT_EQ(r.code, 0) << r.err;
  expect_golden("raw.csv", r.out);
  const auto j = run({"--db", db_, "--target", "1.1.1.1", "--from", "-10m", "--step", "raw", "--format", "json"});
  EXPECT_EQ(j.code, 0) << j.err;
  expect_golden("raw.json", j.out);
}

TEST_F(HistoryCli, ListsTargets) {
  const auto r = run({"--db", db_, "--list-targets"});
  EXPECT_EQ(r.code, 0) << r.err;
  expect_golden("targets.csv", r.out);
}

TEST_F(HistoryCli, ReadsWhileTheServiceHoldsTheFile) {
  store_options opt;
  opt.path = db_;
  open_notes notes;
  auto writer_store = store::open(opt, day0 + minutes(20), notes);
  ASSERT_TRUE(writer_store) << writer_store.message();
  ASSERT_TRUE((*writer_store)->write(minutes_batch({"1.1.1.1"}, day0_s + 1200, 2)).ok());
  const auto r =
      run({"--db", db_, "--target", "1.1.1.1", "--from", "2026-12-01T00:20:00Z", "--to", "2026-12-01T00:30:00Z"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("2026-12-01T00:21:00Z,60,60,0"), std::string::npos) << r.out;
}

TEST_F(HistoryCli, ExplainsItselfAndRefusesBadInput) {
  auto r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--target"), std::string::npos);
  EXPECT_NE(r.out.find("TIME is RFC 3339"), std::string::npos);
  r = run({"--db", db_});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--target"), std::string::npos) << r.err;
  r = run({"--db", db_, "--target", "8.8.8.8"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "netstab history: unknown target \"8.8.8.8\": the store holds 1.1.1.1, example.org\n");
  r = run({"--db", db_, "--target", "1.1.1.1", "--from", "yesterday"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("\"yesterday\" is not a time"), std::string::npos) << r.err;
  r = run({"--db", db_, "--target", "1.1.1.1", "--step", "1y"});
  EXPECT_EQ(r.code, 2);
  r = run({"--db", db_, "--target", "1.1.1.1", "--format", "xml"});
  EXPECT_EQ(r.code, 2);
  r = run({"--db", dir_.path("none.db"), "--target", "1.1.1.1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace netstab::service::history

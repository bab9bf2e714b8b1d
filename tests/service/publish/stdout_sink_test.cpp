// The stdout sink's lines, text and JSON, written to a memory stream with a fake clock.
#include "service/publish/stdout_sink.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <sys/types.h>
#include <vector>

namespace netstab::service {
namespace {

using namespace std::chrono_literals;

class fake_target final : public target_view {
 public:
  fake_target(std::string host, std::string address)
      : spec_(core::make_target(std::move(host), {})), address_(std::move(address)), monitor_({}) {}
  const core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return address_; }
  const core::target_monitor& monitor() const override { return monitor_; }
  std::uint64_t sent() const override { return 0; }
  std::uint32_t slot() const override { return 0; }  // the sink keeps no per-target state

  core::target_spec spec_;
  std::string address_;
  core::target_monitor monitor_;
};

// A target with path monitoring: two hops (the first silent, the second rate-limited) and the target.
class fake_path_target final : public target_view {
 public:
  fake_path_target() : spec_(core::make_target("192.0.2.9", {})), address_("192.0.2.9"), monitor_({}) {
    rows_.push_back(
        core::hop_row{1, std::nullopt, core::segment::lan, 10, 10, 100.0, std::nullopt, std::nullopt, false});
    rows_.push_back(core::hop_row{2, core::ip_address::parse("100.64.0.1").value(), core::segment::isp, 10, 8, 80.0,
                                  1.5, 2.25, true});
    rows_.push_back(core::hop_row{3, core::ip_address::parse("192.0.2.9").value(), core::segment::remote, 10, 0, 0.0,
                                  3.0, 4.5, false});
  }
  const core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return address_; }
  const core::target_monitor& monitor() const override { return monitor_; }
  std::uint64_t sent() const override { return 0; }
  std::uint32_t slot() const override { return 0; }  // the sink keeps no per-target state
  bool path_on() const override { return true; }
  const std::vector<core::hop_row>& path_rows() const override { return rows_; }
  std::optional<core::wall_time> traced_at() const override { return traced_; }

  core::target_spec spec_;
  std::string address_;
  core::target_monitor monitor_;
  std::vector<core::hop_row> rows_;
  std::optional<core::wall_time> traced_ = core::wall_time(std::chrono::hours(24 * 20000) + 12h + 4min + 31s);
};

// A memory stream the sink writes to, read back line by line.
struct captured {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* f = ::open_memstream(&buf, &size);
  ~captured() {
    std::fclose(f);
    std::free(buf);
  }
  std::vector<std::string> lines() {
    std::fflush(f);
    std::vector<std::string> out;
    std::istringstream in(std::string(buf, size));
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
};

core::sample ok_sample() {
  core::sample s;
  s.seq = 7;
  s.status = core::probe_status::ok;
  s.rtt = 1234us;
  s.process = 1500us;
  s.clock = core::rtt_clock::kernel;
  s.ttl = 64;
  s.size = 56;
  return s;
}

TEST(StdoutSink, TextLinesLookLikePing) {
  captured out;
  core::fake_clock clk;
  stdout_sink sink(out.f, false, clk);
  fake_target t("example.org", "192.0.2.1");
  sink.on_target_event(t, core::target_event::added, "");
  sink.on_sample(t, ok_sample());
  core::sample lost;
  lost.seq = 8;
  lost.status = core::probe_status::timeout;
  sink.on_sample(t, lost);
  core::sample unreachable;
  unreachable.seq = 9;
  unreachable.status = core::probe_status::unreachable;
  unreachable.error = "destination unreachable (host unreachable) from 192.0.2.254";
  sink.on_sample(t, unreachable);
  sink.on_monitor_event(
      t, core::monitor_event{
             core::monitor_event::kind::status_change, core::health::ok, core::health::bad, "loss 7.5% > 5%", {}});
  sink.on_target_event(t, core::target_event::address_changed, "192.0.2.9");
  sink.on_target_event(t, core::target_event::resolved, "192.0.2.1");  // nothing to say
  EXPECT_TRUE(out.lines().empty()) << "lines wait for the end of the loop turn";
  sink.flush();
  EXPECT_EQ(out.lines(),
            (std::vector<std::string>{
                "NETSTAB example.org: 56 data bytes, interval 1000 ms, timeout 1000 ms",
                "56 bytes from example.org (192.0.2.1): seq=7 ttl=64 rtt=1.234 ms process=1.500 ms (kernel)",
                "timeout from example.org (192.0.2.1): seq=8",
                "unreachable for example.org (192.0.2.1): seq=9 destination unreachable (host "
                "unreachable) from 192.0.2.254",
                "! example.org: status OK -> BAD (loss 7.5% > 5%)",
                "! example.org: address changed 192.0.2.9 -> 192.0.2.1",
            }));
}

TEST(StdoutSink, JsonLinesCarryTheirType) {
  captured out;
  core::fake_clock clk;
  stdout_sink sink(out.f, true, clk);
  fake_target t("192.0.2.1", "192.0.2.1");
  sink.on_target_event(t, core::target_event::added, "");  // no header in JSON
  sink.on_sample(t, ok_sample());
  sink.on_target_event(t, core::target_event::resolve_failed, "name does not resolve");
  sink.print_summary({&t});
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 3U);
  const auto sample = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(sample["type"], "sample");
  EXPECT_EQ(sample["seq"], 7);
  EXPECT_DOUBLE_EQ(sample["rtt_ms"].get<double>(), 1.234);
  const auto event = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(event["type"], "event");
  EXPECT_EQ(event["event"], "resolve_failed");
  EXPECT_EQ(event["error"], "name does not resolve");
  const auto stats = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(stats["type"], "stats");
  EXPECT_EQ(stats["target"], "192.0.2.1");
}

TEST(StdoutSink, SummaryPrintsEveryWindowOfEveryTarget) {
  captured out;
  core::fake_clock clk;
  stdout_sink sink(out.f, false, clk);
  fake_target a("192.0.2.1", "192.0.2.1");
  fake_target b("192.0.2.2", "192.0.2.2");
  sink.print_summary({&a, &b});
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 12U);
  EXPECT_EQ(lines[0], "--- 192.0.2.1 netstab statistics (window 60 s) ---");
  EXPECT_EQ(lines[5], "verdict ok: ok");
  EXPECT_EQ(lines[6], "--- 192.0.2.2 netstab statistics (window 60 s) ---");
  EXPECT_EQ(lines[2], "rtt     min/avg/max/stddev = -/-/-/- ms, p50/p95/p99 = -/-/- ms");
}

TEST(StdoutSink, SummaryEndsWithAnMtrStyleTableOfThePath) {
  captured out;
  core::fake_clock clk;
  stdout_sink sink(out.f, false, clk);
  fake_path_target t;
  sink.print_summary({&t});
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 11U);
  EXPECT_EQ(lines[6], "--- 192.0.2.9 path (traced 12:04:31 UTC) ---");
  EXPECT_EQ(lines[7], "Hop  Host                                     Loss%   Snt    p50 ms    p95 ms  Segment");
  EXPECT_EQ(lines[8], "  1  ???                                     100.0%    10         -         -  lan");
  EXPECT_EQ(lines[9],
            "  2  100.64.0.1                               80.0%    10     1.500     2.250  isp (rate-limited)");
  EXPECT_EQ(lines[10], "  3  192.0.2.9                                 0.0%    10     3.000     4.500  remote");
}

TEST(StdoutSink, APathNotTracedYetSaysSo) {
  captured out;
  core::fake_clock clk;
  stdout_sink sink(out.f, false, clk);
  fake_path_target t;
  t.traced_.reset();
  t.rows_.clear();
  sink.print_summary({&t});
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 7U);
  EXPECT_EQ(lines[6], "--- 192.0.2.9 path: not traced yet ---");
}

TEST(StdoutSink, JsonSummaryCarriesThePathPayload) {
  captured out;
  core::fake_clock clk;
  stdout_sink sink(out.f, true, clk);
  fake_path_target t;
  sink.print_summary({&t});
  const auto lines = out.lines();
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["fault"]["segment"], "ok");
  const auto path = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(path["type"], "path");
  ASSERT_EQ(path["hops"].size(), 3U);
  EXPECT_TRUE(path["hops"][0]["address"].is_null());
  EXPECT_EQ(path["hops"][1]["rate_limited"], true);
  EXPECT_EQ(path["hops"][2]["address"], "192.0.2.9");
}

TEST(StdoutSink, CountFinishedCallsTheOwner) {
  captured out;
  core::fake_clock clk;
  stdout_sink sink(out.f, false, clk);
  int finished = 0;
  sink.set_on_finished([&] { ++finished; });
  sink.on_finished();
  EXPECT_EQ(finished, 1);
}

// A stream that counts the write calls it gets and keeps what they wrote.
struct counted_stream {
  std::size_t writes = 0;
  std::string text;
  std::FILE* f = nullptr;
  counted_stream() {
    cookie_io_functions_t io{};
    io.write = [](void* c, const char* buf, std::size_t n) -> ssize_t {
      auto* self = static_cast<counted_stream*>(c);
      ++self->writes;
      self->text.append(buf, n);
      return static_cast<ssize_t>(n);
    };
    f = ::fopencookie(this, "w", io);
  }
  ~counted_stream() { std::fclose(f); }
  counted_stream(const counted_stream&) = delete;
  counted_stream& operator=(const counted_stream&) = delete;
};

TEST(StdoutSink, LinesWaitForFlushAndGoOutInOneWrite) {
  counted_stream out;
  ASSERT_NE(out.f, nullptr);
  core::fake_clock clk;
  stdout_sink sink(out.f, true, clk);
  fake_target t("192.0.2.1", "192.0.2.1");
  for (int i = 0; i < 10; ++i) sink.on_sample(t, ok_sample());
  EXPECT_EQ(out.writes, 0U);
  sink.flush();
  EXPECT_EQ(out.writes, 1U);
  EXPECT_EQ(std::count(out.text.begin(), out.text.end(), '\n'), 10);
  sink.flush();  // nothing held: no empty write
  EXPECT_EQ(out.writes, 1U);
}

TEST(StdoutSink, ATurnOfMoreThanFlushAtBytesIsWrittenWithoutWaiting) {
  counted_stream out;
  ASSERT_NE(out.f, nullptr);
  core::fake_clock clk;
  stdout_sink sink(out.f, true, clk);
  fake_target t("192.0.2.1", "192.0.2.1");
  std::size_t lines = 0;
  while (out.writes == 0 && lines < 100000) {
    sink.on_sample(t, ok_sample());
    ++lines;
  }
  ASSERT_GT(out.writes, 0U) << "a turn's lines are held without bound";
  EXPECT_GE(out.text.size(), stdout_sink::flush_at);
  EXPECT_EQ(static_cast<std::size_t>(std::count(out.text.begin(), out.text.end(), '\n')), lines)
      << "only whole lines are written";
}

TEST(StdoutSink, DestroyingTheSinkWritesWhatItHeld) {
  captured out;
  core::fake_clock clk;
  {
    stdout_sink sink(out.f, false, clk);
    fake_target t("192.0.2.1", "192.0.2.1");
    sink.on_sample(t, ok_sample());
  }
  ASSERT_EQ(out.lines().size(), 1U);
  EXPECT_EQ(out.lines()[0].rfind("56 bytes from 192.0.2.1: seq=7", 0), 0U) << out.lines()[0];
}

}  // namespace
}  // namespace netstab::service

#include "core/payloads.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace netstab::core {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// 2026-11-25T17:00:00.123Z
constexpr wall_time ts0 = std::chrono::milliseconds(1'795'626'000'123);

const std::string nasty_names[] = {
    "<img src=x onerror=alert(1)>",
    "quote\" back\\slash",
    "ctl\x01\x1f\n\t\r\b\f\x7f end",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
};

sample ok_sample() {
  sample s;
  s.seq = 42;
  s.status = probe_status::ok;
  s.wall = ts0;
  s.rtt = 12'345'678ns;
  s.process = 12'412'000ns;
  s.clock = rtt_clock::kernel;
  s.ttl = 57;
  s.size = 56;
  return s;
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  struct row {
    wall_time t;
    std::string_view text;
  };
  const row rows[] = {
      {ts0, "2026-11-25T17:00:00.123Z"},
      {wall_time{0}, "1970-01-01T00:00:00.000Z"},
      {std::chrono::milliseconds(951'782'400'999), "2000-02-29T00:00:00.999Z"},
      {std::chrono::milliseconds(-1), "1969-12-31T23:59:59.999Z"},
      {std::chrono::nanoseconds(1'700'000'000'123'999'999), "2023-11-14T22:13:20.123Z"},  // truncated
  };
  for (const auto& r : rows) EXPECT_EQ(rfc3339(r.t), r.text);
}

TEST(AppendFixed, PrintsThreeDecimalsAndNullForNonFinite) {
  struct row {
    double v;
    int decimals;
    std::string_view text;
  };
  const row rows[] = {{12.3, 3, "12.300"}, {0.0, 3, "0.000"},      {-0.0001, 3, "0.000"},    {1e9, 3, "1000000000.000"},
                      {4.375, 2, "4.38"},  {1.0 / 0.0, 3, "null"}, {std::nan(""), 3, "null"}};
  for (const auto& r : rows) {
    std::string out;
    append_fixed(out, r.v, r.decimals);
    EXPECT_EQ(out, r.text) << r.v;
  }
}

// The reference: to_chars's correctly rounded fixed notation, without the sign of a zero.
std::string fixed_reference(double v, int decimals) {
  std::array<char, 400> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  std::string text(buf.data(), r.ptr);
  if (text.front() == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

// append_fixed's fast path must print exactly what to_chars prints: random values over many magnitudes, and
// values a few ulps around the halves where rounding turns (ties and near-ties go to to_chars).
TEST(AppendFixed, PrintsWhatToCharsPrints) {
  std::uint64_t x = 12345;
  const auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
  };
  std::vector<std::pair<double, int>> cases;
  for (int i = 0; i < 200'000; ++i) {
    const double mantissa = static_cast<double>(next() >> 11) * 0x1p-53;
    const int exponent = static_cast<int>(next() % 24) - 8;
    const double sign = (next() & 1) != 0 ? -1.0 : 1.0;
    cases.emplace_back(sign * mantissa * std::pow(10.0, exponent), static_cast<int>(next() % 8));
  }
  for (int d = 0; d <= 6; ++d) {
    for (std::uint64_t k = 0; k < 3000; ++k) {
      double half = (static_cast<double>(k) + 0.5) / std::pow(10.0, d);
      for (int step = 0; step < 3; ++step) half = std::nextafter(half, 0.0);
      for (int step = 0; step < 7; ++step, half = std::nextafter(half, 1e9)) cases.emplace_back(half, d);
    }
  }
  cases.emplace_back(0x1p52 / 1000.0, 3);
  cases.emplace_back(4.375, 2);
  cases.emplace_back(2.675, 2);
  cases.emplace_back(1.0005, 3);
  cases.emplace_back(-0.0005, 3);
  cases.emplace_back(5e-324, 6);
  int mismatches = 0;
  for (const auto& [v, d] : cases) {
    std::string out;
    append_fixed(out, v, d);
    const std::string want = fixed_reference(v, d);
    if (out != want && ++mismatches <= 5)
      ADD_FAILURE() << std::hexfloat << v << " with " << d << ": " << out << " != " << want;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(AppendJsonString, RoundTripsNastyStrings) {
  for (const auto& name : nasty_names) {
    std::string out;
    append_json_string(out, name);
    EXPECT_EQ(out.find('<'), std::string::npos) << out;
    const json parsed = json::parse(out);
    EXPECT_EQ(parsed.get<std::string>(), name);
  }
}

TEST(AppendJsonString, ReplacesInvalidUtf8) {
  std::string out;
  append_json_string(out,
                     "a\xff"
                     "b\xc3");  // stray byte, truncated sequence
  EXPECT_EQ(json::parse(out).get<std::string>(),
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd");
  out.clear();
  append_json_string(out, "\xed\xa0\x80");  // encoded surrogate: invalid
  EXPECT_EQ(json::parse(out).get<std::string>(), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

// A cached entry whose length wobbles keeps its capacity within twice the room of its length, and one that still
// fits is not reallocated.
TEST(AssignFitted, KeepsTheCapacityWithinTwiceTheRoomOfTheLength) {
  constexpr std::size_t room = 32;
  std::string entry;
  const char* buffer = nullptr;
  struct step {
    std::size_t length;
    bool reallocates;
  };
  for (const step& st : {step{600, true}, step{605, false}, step{598, false}, step{633, true}, step{640, false},
                         step{660, false}, step{300, true}, step{0, true}}) {
    const std::string value(st.length, 'x');
    assign_fitted(entry, value, room);
    EXPECT_EQ(entry, value);
    EXPECT_LE(entry.capacity(), std::max<std::size_t>(st.length + 2 * room, std::string().capacity())) << st.length;
    EXPECT_EQ(entry.data() != buffer, st.reallocates) << st.length;
    buffer = entry.data();
  }
}

TEST(SamplePayload, HasEveryContractField) {
  std::string out;
  append_sample_json(out, "1.1.1.1", "1.1.1.1", ok_sample());
  EXPECT_EQ(out, R"({"target":"1.1.1.1","address":"1.1.1.1","seq":42,"ts":"2026-11-25T17:00:00.123Z","status":"ok",)"
                 R"("rtt_ms":12.346,"process_ms":12.412,"rtt_clock":"kernel","ttl":57,"size":56,"error":null})");
  const json j = json::parse(out);
  EXPECT_EQ(j.size(), 11U);
}

TEST(SamplePayload, TimeoutHasNullsAndErrorText) {
  sample s;
  s.seq = 7;
  s.status = probe_status::unreachable;
  s.wall = ts0;
  s.size = 56;
  s.error = "host unreachable from 10.0.0.1";
  std::string out;
  append_sample_json(out, "h", "10.0.0.2", s);
  const json j = json::parse(out);
  EXPECT_EQ(j["status"], "unreachable");
  EXPECT_TRUE(j["rtt_ms"].is_null());
  EXPECT_TRUE(j["process_ms"].is_null());
  EXPECT_TRUE(j["ttl"].is_null());
  EXPECT_EQ(j["rtt_clock"], "none");
  EXPECT_EQ(j["error"], "host unreachable from 10.0.0.1");
}

TEST(SamplePayload, EscapesNamesAndErrors) {
  for (const auto& name : nasty_names) {
    sample s = ok_sample();
    s.error = name;
    std::string out;
    append_sample_json(out, name, name, s);
    EXPECT_EQ(out.find('<'), std::string::npos);
    const json j = json::parse(out);
    EXPECT_EQ(j["target"], name);
    EXPECT_EQ(j["address"], name);
    EXPECT_EQ(j["error"], name);
  }
}

TEST(SamplePayload, TypeFieldComesFirstAndBufferIsAppended) {
  std::string out = "prefix ";
  append_sample_json(out, "t", "a", ok_sample(), "sample");
  ASSERT_EQ(out.rfind("prefix {\"type\":\"sample\",\"target\":", 0), 0U) << out;
  EXPECT_EQ(json::parse(out.substr(7))["type"], "sample");
}

stats_snapshot full_stats() {
  stats_snapshot st;
  st.window = 60s;
  st.sent = 60;
  st.received = 59;
  st.lost = 1;
  st.loss_pct = 100.0 / 60.0;
  st.rto = 1;
  st.rtt = {12.3, 11.9, 12.4, 15.0, 0.5, 12.3, 13.9, 14.8};
  st.process = {12.4, 12.0, 12.5, 15.1, 0.5, 12.4, 14.0, 14.9};
  st.jitter_ms = 0.41;
  st.jitter_rfc3550_ms = 0.38;
  st.mos = 4.3812;
  st.status = health::warn;
  st.reason = "loss 1.7% > 1%";
  return st;
}

TEST(StatsPayload, HasEveryContractField) {
  std::string out;
  append_stats_json(out, "1.1.1.1", "1.1.1.1", ts0, full_stats());
  const json j = json::parse(out);
  const char* keys[] = {"target",    "address",           "ts",   "window_s", "sent",       "received", "lost",
                        "loss_pct",  "duplicates",        "late", "rto",      "rto_streak", "rtt_ms",   "process_ms",
                        "jitter_ms", "jitter_rfc3550_ms", "mos",  "status",   "reason"};
  EXPECT_EQ(j.size(), std::size(keys));
  for (const char* k : keys) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["ts"], "2026-11-25T17:00:00.123Z");
  EXPECT_EQ(j["window_s"], 60);
  EXPECT_EQ(j["sent"], 60);
  EXPECT_EQ(j["lost"], 1);
  EXPECT_DOUBLE_EQ(j["loss_pct"].get<double>(), 1.667);
  EXPECT_DOUBLE_EQ(j["rtt_ms"]["p95"].get<double>(), 13.9);
  EXPECT_DOUBLE_EQ(j["process_ms"]["max"].get<double>(), 15.1);
  EXPECT_EQ(j["rtt_ms"].size(), 8U);
  EXPECT_DOUBLE_EQ(j["mos"].get<double>(), 4.38);
  EXPECT_EQ(j["status"], "WARN");
  EXPECT_EQ(j["reason"], "loss 1.7% > 1%");
  EXPECT_NE(out.find("\"loss_pct\":1.667,"), std::string::npos);
}

TEST(StatsPayload, EmptyWindowGivesNulls) {
  stats_snapshot st;
  st.window = 10s;
  st.reason = "ok";
  std::string out;
  append_stats_json(out, "t", "", ts0, st, "stats");
  const json j = json::parse(out);
  EXPECT_EQ(j["type"], "stats");
  EXPECT_EQ(j["address"], "");
  for (const auto& [k, v] : j["rtt_ms"].items()) EXPECT_TRUE(v.is_null()) << k;
  EXPECT_TRUE(j["jitter_ms"].is_null());
  EXPECT_TRUE(j["mos"].is_null());
  EXPECT_EQ(j["status"], "OK");
}

TEST(StatsPayload, EscapesTargetAndReason) {
  for (const auto& name : nasty_names) {
    stats_snapshot st = full_stats();
    st.reason = name;
    std::string out;
    append_stats_json(out, name, "::1", ts0, st);
    const json j = json::parse(out);
    EXPECT_EQ(j["target"], name);
    EXPECT_EQ(j["reason"], name);
  }
}

TEST(StatsPayload, ReusedBufferAllocatesNothingOnceWarm) {
  std::string out;
  const auto st = full_stats();
  append_stats_json(out, "1.1.1.1", "1.1.1.1", ts0, st);
  const auto cap = out.capacity();
  const auto* data = out.data();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    append_stats_json(out, "1.1.1.1", "1.1.1.1", ts0, st);
  }
  EXPECT_EQ(out.capacity(), cap);
  EXPECT_EQ(out.data(), data);
}

incident closed_incident() {
  incident i;
  i.id = 3;
  i.start = ts0;
  i.end = ts0 + 12s;
  i.duration = 12s;
  i.probes_lost = 12;
  i.worst = health::bad;
  i.reason = "4 probes lost in a row";
  return i;
}

TEST(IncidentsPayload, ListsIncidentsWithOpenOneLast) {
  incident open;
  open.id = 4;
  open.start = ts0 + 60s;
  open.duration = 2500ms;
  open.probes_lost = 3;
  open.worst = health::warn;
  open.reason = "<b>loss</b>";
  const json j = json::parse(incidents_json("1.1.1.1", {closed_incident(), open}));
  EXPECT_EQ(j["target"], "1.1.1.1");
  ASSERT_EQ(j["incidents"].size(), 2U);
  const auto& a = j["incidents"][0];
  EXPECT_EQ(a["id"], 3);
  EXPECT_EQ(a["start"], "2026-11-25T17:00:00.123Z");
  EXPECT_EQ(a["end"], "2026-11-25T17:00:12.123Z");
  EXPECT_DOUBLE_EQ(a["duration_s"].get<double>(), 12.0);
  EXPECT_EQ(a["probes_lost"], 12);
  EXPECT_EQ(a["worst_status"], "BAD");
  EXPECT_EQ(a["reason"], "4 probes lost in a row");
  const auto& b = j["incidents"][1];
  EXPECT_TRUE(b["end"].is_null());
  EXPECT_DOUBLE_EQ(b["duration_s"].get<double>(), 2.5);
  EXPECT_EQ(b["worst_status"], "WARN");
  EXPECT_EQ(b["reason"], "<b>loss</b>");
}

TEST(EventPayload, PrintsTheFieldsOfEachType) {
  struct row {
    event e;
    std::vector<std::string> keys;
  };
  const std::vector<row> rows = {
      {{event_type::status_change, ts0, "1.1.1.1", "OK", "BAD", "loss 7.5% > 5%", "", std::nullopt, std::nullopt, {}},
       {"type", "ts", "target", "from", "to", "reason"}},
      {{event_type::incident_start, ts0, "1.1.1.1", "", "", "", "", closed_incident(), std::nullopt, {}},
       {"type", "ts", "target", "incident"}},
      {{event_type::incident_end, ts0, "1.1.1.1", "", "", "", "", closed_incident(), std::nullopt, {}},
       {"type", "ts", "target", "incident"}},
      {{event_type::target_added, ts0, "1.1.1.1", "", "", "", "", std::nullopt, std::nullopt, {}},
       {"type", "ts", "target"}},
      {{event_type::target_removed, ts0, "1.1.1.1", "", "", "", "", std::nullopt, std::nullopt, {}},
       {"type", "ts", "target"}},
      {{event_type::resolve_failed,
        ts0,
        "nx.example",
        "",
        "",
        "",
        "Name or service not known",
        std::nullopt,
        std::nullopt,
        {}},
       {"type", "ts", "target", "error"}},
      {{event_type::address_changed, ts0, "dns.google", "8.8.8.8", "8.8.4.4", "", "", std::nullopt, std::nullopt, {}},
       {"type", "ts", "target", "from", "to"}},
      {{event_type::started, ts0, "", "", "", "", "", std::nullopt, std::nullopt, {}}, {"type", "ts"}},
      {{event_type::stopped, ts0, "", "", "", "", "", std::nullopt, std::nullopt, {}}, {"type", "ts"}},
  };
  for (const auto& r : rows) {
    const json j = json::parse(event_json(r.e));
    EXPECT_EQ(j["type"], to_string(r.e.type));
    EXPECT_EQ(j["ts"], "2026-11-25T17:00:00.123Z");
    EXPECT_EQ(j.size(), r.keys.size()) << j.dump();
    for (const auto& k : r.keys) EXPECT_TRUE(j.contains(k)) << k << " in " << j.dump();
  }
  const json sc = json::parse(event_json(rows[0].e));
  EXPECT_EQ(sc["from"], "OK");
  EXPECT_EQ(sc["to"], "BAD");
  EXPECT_EQ(json::parse(event_json(rows[1].e))["incident"]["id"], 3);
}

TEST(EventPayload, TypeFieldMovesTheEventTypeToEvent) {
  event e{
      event_type::target_added, ts0, "<img src=x onerror=alert(1)>", "", "", "", "", std::nullopt, std::nullopt, {}};
  const std::string text = event_json(e, "event");
  const json j = json::parse(text);
  EXPECT_EQ(j["type"], "event");
  EXPECT_EQ(j["event"], "target_added");
  EXPECT_EQ(j["target"], "<img src=x onerror=alert(1)>");
  EXPECT_EQ(text.rfind("{\"type\":\"event\"", 0), 0U);
}

TEST(StatePayload, DescribesAgentTargetsAndMqtt) {
  agent_state st;
  st.agent = "host1";
  st.version = "0.1.0";
  st.started_at = ts0;
  st.running = true;
  state_target t;
  t.target = "fe80::1%eth0";
  t.address = "fe80::1";
  t.probe.interval = 500ms;
  t.probe.family = ip_version::v6;
  st.targets.push_back(t);
  state_target unresolved;
  unresolved.target = "quote\"name";
  st.targets.push_back(unresolved);
  st.mqtt_buffered = 5;
  st.mqtt_dropped = 2;
  st.mqtt_unconfirmed = 7;
  const json j = json::parse(state_json(st));
  EXPECT_EQ(j["agent"], "host1");
  EXPECT_EQ(j["version"], "0.1.0");
  EXPECT_EQ(j["started_at"], "2026-11-25T17:00:00.123Z");
  EXPECT_EQ(j["running"], true);
  ASSERT_EQ(j["targets"].size(), 2U);
  const auto& a = j["targets"][0];
  EXPECT_EQ(a["target"], "fe80::1%eth0");
  EXPECT_EQ(a["slug"], "fe80__1_eth0");
  EXPECT_EQ(a["address"], "fe80::1");
  EXPECT_EQ(a["interval_ms"], 500);
  EXPECT_TRUE(a["interval_ms"].is_number_integer());
  EXPECT_EQ(a["timeout_ms"], 1000);
  EXPECT_EQ(a["size"], 56);
  EXPECT_EQ(a["ttl"], 64);
  EXPECT_EQ(a["tos"], 0);
  EXPECT_EQ(a["ip_version"], "6");
  EXPECT_EQ(a["publish_samples"], true);
  EXPECT_TRUE(j["targets"][1]["address"].is_null());
  EXPECT_EQ(j["targets"][1]["target"], "quote\"name");
  EXPECT_EQ(j["mqtt"]["buffered"], 5);
  EXPECT_EQ(j["mqtt"]["dropped"], 2);
  EXPECT_EQ(j["mqtt"]["unconfirmed"], 7);
}

TEST(ReplyPayload, EchoesIdAndAddsErrorOrExtra) {
  const json ok = json::parse(reply_json("abc", true, "start", {}, {{"running", true}}));
  EXPECT_EQ(ok, json::parse(R"({"id":"abc","ok":true,"cmd":"start","running":true})"));
  const json bad = json::parse(reply_json(7, false, "add_target", "missing field \"target\""));
  EXPECT_EQ(bad, json::parse(R"({"id":7,"ok":false,"cmd":"add_target","error":"missing field \"target\""})"));
  const json noid = json::parse(reply_json(nullptr, false, "", "invalid JSON at byte 1"));
  EXPECT_FALSE(noid.contains("id"));
  EXPECT_EQ(noid["error"], "invalid JSON at byte 1");
}

}  // namespace
}  // namespace netstab::core

// The contract's additions for the path verdict: fault_change and path_change events, the fault in statistics,
// the agent's verdict and path counters in the state, the verdict and path of incidents, the "path" command field.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "core/command.hpp"
#include "core/event.hpp"
#include "core/payloads.hpp"
#include "core/verdict_text.hpp"

namespace netstab::core {
namespace {

using nlohmann::json;
using std::chrono::seconds;

ip_address ip(const char* text) { return *ip_address::parse(text); }

fault isp_fault() {
  fault f;
  f.where = segment::isp;
  f.metric = fault_metric::loss;
  f.level = health::bad;
  f.hop = 2;
  f.address = ip("100.64.1.1");
  f.since = wall_time{seconds(1'764'090'000)};
  f.headline = "loss 8.0% from hop 2 (100.64.1.1, ISP) to the target";
  f.reason = f.headline + " since 17:00 UTC; hop 1 clean";
  return f;
}

TEST(PathEvents, FaultChangeOfATargetAndOfTheAgent) {
  fault_change c;
  c.to = isp_fault();
  const event e = to_event("example.org", c, wall_time{seconds(1'764'090'003)});
  const json j = json::parse(event_json(e));
  EXPECT_EQ(j["type"], "fault_change");
  EXPECT_EQ(j["target"], "example.org");
  EXPECT_EQ(j["from"], "ok");
  EXPECT_EQ(j["to"], "isp");
  EXPECT_EQ(j["reason"], c.to.reason);
  EXPECT_EQ(j["fault"]["hop"], 2);
  EXPECT_EQ(j["fault"]["address"], "100.64.1.1");
  const json agent = json::parse(event_json(to_event("", c, wall_time{}), "event"));
  EXPECT_EQ(agent["type"], "event");
  EXPECT_EQ(agent["event"], "fault_change");
  EXPECT_FALSE(agent.contains("target"));
}

TEST(PathEvents, PathChangeListsTheNewHopsWithTheTargetLast) {
  const traced_path after{{ip("192.168.1.1"), std::nullopt, ip("203.0.113.6")}, 4};
  const event e = to_event("t", ip("192.0.2.2"), after, "hop 3 changed 203.0.113.2 -> 203.0.113.6", wall_time{});
  EXPECT_EQ(event_json(e), R"({"type":"path_change","ts":"1970-01-01T00:00:00.000Z","target":"t",)"
                           R"("reason":"hop 3 changed 203.0.113.2 -> 203.0.113.6",)"
                           R"("hops":["192.168.1.1",null,"203.0.113.6","192.0.2.2"]})");
}

TEST(PathEvents, StatisticsCarryTheFaultOfThePrimaryWindow) {
  stats_snapshot st;
  st.window = seconds(60);
  std::string out;
  const fault f = isp_fault();
  append_stats_json(out, "t", "192.0.2.2", wall_time{}, st, {}, &f);
  const json j = json::parse(out);
  EXPECT_EQ(j["fault"]["segment"], "isp");
  EXPECT_EQ(j["fault"]["since"], "2025-11-25T17:00:00.000Z");
  out.clear();
  append_stats_json(out, "t", "192.0.2.2", wall_time{}, st);
  EXPECT_FALSE(json::parse(out).contains("fault"));
}

TEST(PathEvents, StateCarriesTheAgentsVerdictAndThePathCounters) {
  agent_state st;
  st.agent = "a";
  st.targets.push_back(state_target{"t", "192.0.2.2", probe_settings{}, true});
  st.agent_fault = isp_fault();
  path_summary p;
  p.targets = 1;
  p.hops = 4;
  p.traces = 2;
  p.budget.max_pps = 150;
  p.budget.peak_per_second = 12;
  p.budget.sent = 300;
  p.budget.deferred = 1;
  st.path = p;
  const json j = json::parse(state_json(st));
  EXPECT_EQ(j["targets"][0]["path"], true);
  EXPECT_EQ(j["fault"]["segment"], "isp");
  EXPECT_EQ(j["path"], json::parse(R"({"targets":1,"hops":4,"traces":2,"max_pps":150,"peak_pps":12,"sent":300,)"
                                   R"("deferred":1})"));
}

TEST(PathEvents, IncidentsRecordTheWorstVerdictAndThePathAtTheStart) {
  incident i;
  i.id = 1;
  std::string f;
  append_fault_json(f, isp_fault());
  i.fault_json = f;
  i.path = std::vector<std::optional<ip_address>>{ip("192.168.1.1"), std::nullopt, ip("192.0.2.2")};
  const json j = json::parse(incidents_json("t", {i}));
  EXPECT_EQ(j["incidents"][0]["fault"]["segment"], "isp");
  EXPECT_EQ(j["incidents"][0]["path"], json::parse(R"(["192.168.1.1",null,"192.0.2.2"])"));
  const json bare = json::parse(incidents_json("t", {incident{}}));
  EXPECT_TRUE(bare["incidents"][0]["fault"].is_null());
  EXPECT_TRUE(bare["incidents"][0]["path"].is_null());
}

TEST(PathEvents, CommandsTakeAPathSwitch) {
  const struct {
    const char* payload;
    std::optional<path_mode> want;
    const char* error;
  } cases[] = {
      {R"({"cmd":"add_target","target":"192.0.2.2","path":true})", path_mode::on, ""},
      {R"({"cmd":"add_target","target":"192.0.2.2","path":false})", path_mode::off, ""},
      {R"({"cmd":"set_target","target":"192.0.2.2","path":"auto"})", path_mode::automatic, ""},
      {R"({"cmd":"add_target","target":"192.0.2.2"})", std::nullopt, ""},
      {R"({"cmd":"add_target","target":"192.0.2.2","path":"yes"})", std::nullopt,
       R"(field "path" must be "auto", true or false)"},
  };
  for (const auto& c : cases) {
    const parsed_command pc = parse_command(c.payload);
    EXPECT_EQ(pc.error, c.error) << c.payload;
    if (!pc.ok()) continue;
    const target_request& rq = std::holds_alternative<add_target_command>(*pc.cmd)
                                   ? std::get<add_target_command>(*pc.cmd).request
                                   : std::get<set_target_command>(*pc.cmd).request;
    EXPECT_EQ(rq.path, c.want) << c.payload;
    EXPECT_EQ(rq.apply(probe_settings{}).probe.path, c.want.value_or(path_mode::automatic)) << c.payload;
  }
}

}  // namespace
}  // namespace netstab::core

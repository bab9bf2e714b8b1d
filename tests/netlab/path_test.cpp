// The path verdict on real routers (issue 13, "Proof"): the real netstab in service mode in the chain's host
// namespace (path_lab.hpp), a fault injected at one place, and the verdict that names it reached within a stated
// time and held without flapping. Each test prints its time to verdict ("time-to-verdict NAME: S s"), the figures
// of docs/path.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>

#include "tests/netlab/cpu_limit.hpp"
#include "tests/netlab/path_lab.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"
#include "tests/support/wait.hpp"

namespace netstab::netlab {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto trace_timeout = seconds(30);
constexpr auto verdict_timeout = seconds(40);  // the stated bound for every scenario (docs/path.md)
constexpr auto hold = seconds(12);             // no other verdict change for this long after it

const char* name(ip_family f) { return f == ip_family::v4 ? "IPv4" : "IPv6"; }

double seconds_since(steady::time_point t0, steady::time_point t1) {
  return std::chrono::duration<double>(t1 - t0).count();
}

void report(const std::string& what, double s) {
  std::cout << "time-to-verdict " << what << ": " << s << " s\n";
  ::testing::Test::RecordProperty("time_to_verdict_s", std::to_string(s));
}

// Waits until the path of the chain's target of family f is traced, every hop has a window of probes (and so a
// baseline), and its verdict is ok.
void wait_windows(path_lab& lab, ip_family f) {
  const std::string target = chain::target(f);
  const auto path = lab.wait_path(
      target,
      [](const json& j) {
        if (j["hops"].size() != std::size_t{chain::target_ttl}) return false;
        for (const auto& h : j["hops"]) {
          if (h["sent"].get<int>() < 20) return false;
        }
        return true;
      },
      trace_timeout);
  ASSERT_TRUE(path) << "the path was not traced\n" << lab.agent_log();
  for (int ttl = 1; ttl < chain::target_ttl; ++ttl) {
    EXPECT_EQ((*path)["hops"][static_cast<std::size_t>(ttl - 1)]["address"], lab.net().hop(ttl).address(f))
        << "TTL " << ttl;
  }
  EXPECT_EQ((*path)["hops"][std::size_t{chain::target_ttl - 1}]["address"], target);
  EXPECT_TRUE(lab.events("fault_change", target).empty()) << "a clean chain has no fault";
}

// Starts netstab on the chain's target and waits until its path is traced, every hop has a window of probes
// (and so a baseline), and its verdict is ok.
void start_and_trace(path_lab& lab, ip_family f, const std::map<std::string, std::string>& env = {}) {
  lab.start_agent({chain::target(f)}, env);
  wait_windows(lab, f);
}

// The payloads of the contract this run produced, against their JSON Schemas (docs/schemas): the last few path
// and stats payloads of the target, the state and every event (fault_change and path_change among them).
void expect_contract(path_lab& lab, const std::string& target) {
  const auto last = [](std::vector<std::string> v) {
    if (v.size() > 5) v.erase(v.begin(), v.end() - 5);
    return v;
  };
  test::expect_schema_valid("path", last(test::payloads_on(lab.client(), lab.target_topic(target, "path"))));
  test::expect_schema_valid("stats", last(test::payloads_on(lab.client(), lab.target_topic(target, "stats"))));
  test::expect_schema_valid("state", last(test::payloads_on(lab.client(), lab.topic("state"))));
  test::expect_schema_valid("event", test::payloads_on(lab.client(), lab.topic("events")));
}

// No other verdict change of the target for `hold` after the one it reached.
void expect_held(path_lab& lab, const std::string& target) {
  const std::size_t changes = lab.events("fault_change", target).size();
  lab.client().wait_until(
      [&](const std::vector<test::received_message>& msgs) {
        std::size_t n = 0;
        for (const auto& m : msgs) {
          if (m.topic != lab.topic("events")) continue;
          const json j = json::parse(m.payload, nullptr, false);
          n += j.value("type", "") == "fault_change" && j.value("target", "") == target ? 1U : 0U;
        }
        return n > changes;
      },
      hold);
  const auto all = lab.events("fault_change", target);
  EXPECT_EQ(all.size(), changes) << "the verdict flapped: " << json(all).dump();
}

// What the history keeps of a fault: the incident's row has the verdict at its worst (segment and reason) and the
// path as it was when the incident began, as `history` replies give them (docs/history.md).
TEST(PathHistory, AnIncidentKeepsTheVerdictAndThePathItBeganWith) {
  NETSTAB_REQUIRE_ROOT();
  path_lab lab;
  const std::map<std::string, std::string> history{{"NETSTAB_HISTORY_ENABLED", "true"},
                                                   {"NETSTAB_HISTORY_PATH", lab.dir() + "/history.db"},
                                                   {"NETSTAB_HISTORY_FLUSH_INTERVAL_S", "1"}};
  ASSERT_NO_FATAL_FAILURE(start_and_trace(lab, ip_family::v4, history));
  const std::string target = chain::target(ip_family::v4);
  // 30 %: the status reaches BAD (an incident) whatever the window held when the verdict came.
  lab.net().set_forward_loss(node::isp1, 30);
  ASSERT_TRUE(lab.wait_fault(target, "isp", verdict_timeout)) << lab.agent_log();
  ASSERT_TRUE(test::poll_until([&] { return !lab.events("incident_start", target).empty(); })) << "no incident began\n"
                                                                                               << lab.agent_log();
  lab.net().set_forward_loss(node::isp1, 0);
  // The incident's row is written when it ends, once the window is clean again.
  json incident;
  const bool ended = test::poll_until(
      [&] {
        const auto r = lab.command({{"cmd", "history"}, {"target", target}, {"from", "-10m"}, {"step", "raw"}});
        if (!r || !r->value("ok", false)) return false;
        for (const auto& i : (*r)["incidents"]) {
          if (!i["end"].is_null() && i["verdict"].is_string()) incident = i;
        }
        return !incident.is_null();
      },
      2 * test::patience, std::chrono::milliseconds(1000));
  ASSERT_TRUE(ended) << "no ended incident with a verdict in the history\n" << lab.agent_log();
  const std::string verdict = incident["verdict"];
  EXPECT_EQ(verdict.rfind("isp: loss", 0), 0U) << incident.dump();
  const std::string hop3 = lab.net().hop(3).address(ip_family::v4);
  EXPECT_NE(verdict.find("hop 3 (" + hop3), std::string::npos) << incident.dump();
  ASSERT_TRUE(incident["path"].is_string()) << incident.dump();
  const std::string path = incident["path"];
  const auto first = path.find(lab.net().hop(1).address(ip_family::v4));
  const auto third = path.find(hop3);
  EXPECT_NE(first, std::string::npos) << path;
  EXPECT_NE(third, std::string::npos) << path;
  EXPECT_LT(first, third) << "hops in TTL order: " << path;
  EXPECT_EQ(path.substr(path.size() - target.size()), target) << "the target last: " << path;
}

struct loss_case {
  const char* name;
  ip_family family;
  void (*inject)(chain&);
  const char* segment;
  int hop;  // 0: the target itself
};

void PrintTo(const loss_case& c, std::ostream* os) { *os << c.name << " " << name(c.family); }

class PathVerdictLoss : public ::testing::TestWithParam<loss_case> {};

// 15 % loss at one place; the verdict names its segment and its first hop.
TEST_P(PathVerdictLoss, NamesThePlaceTheLossStarts) {
  NETSTAB_REQUIRE_ROOT();
  const loss_case& c = GetParam();
  path_lab lab;
  ASSERT_NO_FATAL_FAILURE(start_and_trace(lab, c.family));
  const std::string target = chain::target(c.family);
  const auto t0 = steady::now();
  c.inject(lab.net());
  const auto got = lab.wait_fault(target, c.segment, verdict_timeout);
  ASSERT_TRUE(got) << "no " << c.segment
                   << " verdict; fault changes: " << json(lab.events("fault_change", target)).dump()
                   << "\nlatest path: " << lab.latest(lab.target_topic(target, "path")).value_or(json()).dump();
  report(std::string(c.name) + " " + name(c.family), seconds_since(t0, got->at));
  const json& f = got->event["fault"];
  std::cout << "reason: " << f["reason"].get<std::string>() << "\n";
  EXPECT_EQ(f["metric"], "loss");
  if (c.hop == 0) {
    EXPECT_TRUE(f["hop"].is_null());
    EXPECT_EQ(f["address"], target);
    EXPECT_NE(f["reason"].get<std::string>().find("loss"), std::string::npos) << f.dump();
  } else {
    EXPECT_EQ(f["hop"], c.hop);
    EXPECT_EQ(f["address"], lab.net().hop(c.hop).address(c.family));
    // "loss 15.2% from hop 3 (100.64.0.1, ISP) to the target ...": the sentence names the hop and its address.
    const std::string named = "hop " + std::to_string(c.hop) + " (" + lab.net().hop(c.hop).address(c.family);
    EXPECT_NE(f["reason"].get<std::string>().find(named), std::string::npos) << f.dump();
  }
  EXPECT_EQ(got->event["reason"], f["reason"]);
  expect_held(lab, target);
  const auto stats = lab.latest(lab.target_topic(target, "stats"));
  ASSERT_TRUE(stats);
  EXPECT_EQ((*stats)["fault"]["segment"], c.segment);
  expect_contract(lab, target);
}

INSTANTIATE_TEST_SUITE_P(
    Chain, PathVerdictLoss,
    ::testing::Values(loss_case{"lan", ip_family::v4, [](chain& n) { n.set_ingress_loss(node::lan, 15); }, "lan", 1},
                      loss_case{"isp", ip_family::v4, [](chain& n) { n.set_forward_loss(node::isp1, 15); }, "isp", 3},
                      loss_case{"upstream", ip_family::v4, [](chain& n) { n.set_ingress_loss(node::upstream, 15); },
                                "upstream", 4},
                      loss_case{"remote", ip_family::v4, [](chain& n) { n.set_target_reply_loss(15); }, "remote", 0},
                      loss_case{"lan", ip_family::v6, [](chain& n) { n.set_ingress_loss(node::lan, 15); }, "lan", 1},
                      loss_case{"isp", ip_family::v6, [](chain& n) { n.set_forward_loss(node::isp1, 15); }, "isp", 3}),
    [](const ::testing::TestParamInfo<loss_case>& i) {
      return std::string(i.param.name) + (i.param.family == ip_family::v4 ? "_v4" : "_v6");
    });

// 40 ms each way added on the link from isp1 to isp2, once the baselines are known: the latency is blamed on
// hop 3 (isp2), the first hop behind the delaying link.
TEST(PathVerdict, AddedDelayIsBlamedOnTheHopBehindIt) {
  NETSTAB_REQUIRE_ROOT();
  chain_options o;
  o.delayed_link = node::isp1;
  path_lab lab(o);
  ASSERT_NO_FATAL_FAILURE(start_and_trace(lab, ip_family::v4));
  const std::string target = chain::target_v4;
  const auto t0 = steady::now();
  lab.net().set_link_delay(std::chrono::microseconds(40'000));
  const auto got = lab.wait_fault(target, "isp", verdict_timeout);
  ASSERT_TRUE(got) << json(lab.events("fault_change", target)).dump();
  report("delay at hop 3", seconds_since(t0, got->at));
  EXPECT_EQ(got->event["fault"]["metric"], "latency");
  EXPECT_EQ(got->event["fault"]["hop"], 3);
  EXPECT_EQ(got->event["fault"]["address"], chain::primary_hops[2].v4);
  expect_held(lab, target);
}

// isp2 answers at most one ICMP error a second to the host while its hop is probed five times a second, and the
// target is clean: hop 3 is rate-limited and the verdict stays ok.
TEST(PathVerdict, ARateLimitedHopIsNotAFault) {
  NETSTAB_REQUIRE_ROOT();
  path_lab lab;
  ASSERT_NO_FATAL_FAILURE(start_and_trace(lab, ip_family::v4));
  const std::string target = chain::target_v4;
  lab.net().set_icmp_limits(node::isp2, icmp_limits{milliseconds(1000)});
  const auto path = lab.wait_path(
      target, [](const json& j) { return j["hops"].size() == 5 && j["hops"][2]["rate_limited"] == true; },
      verdict_timeout);
  ASSERT_TRUE(path) << lab.latest(lab.target_topic(target, "path")).value_or(json()).dump();
  EXPECT_EQ((*path)["fault"]["segment"], "ok");
  expect_held(lab, target);
  EXPECT_TRUE(lab.events("fault_change", target).empty());
  // By now the hop's window is all rate-limited: it answers about one probe in five.
  const auto later = lab.latest(lab.target_topic(target, "path"));
  ASSERT_TRUE(later);
  EXPECT_GT((*later)["hops"][2]["loss_pct"].get<double>(), 50.0) << later->dump();
  EXPECT_EQ((*later)["hops"][2]["rate_limited"], true);
  EXPECT_EQ((*later)["hops"][3]["loss_pct"].get<double>(), 0.0) << "the hop behind it forwards everything";
}

// netstab starved of CPU on a clean network: the process latency rises, the RTT does not. The starvation is
// SIGSTOP for 90 ms of every 100 ms (cpu_limit's signals mechanism): a cgroup quota holds netstab back only while
// the group's burner gets the CPU to use the quota up, which a busy machine does not always give it. The host's
// link adds 10 ms each way, as a real path would: with the chain's 0.1 ms the answer is back while netstab still
// runs the turn that sent the probe, and a stopped process is only late to send.
TEST(PathVerdict, AStarvedHostIsTheHost) {
  NETSTAB_REQUIRE_ROOT();
  chain_options o;
  o.delayed_link = node::host;
  o.delay = std::chrono::microseconds(10'000);
  path_lab lab(o);
  ASSERT_NO_FATAL_FAILURE(start_and_trace(lab, ip_family::v4));
  const std::string target = chain::target_v4;
  cpu_limit limit(0.1, cpu_limit::mechanism::signals);
  const auto t0 = steady::now();
  limit.attach(lab.agent_pid());
  const auto got = lab.wait_fault(target, "host", verdict_timeout);
  ASSERT_TRUE(got) << json(lab.events("fault_change", target)).dump() << "\nthrottled " << limit.throttled()
                   << "\nlatest stats: " << lab.latest(lab.target_topic(target, "stats")).value_or(json()).dump();
  report(std::string("host (") + cpu_limit::name(limit.used()) + ")", seconds_since(t0, got->at));
  EXPECT_EQ(got->event["fault"]["metric"], "host");
  expect_held(lab, target);
}

// Three targets behind a LAN that loses 15 %: the chain's target over IPv4 and over IPv6, and the router at hop 2
// (IPv4). The agent's own verdict groups what they share and counts them among all targets; a removed target no
// longer counts. The IPv4 target and the router blame the same LAN hop, the IPv6 target its IPv6 address.
TEST(PathVerdict, TheAgentCountsItsDegradedTargetsAndForgetsRemovedOnes) {
  NETSTAB_REQUIRE_ROOT();
  path_lab lab;
  const std::string router = lab.net().hop(2).address(ip_family::v4);
  lab.start_agent({chain::target_v4, chain::target_v6, router});
  ASSERT_NO_FATAL_FAILURE(wait_windows(lab, ip_family::v4));
  ASSERT_NO_FATAL_FAILURE(wait_windows(lab, ip_family::v6));
  lab.net().set_ingress_loss(node::lan, 15);
  const auto agent_log = [&] { return json(lab.events("fault_change", std::nullopt)).dump(); };
  const auto reason = [](const path_lab::seen& s) { return s.event["fault"]["reason"].get<std::string>(); };
  // The agent's verdict may pass through others while the targets degrade one by one: each wait is for a change
  // to a segment after the ones counted before the step that should cause it.
  const auto changes_to = [&](const std::string& segment) {
    int n = 0;
    for (const json& e : lab.events("fault_change", std::nullopt)) n += e.value("to", "") == segment ? 1 : 0;
    return n;
  };
  const auto next_change_to = [&](const std::string& segment, int before) {
    return lab.wait_fault(std::nullopt, segment, verdict_timeout, before + 1);
  };
  const auto shared = next_change_to("lan", 0);
  ASSERT_TRUE(shared) << agent_log();
  EXPECT_NE(reason(*shared).find("of 3 targets"), std::string::npos) << shared->event.dump();
  const auto remove = [&](const std::string& target) {
    const auto r = lab.command(json{{"cmd", "remove_target"}, {"target", target}});
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)["ok"], true) << r->dump();
  };
  // Without the router the two degraded targets share nothing.
  const int unknown_before = changes_to("unknown");
  ASSERT_NO_FATAL_FAILURE(remove(router));
  const auto scattered = next_change_to("unknown", unknown_before);
  ASSERT_TRUE(scattered) << agent_log();
  EXPECT_NE(reason(*scattered).find("2 of 2 targets degraded in different places"), std::string::npos)
      << scattered->event.dump();
  // With one target left, the agent's verdict is that target's own.
  const int lan_before = changes_to("lan");
  ASSERT_NO_FATAL_FAILURE(remove(chain::target_v6));
  const auto own = next_change_to("lan", lan_before);
  ASSERT_TRUE(own) << agent_log() << "\n" << lab.agent_log();
  EXPECT_EQ(own->event["fault"]["hop"], 1) << own->event.dump();
  EXPECT_EQ(reason(*own).find("targets"), std::string::npos) << own->event.dump();
}

class PathChange : public ::testing::TestWithParam<ip_family> {};

// The route between isp1 and upstream switches to the alternate router: a path_change names the hops that
// changed and the path payload shows the new ones.
TEST_P(PathChange, ARouteChangeIsAnEventWithTheNewHops) {
  NETSTAB_REQUIRE_ROOT();
  const ip_family f = GetParam();
  path_lab lab;
  ASSERT_NO_FATAL_FAILURE(start_and_trace(lab, f));
  const std::string target = chain::target(f);
  const auto t0 = steady::now();
  lab.net().set_route(route::alternate);
  const auto change = lab.wait_path_change(target, verdict_timeout);
  ASSERT_TRUE(change) << lab.agent_log();
  report(std::string("path change ") + name(f), seconds_since(t0, steady::now()));
  const std::string want = std::string("hop 3 changed ") + chain::primary_hops[2].address(f) + " -> " +
                           chain::alternate_hops[2].address(f) + "; hop 4 changed " +
                           chain::primary_hops[3].address(f) + " -> " + chain::alternate_hops[3].address(f);
  EXPECT_EQ((*change)["reason"], want);
  ASSERT_EQ((*change)["hops"].size(), 5U);
  for (int ttl = 1; ttl <= chain::target_ttl; ++ttl) {
    EXPECT_EQ((*change)["hops"][static_cast<std::size_t>(ttl - 1)],
              chain::alternate_hops[static_cast<std::size_t>(ttl - 1)].address(f));
  }
  const std::string moved = chain::alternate_hops[2].address(f);
  EXPECT_TRUE(lab.wait_path(
      target, [&](const json& j) { return j["hops"][2]["address"] == moved; }, seconds(5)))
      << "the path payload shows the new hops";
  expect_contract(lab, target);
}

INSTANTIATE_TEST_SUITE_P(Chain, PathChange, ::testing::Values(ip_family::v4, ip_family::v6),
                         [](const ::testing::TestParamInfo<ip_family>& i) {
                           return std::string(i.param == ip_family::v4 ? "v4" : "v6");
                         });

}  // namespace
}  // namespace netstab::netlab

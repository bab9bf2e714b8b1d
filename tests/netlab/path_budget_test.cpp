// The probe budget on real routers: path monitoring for more and more targets added by command, against a budget
// they would exceed, and the path probes counted where they enter the chain (the LAN router), as well as the
// counters netstab publishes in its state message.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/netlab/path_lab.hpp"
#include "tests/support/privileges.hpp"

namespace netstab::netlab {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int max_pps = 20;
constexpr int max_targets = 6;

// Counts, at the LAN router, the echo requests that arrive from the host with a TTL (hop limit) below 32: the
// path probes (the targets' own probes leave with 64).
const char* const path_counter =
    "table inet lab_path_count {\n"
    " counter path { }\n"
    " chain prerouting {\n"
    "  type filter hook prerouting priority -300; policy accept;\n"
    "  iifname \"to-host\" icmp type echo-request ip ttl < 32 counter name \"path\"\n"
    "  iifname \"to-host\" icmpv6 type echo-request ip6 hoplimit < 32 counter name \"path\"\n"
    " }\n"
    "}\n";

std::uint64_t path_probes_at_lan(chain& c) {
  const auto r = c.exec(node::lan, {"nft", "-j", "list", "counter", "inet", "lab_path_count", "path"});
  const json j = json::parse(r.out, nullptr, false);
  if (!j.is_object()) throw std::runtime_error("nft list counter: " + r.err + r.out);
  for (const auto& item : j["nftables"]) {
    if (item.contains("counter")) return item["counter"].value("packets", std::uint64_t{0});
  }
  throw std::runtime_error("no counter in: " + r.out);
}

// The state message published after a status command.
std::optional<json> fresh_state(path_lab& lab) {
  const std::size_t before = lab.client().on_topic(lab.topic("state")).size();
  if (!lab.command(json{{"cmd", "status"}})) return std::nullopt;
  if (!lab.client().wait_count(lab.topic("state"), before + 1, seconds(5))) return std::nullopt;
  return lab.latest(lab.topic("state"));
}

TEST(PathBudget, HoldsAtTheRoutersWhileCommandsAddTargets) {
  NETSTAB_REQUIRE_ROOT();
  path_lab lab;
  ASSERT_EQ(
      lab.net().exec(node::lan, {"sh", "-c", std::string("printf '%s' '") + path_counter + "' | nft -f -"}).exit_code,
      0);
  lab.start_agent({chain::target_v4}, {{"NETSTAB_PATH_MAX_PPS", std::to_string(max_pps)},
                                       {"NETSTAB_PATH_MAX_TARGETS", std::to_string(max_targets)}});
  ASSERT_TRUE(lab.wait_traced(chain::target_v4, chain::target_ttl - 1, seconds(30))) << lab.agent_log();

  // Every router of the chain, both families, as targets of their own, with path monitoring asked for.
  const std::vector<std::string> more{chain::target_v6, "198.51.100.2", "2001:db8:3::2", "203.0.113.2",
                                      "2001:db8:2::2"};
  for (const auto& t : more) {
    const auto r = lab.command(json{{"cmd", "add_target"}, {"target", t}, {"path", true}});
    ASSERT_TRUE(r) << t;
    EXPECT_EQ((*r)["ok"], true) << r->dump();
  }
  // One more than path.max_targets: asked for, refused; not asked for, added without a path.
  const auto refused = lab.command(json{{"cmd", "add_target"}, {"target", "100.64.1.1"}, {"path", true}});
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)["ok"], false);
  EXPECT_NE((*refused)["error"].get<std::string>().find("path.max_targets"), std::string::npos) << refused->dump();
  const auto plain = lab.command(json{{"cmd", "add_target"}, {"target", "100.64.1.1"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ((*plain)["ok"], true);

  // Counted at the LAN router over a span of 12 s, sampled every 200 ms: the span as a whole and every span of
  // a second or more between two samples stay within the budget (a sample is read within 100 ms of its time).
  struct sample {
    steady::time_point at;
    std::uint64_t probes;
  };
  std::vector<sample> samples;
  const auto start = steady::now();
  while (steady::now() - start < seconds(12)) {
    samples.push_back(sample{steady::now(), path_probes_at_lan(lab.net())});
    lab.client().wait_until([](const auto&) { return false; }, milliseconds(200));
  }
  double worst = 0.0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    for (std::size_t k = i + 1; k < samples.size(); ++k) {
      const double span = std::chrono::duration<double>(samples[k].at - samples[i].at).count();
      if (span < 1.0) continue;
      const double probes = static_cast<double>(samples[k].probes - samples[i].probes);
      EXPECT_LE(probes, max_pps * (span + 0.2)) << "over " << span << " s";
      worst = std::max(worst, probes / span);
    }
  }
  const double total_span = std::chrono::duration<double>(samples.back().at - samples.front().at).count();
  const double total = static_cast<double>(samples.back().probes - samples.front().probes);
  std::cout << "path probes at the LAN router: " << total << " in " << total_span << " s (" << total / total_span
            << "/s), busiest span " << worst << "/s, budget " << max_pps << "/s\n";
  EXPECT_GT(total / total_span, max_pps * 0.5) << "the budget was not even used";

  const auto state = fresh_state(lab);
  ASSERT_TRUE(state);
  const json& p = (*state)["path"];
  EXPECT_EQ(p["targets"], max_targets);
  EXPECT_EQ(p["max_pps"], max_pps);
  EXPECT_LE(p["peak_pps"].get<int>(), max_pps);
  EXPECT_GT(p["deferred"].get<int>(), 0) << "the targets asked for more than the budget: some probes waited";
  std::size_t with_path = 0;
  for (const auto& t : (*state)["targets"]) with_path += t["path"] == true ? 1U : 0U;
  EXPECT_EQ(with_path, static_cast<std::size_t>(max_targets));
}

}  // namespace
}  // namespace netstab::netlab

// Home Assistant's view of netstab's retained topics: every state and attribute template of the real discovery
// message, rendered by Jinja2 as Home Assistant renders it, against the payloads Home Assistant may receive on its
// topic (the real ones, the empty payload of a cleared topic, a stats or state payload with and without the
// verdict's "fault" object, a state without targets), must give a state Home Assistant takes without a log line;
// and a set_target naming a monitored target leaves that target's retained topics alone. Probes go to loopback
// only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/discovery_helpers.hpp"
#include "tests/support/ha_template.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using namespace netstab::test::discovery;
using netstab::test::ha_template_job;
using netstab::test::mosquitto_broker;
using netstab::test::received_message;
using netstab::test::render_ha_templates;
using agent = netstab::test::service_agent;

namespace {

// A payload Home Assistant may receive on a topic, and what the entities reading it must show.
struct variant {
  std::string name;
  std::string payload;
  // The fault sensor's state and attributes, when checked; for every other entity, `cleared` says that the state
  // must be unknown ("None"; '' for the text) and the attributes empty.
  std::optional<std::string> fault;
  std::optional<json> fault_attributes;
  bool cleared = false;
};

json with_fault(json doc, const json& fault) {
  if (fault.is_null()) {
    doc.erase("fault");
  } else {
    doc["fault"] = fault;
  }
  return doc;
}

std::vector<variant> variants_of(const json& real, bool state) {
  const json isp = {{"segment", "isp"},
                    {"metric", "loss"},
                    {"hop", 3},
                    {"address", "100.64.0.1"},
                    {"since", "2026-11-25T21:04:00.000Z"},
                    {"reason", "loss 8.0% from hop 3 (100.64.0.1, ISP) to the target since 21:04 UTC; hops 1-2 clean"}};
  const json clean = {{"segment", "ok"},    {"metric", "none"}, {"hop", nullptr},
                      {"address", nullptr}, {"since", nullptr}, {"reason", "ok"}};
  std::vector<variant> v = {
      {"as published", real.dump(), real.contains("fault") ? real["fault"]["segment"].get<std::string>() : "None",
       real.contains("fault") ? real["fault"] : json::object()},
      {"an agent without the verdict", with_fault(real, nullptr).dump(), "None", json::object()},
      {"a fault", with_fault(real, isp).dump(), "isp", isp},
      {"no fault", with_fault(real, clean).dump(), "ok", clean},
      {"cleared (empty payload)", "", "None", json::object(), true},
  };
  if (state) {
    json none = real;
    none["targets"] = json::array();
    v.push_back({"no targets", none.dump(), std::nullopt, std::nullopt});
  }
  return v;
}

}  // namespace

TEST(DiscoveryTemplates, EveryTemplateGivesHomeAssistantAStateForEveryPayload) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto sub = client(broker, "sub", "netstab/t1/#");
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "t1", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string stats_topic = "netstab/t1/targets/127.0.0.1/stats";
  const std::string state_topic = "netstab/t1/state";
  ASSERT_TRUE(sub->wait_count(stats_topic, 6, netstab::test::patience)) << a.proc->log();
  ASSERT_TRUE(sub->wait_count(state_topic, 1, netstab::test::patience)) << a.proc->log();
  ASSERT_TRUE(ha->wait_count(config_topic("t1"), 1, netstab::test::patience)) << a.proc->log();
  const json cmps = last_json(*ha, config_topic("t1"))["cmps"];
  const auto stats = variants_of(last_json(*sub, stats_topic), false);
  const auto state = variants_of(last_json(*sub, state_topic), true);

  struct check {
    std::string key, option;
    const variant* v;
  };
  std::vector<check> checks;
  std::vector<ha_template_job> jobs;
  for (const auto& [key, c] : cmps.items()) {
    if (!c.contains("state_topic")) continue;
    const auto& vs = c["state_topic"] == stats_topic ? stats : state;
    for (const auto& v : vs) {
      for (const char* option : {"value_template", "json_attributes_template"}) {
        if (!c.contains(option)) continue;
        checks.push_back({key, option, &v});
        jobs.push_back({c[option].get<std::string>(), false, v.payload, nullptr});
      }
    }
  }
  ASSERT_GT(checks.size(), 60U);
  const auto rendered = render_ha_templates(jobs);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& [key, option, v] = checks[i];
    SCOPED_TRACE(key + " " + option + " against " + v->name);
    const json& c = cmps[key];
    ASSERT_TRUE(rendered[i].ok) << jobs[i].tmpl << ": " << rendered[i].error;
    const std::string& r = rendered[i].result;
    const bool fault = key.ends_with("fault");
    if (option == "json_attributes_template") {
      EXPECT_EQ(ha_refuses_attributes(r), "") << jobs[i].tmpl;
      if (fault && v->fault_attributes) {
        EXPECT_EQ(json::parse(r), *v->fault_attributes);
      }
      if (v->cleared) {
        EXPECT_EQ(r, "{}");
      }
      if (!fault && !v->cleared) {
        EXPECT_TRUE(json::parse(r).contains("reason"));
      }
      continue;
    }
    EXPECT_EQ(ha_refuses_state(c, r), "") << jobs[i].tmpl;
    if (fault) {
      if (v->fault) {
        EXPECT_EQ(r, *v->fault);
      }
    } else if (v->cleared) {
      EXPECT_EQ(r, c["p"] == "text" ? "" : "None");
    }
  }
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const auto& [key, option, v] = checks[i];
    if (v->name != "no targets" || option != "value_template") continue;
    // No targets: the text is empty (HA's text takes '' with min 0), an interval number unknown.
    if (key == "target") {
      EXPECT_EQ(rendered[i].result, "");
    }
    if (key.ends_with("interval")) {
      EXPECT_EQ(rendered[i].result, "None");
    }
  }
}

// A set_target naming a target that is monitored already keeps it: only the other targets are removed and have
// their retained topics cleared. With the same settings the target goes on as it was; with others it is
// replaced, and its retained statistics stay until the new ones replace them.
TEST(DiscoveryTemplates, SetTargetNamingAMonitoredTargetKeepsItsRetainedTopics) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto sub = client(broker, "sub", "netstab/t2/#");
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "t2", {"--target", "127.0.0.1", "--target", "127.0.0.2", "--interval", "100"});
  const std::string kept = "netstab/t2/targets/127.0.0.1/";
  const std::string gone = "netstab/t2/targets/127.0.0.2/";
  ASSERT_TRUE(sub->wait_count(kept + "stats", 3, netstab::test::patience)) << a.proc->log();
  ASSERT_TRUE(sub->wait_count(gone + "stats", 3, netstab::test::patience)) << a.proc->log();
  const auto empties_on = [&](const std::string& topic, std::size_t from) {
    const auto msgs = sub->on_topic(topic);
    std::size_t n = 0;
    for (std::size_t i = from; i < msgs.size(); ++i) n += msgs[i].payload.empty() ? 1U : 0U;
    return n;
  };
  const auto sent_of_last = [&] { return last_json(*sub, kept + "stats")["sent"].get<std::uint64_t>(); };

  // Same settings (the command's defaults are the agent's [probe] settings, interval 100): kept as it is.
  std::size_t from = sub->on_topic(kept + "stats").size();
  const std::size_t incidents_from = sub->on_topic(kept + "incidents").size();
  const std::uint64_t sent_before = sent_of_last();
  ASSERT_TRUE(sub->publish("netstab/t2/cmd", R"({"cmd":"set_target","target":"127.0.0.1","id":"same"})"));
  const auto reply = netstab::test::reply_for(*sub, "netstab/t2/cmd/reply", "same");
  ASSERT_TRUE(reply.has_value()) << a.proc->log();
  EXPECT_EQ((*reply)["ok"], true) << reply->dump();
  ASSERT_TRUE(sub->wait_until([&](const std::vector<received_message>& all) {
    return std::any_of(all.begin(), all.end(),
                       [&](const received_message& m) { return m.topic == gone + "stats" && m.payload.empty(); });
  })) << "the other target's statistics are cleared";
  ASSERT_TRUE(sub->wait_count(kept + "stats", from + 3, netstab::test::patience)) << a.proc->log();
  EXPECT_EQ(empties_on(kept + "stats", from), 0U) << "the named target's statistics are not cleared";
  EXPECT_EQ(sub->on_topic(kept + "incidents").size(), incidents_from) << "nor its incidents";
  EXPECT_GT(sent_of_last(), sent_before) << "its statistics go on";
  // Home Assistant: the other target's entities go, the named one's stay and are never stubbed.
  const auto config =
      wait_json(*ha, config_topic("t2"), [](const json& j) { return !j["cmps"].contains("t_127_2e0_2e0_2e2_rtt"); });
  ASSERT_TRUE(config.has_value()) << a.proc->log();
  for (const auto& m : ha->on_topic(config_topic("t2"))) {
    EXPECT_TRUE(json::parse(m.payload)["cmps"]["t_127_2e0_2e0_2e1_rtt"].contains("state_topic"));
  }

  // Other settings: replaced, still without clearing; its incidents are republished (the new instance has none)
  // and its statistics start again.
  from = sub->on_topic(kept + "stats").size();
  const std::uint64_t sent_kept = sent_of_last();
  ASSERT_TRUE(
      sub->publish("netstab/t2/cmd", R"({"cmd":"set_target","target":"127.0.0.1","interval_ms":200,"id":"other"})"));
  const auto replaced = netstab::test::reply_for(*sub, "netstab/t2/cmd/reply", "other");
  ASSERT_TRUE(replaced.has_value()) << a.proc->log();
  EXPECT_EQ((*replaced)["ok"], true) << replaced->dump();
  const auto fresh = wait_json(
      *sub, kept + "incidents", [](const json& j) { return j["incidents"].empty(); }, netstab::test::patience,
      incidents_from);
  EXPECT_TRUE(fresh.has_value()) << a.proc->log();
  // The old instance's count only grows: a smaller one is the new instance's.
  const auto restarted = wait_json(
      *sub, kept + "stats", [&](const json& j) { return j["sent"].get<std::uint64_t>() < sent_kept; },
      netstab::test::patience, from);
  EXPECT_TRUE(restarted.has_value()) << "the new instance's statistics start again\n" << a.proc->log();
  EXPECT_EQ(empties_on(kept + "stats", from), 0U) << "the replaced target's statistics are not cleared";
  // The state lists the one target with its new settings (retained messages come in bursts, after the reply).
  const auto st = wait_json(*sub, "netstab/t2/state", [](const json& j) {
    return j["targets"].size() == 1 && j["targets"][0]["interval_ms"] == 200;
  });
  EXPECT_TRUE(st.has_value()) << a.proc->log();
}

// Home Assistant MQTT discovery against the real netstab binary publishing to a real mosquitto: the retained
// device config and Home Assistant's rules for it, checked against the messages netstab really sends;
// republishing when Home Assistant says "online"; entities of removed targets going away; discovery turned off;
// and the command payloads Home Assistant would send, rendered from the discovery templates by Jinja2, driving
// netstab. tests/e2e/discovery_templates_test.cpp renders the state templates against every payload Home
// Assistant may see. Probes go to loopback only.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <thread>

#include "tests/e2e/discovery_helpers.hpp"
#include "tests/support/ha_template.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/service_agent.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using namespace netstab::test::discovery;
using netstab::test::ha_rendering;
using netstab::test::ha_template_job;
using netstab::test::mosquitto_broker;
using netstab::test::received_message;
using netstab::test::render_command_template;
using netstab::test::render_ha_templates;
using netstab::test::render_state_template;
using agent = netstab::test::service_agent;

TEST(DiscoveryService, RetainedConfigFollowsHomeAssistantRulesAndReadsRealTopics) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto sub = client(broker, "sub", "netstab/d1/#");
  agent a(broker, "d1", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string base = "netstab/d1/";
  const std::string stats_topic = base + "targets/127.0.0.1/stats";
  // Enough probes that every statistic (jitter, MOS) has a value.
  ASSERT_TRUE(sub->wait_count(stats_topic, 6, netstab::test::patience)) << a.proc->log();
  ASSERT_TRUE(sub->wait_count(base + "state", 1, netstab::test::patience)) << a.proc->log();

  // A client that subscribes later (HA starting) gets the config from the broker: it is retained.
  auto ha = client(broker, "ha", "homeassistant/#");
  const std::string topic = config_topic("d1");
  ASSERT_TRUE(ha->wait_count(topic, 1, netstab::test::patience)) << a.proc->log();
  const auto delivered = ha->on_topic(topic);
  EXPECT_TRUE(delivered.front().retained);
  const json p = json::parse(delivered.front().payload);
  expect_home_assistant_rules(p, topic);
  EXPECT_EQ(p["cmps"].size(), 5U + 9U);

  // Availability is a shared option at device level: every entity follows the agent's availability topic.
  const auto availability = sub->on_topic(p["availability_topic"]);
  ASSERT_FALSE(availability.empty());
  EXPECT_EQ(availability.back().payload, p["payload_available"].get<std::string>());

  // Every topic the entities read is one netstab publishes: the messages seen on it make the template render
  // (in Jinja2, as HA renders it) to a state HA takes, and to a value for all but the fault sensor, whose
  // "fault" object comes with the verdict.
  const json stats = last_json(*sub, stats_topic);
  const json state = last_json(*sub, base + "state");
  ASSERT_FALSE(stats.is_null());
  ASSERT_FALSE(state.is_null());
  const std::set<std::string> published = {base + "availability", base + "state", stats_topic};
  std::vector<std::string> keys;
  std::vector<ha_template_job> jobs;
  for (const auto& [key, c] : p["cmps"].items()) {
    SCOPED_TRACE(key);
    for (const auto& [option, value] : c.items()) {
      if (option == "command_topic") {
        EXPECT_EQ(value, base + "cmd");  // what netstab subscribes on: the command test below drives it
      } else if (option.ends_with("_topic")) {
        EXPECT_TRUE(published.contains(value.get<std::string>())) << option << " = " << value;
        EXPECT_FALSE(sub->on_topic(value.get<std::string>()).empty()) << "nothing published on " << value;
      }
    }
    if (!c.contains("state_topic")) continue;
    const json& doc = c["state_topic"] == stats_topic ? stats : state;
    keys.push_back(key);
    jobs.push_back({c["value_template"].get<std::string>(), false, doc.dump(), nullptr});
  }
  const auto rendered = render_ha_templates(jobs);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    SCOPED_TRACE(keys[i]);
    const json& c = p["cmps"][keys[i]];
    ASSERT_TRUE(rendered[i].ok) << jobs[i].tmpl << ": " << rendered[i].error;
    EXPECT_EQ(ha_refuses_state(c, rendered[i].result), "") << jobs[i].tmpl;
    if (keys[i].ends_with("fault")) continue;
    EXPECT_NE(rendered[i].result, "None") << jobs[i].tmpl << " reads a field the payload lacks";
    if (c["p"] == "binary_sensor") {
      EXPECT_EQ(rendered[i].result, c["payload_on"]) << "127.0.0.1 answers";
    }
    if (c["p"] == "switch") {
      EXPECT_EQ(rendered[i].result, c["state_on"]) << "monitoring is running";
    }
    if (c["p"] == "text") {
      EXPECT_EQ(rendered[i].result, "127.0.0.1");
    }
  }
}

TEST(DiscoveryService, RepublishesWhenHomeAssistantSaysOnline) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "d2", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string topic = config_topic("d2");
  ASSERT_TRUE(ha->wait_count(topic, 1, netstab::test::patience)) << a.proc->log();
  const std::size_t before = ha->on_topic(topic).size();

  // HA's last will: nothing to do.
  ASSERT_TRUE(ha->publish("homeassistant/status", "offline"));
  ASSERT_TRUE(state_after_status(*ha, "d2")) << a.proc->log();
  EXPECT_EQ(ha->on_topic(topic).size(), before);

  // HA's birth message: a fresh delivery (not the broker's retained copy).
  ASSERT_TRUE(ha->publish("homeassistant/status", "online"));
  ASSERT_TRUE(ha->wait_count(topic, before + 1, netstab::test::patience)) << a.proc->log();
  const auto fresh = ha->on_topic(topic).back();
  EXPECT_FALSE(fresh.retained);
  const json p = json::parse(fresh.payload);
  EXPECT_TRUE(p["cmps"].contains("t_127_2e0_2e0_2e1_rtt"));
}

TEST(DiscoveryService, RemovingATargetRemovesItsEntities) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "d3", {"--target", "127.0.0.1", "--target", "127.0.0.2", "--interval", "100"});
  const std::string topic = config_topic("d3");
  const std::string gone = "t_127_2e0_2e0_2e2_";
  ASSERT_TRUE(ha->wait_count(topic, 1, netstab::test::patience)) << a.proc->log();
  ASSERT_TRUE(last_json(*ha, topic)["cmps"].contains(gone + "rtt"));
  const std::size_t before = ha->on_topic(topic).size();

  ASSERT_TRUE(ha->publish("netstab/d3/cmd", R"({"cmd":"remove_target","target":"127.0.0.2","id":1})"));
  std::size_t at = 0;
  ASSERT_TRUE(ha->wait_until([&](const std::vector<received_message>& all) {
    std::vector<std::string> payloads;
    for (const auto& m : all) {
      if (m.topic == topic) payloads.push_back(m.payload);
    }
    for (at = before; at + 1 < payloads.size(); ++at) {
      if (json::parse(payloads[at])["cmps"].contains(gone + "rtt")) return true;
    }
    return false;
  })) << a.proc->log();
  const auto msgs = ha->on_topic(topic);
  // First the entities reduced to their platform, which makes HA delete them ...
  const json removal = json::parse(msgs[at].payload);
  int stubs = 0;
  for (const auto& [key, c] : removal["cmps"].items()) {
    if (!key.starts_with(gone)) continue;
    EXPECT_EQ(c.size(), 1U) << key;
    EXPECT_TRUE(c["p"].is_string()) << key;
    ++stubs;
  }
  EXPECT_EQ(stubs, 9);
  EXPECT_TRUE(removal["cmps"]["t_127_2e0_2e0_2e1_rtt"].contains("state_topic"));
  // ... then the config without them, which the broker keeps.
  const json clean = json::parse(msgs[at + 1].payload);
  for (const auto& [key, c] : clean["cmps"].items()) {
    EXPECT_FALSE(key.starts_with(gone)) << key;
  }
  EXPECT_EQ(clean["cmps"].size(), 5U + 9U);
  expect_home_assistant_rules(clean, topic);

  auto late = client(broker, "late", topic);
  ASSERT_TRUE(late->wait_count(topic, 1, netstab::test::patience));
  EXPECT_EQ(json::parse(late->on_topic(topic).back().payload), clean);

  // HA coming back later (it may have missed the removal) still gets told to delete them, then the clean config.
  std::size_t n = ha->on_topic(topic).size();
  ASSERT_TRUE(ha->publish("homeassistant/status", "online"));
  ASSERT_TRUE(ha->wait_count(topic, n + 2, netstab::test::patience));
  EXPECT_TRUE(json::parse(ha->on_topic(topic)[n].payload)["cmps"].contains(gone + "rtt"));
  EXPECT_EQ(json::parse(ha->on_topic(topic)[n + 1].payload), clean);

  // A later change is published without the stubs: they go with the removal, on connects and on HA's birth only.
  n = ha->on_topic(topic).size();
  ASSERT_TRUE(ha->publish("netstab/d3/cmd", R"({"cmd":"add_target","target":"127.0.0.3","id":2})"));
  ASSERT_TRUE(ha->wait_count(topic, n + 1, netstab::test::patience)) << a.proc->log();
  const json added = json::parse(ha->on_topic(topic)[n].payload);
  EXPECT_TRUE(added["cmps"]["t_127_2e0_2e0_2e3_rtt"].contains("state_topic"));
  EXPECT_FALSE(added["cmps"].contains(gone + "rtt"));
  EXPECT_EQ(added["cmps"].size(), 5U + 9U + 9U);

  // Added again, the target's entities come back in full.
  const std::size_t before_add = ha->on_topic(topic).size();
  ASSERT_TRUE(ha->publish("netstab/d3/cmd", R"({"cmd":"add_target","target":"127.0.0.2","id":3})"));
  const auto back = wait_json(
      *ha, topic,
      [&](const json& j) {
        return j["cmps"].contains(gone + "rtt") && j["cmps"][gone + "rtt"].contains("state_topic");
      },
      5s, before_add);
  ASSERT_TRUE(back.has_value()) << a.proc->log();
  EXPECT_EQ(last_json(*ha, topic)["cmps"].size(), 5U + 9U * 3U);
}

TEST(DiscoveryService, DisabledPublishesNothing) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  auto sub = client(broker, "sub", "netstab/d4/#");
  agent a(broker, "d4", {"--target", "127.0.0.1", "--interval", "100"}, {{"NETSTAB_DISCOVERY_ENABLED", "false"}});
  ASSERT_TRUE(sub->wait_count("netstab/d4/targets/127.0.0.1/stats", 2, netstab::test::patience)) << a.proc->log();
  ASSERT_TRUE(ha->publish("homeassistant/status", "online"));
  ASSERT_TRUE(state_after_status(*ha, "d4")) << a.proc->log();
  for (const auto& m : ha->messages()) {
    if (m.topic.rfind("netstab/", 0) == 0) continue;  // the sentinel
    EXPECT_EQ(m.topic, "homeassistant/status") << "netstab published under the prefix: " << m.topic;
  }
}

TEST(DiscoveryService, WithoutCommandsOnlySensorsAreOffered) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  agent a(broker, "d5", {"--target", "127.0.0.1", "--interval", "100"}, {{"NETSTAB_CONTROL_ENABLED", "false"}});
  const std::string topic = config_topic("d5");
  ASSERT_TRUE(ha->wait_count(topic, 2, netstab::test::patience)) << a.proc->log();
  // The command entities an earlier run may have announced are removed, then left out.
  const auto msgs = ha->on_topic(topic);
  EXPECT_EQ(json::parse(msgs[0].payload)["cmps"]["monitoring"], json({{"p", "switch"}}));
  const json clean = json::parse(msgs[1].payload);
  expect_home_assistant_rules(clean, topic);
  EXPECT_EQ(clean["cmps"].size(), 1U + 8U);  // the agent's fault sensor and the target's sensors
  for (const auto& [key, c] : clean["cmps"].items()) {
    EXPECT_FALSE(c.contains("command_topic")) << key;
  }
}

TEST(DiscoveryService, CommandsHomeAssistantWouldSendDriveNetstab) {
  NETSTAB_REQUIRE_ROOT();
  mosquitto_broker broker;
  auto ha = client(broker, "ha", "homeassistant/#");
  auto sub = client(broker, "sub", "netstab/d6/#");
  agent a(broker, "d6", {"--target", "127.0.0.1", "--interval", "100"});
  const std::string topic = config_topic("d6");
  const std::string state_topic = "netstab/d6/state";
  ASSERT_TRUE(ha->wait_count(topic, 1, netstab::test::patience)) << a.proc->log();
  ASSERT_TRUE(sub->wait_count(state_topic, 1, netstab::test::patience)) << a.proc->log();
  json cmps = last_json(*ha, topic)["cmps"];

  // Sends what HA sends, then waits for the state netstab publishes in reply.
  const auto send_and_wait_state = [&](const json& entity, const std::string& payload,
                                       const std::function<bool(const json&)>& pred) {
    const std::size_t skip = sub->on_topic(state_topic).size();
    EXPECT_TRUE(sub->publish(entity["command_topic"], payload));
    return wait_json(*sub, state_topic, pred, netstab::test::patience, skip);
  };
  const auto switch_state = [&](const json& st) {
    return render_state_template(cmps["monitoring"]["value_template"], st.dump()).result;
  };
  // What HA publishes for a command entity: its command template rendered with the value it sends.
  const auto command = [](const json& entity, const json& value) {
    const ha_rendering r = render_command_template(entity["command_template"], value);
    EXPECT_TRUE(r.ok) << r.error;
    return r.result;
  };

  // The switch: payload_off stops, payload_on starts; its template follows.
  auto st = send_and_wait_state(cmps["monitoring"], cmps["monitoring"]["payload_off"],
                                [](const json& j) { return !j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();
  EXPECT_EQ(switch_state(*st), cmps["monitoring"]["state_off"].get<std::string>());
  st = send_and_wait_state(cmps["monitoring"], cmps["monitoring"]["payload_on"],
                           [](const json& j) { return j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();
  EXPECT_EQ(switch_state(*st), cmps["monitoring"]["state_on"].get<std::string>());

  // The buttons.
  st = send_and_wait_state(cmps["stop"], cmps["stop"]["payload_press"],
                           [](const json& j) { return !j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();
  st = send_and_wait_state(cmps["start"], cmps["start"]["payload_press"],
                           [](const json& j) { return j["running"].get<bool>(); });
  ASSERT_TRUE(st.has_value()) << a.proc->log();

  // The text, with the value a user types.
  const std::string text_cmd = command(cmps["target"], "127.0.0.2");
  st = send_and_wait_state(cmps["target"], text_cmd, [](const json& j) {
    return j["targets"].size() == 1 && j["targets"][0]["target"] == "127.0.0.2";
  });
  ASSERT_TRUE(st.has_value()) << text_cmd << "\n" << a.proc->log();
  ASSERT_TRUE(sub->wait_count("netstab/d6/targets/127.0.0.2/stats", 1, netstab::test::patience)) << a.proc->log();

  // The new target's interval number comes with the republished config.
  const std::string number_key = "t_127_2e0_2e0_2e2_interval";
  const auto with_number = wait_json(*ha, topic, [&](const json& j) {
    return j["cmps"].contains(number_key) && j["cmps"][number_key].contains("command_template");
  });
  ASSERT_TRUE(with_number.has_value()) << a.proc->log();
  cmps = (*with_number)["cmps"];
  // A removal is a pair of messages: first with the old target's entities as {"p": platform} (HA deletes them),
  // then without them. The message above may be the first of the pair, so the check waits for the second.
  const auto without_old = wait_json(*ha, topic, [&](const json& j) {
    return j["cmps"].contains(number_key) && !j["cmps"].contains("t_127_2e0_2e0_2e1_rtt");
  });
  EXPECT_TRUE(without_old.has_value()) << a.proc->log();
  EXPECT_FALSE(last_json(*ha, topic)["cmps"].contains("t_127_2e0_2e0_2e1_rtt")) << "the old target is gone";
  const json& number = cmps[number_key];
  const std::string number_cmd = command(number, 250);
  st = send_and_wait_state(number, number_cmd, [](const json& j) {
    return j["targets"].size() == 1 && j["targets"][0]["interval_ms"] == 250;
  });
  ASSERT_TRUE(st.has_value()) << number_cmd << "\n" << a.proc->log();
  EXPECT_GE(250, number["min"].get<int>());
  EXPECT_LE(250, number["max"].get<int>());
  // The number's state template selects this target from the state: it renders the new interval.
  EXPECT_EQ(render_state_template(number["value_template"], st->dump()).result, "250");
}

#include "tests/netlab/path_lab.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/service_agent.hpp"

namespace netstab::netlab {

using nlohmann::json;

netns_scope::netns_scope(const std::string& name) {
  home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (home_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
    const std::string why = std::strerror(errno);
    if (target >= 0) ::close(target);
    if (home_ >= 0) ::close(home_);
    throw std::runtime_error("netns_scope: cannot enter " + name + ": " + why);
  }
  ::close(target);
}

netns_scope::~netns_scope() {
  if (::setns(home_, CLONE_NEWNET) != 0) std::abort();  // a test thread left in a lab namespace would lie
  ::close(home_);
}

std::map<std::string, std::string> lab_settings(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env{
      {"NETSTAB_PROBE_INTERVAL_MS", "200"},
      {"NETSTAB_PROBE_TIMEOUT_MS", "1000"},
      {"NETSTAB_PROBE_PUBLISH_SAMPLES", "false"},
      {"NETSTAB_STATS_WINDOW_S", "10"},
      {"NETSTAB_STATS_BUCKETS", "10"},
      {"NETSTAB_PATH_HOP_INTERVAL_MS", "200"},
      {"NETSTAB_PATH_RETRACE_MIN_S", "5"},
      {"NETSTAB_PATH_ISP_HOPS", "2"},
      {"NETSTAB_PATH_MAX_TTL", "10"},
      {"NETSTAB_DISCOVERY_ENABLED", "false"},
      // No history file: it would land in the working directory, shared by every run.
      {"NETSTAB_HISTORY_ENABLED", "false"},
      {"NETSTAB_CONTROL_ALLOW_LOOPBACK", "true"},
      {"NETSTAB_MQTT_BATCH_MS", "50"},
  };
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

path_lab::path_lab(chain_options options) : chain_(options), dir_(test::make_temp_dir("netstab-path-lab")) {
  netns_scope inside(chain_.netns(node::host));
  broker_ = std::make_unique<test::mosquitto_broker>();
  test::mqtt_test_client::options o;
  o.port = broker_->port();
  o.client_id = "path-lab";
  o.version = 5;
  client_ = std::make_unique<test::mqtt_test_client>(o);
  if (!client_->wait_connected() || !client_->subscribe(std::string("netstab/") + agent + "/#")) {
    throw std::runtime_error("path_lab: the test client cannot subscribe");
  }
}

path_lab::~path_lab() {
  agent_.reset();
  client_.reset();
  broker_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void path_lab::start_agent(const std::vector<std::string>& targets, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{"ip",
                                "netns",
                                "exec",
                                chain_.netns(node::host),
                                test::netstab_binary(),
                                "--broker",
                                broker_->url(),
                                "--agent",
                                agent,
                                "--log-level",
                                "debug"};
  for (const auto& t : targets) {
    argv.emplace_back("--target");
    argv.push_back(t);
  }
  agent_ = std::make_unique<test::child_process>(argv, lab_settings(env), dir_ + "/netstab.log");
}

std::string path_lab::target_topic(const std::string& target, const std::string& what) const {
  std::string slug = target;
  for (char& c : slug) {
    const bool keep =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  return topic("targets/" + slug + "/" + what);
}

pid_t path_lab::agent_pid() const { return agent_ ? agent_->pid() : -1; }

std::string path_lab::agent_log() const { return agent_ ? agent_->log() : std::string(); }

std::optional<json> path_lab::command(json cmd, std::chrono::milliseconds timeout) {
  const std::string id = "lab-" + std::to_string(next_id_++);
  cmd["id"] = id;
  if (!client_->publish(topic("cmd"), cmd.dump())) return std::nullopt;
  return test::reply_for(*client_, topic("cmd/reply"), id, timeout);
}

std::optional<json> path_lab::latest(const std::string& full_topic) const {
  const auto msgs = client_->on_topic(full_topic);
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
    if (!it->payload.empty()) return json::parse(it->payload, nullptr, false);
  }
  return std::nullopt;
}

std::optional<json> path_lab::wait_path(const std::string& target, const std::function<bool(const json&)>& pred,
                                        std::chrono::milliseconds timeout) {
  const std::string t = target_topic(target, "path");
  std::optional<json> found;
  client_->wait_until(
      [&](const std::vector<test::received_message>& msgs) {
        for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
          if (it->topic != t || it->payload.empty()) continue;
          const json j = json::parse(it->payload, nullptr, false);
          if (j.is_object() && pred(j)) {
            found = j;
            return true;
          }
          return false;
        }
        return false;
      },
      timeout);
  return found;
}

std::optional<json> path_lab::wait_traced(const std::string& target, std::size_t hops,
                                          std::chrono::milliseconds timeout) {
  return wait_path(
      target, [hops](const json& j) { return j["hops"].size() == hops + 1; }, timeout);
}

std::vector<json> path_lab::events(const std::string& type, const std::optional<std::string>& target) const {
  std::vector<json> out;
  for (const auto& m : client_->on_topic(topic("events"))) {
    const json j = json::parse(m.payload, nullptr, false);
    if (!j.is_object() || j.value("type", "") != type) continue;
    const bool has_target = j.contains("target");
    if (target ? (has_target && j["target"] == *target) : !has_target) out.push_back(j);
  }
  return out;
}

std::optional<path_lab::seen> path_lab::wait_fault(const std::optional<std::string>& target, const std::string& segment,
                                                   std::chrono::milliseconds timeout, int nth) {
  const std::string t = topic("events");
  std::optional<json> found;
  client_->wait_until(
      [&](const std::vector<test::received_message>& msgs) {
        int seen_so_far = 0;
        for (const auto& m : msgs) {
          if (m.topic != t) continue;
          const json j = json::parse(m.payload, nullptr, false);
          if (!j.is_object() || j.value("type", "") != "fault_change" || j.value("to", "") != segment) continue;
          if (target ? (j.contains("target") && j["target"] == *target) : !j.contains("target")) {
            if (++seen_so_far < nth) continue;
            found = j;
            return true;
          }
        }
        return false;
      },
      timeout);
  if (!found) return std::nullopt;
  return seen{*found, steady::now()};
}

std::optional<json> path_lab::wait_path_change(const std::string& target, std::chrono::milliseconds timeout) {
  std::optional<json> found;
  const std::string t = topic("events");
  client_->wait_until(
      [&](const std::vector<test::received_message>& msgs) {
        for (const auto& m : msgs) {
          if (m.topic != t) continue;
          const json j = json::parse(m.payload, nullptr, false);
          if (j.is_object() && j.value("type", "") == "path_change" && j.value("target", "") == target) {
            found = j;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

}  // namespace netstab::netlab

#pragma once
// The path verdict's lab: the router chain (chain.hpp) with a mosquitto broker and the real netstab in service
// mode inside the chain's host namespace, and a test client there that collects everything netstab publishes.
// The broker and the client are started with the test thread inside the host namespace (netns_scope), so the
// broker process and the client's thread live there; netstab is started with `ip netns exec`, so its pid is its
// own (a CPU limit can hold it).
//
// netstab runs with short windows for the lab (lab_settings): targets probed every 200 ms, 10 s windows, hops
// probed every 200 ms, traces at most every 5 s, and path.isp_hops = 2, so that the chain's segments are the ones
// it was built with in both families (isp1 and isp2 the ISP, upstream the upstream; without the override the
// heuristic counts the upstream router as the ISP's second public hop in IPv4, where isp1 is CGNAT).
//
// Owns the chain, the broker, the client and netstab; the destructor stops them in reverse. Needs root. Test
// thread only.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/netlab/chain.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto.hpp"

namespace netstab::netlab {

// Moves the calling thread into a named network namespace until destroyed (then back to where it was).
class netns_scope {
 public:
  explicit netns_scope(const std::string& name);
  ~netns_scope();
  netns_scope(const netns_scope&) = delete;
  netns_scope& operator=(const netns_scope&) = delete;

 private:
  int home_ = -1;
};

// The lab's netstab settings as environment variables; extra ones are added to (or replace) them.
std::map<std::string, std::string> lab_settings(const std::map<std::string, std::string>& extra = {});

using steady = std::chrono::steady_clock;

class path_lab {
 public:
  static constexpr const char* agent = "lab";

  // Starts the chain, the broker and the client; netstab with start_agent().
  explicit path_lab(chain_options options = {});
  ~path_lab();
  path_lab(const path_lab&) = delete;
  path_lab& operator=(const path_lab&) = delete;

  // Starts netstab probing targets (with path monitoring unless the settings say otherwise).
  void start_agent(const std::vector<std::string>& targets, const std::map<std::string, std::string>& env = {});
  pid_t agent_pid() const;
  std::string agent_log() const;

  chain& net() { return chain_; }
  // A directory of this lab's own, removed with it (for netstab's history file).
  const std::string& dir() const { return dir_; }
  test::mqtt_test_client& client() { return *client_; }
  std::string topic(const std::string& rest) const { return std::string("netstab/") + agent + "/" + rest; }
  // A target's topic: ".../targets/<slug>/<what>".
  std::string target_topic(const std::string& target, const std::string& what) const;
  // Publishes a command and waits for its reply.
  std::optional<nlohmann::json> command(nlohmann::json cmd,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // The latest path payload of a target once its path is traced with `hops` hops before the target; nullopt on
  // timeout.
  std::optional<nlohmann::json> wait_traced(const std::string& target, std::size_t hops,
                                            std::chrono::milliseconds timeout);
  // The latest non-empty payload on a topic (a full topic name), parsed; nullopt when none.
  std::optional<nlohmann::json> latest(const std::string& full_topic) const;
  // Waits until pred holds for the latest path payload of target; returns that payload.
  std::optional<nlohmann::json> wait_path(const std::string& target,
                                          const std::function<bool(const nlohmann::json&)>& pred,
                                          std::chrono::milliseconds timeout);
  // The events of one type (for one target, or the agent's when target is empty) seen so far, in order.
  std::vector<nlohmann::json> events(const std::string& type, const std::optional<std::string>& target) const;
  // Waits for the nth fault_change of target (nullopt: the agent's) to `segment`; returns the event and when this
  // test saw it (the client wakes on every message).
  struct seen {
    nlohmann::json event;
    steady::time_point at;
  };
  std::optional<seen> wait_fault(const std::optional<std::string>& target, const std::string& segment,
                                 std::chrono::milliseconds timeout, int nth = 1);
  // Waits for a path_change of target.
  std::optional<nlohmann::json> wait_path_change(const std::string& target, std::chrono::milliseconds timeout);

 private:
  chain chain_;
  std::unique_ptr<test::mosquitto_broker> broker_;
  std::unique_ptr<test::mqtt_test_client> client_;
  std::unique_ptr<test::child_process> agent_;
  std::string dir_;
  int next_id_ = 1;
};

}  // namespace netstab::netlab

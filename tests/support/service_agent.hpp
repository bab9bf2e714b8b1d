#pragma once
// The real netstab binary in service mode for tests against a real broker, and the small helpers every such
// test needs. Test thread only.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/wait.hpp"

namespace netstab::test {

// A fresh directory under the system's temp dir (mkdtemp); throws when it cannot be made.
std::string make_temp_dir(const std::string& prefix);

// n loopback addresses as a comma list for NETSTAB_TARGETS: 127.1.0.1 .. 127.1.0.250, 127.1.1.1, ...
std::string loopback_targets(int n);

// One netstab process publishing to a broker, its log in a temp dir of its own (removed with the object).
// It runs in a private mount namespace where /etc/resolv.conf names 127.0.0.1, where no DNS server listens, so
// a name that is not in /etc/hosts fails at once instead of reaching the machine's DNS server; `binds` mounts
// more files over system ones there (e.g. a hosts file over /etc/hosts). Commands may name loopback targets,
// and reconnects are retried after 1-2 s. Needs root (the mount namespace), like probing does.
struct service_agent {
  service_agent(const mosquitto_broker& b, const std::string& id, std::vector<std::string> extra = {},
                std::map<std::string, std::string> env = {});
  service_agent(const std::string& broker_url, const std::string& id, std::vector<std::string> extra,
                std::map<std::string, std::string> env = {},
                const std::vector<std::pair<std::string, std::string>>& binds = {});
  ~service_agent();
  service_agent(const service_agent&) = delete;
  service_agent& operator=(const service_agent&) = delete;

  std::string dir;
  std::unique_ptr<child_process> proc;
};

// Options of a test client of broker b: MQTT 5 unless told otherwise.
mqtt_test_client::options client_opts(const mosquitto_broker& b, const std::string& id, int version = 5);

// The non-empty payloads on topic, parsed (throws on a payload that is not JSON).
std::vector<nlohmann::json> json_on(const mqtt_test_client& c, const std::string& topic);

// Waits for a JSON reply carrying `id` on topic (a command's reply topic); nullopt on timeout.
std::optional<nlohmann::json> reply_for(mqtt_test_client& c, const std::string& topic, const nlohmann::json& id,
                                        std::chrono::milliseconds timeout = patience);

// Validates payloads with the JSON Schemas in docs/schemas through ajv (tests/contract/validate.mjs; needs
// web/node_modules): a gtest failure per invalid payload, with ajv's message.
void expect_schema_valid(const std::string& kind, const std::vector<std::string>& payloads);

// The non-empty payloads on topic, as text.
std::vector<std::string> payloads_on(const mqtt_test_client& c, const std::string& topic);

}  // namespace netstab::test

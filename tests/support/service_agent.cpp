#include "tests/support/service_agent.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace netstab::test {

std::string loopback_targets(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    // Appended piece by piece: `"," + std::string` makes GCC 12 at -O3 report a false -Werror=restrict.
    out.append(i == 0 ? "" : ",").append("127.1.").append(std::to_string(i / 250)).append(".");
    out.append(std::to_string(i % 250 + 1));
  }
  return out;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
  return tmpl;
}

service_agent::service_agent(const mosquitto_broker& b, const std::string& id, std::vector<std::string> extra,
                             std::map<std::string, std::string> env)
    : service_agent(b.url(), id, std::move(extra), std::move(env)) {}

service_agent::service_agent(const std::string& broker_url, const std::string& id, std::vector<std::string> extra,
                             std::map<std::string, std::string> env,
                             const std::vector<std::pair<std::string, std::string>>& binds)
    : dir(make_temp_dir("netstab-agent")) {
  std::ofstream(dir + "/resolv.conf") << "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
  std::vector<std::pair<std::string, std::string>> mounts{{dir + "/resolv.conf", "/etc/resolv.conf"}};
  mounts.insert(mounts.end(), binds.begin(), binds.end());
  // sh -c 'mount --bind "$1" "$2" && shift 2 && ... && exec "$@"' sh FROM TO ... netstab ARGS
  std::string script;
  for (std::size_t i = 0; i < mounts.size(); ++i) script += R"(mount --bind "$1" "$2" && shift 2 && )";
  script += R"(exec "$@")";
  std::vector<std::string> argv{"/usr/bin/unshare", "-m", "--", "/bin/sh", "-c", script, "sh"};
  for (const auto& [from, to] : mounts) {
    argv.push_back(from);
    argv.push_back(to);
  }
  const std::vector<std::string> own{netstab_binary(), "--broker", broker_url, "--agent", id, "--log-level", "debug"};
  argv.insert(argv.end(), own.begin(), own.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  env.emplace("NETSTAB_CONTROL_ALLOW_LOOPBACK", "true");
  // The agent's history file lives in its own directory (emplace: a test may name another path).
  env.emplace("NETSTAB_HISTORY_PATH", dir + "/history.db");
  env.emplace("NETSTAB_MQTT_RECONNECT_MIN_S", "1");
  env.emplace("NETSTAB_MQTT_RECONNECT_MAX_S", "2");
  proc = std::make_unique<child_process>(argv, env, dir + "/netstab.log");
}

service_agent::~service_agent() {
  proc.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

mqtt_test_client::options client_opts(const mosquitto_broker& b, const std::string& id, int version) {
  mqtt_test_client::options o;
  o.port = b.port();
  o.client_id = id;
  o.version = version;
  return o;
}

std::vector<nlohmann::json> json_on(const mqtt_test_client& c, const std::string& topic) {
  std::vector<nlohmann::json> out;
  for (const auto& m : c.on_topic(topic)) {
    if (!m.payload.empty()) out.push_back(nlohmann::json::parse(m.payload));
  }
  return out;
}

std::optional<nlohmann::json> reply_for(mqtt_test_client& c, const std::string& topic, const nlohmann::json& id,
                                        std::chrono::milliseconds timeout) {
  std::optional<nlohmann::json> found;
  // wait_until runs the predicate under the client's lock: it reads only the messages it is given.
  c.wait_until(
      [&](const std::vector<received_message>& msgs) {
        for (const auto& m : msgs) {
          if (m.topic != topic) continue;
          const auto j = nlohmann::json::parse(m.payload, nullptr, false);
          if (j.is_object() && j.contains("id") && j["id"] == id) {
            found = j;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

void expect_schema_valid(const std::string& kind, const std::vector<std::string>& payloads) {
  ASSERT_FALSE(payloads.empty()) << "no " << kind << " payload to validate";
  const std::string dir = make_temp_dir("netstab-svc");
  std::vector<std::string> argv{"node", std::string(NETSTAB_SOURCE_DIR) + "/tests/contract/validate.mjs", kind};
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::string f = dir + "/" + kind + "-" + std::to_string(i) + ".json";
    std::ofstream(f) << payloads[i];
    argv.push_back(f);
  }
  const int rc = run_program(argv, dir + "/validate.log", std::chrono::seconds(30));
  // Read through rdbuf, not istreambuf_iterator: with those iterators GCC 12 at -O3 (the release preset, with
  // -Werror) reports a false -Wnull-dereference inside <streambuf>.
  std::ifstream log(dir + "/validate.log");
  std::ostringstream text;
  text << log.rdbuf();
  EXPECT_EQ(rc, 0) << text.str();
  std::filesystem::remove_all(dir);
}

std::vector<std::string> payloads_on(const mqtt_test_client& c, const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& m : c.on_topic(topic)) {
    if (!m.payload.empty()) out.push_back(m.payload);
  }
  return out;
}

}  // namespace netstab::test

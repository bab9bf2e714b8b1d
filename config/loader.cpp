#include "config/loader.hpp"

#include <unistd.h>

#include <array>
#include <string_view>

#include "config/bounded_file.hpp"
#include "config/layers.hpp"
#include "config/schema.hpp"
#include "config/validate.hpp"

namespace netstab::config {

// The layers and their shared types are the loader's own parts.
using namespace detail;

namespace {

// ---- resolving into settings ----------------------------------------------------------------------------

double as_double(const value& v) {
  return std::holds_alternative<double>(v) ? std::get<double>(v) : static_cast<double>(std::get<std::int64_t>(v));
}

std::string format_value(const value& v) {
  return std::holds_alternative<double>(v) ? format_number(std::get<double>(v))
                                           : std::to_string(std::get<std::int64_t>(v));
}

// low <= high, blaming the key set by the later layer (the one the user most likely just changed).
void check_order(const layered& cfg, std::string_view low_key, std::string_view high_key) {
  const entry& low = cfg.values.find(low_key)->second;
  const entry& high = cfg.values.find(high_key)->second;
  if (as_double(low.v) <= as_double(high.v)) {
    return;
  }
  if (low.from >= high.from) {
    throw config_error(low.where + ": " + format_value(low.v) + " is above " + std::string(high_key) + " (" +
                       format_value(high.v) + ")");
  }
  throw config_error(high.where + ": " + format_value(high.v) + " is below " + std::string(low_key) + " (" +
                     format_value(low.v) + ")");
}

const std::string& text_of(const layered& cfg, std::string_view key) {
  return std::get<std::string>(cfg.values.find(key)->second.v);
}

// TLS files are read later by OpenSSL (through Paho), which has no size limit of its own; checking them here
// turns a missing, unreadable, non-regular or oversized file into a config error naming the key, at start-up
// and on reload, instead of a hang or a vague TLS failure at connect time.
void check_tls_file(const layered& cfg, std::string_view key) {
  const std::string& path = text_of(cfg, key);
  if (path.empty()) {
    return;
  }
  if (auto problem = check_bounded_file(path, max_tls_file_bytes)) {
    throw config_error(cfg.values.find(key)->second.where + ": cannot read " + quoted(path) + ": " + *problem);
  }
}

void resolve_password(const layered& cfg, settings& s) {
  const entry& password = cfg.values.find("mqtt.password")->second;
  const entry& file = cfg.values.find("mqtt.password_file")->second;
  if (s.mqtt.password_file.empty()) {
    return;
  }
  if (!s.mqtt.password.empty()) {
    if (password.from == file.from) {
      throw config_error(file.where + ": set either mqtt.password or mqtt.password_file, not both");
    }
    if (password.from > file.from) {
      s.mqtt.password_file.clear();
      return;
    }
  }
  std::string problem;
  auto secret = read_bounded_file(s.mqtt.password_file, max_password_file_bytes, problem);
  if (!secret) {
    throw config_error(file.where + ": cannot read " + quoted(s.mqtt.password_file) + ": " + problem);
  }
  // Secrets files usually end with a newline that is not part of the password.
  while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) {
    secret->pop_back();
  }
  if (secret->empty()) {
    throw config_error(file.where + ": " + quoted(s.mqtt.password_file) + " is empty");
  }
  s.mqtt.password = std::move(*secret);
}

std::string system_host_name() {
  std::array<char, 256> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) {
    return {};
  }
  return std::string(buffer.data());
}

settings resolve(const layered& cfg, const std::string& host_name) {
  settings s;
  for (const auto& spec : known_keys()) {
    spec.apply(s, cfg.values.find(spec.full_name())->second.v);
  }
  if (s.mqtt.agent.empty()) {
    s.mqtt.agent = agent_from_host_name(host_name.empty() ? system_host_name() : host_name);
  }
  if (s.mqtt.client_id.empty()) {
    s.mqtt.client_id = "netstab-" + s.mqtt.agent;
  }
  if (!s.mqtt.broker.empty()) {
    s.mqtt.address = parse_broker_url(s.mqtt.broker).address;
  }
  check_order(cfg, "status.loss_warn_pct", "status.loss_bad_pct");
  check_order(cfg, "status.rtt_p95_warn_ms", "status.rtt_p95_bad_ms");
  check_order(cfg, "status.jitter_warn_ms", "status.jitter_bad_ms");
  check_order(cfg, "status.rto_streak_warn", "status.rto_streak_bad");
  check_order(cfg, "mqtt.reconnect_min_s", "mqtt.reconnect_max_s");
  resolve_password(cfg, s);
  if (s.mqtt.tls_cert_file.empty() != s.mqtt.tls_key_file.empty()) {
    const entry& given =
        cfg.values.find(s.mqtt.tls_cert_file.empty() ? "mqtt.tls_key_file" : "mqtt.tls_cert_file")->second;
    throw config_error(given.where + ": set mqtt.tls_cert_file and mqtt.tls_key_file together");
  }
  check_tls_file(cfg, "mqtt.tls_ca_file");
  check_tls_file(cfg, "mqtt.tls_cert_file");
  check_tls_file(cfg, "mqtt.tls_key_file");

  for (const auto& t : cfg.targets) {
    core::target_spec target = core::make_target(t.host, s.probe);
    for (const auto& [name, override_entry] : t.overrides) {
      const key_spec* spec = find_key("probe", name);
      // A [probe] key from the environment or the command line is newer than the file's per-target value.
      if (cfg.values.find(spec->full_name())->second.from <= layer::file) {
        spec->store_probe(target.probe, override_entry.v);
      }
    }
    s.targets.push_back(std::move(target));
  }
  return s;
}

}  // namespace

environment environment_from(const char* const* envp) {
  environment env;
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    const std::string_view item(*envp);
    const auto equals = item.find('=');
    if (equals != std::string_view::npos) {
      env.emplace(std::string(item.substr(0, equals)), std::string(item.substr(equals + 1)));
    }
  }
  return env;
}

std::string config_file_of(const load_request& request) {
  if (!request.config_file.empty()) {
    return request.config_file;
  }
  const auto it = request.env.find("NETSTAB_CONFIG");
  return it == request.env.end() ? std::string() : it->second;
}

namespace {

layered with_defaults() {
  layered cfg;
  const settings defaults;
  for (const auto& spec : known_keys()) {
    cfg.values[spec.full_name()] = entry{spec.read(defaults), layer::defaults, {}};
  }
  return cfg;
}

// history.path "" is the state directory: systemd's StateDirectory= (the first of $STATE_DIRECTORY's
// colon-separated paths), else the working directory.
std::string history_file(const settings& s, const environment& env) {
  if (!s.history.path.empty()) return s.history.path;
  const auto it = env.find("STATE_DIRECTORY");
  if (it != env.end() && !it->second.empty()) return it->second.substr(0, it->second.find(':')) + "/history.db";
  return "netstab-history.db";
}

settings finish(layered& cfg, const load_request& request) {
  apply_env(cfg, request.env);
  apply_cli(cfg, request);
  settings s = resolve(cfg, request.host_name);
  s.history.effective_path = history_file(s, request.env);
  return s;
}

}  // namespace

settings build(const load_request& request) {
  layered cfg = with_defaults();
  if (const std::string path = config_file_of(request); !path.empty()) {
    apply_toml_file(cfg, path);
  }
  return finish(cfg, request);
}

settings build_from_text(std::string_view toml_text, const std::string& name, const load_request& request) {
  // The same limit as for a file, so that text held in memory is no way around it.
  if (toml_text.size() > max_config_file_bytes) {
    throw config_error(name + ": cannot read the configuration: it is larger than the limit of " +
                       format_byte_limit(max_config_file_bytes));
  }
  layered cfg = with_defaults();
  apply_toml_text(cfg, toml_text, name);
  return finish(cfg, request);
}

settings reload(const load_request& request) { return build(request); }

std::vector<std::string> keys_in_file(const std::string& path) { return detail::toml_keys_in_file(path); }

}  // namespace netstab::config

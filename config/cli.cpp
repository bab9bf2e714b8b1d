#include "config/cli.hpp"

#include <CLI/CLI.hpp>
#include <array>
#include <sstream>

#include "config/print.hpp"
#include "config/schema.hpp"

#ifndef NETSTAB_VERSION
#error "config/CMakeLists.txt defines NETSTAB_VERSION for netstab_config"
#endif

namespace netstab::config {
namespace {

// A flag that takes a value and sets one key. The help shows the key's built-in default.
struct value_flag {
  std::string_view flag;
  std::string_view key;
  std::string_view type_name;
  std::string_view help;
};

constexpr std::array<value_flag, 12> value_flags{{
    {"--interval", "probe.interval_ms", "MS", "Time between two probes of one target, in milliseconds"},
    {"--timeout", "probe.timeout_ms", "MS", "Time after which an unanswered probe counts as lost, in milliseconds"},
    {"--count", "output.count", "N", "Probes per target before exiting (0: run until stopped)"},
    {"--size", "probe.size", "BYTES", "ICMP payload size in bytes"},
    {"--ttl", "probe.ttl", "N", "IP time to live / hop limit"},
    {"--tos", "probe.tos", "N", "IP type of service / traffic class byte"},
    {"--source", "probe.source", "ADDR", "Source address to send from"},
    {"--interface", "probe.interface", "NAME", "Network interface to send through"},
    {"--broker", "mqtt.broker", "URL", "MQTT broker URL (mqtt://, mqtts://, ws://, wss://); empty: print to stdout"},
    {"--agent", "mqtt.agent", "ID", "Agent id used in MQTT topics (default: the host name)"},
    {"--username", "mqtt.username", "USER", "MQTT user name"},
    {"--log-level", "log.level", "LEVEL", "Log level: trace, debug, info, warn, error or off"},
}};

std::string default_text(std::string_view key) {
  const auto dot = key.find('.');
  const key_spec* spec = find_key(key.substr(0, dot), key.substr(dot + 1));
  const value v = spec->read(settings{});
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return std::to_string(*i);
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    return *s;
  }
  return {};
}

constexpr std::string_view footer =
    "Every setting can also come from a TOML file (--config FILE or NETSTAB_CONFIG) and from environment\n"
    "variables NETSTAB_<SECTION>_<KEY> (e.g. NETSTAB_MQTT_BROKER, NETSTAB_PROBE_INTERVAL_MS, NETSTAB_TARGETS\n"
    "as a comma list). Precedence: built-in defaults < file < environment < command line.\n"
    "See netstab.toml for every setting.\n\n"
    "netstab history --db FILE --target HOST [--from T] [--to T] [--step S] [--format csv|json] prints what a\n"
    "history file holds (netstab history --help).";

}  // namespace

std::string_view version() { return NETSTAB_VERSION; }

cli_result load(int argc, const char* const* argv, const std::map<std::string, std::string>& env) {
  return load(argc, argv, env, load_options{});
}

namespace {

// What the command line holds once parsed. CLI11 writes into these members, so the value is declared first and
// never moved while the app lives.
struct parsed_flags {
  std::string config_file;
  std::vector<std::string> targets;
  std::map<std::string_view, std::string> values;
  std::map<std::string_view, CLI::Option*> value_options;
  std::string password_file;
  CLI::Option* password_file_option = nullptr;
  // Flags without a value: each given one adds its override.
  std::vector<std::pair<CLI::Option*, cli_override>> switches;
  CLI::Option* print_config = nullptr;
};

void declare_flags(CLI::App& app, parsed_flags& f) {
  app.add_option("--config", f.config_file, "TOML configuration file (default: NETSTAB_CONFIG, else none)")
      ->type_name("FILE");
  app.add_option("--target", f.targets, "Host to probe (repeatable; replaces the targets of file and environment)")
      ->type_name("HOST")
      ->allow_extra_args(false);
  for (const auto& v : value_flags) {
    f.value_options[v.flag] = app.add_option(std::string(v.flag), f.values[v.flag], std::string(v.help))
                                  ->type_name(std::string(v.type_name))
                                  ->default_str(default_text(v.key))
                                  ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  f.password_file_option =
      app.add_option("--password-file", f.password_file, "File holding the MQTT password (e.g. a Docker secret)")
          ->type_name("FILE");
  auto* json = app.add_flag("--json")->description("Print one JSON object per line (stdout mode)");
  auto* v4 = app.add_flag("-4")->description("Probe over IPv4 only");
  f.switches = {
      {json, {"--json", "output.json", "true"}},
      {v4, {"-4", "probe.ip_version", "4"}},
      {app.add_flag("-6")->description("Probe over IPv6 only")->excludes(v4), {"-6", "probe.ip_version", "6"}},
      {app.add_flag("--no-samples")->description("Do not publish every sample over MQTT (statistics only)"),
       {"--no-samples", "probe.publish_samples", "false"}},
      {app.add_flag("--path")->description(
           "Trace the path to each target and monitor its hops, with a verdict of whose fault a degradation is "
           "(probe.path = true; stdout mode prints the path at the end)"),
       {"--path", "probe.path", "true"}},
  };
  f.print_config = app.add_flag("--print-config")->description("Print the effective configuration as TOML and exit");
}

load_request request_of(const parsed_flags& f, const std::map<std::string, std::string>& env,
                        const load_options& options) {
  load_request request;
  request.config_file = f.config_file;
  request.env = env;
  request.host_name = options.host_name;
  for (const auto& v : value_flags) {
    if (f.value_options.at(v.flag)->count() > 0) {
      request.cli.push_back({std::string(v.flag), std::string(v.key), f.values.at(v.flag)});
    }
  }
  if (f.password_file_option->count() > 0) {
    request.cli.push_back({"--password-file", "mqtt.password_file", f.password_file});
  }
  for (const auto& [option, given] : f.switches) {
    if (option->count() > 0) {
      request.cli.push_back(given);
    }
  }
  if (!f.targets.empty()) {
    request.cli_targets = f.targets;
  }
  return request;
}

}  // namespace

cli_result load(int argc, const char* const* argv, const std::map<std::string, std::string>& env,
                const load_options& options) {
  CLI::App app{"netstab: internet stability monitor (ICMP probes, windowed statistics, MQTT)", "netstab"};
  app.footer(std::string(footer));
  app.get_formatter()->column_width(30);
  const std::string version_text = "netstab " + (options.version.empty() ? std::string(version()) : options.version);
  app.set_version_flag("--version", version_text, "Print the version and exit");
  parsed_flags flags;
  declare_flags(app, flags);

  cli_result result;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out;
    std::ostringstream err;
    const int code = app.exit(e, out, err);
    result.exit_now = true;
    result.exit_code = code == 0 ? 0 : 2;
    result.output = code == 0 ? out.str() : err.str();
    return result;
  }
  result.request = request_of(flags, env, options);
  result.value = build(result.request);
  if (flags.print_config->count() > 0) {
    result.exit_now = true;
    result.output = to_toml(result.value);
  }
  return result;
}

}  // namespace netstab::config

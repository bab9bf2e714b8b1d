#pragma once
// Commands that arrive on <base>/<agent>/cmd, parsed into typed values.
//
// A payload is a JSON object ({"cmd":"add_target","target":"1.1.1.1",...}, with
// an optional "id" that the reply echoes) or one of the bare words start, stop,
// status. parse_command never throws: every problem becomes an error sentence
// for the reply ("missing field \"target\""), and the id is extracted even when
// the rest is invalid so that the error reply still carries it. Unknown fields
// are ignored, so that newer dashboards can talk to older agents.
//
// Pure; callable from any thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/target.hpp"
#include "core/time.hpp"

namespace netstab::core {

struct command_limits {
  std::size_t max_payload_bytes = 4096;
  std::int64_t min_interval_ms = 100;  // remote commands may not probe faster than this
  std::int64_t max_interval_ms = 86'400'000;
  std::int64_t max_timeout_ms = 60'000;
  std::size_t max_target_length = 255;  // a DNS name is at most 253 characters
};

// Optional probe settings of set_target / add_target; absent fields take the
// configured defaults (see apply()).
struct target_request {
  std::string target;
  std::optional<nanos> interval;
  std::optional<nanos> timeout;
  std::optional<std::uint32_t> size;
  std::optional<int> ttl;
  std::optional<int> tos;
  std::optional<ip_version> family;
  std::optional<bool> publish_samples;
  std::optional<path_mode> path;  // "auto" | true | false

  // The target_spec this request asks for, fields it does not set taken from `defaults`.
  target_spec apply(const probe_settings& defaults) const;
};

struct start_command {};
struct stop_command {};
struct status_command {};
struct set_target_command {
  target_request request;
};  // replace all targets with this one
struct add_target_command {
  target_request request;
};
struct remove_target_command {
  std::string target;
};
struct set_interval_command {
  std::string target;
  nanos interval{};
};

// Reads the agent's history: `from` and `to` as RFC 3339 times, dates, "now" or relative to now ("-24h"); `step`
// "auto", "raw", "1m", "5m", "1h", "1d"... (core/history_query.hpp). The texts are kept as given: the controller
// reads them against its clock. history_targets lists what the history holds, removed targets included.
struct history_command {
  std::string target;
  std::string from = "-24h";
  std::string to = "now";
  std::string step = "auto";
};
struct history_targets_command {};

using command = std::variant<start_command, stop_command, status_command, set_target_command, add_target_command,
                             remove_target_command, set_interval_command, history_command, history_targets_command>;

std::string_view command_name(const command& c);  // "start", "add_target", ...

struct parsed_command {
  nlohmann::json id;           // string or number as given; null when absent or not a string/number
  std::string name;            // the "cmd" as given (for the reply), empty when there was none
  std::optional<command> cmd;  // set when the payload is a valid command
  std::string error;           // set when it is not

  bool ok() const { return cmd.has_value(); }
};

parsed_command parse_command(std::string_view payload, const command_limits& limits = {});

// The one wording of the interval floor: an error sentence when interval is below min_interval_ms, else nothing.
// parse_command applies it to the intervals a command names; the controller to the interval a target gets from
// the [probe] defaults when the command names none.
std::optional<std::string> below_min_interval(nanos interval, std::int64_t min_interval_ms);

}  // namespace netstab::core

#pragma once
// The table of every setting the loader knows: section, key, value kind, limits, and how to store the value
// into / fetch it from a settings value. The TOML reader, the environment reader, the command line, the
// printer (--print-config) and the tests all walk this one table, so a key added here is known everywhere.
// The table is immutable; any thread may read it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.hpp"
#include "core/target.hpp"

namespace netstab::config {

// One setting's value, between reading (file, environment, flag) and storing it into settings.
using value =
    std::variant<bool, std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<std::string>>;

enum class value_kind : std::uint8_t {
  boolean,       // bool
  integer,       // std::int64_t within [min, max]
  number,        // double within [number_min, number_max]; TOML integers are accepted
  string,        // std::string
  choice,        // std::string, one of `choices`; a TOML integer is accepted when its digits are a choice
  integer_list,  // std::vector<std::int64_t>, each within [min, max]
  string_list,   // std::vector<std::string>
};

struct key_spec {
  std::string_view section;
  std::string_view name;
  value_kind kind = value_kind::string;
  std::int64_t min = 0;
  std::int64_t max = 0;
  double number_min = 0;
  double number_max = 0;
  std::span<const std::string_view> choices;
  bool per_target = false;  // also allowed in [[target]] tables (probe keys except resolve_interval_s)
  bool secret = false;      // printed as "********"
  // Further rule on a value that already has the right kind and range; returns the problem.
  std::optional<std::string> (*check)(const value&) = nullptr;
  // Exactly one pair is set: probe keys store into a core::probe_settings (the [probe] defaults or one
  // target's), all other keys into the settings value.
  void (*store)(settings&, const value&) = nullptr;
  value (*fetch)(const settings&) = nullptr;
  void (*store_probe)(core::probe_settings&, const value&) = nullptr;
  value (*fetch_probe)(const core::probe_settings&) = nullptr;

  std::string full_name() const;  // "probe.interval_ms"
  std::string env_name() const;   // "NETSTAB_PROBE_INTERVAL_MS"
  void apply(settings& s, const value& v) const;
  value read(const settings& s) const;
};

// Every key, grouped by section in the order of sections().
std::span<const key_spec> known_keys();
// The section names in print order: probe, stats, status, output, mqtt, control, discovery, history, log.
std::span<const std::string_view> sections();
const key_spec* find_key(std::string_view section, std::string_view name);

// Kind names for messages: "an integer", "a boolean", ...
std::string_view kind_name(value_kind kind);

}  // namespace netstab::config

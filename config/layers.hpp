#pragma once
// What the loader's layers share (internal to config/): the merged layers before they become settings, the
// problem collector that reports every mistake of a layer at once, the value checks every layer applies, and
// one reader per layer (toml_layer.cpp for the file, text_layer.cpp for the environment and the command line).
// Not tied to a thread; the file reader reads the configuration file.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "config/schema.hpp"

namespace netstab::config::detail {

// Later layers override earlier ones; comparisons between layers decide conflicts (password vs
// password_file, warn vs bad thresholds, per-target overrides vs [probe] keys).
enum class layer : std::uint8_t { defaults, file, env, cli };

// One key's current value and where it came from. `where` is the message prefix naming the source:
// "netstab.toml:12: probe.interval_ms", "NETSTAB_PROBE_INTERVAL_MS", "--interval"; empty for defaults.
struct entry {
  value v;
  layer from = layer::defaults;
  std::string where;
};

using entry_map = std::map<std::string, entry, std::less<>>;

struct target_entry {
  std::string host;
  std::string identity;    // canonical address or lower-case name without trailing dot: equal = duplicate
  std::string where;       // message prefix of the host
  std::uint32_t line = 0;  // file line, 0 outside files
  entry_map overrides;     // per-target probe keys by bare name ("interval_ms")
};

// The merged layers before conversion into settings. values holds every known key (defaults first).
struct layered {
  entry_map values;
  std::vector<target_entry> targets;
};

// Collects the problems of one layer so that a file with three mistakes reports all three, in line order.
class problems {
 public:
  void add(const std::string& where, const std::string& what, std::uint32_t line = 0) {
    list_.push_back({line, where.empty() ? what : where + ": " + what});
  }
  // Throws one config_error listing every problem in line order, if there is any.
  void throw_if_any();

 private:
  struct item {
    std::uint32_t line;  // 0 outside files; stable sorting keeps the order of equal lines
    std::string text;
  };
  std::vector<item> list_;
};

// ---- text and value checks shared by every layer --------------------------------------------------------

std::string quoted(std::string_view text);
std::string format_number(double x);
std::string lower(std::string_view text);
std::string trim(std::string_view text);

// The closest candidate within a small edit distance, for "did you mean".
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);
// "unknown key" or "unknown key (did you mean ...?)".
std::string unknown_message(std::string_view what, const std::optional<std::string>& suggestion);

std::optional<std::string> integer_problem(const key_spec& spec, std::int64_t x);
// Range and syntax of a whole value of the right kind. List elements are checked one by one by the readers
// (so that a TOML element's own line is named); this covers scalars and the key's extra rule.
std::optional<std::string> value_problem(const key_spec& spec, const value& v);

// The canonical address, or the lower-case name without a trailing dot: equal identities are one target.
std::string identity_of(std::string_view host);
// Adds targets in order, refusing duplicates.
void add_targets(std::vector<target_entry>& out, std::vector<target_entry> in, problems& sink);

// ---- the layers ----------------------------------------------------------------------------------------

// The TOML layer from text; `name` names the text in messages (a file path, or the name given to
// build_from_text). Throws config_error naming name:line and the key.
void apply_toml_text(layered& cfg, std::string_view text, const std::string& name);
// The same from a file, read within max_config_file_bytes.
void apply_toml_file(layered& cfg, const std::string& path);
// Every key set in the file, as "section.key" or a top-level name, in line order.
std::vector<std::string> toml_keys_in_file(const std::string& path);

// The environment layer (NETSTAB_<SECTION>_<KEY>, NETSTAB_TARGETS) and the command line layer.
void apply_env(layered& cfg, const environment& env);
void apply_cli(layered& cfg, const load_request& request);

}  // namespace netstab::config::detail

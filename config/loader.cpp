#include "config/loader.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <toml++/toml.h>

#include "config/bounded_file.hpp"
#include "config/schema.hpp"
#include "config/validate.hpp"

namespace netstab::config {
namespace {

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
  std::string identity;     // canonical address or lower-case name without trailing dot: equal = duplicate
  std::string where;        // message prefix of the host
  std::uint32_t line = 0;   // file line, 0 outside files
  entry_map overrides;      // per-target probe keys by bare name ("interval_ms")
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
  void throw_if_any() {
    if (list_.empty()) {
      return;
    }
    std::stable_sort(list_.begin(), list_.end(), [](const item& a, const item& b) { return a.line < b.line; });
    std::string message;
    for (const auto& p : list_) {
      message += message.empty() ? "" : "\n";
      message += p.text;
    }
    throw config_error(message);
  }

 private:
  struct item {
    std::uint32_t line;  // 0 outside files; stable sorting keeps the order of equal lines
    std::string text;
  };
  std::vector<item> list_;
};

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

std::string format_number(double x) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), x);
  return std::string(buffer.data(), result.ptr);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// The closest candidate within a small edit distance, for "did you mean".
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3));
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(lower(word), lower(candidate));
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string unknown_message(std::string_view what, const std::optional<std::string>& suggestion) {
  std::string message(what);
  if (suggestion) {
    message += "; did you mean " + quoted(*suggestion) + "?";
  }
  return message;
}

// ---- value checks shared by every layer -------------------------------------------------------------------

std::optional<std::string> integer_problem(const key_spec& spec, std::int64_t x) {
  if (x < spec.min) {
    return std::to_string(x) + " is below the minimum of " + std::to_string(spec.min);
  }
  if (x > spec.max) {
    return std::to_string(x) + " is above the maximum of " + std::to_string(spec.max);
  }
  return std::nullopt;
}

std::optional<std::string> number_problem(const key_spec& spec, double x) {
  if (!std::isfinite(x)) {
    return format_number(x) + " is not a finite number";
  }
  if (x < spec.number_min) {
    return format_number(x) + " is below the minimum of " + format_number(spec.number_min);
  }
  if (x > spec.number_max) {
    return format_number(x) + " is above the maximum of " + format_number(spec.number_max);
  }
  return std::nullopt;
}

std::optional<std::string> choice_problem(const key_spec& spec, std::string_view text) {
  if (std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end()) {
    return std::nullopt;
  }
  std::string list;
  for (const auto& choice : spec.choices) {
    list += list.empty() ? "" : ", ";
    list += quoted(choice);
  }
  return quoted(text) + " is not one of " + list;
}

// Range and syntax of a whole value of the right kind. List elements are checked one by one by the readers
// (so that a TOML element's own line is named); this covers scalars and the key's extra rule.
std::optional<std::string> value_problem(const key_spec& spec, const value& v) {
  switch (spec.kind) {
    case value_kind::integer:
      if (auto p = integer_problem(spec, std::get<std::int64_t>(v))) {
        return p;
      }
      break;
    case value_kind::number:
      if (auto p = number_problem(spec, std::get<double>(v))) {
        return p;
      }
      break;
    case value_kind::choice:
      if (auto p = choice_problem(spec, std::get<std::string>(v))) {
        return p;
      }
      break;
    case value_kind::integer_list:
      for (const std::int64_t x : std::get<std::vector<std::int64_t>>(v)) {
        if (auto p = integer_problem(spec, x)) {
          return p;
        }
      }
      break;
    default:
      break;
  }
  return spec.check != nullptr ? spec.check(v) : std::nullopt;
}

// ---- TOML ------------------------------------------------------------------------------------------------

std::string_view toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

// Reads one TOML file into a layer; remembers the path for messages.
class file_reader {
 public:
  file_reader(std::string path, problems& sink) : path_(std::move(path)), sink_(sink) {}

  std::string where(std::uint32_t line, std::string_view key) const {
    return path_ + ":" + std::to_string(line) + ": " + std::string(key);
  }

  void fail(std::uint32_t line, std::string_view key, const std::string& what) {
    sink_.add(where(line, key), what, line);
  }

  // Converts node into a value of spec's kind, or records the problem and returns nothing.
  std::optional<value> convert(const toml::node& node, const key_spec& spec, std::string_view key) {
    const std::uint32_t line = line_of(node);
    const auto wrong_type = [&](std::string_view expected, const toml::node& actual) {
      fail(line_of(actual), key, "expected " + std::string(expected) + ", got " + std::string(toml_type_name(actual)));
      return std::nullopt;
    };
    std::optional<value> result;
    switch (spec.kind) {
      case value_kind::boolean:
        if (!node.is_boolean()) {
          return wrong_type("a boolean", node);
        }
        result = node.as_boolean()->get();
        break;
      case value_kind::integer:
        if (!node.is_integer()) {
          return wrong_type("an integer", node);
        }
        result = node.as_integer()->get();
        break;
      case value_kind::number:
        if (node.is_integer()) {
          result = static_cast<double>(node.as_integer()->get());
        } else if (node.is_floating_point()) {
          result = node.as_floating_point()->get();
        } else {
          return wrong_type("a number", node);
        }
        break;
      case value_kind::string:
        if (!node.is_string()) {
          return wrong_type("a string", node);
        }
        result = node.as_string()->get();
        break;
      case value_kind::choice:
        // "4" and 4 mean the same IP version; the integer spelling is accepted when its digits are a choice.
        if (node.is_integer()) {
          result = std::to_string(node.as_integer()->get());
        } else if (node.is_string()) {
          result = node.as_string()->get();
        } else {
          return wrong_type("a string", node);
        }
        break;
      case value_kind::integer_list: {
        if (!node.is_array()) {
          return wrong_type("an array of integers", node);
        }
        std::vector<std::int64_t> list;
        bool ok = true;
        for (const auto& element : *node.as_array()) {
          if (!element.is_integer()) {
            wrong_type("an integer", element);
            ok = false;
            continue;
          }
          const std::int64_t x = element.as_integer()->get();
          if (auto problem = integer_problem(spec, x)) {
            fail(line_of(element), key, *problem);
            ok = false;
          }
          list.push_back(x);
        }
        if (!ok) {
          return std::nullopt;
        }
        result = std::move(list);
        break;
      }
      case value_kind::string_list: {
        if (!node.is_array()) {
          return wrong_type("an array of strings", node);
        }
        std::vector<std::string> list;
        bool ok = true;
        for (const auto& element : *node.as_array()) {
          if (!element.is_string()) {
            wrong_type("a string", element);
            ok = false;
            continue;
          }
          list.push_back(element.as_string()->get());
        }
        if (!ok) {
          return std::nullopt;
        }
        result = std::move(list);
        break;
      }
    }
    if (auto problem = value_problem(spec, *result)) {
      fail(line, key, *problem);
      return std::nullopt;
    }
    return result;
  }

  // A target given as a string (targets = ["a"]) or a table ({ host = "a", ttl = 3 } or [[target]]).
  std::optional<target_entry> read_target(const toml::node& node, const std::string& label) {
    const std::uint32_t line = line_of(node);
    if (node.is_string()) {
      return host_entry(node.as_string()->get(), line, label);
    }
    if (!node.is_table()) {
      fail(line, label, "expected a string or a table, got " + std::string(toml_type_name(node)));
      return std::nullopt;
    }
    const toml::table& table = *node.as_table();
    const toml::node* host = table.get("host");
    if (host == nullptr) {
      fail(line, label, "missing the key \"host\"");
      return std::nullopt;
    }
    if (!host->is_string()) {
      fail(line_of(*host), label + ".host", "expected a string, got " + std::string(toml_type_name(*host)));
      return std::nullopt;
    }
    auto target = host_entry(host->as_string()->get(), line_of(*host), label + ".host");
    std::vector<std::string> allowed{"host"};
    for (const auto& spec : known_keys()) {
      if (spec.per_target) {
        allowed.emplace_back(spec.name);
      }
    }
    for (const auto& [k, child] : table) {
      const std::string_view name = k.str();
      if (name == "host") {
        continue;
      }
      const std::string key = label + "." + std::string(name);
      const key_spec* spec = find_key("probe", name);
      if (spec == nullptr || !spec->per_target) {
        fail(k.source().begin.line, key,
             spec != nullptr ? "cannot be set per target; set probe." + std::string(name) + " instead"
                             : unknown_message("unknown key", closest(name, allowed)));
        continue;
      }
      if (auto v = convert(child, *spec, key); v && target) {
        target->overrides[std::string(name)] = entry{std::move(*v), layer::file, where(line_of(child), key)};
      }
    }
    return target;
  }

  std::optional<target_entry> host_entry(const std::string& host, std::uint32_t line, const std::string& key) {
    if (auto problem = check_host(host)) {
      fail(line, key, *problem);
      return std::nullopt;
    }
    target_entry target;
    target.host = host;
    target.where = where(line, key);
    target.line = line;
    return target;
  }

 private:
  std::string path_;
  problems& sink_;
};

std::string identity_of(std::string_view host) {
  if (auto canonical = canonical_ip(host)) {
    return *canonical;
  }
  std::string name = lower(host);
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return name;
}

// Adds targets in order, refusing duplicates.
void add_targets(std::vector<target_entry>& out, std::vector<target_entry> in, problems& sink) {
  for (auto& target : in) {
    target.identity = identity_of(target.host);
    const auto same = std::find_if(out.begin(), out.end(),
                                   [&](const target_entry& t) { return t.identity == target.identity; });
    if (same != out.end()) {
      std::string message = "duplicate target " + quoted(target.host);
      if (same->line != 0) {
        message += " (first at line " + std::to_string(same->line) + ")";
      }
      sink.add(target.where, message, target.line);
      continue;
    }
    out.push_back(std::move(target));
  }
}

std::vector<std::string> root_candidates() {
  std::vector<std::string> out{"targets", "target"};
  for (const auto& section : sections()) {
    out.emplace_back(section);
  }
  return out;
}

// `path` names the text in messages; it is a file path, or the name given to build_from_text.
toml::table parse_text(std::string_view text, const std::string& path) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw config_error(path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
}

toml::table parse_file(const std::string& path) {
  std::string problem;
  const auto text = read_bounded_file(path, max_config_file_bytes, problem);
  if (!text) {
    throw config_error(path + ": cannot read the configuration file: " + problem);
  }
  return parse_text(*text, path);
}

void apply_file(layered& cfg, const toml::table& root, const std::string& path) {
  problems sink;
  file_reader reader(path, sink);
  std::vector<target_entry> targets;
  bool has_targets = false;
  for (const auto& [k, node] : root) {
    const std::string_view name = k.str();
    const std::uint32_t key_line = k.source().begin.line;
    if (name == "targets" || name == "target") {
      has_targets = true;
      if (!node.is_array()) {
        reader.fail(line_of(node), name,
                    std::string(name == "targets" ? "expected an array of host names" : "expected [[target]] tables") +
                        ", got " + std::string(toml_type_name(node)));
        continue;
      }
      std::size_t index = 0;
      for (const auto& element : *node.as_array()) {
        const std::string label = std::string(name) + "[" + std::to_string(index++) + "]";
        if (name == "target" && !element.is_table()) {
          reader.fail(line_of(element), label, "expected a table, got " + std::string(toml_type_name(element)));
          continue;
        }
        if (auto target = reader.read_target(element, label)) {
          targets.push_back(std::move(*target));
        }
      }
      continue;
    }
    const auto section = std::find(sections().begin(), sections().end(), name);
    if (section == sections().end()) {
      // A known key at the top level most likely lost its [section] header.
      std::optional<std::string> suggestion;
      for (const auto& spec : known_keys()) {
        if (spec.name == name) {
          suggestion = spec.full_name();
        }
      }
      if (!suggestion) {
        suggestion = closest(name, root_candidates());
      }
      reader.fail(key_line, name,
                  unknown_message(node.is_table() ? "unknown section" : "unknown key", suggestion));
      continue;
    }
    if (!node.is_table()) {
      reader.fail(line_of(node), name, "expected a table, got " + std::string(toml_type_name(node)));
      continue;
    }
    for (const auto& [child_key, child] : *node.as_table()) {
      const std::string_view child_name = child_key.str();
      const std::string key = std::string(name) + "." + std::string(child_name);
      const key_spec* spec = find_key(name, child_name);
      if (spec == nullptr) {
        std::vector<std::string> same_section;
        std::optional<std::string> elsewhere;
        for (const auto& candidate : known_keys()) {
          if (candidate.section == name) {
            same_section.emplace_back(candidate.name);
          } else if (candidate.name == child_name) {
            elsewhere = candidate.full_name();
          }
        }
        const auto suggestion = elsewhere ? elsewhere : closest(child_name, same_section);
        reader.fail(child_key.source().begin.line, key, unknown_message("unknown key", suggestion));
        continue;
      }
      if (auto v = reader.convert(child, *spec, key)) {
        cfg.values[spec->full_name()] = entry{std::move(*v), layer::file, reader.where(line_of(child), key)};
      }
    }
  }
  // toml++ iterates keys in name order; targets keep the order of the file.
  std::stable_sort(targets.begin(), targets.end(),
                   [](const target_entry& a, const target_entry& b) { return a.line < b.line; });
  std::vector<target_entry> checked;
  add_targets(checked, std::move(targets), sink);
  sink.throw_if_any();
  if (has_targets) {
    cfg.targets = std::move(checked);
  }
}

// ---- environment and command line -----------------------------------------------------------------------

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = text.find(',');
    std::string item = trim(text.substr(0, comma));
    if (!item.empty()) {
      out.push_back(std::move(item));
    }
    if (comma == std::string_view::npos) {
      return out;
    }
    text.remove_prefix(comma + 1);
  }
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return x;
}

// A value from a string (environment variable or flag argument). Problems name `where`.
std::optional<value> from_text(std::string_view raw, const key_spec& spec, const std::string& where,
                               problems& sink) {
  const std::string text = spec.kind == value_kind::string ? std::string(raw) : trim(raw);
  const auto expected = [&](std::string_view what) {
    sink.add(where, "expected " + std::string(what) + ", got " + quoted(raw));
    return std::nullopt;
  };
  std::optional<value> result;
  switch (spec.kind) {
    case value_kind::boolean: {
      const std::string word = lower(text);
      if (word == "true" || word == "1" || word == "yes" || word == "on") {
        result = true;
      } else if (word == "false" || word == "0" || word == "no" || word == "off") {
        result = false;
      } else {
        return expected("a boolean (true or false)");
      }
      break;
    }
    case value_kind::integer: {
      const auto x = parse_integer(text);
      if (!x) {
        return expected("an integer");
      }
      result = *x;
      break;
    }
    case value_kind::number: {
      double x = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return expected("a number");
      }
      result = x;
      break;
    }
    case value_kind::string:
    case value_kind::choice:
      result = text;
      break;
    case value_kind::integer_list: {
      std::vector<std::int64_t> list;
      for (const auto& item : split_list(text)) {
        const auto x = parse_integer(item);
        if (!x) {
          sink.add(where, "expected a comma-separated list of integers, got " + quoted(raw));
          return std::nullopt;
        }
        list.push_back(*x);
      }
      result = std::move(list);
      break;
    }
    case value_kind::string_list:
      result = split_list(text);
      break;
  }
  if (auto problem = value_problem(spec, *result)) {
    sink.add(where, *problem);
    return std::nullopt;
  }
  return result;
}

std::vector<target_entry> targets_from_text(const std::vector<std::string>& hosts, const std::string& where,
                                            problems& sink) {
  std::vector<target_entry> out;
  for (const auto& host : hosts) {
    if (auto problem = check_host(host)) {
      sink.add(where, *problem);
      continue;
    }
    target_entry target;
    target.host = host;
    target.where = where;
    out.push_back(std::move(target));
  }
  std::vector<target_entry> checked;
  add_targets(checked, std::move(out), sink);
  return checked;
}

void apply_env(layered& cfg, const environment& env) {
  problems sink;
  std::vector<std::string> names{"NETSTAB_CONFIG", "NETSTAB_TARGETS"};
  for (const auto& spec : known_keys()) {
    names.push_back(spec.env_name());
  }
  for (const auto& [name, text] : env) {
    if (name.rfind("NETSTAB_", 0) != 0 || name == "NETSTAB_CONFIG") {
      continue;
    }
    if (name == "NETSTAB_TARGETS") {
      cfg.targets = targets_from_text(split_list(text), name, sink);
      continue;
    }
    const auto keys = known_keys();
    const std::string& variable = name;  // structured bindings cannot be captured before clang 16
    const auto spec =
        std::find_if(keys.begin(), keys.end(), [&](const key_spec& k) { return k.env_name() == variable; });
    if (spec == keys.end()) {
      sink.add(name, unknown_message("unknown setting", closest(name, names)));
      continue;
    }
    if (auto v = from_text(text, *spec, name, sink)) {
      cfg.values[spec->full_name()] = entry{std::move(*v), layer::env, name};
    }
  }
  sink.throw_if_any();
}

void apply_cli(layered& cfg, const load_request& request) {
  problems sink;
  for (const auto& o : request.cli) {
    const auto dot = o.key.find('.');
    const key_spec* spec =
        dot == std::string::npos ? nullptr : find_key(o.key.substr(0, dot), std::string_view(o.key).substr(dot + 1));
    if (spec == nullptr) {
      throw std::logic_error("command line flag " + o.flag + " names the unknown key " + o.key);
    }
    if (auto v = from_text(o.text, *spec, o.flag, sink)) {
      cfg.values[spec->full_name()] = entry{std::move(*v), layer::cli, o.flag};
    }
  }
  if (request.cli_targets) {
    cfg.targets = targets_from_text(*request.cli_targets, "--target", sink);
  }
  sink.throw_if_any();
}

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
    const entry& given = cfg.values.find(s.mqtt.tls_cert_file.empty() ? "mqtt.tls_key_file" : "mqtt.tls_cert_file")->second;
    throw config_error(given.where + ": set mqtt.tls_cert_file and mqtt.tls_key_file together");
  }
  check_tls_file(cfg, "mqtt.tls_ca_file");
  check_tls_file(cfg, "mqtt.tls_cert_file");
  check_tls_file(cfg, "mqtt.tls_key_file");

  for (const auto& t : cfg.targets) {
    core::target_spec target{t.host, s.probe};
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

settings finish(layered& cfg, const load_request& request) {
  apply_env(cfg, request.env);
  apply_cli(cfg, request);
  return resolve(cfg, request.host_name);
}

}  // namespace

settings build(const load_request& request) {
  layered cfg = with_defaults();
  if (const std::string path = config_file_of(request); !path.empty()) {
    apply_file(cfg, parse_file(path), path);
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
  apply_file(cfg, parse_text(toml_text, name), name);
  return finish(cfg, request);
}

settings reload(const load_request& request) { return build(request); }

std::vector<std::string> keys_in_file(const std::string& path) {
  const toml::table root = parse_file(path);
  std::vector<std::pair<std::uint32_t, std::string>> keys;
  for (const auto& [k, node] : root) {
    const bool section = node.is_table() && std::find(sections().begin(), sections().end(), k.str()) != sections().end();
    if (!section) {
      keys.emplace_back(k.source().begin.line, std::string(k.str()));
      continue;
    }
    for (const auto& [child_key, child] : *node.as_table()) {
      keys.emplace_back(child_key.source().begin.line, std::string(k.str()) + "." + std::string(child_key.str()));
    }
  }
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [line, key] : keys) {
    out.push_back(std::move(key));
  }
  return out;
}

}  // namespace netstab::config

#include <algorithm>
#include <toml++/toml.h>

#include "config/bounded_file.hpp"
#include "config/layers.hpp"
#include "config/validate.hpp"

// The TOML layer: one file's sections, keys and targets, each problem named by file:line and key.
namespace netstab::config::detail {
namespace {

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
      return type_mismatch(expected, actual, key);
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
        result = choice(node, spec, key);
        break;
      case value_kind::integer_list:
        result = integer_list(node, spec, key);
        break;
      case value_kind::string_list:
        result = string_list(node, key);
        break;
    }
    if (!result) {
      return std::nullopt;
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
  // "4" and 4 mean the same IP version; the integer spelling is accepted when its digits are a choice, and a
  // boolean when the choices include "true" and "false" (probe.path: true, false or "auto").
  std::optional<value> choice(const toml::node& node, const key_spec& spec, std::string_view key) {
    if (node.is_integer()) {
      return value(std::to_string(node.as_integer()->get()));
    }
    if (node.is_boolean() && std::find(spec.choices.begin(), spec.choices.end(), "true") != spec.choices.end()) {
      return value(std::string(node.as_boolean()->get() ? "true" : "false"));
    }
    if (node.is_string()) {
      return value(node.as_string()->get());
    }
    return type_mismatch("a string", node, key);
  }

  std::nullopt_t type_mismatch(std::string_view expected, const toml::node& actual, std::string_view key) {
    fail(line_of(actual), key, "expected " + std::string(expected) + ", got " + std::string(toml_type_name(actual)));
    return std::nullopt;
  }

  // An array of integers, each element checked against the key's range on its own line.
  std::optional<value> integer_list(const toml::node& node, const key_spec& spec, std::string_view key) {
    if (!node.is_array()) {
      return type_mismatch("an array of integers", node, key);
    }
    std::vector<std::int64_t> list;
    bool ok = true;
    for (const auto& element : *node.as_array()) {
      if (!element.is_integer()) {
        type_mismatch("an integer", element, key);
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
    return ok ? std::optional<value>(std::move(list)) : std::nullopt;
  }

  std::optional<value> string_list(const toml::node& node, std::string_view key) {
    if (!node.is_array()) {
      return type_mismatch("an array of strings", node, key);
    }
    std::vector<std::string> list;
    bool ok = true;
    for (const auto& element : *node.as_array()) {
      if (!element.is_string()) {
        type_mismatch("a string", element, key);
        ok = false;
        continue;
      }
      list.push_back(element.as_string()->get());
    }
    return ok ? std::optional<value>(std::move(list)) : std::nullopt;
  }

  std::string path_;
  problems& sink_;
};

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

// targets = [...] or [[target]]: each element read into `targets`.
void read_target_array(file_reader& reader, std::string_view name, const toml::node& node,
                       std::vector<target_entry>& targets) {
  if (!node.is_array()) {
    reader.fail(line_of(node), name,
                std::string(name == "targets" ? "expected an array of host names" : "expected [[target]] tables") +
                    ", got " + std::string(toml_type_name(node)));
    return;
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
}

// A top-level name that is no section: most likely a known key that lost its [section] header.
void unknown_top_level(file_reader& reader, std::string_view name, std::uint32_t line, const toml::node& node) {
  std::optional<std::string> suggestion;
  for (const auto& spec : known_keys()) {
    if (spec.name == name) {
      suggestion = spec.full_name();
    }
  }
  if (!suggestion) {
    suggestion = closest(name, root_candidates());
  }
  reader.fail(line, name, unknown_message(node.is_table() ? "unknown section" : "unknown key", suggestion));
}

// The keys of one [section]; an unknown one is suggested from the same section, or found in another.
void read_section(file_reader& reader, layered& cfg, std::string_view name, const toml::table& table) {
  for (const auto& [child_key, child] : table) {
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

void apply_file(layered& cfg, const toml::table& root, const std::string& path) {
  problems sink;
  file_reader reader(path, sink);
  std::vector<target_entry> targets;
  bool has_targets = false;
  for (const auto& [k, node] : root) {
    const std::string_view name = k.str();
    if (name == "targets" || name == "target") {
      has_targets = true;
      read_target_array(reader, name, node, targets);
    } else if (std::find(sections().begin(), sections().end(), name) == sections().end()) {
      unknown_top_level(reader, name, k.source().begin.line, node);
    } else if (!node.is_table()) {
      reader.fail(line_of(node), name, "expected a table, got " + std::string(toml_type_name(node)));
    } else {
      read_section(reader, cfg, name, *node.as_table());
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

}  // namespace

void apply_toml_text(layered& cfg, std::string_view text, const std::string& name) {
  apply_file(cfg, parse_text(text, name), name);
}

void apply_toml_file(layered& cfg, const std::string& path) { apply_file(cfg, parse_file(path), path); }

std::vector<std::string> toml_keys_in_file(const std::string& path) {
  const toml::table root = parse_file(path);
  std::vector<std::pair<std::uint32_t, std::string>> keys;
  for (const auto& [k, node] : root) {
    const bool section =
        node.is_table() && std::find(sections().begin(), sections().end(), k.str()) != sections().end();
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

}  // namespace netstab::config::detail

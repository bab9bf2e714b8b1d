#include <algorithm>
#include <charconv>

#include "config/layers.hpp"
#include "config/validate.hpp"

// The environment and command line layers: values from text, each problem named by the variable or the flag.
namespace netstab::config::detail {
namespace {

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

std::optional<value> boolean_from_text(const std::string& text) {
  const std::string word = lower(text);
  if (word == "true" || word == "1" || word == "yes" || word == "on") {
    return value(true);
  }
  if (word == "false" || word == "0" || word == "no" || word == "off") {
    return value(false);
  }
  return std::nullopt;
}

std::optional<value> integer_list_from_text(const std::string& text) {
  std::vector<std::int64_t> list;
  for (const auto& item : split_list(text)) {
    const auto x = parse_integer(item);
    if (!x) {
      return std::nullopt;
    }
    list.push_back(*x);
  }
  return value(std::move(list));
}

// A value from a string (environment variable or flag argument). Problems name `where`.
std::optional<value> from_text(std::string_view raw, const key_spec& spec, const std::string& where, problems& sink) {
  const std::string text = spec.kind == value_kind::string ? std::string(raw) : trim(raw);
  const auto expected = [&](std::string_view what) {
    sink.add(where, "expected " + std::string(what) + ", got " + quoted(raw));
    return std::nullopt;
  };
  std::optional<value> result;
  switch (spec.kind) {
    case value_kind::boolean:
      result = boolean_from_text(text);
      if (!result) {
        return expected("a boolean (true or false)");
      }
      break;
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
    case value_kind::integer_list:
      result = integer_list_from_text(text);
      if (!result) {
        return expected("a comma-separated list of integers");
      }
      break;
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

}  // namespace

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

}  // namespace netstab::config::detail

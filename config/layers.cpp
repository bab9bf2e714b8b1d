#include "config/layers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "config/validate.hpp"

namespace netstab::config::detail {

void problems::throw_if_any() {
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

std::optional<std::string> integer_problem(const key_spec& spec, std::int64_t x) {
  if (x < spec.min) {
    return std::to_string(x) + " is below the minimum of " + std::to_string(spec.min);
  }
  if (x > spec.max) {
    return std::to_string(x) + " is above the maximum of " + std::to_string(spec.max);
  }
  return std::nullopt;
}

namespace {

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

}  // namespace

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

void add_targets(std::vector<target_entry>& out, std::vector<target_entry> in, problems& sink) {
  // identity -> index in out: a list of tens of thousands of targets is checked for duplicates in linear time.
  std::unordered_map<std::string, std::size_t> seen;
  seen.reserve(out.size() + in.size());
  for (std::size_t i = 0; i < out.size(); ++i) seen.emplace(out[i].identity, i);
  for (auto& target : in) {
    target.identity = identity_of(target.host);
    if (const auto same = seen.find(target.identity); same != seen.end()) {
      std::string message = "duplicate target " + quoted(target.host);
      if (out[same->second].line != 0) {
        message += " (first at line " + std::to_string(out[same->second].line) + ")";
      }
      sink.add(target.where, message, target.line);
      continue;
    }
    seen.emplace(target.identity, out.size());
    out.push_back(std::move(target));
  }
}

}  // namespace netstab::config::detail

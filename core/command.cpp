#include "core/command.hpp"

#include <cmath>
#include <limits>

namespace netstab::core {

namespace {

std::string below_min_text(std::int64_t interval_ms, std::int64_t min_interval_ms) {
  return "interval_ms " + std::to_string(interval_ms) + " is below the minimum of " + std::to_string(min_interval_ms);
}

using json = nlohmann::json;

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out.push_back('"');
  return out;
}

// Shortens user-provided text quoted back in an error so a reply stays small.
std::string clip(std::string_view s) {
  constexpr std::size_t max = 64;
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

// A word like "start" or "fly" (not a JSON literal or number), answered with
// "unknown command" rather than a JSON syntax error.
bool is_bare_word(std::string_view s) {
  if (s.empty() || s == "null" || s == "true" || s == "false") return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
  for (char c : s) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word) return false;
  }
  return true;
}

// Reads fields of one command object; the first problem is kept in error_ and
// later reads become no-ops, so a parser body reads straight through.
class field_reader {
 public:
  field_reader(const json& obj, const command_limits& limits) : obj_(obj), limits_(limits) {}

  bool failed() const { return !error_.empty(); }
  std::string take_error() { return std::move(error_); }

  std::optional<std::string> required_target(const char* key = "target") {
    if (failed()) return std::nullopt;
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      error_ = "missing field " + in_quotes(key);
      return std::nullopt;
    }
    if (!it->is_string()) {
      error_ = "field " + in_quotes(key) + " must be a string";
      return std::nullopt;
    }
    const auto& s = it->get_ref<const std::string&>();
    if (s.empty()) {
      error_ = "field " + in_quotes(key) + " must not be empty";
      return std::nullopt;
    }
    if (s.size() > limits_.max_target_length) {
      error_ = "field " + in_quotes(key) + " is longer than " + std::to_string(limits_.max_target_length) + " bytes";
      return std::nullopt;
    }
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F || c == ' ' || c == '/' || c == '#' || c == '+') {
        error_ = "field " + in_quotes(key) + " contains a character not allowed in a host name: " + in_quotes(clip(s));
        return std::nullopt;
      }
    }
    return s;
  }

  // An integer field within [lo, hi]; nullopt when absent (or after an error).
  std::optional<std::int64_t> integer(const char* key, std::int64_t lo, std::int64_t hi, bool required = false) {
    if (failed()) return std::nullopt;
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      if (required) error_ = "missing field " + in_quotes(key);
      return std::nullopt;
    }
    std::int64_t v = 0;
    if (it->is_number_unsigned()) {
      const auto u = it->get<std::uint64_t>();
      v = u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
              ? std::numeric_limits<std::int64_t>::max()
              : static_cast<std::int64_t>(u);
    } else if (it->is_number_integer()) {
      v = it->get<std::int64_t>();
    } else if (it->is_number_float()) {
      // 2000.0 is accepted as 2000: JSON writers in some languages print whole numbers that way.
      const double d = it->get<double>();
      if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9.0e15) {
        error_ = "field " + in_quotes(key) + " must be an integer";
        return std::nullopt;
      }
      v = static_cast<std::int64_t>(d);
    } else {
      error_ = "field " + in_quotes(key) + " must be an integer";
      return std::nullopt;
    }
    if (v < lo || v > hi) {
      error_ = "field " + in_quotes(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
               " (got " + std::to_string(v) + ")";
      return std::nullopt;
    }
    return v;
  }

  std::optional<nanos> interval(bool required) {
    auto v = integer("interval_ms", std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                     required);
    if (!v) return std::nullopt;
    // Compared as milliseconds: any int64 is a valid count of them, not every one a valid count of nanoseconds.
    if (*v < limits_.min_interval_ms) {
      error_ = below_min_text(*v, limits_.min_interval_ms);
      return std::nullopt;
    }
    if (*v > limits_.max_interval_ms) {
      error_ =
          "interval_ms " + std::to_string(*v) + " is above the maximum of " + std::to_string(limits_.max_interval_ms);
      return std::nullopt;
    }
    return std::chrono::milliseconds(*v);
  }

  std::optional<ip_version> family() {
    if (failed()) return std::nullopt;
    auto it = obj_.find("ip_version");
    if (it == obj_.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) {
      const auto& s = it->get_ref<const std::string&>();
      if (s == "auto" || s == "any") return ip_version::any;
      if (s == "4" || s == "ipv4" || s == "v4") return ip_version::v4;
      if (s == "6" || s == "ipv6" || s == "v6") return ip_version::v6;
    } else if (it->is_number_integer()) {
      const auto n = it->get<std::int64_t>();
      if (n == 4) return ip_version::v4;
      if (n == 6) return ip_version::v6;
    }
    error_ = "field \"ip_version\" must be \"auto\", \"4\" or \"6\"";
    return std::nullopt;
  }

  std::optional<bool> boolean(const char* key) {
    if (failed()) return std::nullopt;
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) {
      error_ = "field " + in_quotes(key) + " must be true or false";
      return std::nullopt;
    }
    return it->get<bool>();
  }

  std::optional<path_mode> path() {
    if (failed()) return std::nullopt;
    auto it = obj_.find("path");
    if (it == obj_.end() || it->is_null()) return std::nullopt;
    if (it->is_boolean()) return it->get<bool>() ? path_mode::on : path_mode::off;
    if (it->is_string() && it->get_ref<const std::string&>() == "auto") return path_mode::automatic;
    error_ = "field \"path\" must be \"auto\", true or false";
    return std::nullopt;
  }

  // An optional short text field; `fallback` when absent.
  std::string text(const char* key, std::string fallback) {
    if (failed()) return fallback;
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return fallback;
    if (!it->is_string() || it->get_ref<const std::string&>().size() > 64) {
      error_ = "field " + in_quotes(key) + " must be a string of at most 64 bytes";
      return fallback;
    }
    return it->get<std::string>();
  }

  std::optional<history_command> history() {
    auto t = required_target();
    if (!t) return std::nullopt;
    history_command h;
    h.target = std::move(*t);
    h.from = text("from", h.from);
    h.to = text("to", h.to);
    h.step = text("step", h.step);
    if (failed()) return std::nullopt;
    return h;
  }

  std::optional<target_request> request() {
    target_request r;
    auto t = required_target();
    if (!t) return std::nullopt;
    r.target = std::move(*t);
    r.interval = interval(false);
    if (auto v = integer("timeout_ms", 1, limits_.max_timeout_ms)) r.timeout = std::chrono::milliseconds(*v);
    if (auto v = integer("size", min_payload_size, max_payload_size)) r.size = static_cast<std::uint32_t>(*v);
    if (auto v = integer("ttl", 1, 255)) r.ttl = static_cast<int>(*v);
    if (auto v = integer("tos", 0, 255)) r.tos = static_cast<int>(*v);
    r.family = family();
    r.publish_samples = boolean("publish_samples");
    r.path = path();
    if (failed()) return std::nullopt;
    return r;
  }

 private:
  const json& obj_;
  const command_limits& limits_;
  std::string error_;
};

std::optional<command> simple_command(std::string_view name) {
  if (name == "start") return start_command{};
  if (name == "stop") return stop_command{};
  if (name == "status") return status_command{};
  if (name == "history_targets") return history_targets_command{};
  return std::nullopt;
}

void parse_object(const json& obj, const command_limits& limits, parsed_command& out) {
  auto id = obj.find("id");
  if (id != obj.end() && !id->is_null()) {
    if (id->is_string() || id->is_number()) {
      out.id = *id;
    } else {
      out.error = "field \"id\" must be a string or a number";
    }
  }
  auto cmd = obj.find("cmd");
  if (cmd == obj.end() || cmd->is_null()) {
    if (out.error.empty()) out.error = "missing field \"cmd\"";
    return;
  }
  if (!cmd->is_string()) {
    if (out.error.empty()) out.error = "field \"cmd\" must be a string";
    return;
  }
  out.name = clip(cmd->get_ref<const std::string&>());
  if (!out.error.empty()) return;

  const std::string& name = cmd->get_ref<const std::string&>();
  field_reader r(obj, limits);
  if (auto simple = simple_command(name)) {
    out.cmd = *simple;
  } else if (name == "set_target") {
    if (auto req = r.request()) out.cmd = set_target_command{std::move(*req)};
  } else if (name == "add_target") {
    if (auto req = r.request()) out.cmd = add_target_command{std::move(*req)};
  } else if (name == "remove_target") {
    if (auto t = r.required_target()) out.cmd = remove_target_command{std::move(*t)};
  } else if (name == "history") {
    if (auto h = r.history()) out.cmd = std::move(*h);
  } else if (name == "set_interval") {
    auto t = r.required_target();
    auto iv = r.interval(true);
    if (t && iv) out.cmd = set_interval_command{std::move(*t), *iv};
  } else {
    out.error = "unknown command " + in_quotes(clip(name));
    return;
  }
  if (r.failed()) out.error = r.take_error();
}

}  // namespace

target_spec target_request::apply(const probe_settings& defaults) const {
  target_spec spec = make_target(target, defaults);
  if (interval) spec.probe.interval = *interval;
  if (timeout) spec.probe.timeout = *timeout;
  if (size) spec.probe.size = *size;
  if (ttl) spec.probe.ttl = *ttl;
  if (tos) spec.probe.tos = *tos;
  if (family) spec.probe.family = *family;
  if (publish_samples) spec.probe.publish_samples = *publish_samples;
  if (path) spec.probe.path = *path;
  return spec;
}

std::optional<std::string> below_min_interval(nanos interval, std::int64_t min_interval_ms) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval).count();
  if (ms >= min_interval_ms) return std::nullopt;
  return below_min_text(ms, min_interval_ms);
}

std::string_view command_name(const command& c) {
  struct visitor {
    std::string_view operator()(const start_command&) const { return "start"; }
    std::string_view operator()(const stop_command&) const { return "stop"; }
    std::string_view operator()(const status_command&) const { return "status"; }
    std::string_view operator()(const set_target_command&) const { return "set_target"; }
    std::string_view operator()(const add_target_command&) const { return "add_target"; }
    std::string_view operator()(const remove_target_command&) const { return "remove_target"; }
    std::string_view operator()(const set_interval_command&) const { return "set_interval"; }
    std::string_view operator()(const history_command&) const { return "history"; }
    std::string_view operator()(const history_targets_command&) const { return "history_targets"; }
  };
  return std::visit(visitor{}, c);
}

parsed_command parse_command(std::string_view payload, const command_limits& limits) {
  parsed_command out;
  if (payload.size() > limits.max_payload_bytes) {
    out.error = "payload too large (" + std::to_string(payload.size()) + " bytes > " +
                std::to_string(limits.max_payload_bytes) + ")";
    return out;
  }
  const std::string_view body = trim(payload);
  if (body.empty()) {
    out.error = "empty command";
    return out;
  }
  if (is_bare_word(body)) {
    out.name = clip(body);
    if (auto simple = simple_command(body)) {
      out.cmd = *simple;
    } else {
      out.error = "unknown command " + in_quotes(clip(body));
    }
    return out;
  }
  json doc;
  try {
    doc = json::parse(payload);
  } catch (const json::parse_error& e) {
    out.error = "invalid JSON at byte " + std::to_string(e.byte);
    return out;
  } catch (const std::exception&) {
    out.error = "invalid JSON";
    return out;
  }
  if (!doc.is_object()) {
    out.error = "command must be a JSON object or one of start, stop, status";
    return out;
  }
  try {
    parse_object(doc, limits, out);
  } catch (const std::exception& e) {
    // Not expected (every access is type-checked first); a bug must not take the loop down.
    out.cmd.reset();
    out.error = std::string("invalid command: ") + e.what();
  }
  return out;
}

}  // namespace netstab::core

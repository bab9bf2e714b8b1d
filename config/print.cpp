#include "config/print.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <string_view>

#include "config/schema.hpp"

namespace netstab::config {
namespace {

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          std::array<char, 8> escape{};
          std::snprintf(escape.data(), escape.size(), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escape.data();
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string toml_number(double x) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), x);
  std::string out(buffer.data(), result.ptr);
  if (out.find_first_of(".eEn") == std::string::npos) {
    out += ".0";  // keep it a TOML float
  }
  return out;
}

std::string toml_literal(const value& v) {
  if (const auto* b = std::get_if<bool>(&v)) {
    return *b ? "true" : "false";
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return std::to_string(*i);
  }
  if (const auto* d = std::get_if<double>(&v)) {
    return toml_number(*d);
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    return toml_string(*s);
  }
  std::string out = "[";
  if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&v)) {
    for (const std::int64_t x : *ints) {
      out += out.size() > 1 ? ", " : "";
      out += std::to_string(x);
    }
  } else {
    for (const auto& s : std::get<std::vector<std::string>>(v)) {
      out += out.size() > 1 ? ", " : "";
      out += toml_string(s);
    }
  }
  return out + "]";
}

}  // namespace

std::string to_toml(const settings& s) {
  std::string out = "# netstab effective configuration (secrets masked)\n";
  // Targets whose probe settings all equal [probe] fit the short form; otherwise every target is a
  // [[target]] table listing only its differences, so that the order of targets is kept.
  bool all_default = true;
  for (const auto& target : s.targets) {
    for (const auto& spec : known_keys()) {
      if (spec.per_target && spec.fetch_probe(target.probe) != spec.fetch_probe(s.probe)) {
        all_default = false;
      }
    }
  }
  if (all_default) {
    std::vector<std::string> hosts;
    for (const auto& target : s.targets) {
      hosts.push_back(target.host);
    }
    out += "targets = " + toml_literal(hosts) + "\n";
  }
  for (const auto& section : sections()) {
    out += "\n[" + std::string(section) + "]\n";
    for (const auto& spec : known_keys()) {
      if (spec.section != section) {
        continue;
      }
      value v = spec.read(s);
      if (spec.secret && !std::get<std::string>(v).empty()) {
        if (spec.full_name() == "mqtt.password" && !s.mqtt.password_file.empty()) {
          out += "# password: read from password_file\n";
          continue;
        }
        v = std::string(secret_mask);
      }
      out += std::string(spec.name) + " = " + toml_literal(v) + "\n";
    }
  }
  if (!all_default) {
    for (const auto& target : s.targets) {
      out += "\n[[target]]\nhost = " + toml_string(target.host) + "\n";
      for (const auto& spec : known_keys()) {
        if (spec.per_target && spec.fetch_probe(target.probe) != spec.fetch_probe(s.probe)) {
          out += std::string(spec.name) + " = " + toml_literal(spec.fetch_probe(target.probe)) + "\n";
        }
      }
    }
  }
  return out;
}

}  // namespace netstab::config

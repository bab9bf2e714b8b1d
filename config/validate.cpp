#include "config/validate.hpp"

#include "core/ip_address.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace netstab::config {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

}  // namespace

std::optional<core::ip_version> ip_literal_family(std::string_view text) {
  const auto a = core::ip_address::parse(text);
  if (!a || text.front() == '[') return std::nullopt;
  return a->is_v4() ? core::ip_version::v4 : core::ip_version::v6;
}

std::optional<std::string> canonical_ip(std::string_view text) {
  if (!ip_literal_family(text)) return std::nullopt;
  return core::ip_address::parse(text)->text();
}

bool is_host_name(std::string_view text) {
  if (!text.empty() && text.back() == '.') {
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 253) {
    return false;
  }
  std::string_view last_label;
  while (true) {
    const auto dot = text.find('.');
    const std::string_view label = text.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
      return false;
    }
    last_label = label;
    if (dot == std::string_view::npos) {
      break;
    }
    text.remove_prefix(dot + 1);
  }
  // An all-numeric last label ("1.2.3", "10.0.0.256") is a malformed address, not a name (RFC 1123 2.1).
  return !std::all_of(last_label.begin(), last_label.end(), is_digit);
}

std::optional<std::string> check_host(std::string_view text) {
  if (ip_literal_family(text) || is_host_name(text)) {
    return std::nullopt;
  }
  return quoted(text) + " is not a valid IP address or host name";
}

std::optional<std::string> check_host_or_cidr(std::string_view text) {
  if (ip_literal_family(text) || is_host_name(text)) return std::nullopt;
  // A network: an address without brackets or zone, a '/' and a prefix length the family allows.
  const auto slash = text.find('/');
  if (slash != std::string_view::npos && ip_literal_family(text.substr(0, slash)) &&
      text.substr(0, slash).find('%') == std::string_view::npos && core::ip_network::parse(text)) {
    return std::nullopt;
  }
  return quoted(text) + " is not a valid host name, IP address or CIDR";
}

std::optional<std::string> check_topic_prefix(std::string_view text) {
  if (text.empty()) {
    return std::string("must not be empty");
  }
  if (text.find_first_of("+#") != std::string_view::npos) {
    return quoted(text) + " must not contain the MQTT wildcards '+' or '#'";
  }
  if (text.front() == '/' || text.back() == '/') {
    return quoted(text) + " must not start or end with '/'";
  }
  if (text.find("//") != std::string_view::npos) {
    return quoted(text) + " must not contain an empty level (\"//\")";
  }
  if (text.front() == '$') {
    return quoted(text) + " must not start with '$' (reserved for broker topics)";
  }
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return quoted(text) + " must not contain control characters";
  }
  return std::nullopt;
}

std::optional<std::string> check_agent(std::string_view text) {
  if (text.empty() || text.size() > 128) {
    return quoted(text) + " must have 1 to 128 characters";
  }
  const auto bad =
      std::find_if(text.begin(), text.end(), [](char c) { return !(is_alnum(c) || c == '.' || c == '_' || c == '-'); });
  if (bad != text.end()) {
    return quoted(text) + " may only contain letters, digits, '.', '_' and '-'";
  }
  return std::nullopt;
}

std::optional<std::string> check_interface_name(std::string_view text) {
  if (text.empty() || text.size() > 15 || std::any_of(text.begin(), text.end(), [](char c) {
        return c == '/' || c == ':' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    return quoted(text) + " is not a valid interface name (1 to 15 characters, no '/', ':' or spaces)";
  }
  return std::nullopt;
}

std::string agent_from_host_name(std::string_view host_name) {
  std::string agent(host_name.substr(0, 128));
  std::replace_if(
      agent.begin(), agent.end(), [](char c) { return !(is_alnum(c) || c == '.' || c == '_' || c == '-'); }, '-');
  return agent.empty() ? std::string("netstab") : agent;
}

namespace {

// The default port of a broker URL scheme; nothing for an unsupported one.
std::optional<std::uint16_t> default_port(std::string_view scheme) {
  if (scheme == "mqtt") return 1883;
  if (scheme == "mqtts") return 8883;
  if (scheme == "ws") return 80;
  if (scheme == "wss") return 443;
  return std::nullopt;
}

// The host and the port text of a URL's authority; `why` says what is wrong (to follow the quoted URL).
struct authority_parts {
  std::string_view host;
  std::optional<std::string_view> port;
  std::string why;
};

authority_parts bracketed_authority(std::string_view authority) {
  authority_parts out;
  const auto close = authority.find(']');
  if (close == std::string_view::npos) {
    out.why = " has an unterminated '[' in its host";
    return out;
  }
  out.host = authority.substr(1, close - 1);
  const std::string_view after = authority.substr(close + 1);
  if (!after.empty() && after.front() != ':') {
    out.why = " has text after ']' that is not a port";
  } else if (!after.empty()) {
    out.port = after.substr(1);
  }
  if (out.why.empty() && ip_literal_family(out.host) != core::ip_version::v6) {
    out.why = " has \"[" + std::string(out.host) + "]\", which is not an IPv6 address";
  }
  return out;
}

authority_parts split_authority(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    return bracketed_authority(authority);
  }
  authority_parts out;
  if (std::count(authority.begin(), authority.end(), ':') > 1) {
    out.why = " has an IPv6 address without brackets (write it as [address])";
    return out;
  }
  const auto colon = authority.find(':');
  out.host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    out.port = authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    out.why = " has no host";
  } else if (ip_literal_family(out.host) != core::ip_version::v4 && !is_host_name(out.host)) {
    out.why = " has the invalid host \"" + std::string(out.host) + "\" (IPv6 addresses go in brackets)";
  }
  return out;
}

std::optional<std::uint16_t> parse_port(std::string_view port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

broker_parse_result parse_broker_url(std::string_view text) {
  const auto fail = [&](const std::string& why) { return broker_parse_result{std::nullopt, quoted(text) + why}; };
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return fail(" is not a URL (expected mqtt://, mqtts://, ws:// or wss:// followed by a host)");
  }
  broker_address address;
  address.scheme = std::string(text.substr(0, scheme_end));
  std::transform(address.scheme.begin(), address.scheme.end(), address.scheme.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  const auto scheme_port = default_port(address.scheme);
  if (!scheme_port) {
    return fail(" has the unsupported scheme \"" + address.scheme + "\" (use mqtt://, mqtts://, ws:// or wss://)");
  }
  address.port = *scheme_port;
  std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    address.path = std::string(rest.substr(path_start));
    if (!address.websocket()) {
      return fail(" has a path, which only ws:// and wss:// URLs may have");
    }
    if (address.path.find_first_of(" ?#") != std::string::npos) {
      return fail(" has a path with a space, '?' or '#'");
    }
  }
  if (authority.find('@') != std::string_view::npos) {
    return fail(" contains user info; set mqtt.username and mqtt.password instead");
  }
  const authority_parts parts = split_authority(authority);
  if (!parts.why.empty()) {
    return fail(parts.why);
  }
  if (parts.port) {
    const auto port = parse_port(*parts.port);
    if (!port) {
      return fail(" has the invalid port \"" + std::string(*parts.port) + "\" (1 to 65535)");
    }
    address.port = *port;
  }
  address.host = std::string(parts.host);
  return broker_parse_result{std::move(address), {}};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace netstab::config

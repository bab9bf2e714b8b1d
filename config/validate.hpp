#pragma once
// Syntax rules for the string-valued settings: addresses, host names, CIDRs, MQTT topics and broker URLs.
// Pure functions, callable from any thread. Each check_* returns the problem as a sentence fragment (for
// "<where>: <problem>"), or nothing when the text is valid.
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.hpp"
#include "core/target.hpp"

namespace netstab::config {

// The family of an IPv4 or IPv6 address literal ("192.0.2.1", "2001:db8::1", "fe80::1%eth0"), or nothing.
std::optional<core::ip_version> ip_literal_family(std::string_view text);

// The canonical text of an address literal (inet_ntop form, zone kept), or nothing if it is not one.
std::optional<std::string> canonical_ip(std::string_view text);

// A syntactically valid DNS host name: letters, digits, hyphens and dots, labels of 1..63 characters that do
// not start or end with a hyphen, at most 253 characters, one optional trailing dot, last label not numeric.
bool is_host_name(std::string_view text);

// A target host: an address literal or a host name.
std::optional<std::string> check_host(std::string_view text);

// An allow/deny entry: a host name, an address literal or a CIDR ("10.0.0.0/8", "2001:db8::/32").
std::optional<std::string> check_host_or_cidr(std::string_view text);

// A topic prefix (mqtt.base_topic, discovery.prefix): not empty, no wildcards '+' '#', no leading, trailing
// or doubled '/', not starting with '$' (reserved by brokers), no control characters.
std::optional<std::string> check_topic_prefix(std::string_view text);

// An agent id: characters [A-Za-z0-9._-], 1..128 of them.
std::optional<std::string> check_agent(std::string_view text);

// An interface name as Linux accepts it: 1..15 characters, no '/', whitespace or ':'.
std::optional<std::string> check_interface_name(std::string_view text);

// The agent id derived from a host name: characters outside [A-Za-z0-9._-] become '-', empty becomes
// "netstab", longer than 128 is cut.
std::string agent_from_host_name(std::string_view host_name);

// A broker URL: mqtt://, mqtts://, ws:// or wss://, a host (name, IPv4, [IPv6]), an optional port 1..65535,
// and for ws/wss an optional path. No user info (credentials belong in mqtt.username / mqtt.password).
struct broker_parse_result {
  std::optional<broker_address> address;
  std::string problem;  // set when address is empty
};
broker_parse_result parse_broker_url(std::string_view text);

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace netstab::config

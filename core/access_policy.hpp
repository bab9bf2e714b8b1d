#pragma once
// Which targets MQTT commands may add: control.allow, control.deny, control.allow_loopback and
// control.allow_link_local, as one value with two checks.
//
// A rule is a network ("10.0.0.0/8", or an address, which is a host network) or a host-name pattern: an exact
// name, or "*.example.org" / ".example.org" for every name under a domain. Names compare without case.
// The checks, in order (the first that refuses answers):
// - deny: a host on the deny list (by name, or by address when it is a literal) is refused;
// - loopback and link-local addresses (and the name "localhost") are refused unless their switch is on or the
//   allow list names them;
// - allow: when the list is not empty, the host must be on it.
// A host name is checked twice: as named, before it is resolved (check_host), and again with the address it
// resolved to (check_resolved): the address must not be denied, and a name that resolves to a loopback or
// link-local address needs the switch (or the name or address on the allow list), so a DNS record can't
// smuggle in a target the literal would not get.
//
// Pure; any thread.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace netstab::core {

class access_rule {
 public:
  // A network or address literal, else a host-name pattern; nullopt for empty text.
  static std::optional<access_rule> parse(std::string_view text);

  bool matches_address(const ip_address& a) const;
  bool matches_name(std::string_view host) const;
  bool is_network() const { return std::holds_alternative<ip_network>(rule_); }
  const std::string& text() const { return text_; }  // as configured

  friend bool operator==(const access_rule&, const access_rule&) = default;

 private:
  std::variant<ip_network, std::string> rule_;  // the network, or the lower-case name pattern
  std::string text_;
};

struct access_config {
  std::vector<access_rule> allow;  // empty: any target not otherwise refused
  std::vector<access_rule> deny;
  bool allow_loopback = false;
  bool allow_link_local = false;

  friend bool operator==(const access_config&, const access_config&) = default;
};

class access_policy {
 public:
  explicit access_policy(access_config c) : c_(std::move(c)) {}

  // The host as a command names it; `literal` is its address when the host is an address literal.
  result<void> check_host(const std::string& host, const std::optional<ip_address>& literal) const;
  // A host name (already accepted by check_host) and the address it resolved to.
  result<void> check_resolved(const std::string& host, const ip_address& address) const;

 private:
  bool listed(const std::vector<access_rule>& list, std::string_view host, const ip_address* a) const;

  access_config c_;
};

}  // namespace netstab::core

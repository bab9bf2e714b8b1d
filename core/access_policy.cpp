#include "core/access_policy.hpp"

#include <algorithm>
#include <cctype>

namespace netstab::core {

namespace {

std::string lower(std::string_view v) {
  std::string out(v);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Appended piece by piece: `"\"" + std::string` makes GCC 12 at -O3 report a false -Werror=restrict.
std::string quoted(std::string_view s) {
  std::string out(1, '"');
  out.append(s);
  out.push_back('"');
  return out;
}

}  // namespace

std::optional<access_rule> access_rule::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  access_rule r;
  r.text_ = std::string(text);
  if (auto net = ip_network::parse(text)) {
    r.rule_ = *net;
  } else {
    r.rule_ = lower(text);
  }
  return r;
}

bool access_rule::matches_address(const ip_address& a) const {
  const auto* net = std::get_if<ip_network>(&rule_);
  return net != nullptr && (net->contains(a) || net->contains(a.unmapped()));
}

bool access_rule::matches_name(std::string_view host) const {
  const auto* pattern = std::get_if<std::string>(&rule_);
  if (pattern == nullptr) return false;
  const std::string h = lower(host);
  if (*pattern == h) return true;
  // "*.example.org" and ".example.org" match every name under the domain, not the domain itself.
  const std::string_view p = *pattern;
  const std::string_view suffix = p.starts_with("*.") ? p.substr(1) : p.starts_with(".") ? p : std::string_view();
  return !suffix.empty() && h.size() > suffix.size() && std::string_view(h).ends_with(suffix);
}

bool access_policy::listed(const std::vector<access_rule>& list, std::string_view host, const ip_address* a) const {
  return std::any_of(list.begin(), list.end(), [&](const access_rule& r) {
    return (a != nullptr && r.matches_address(*a)) || r.matches_name(host);
  });
}

result<void> access_policy::check_host(const std::string& host, const std::optional<ip_address>& literal) const {
  const ip_address* a = literal ? &*literal : nullptr;
  if (listed(c_.deny, host, a)) return error{"target not allowed: " + quoted(host) + " is on the deny list"};
  const bool allowed = listed(c_.allow, host, a);
  const bool loopback = a != nullptr ? a->is_loopback() : lower(host) == "localhost";
  if (loopback && !c_.allow_loopback && !allowed) {
    return error{"target not allowed: loopback addresses need control.allow_loopback = true"};
  }
  if (a != nullptr && a->is_link_local() && !c_.allow_link_local && !allowed) {
    return error{"target not allowed: link-local addresses need control.allow_link_local = true"};
  }
  if (!c_.allow.empty() && !allowed) return error{"target not allowed: " + quoted(host) + " is not on the allow list"};
  return success();
}

result<void> access_policy::check_resolved(const std::string& host, const ip_address& address) const {
  const std::string text = address.text();
  if (listed(c_.deny, text, &address)) {
    return error{"target not allowed: " + quoted(host) + " resolves to " + text + ", on the deny list"};
  }
  const bool allowed = listed(c_.allow, host, nullptr) || listed(c_.allow, text, &address);
  if (address.is_loopback() && !c_.allow_loopback && !allowed) {
    return error{"target not allowed: " + quoted(host) + " resolves to the loopback address " + text +
                 " (needs control.allow_loopback = true)"};
  }
  if (address.is_link_local() && !c_.allow_link_local && !allowed) {
    return error{"target not allowed: " + quoted(host) + " resolves to the link-local address " + text +
                 " (needs control.allow_link_local = true)"};
  }
  return success();
}

}  // namespace netstab::core

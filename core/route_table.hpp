#pragma once
// The default gateway from the kernel's routing table as Linux prints it in /proc/net/route (IPv4) and
// /proc/net/ipv6_route (IPv6): the verdict counts the gateway as LAN wherever it appears on a path
// (core/path.hpp). The service reads the files off the loop and hands their text here.
//
// A default route is one to 0.0.0.0/0 (::/0) that is up (RTF_UP) and goes through a gateway (RTF_GATEWAY);
// among several the lowest metric wins, the first listed on a tie. The gateway carries no zone: addresses seen
// on a path (the sources of Time Exceeded answers) carry none either, and the two are compared. Lines that do
// not parse are skipped.
//
// /proc/net/route prints each address as the hexadecimal of its 32-bit value in the machine's byte order, so
// the text is read back in this machine's byte order; parse it where it was read.
//
// Pure functions; any thread.
#include <optional>
#include <string_view>

#include "core/ip_address.hpp"

namespace netstab::core {

std::optional<ip_address> default_gateway_v4(std::string_view proc_net_route);
std::optional<ip_address> default_gateway_v6(std::string_view proc_net_ipv6_route);

struct gateways {
  std::optional<ip_address> v4, v6;
  friend bool operator==(const gateways&, const gateways&) = default;
};

}  // namespace netstab::core

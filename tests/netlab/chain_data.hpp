#pragma once
// The router chain's topology as data (see chain.hpp for the picture): its links with their addresses, its
// static routes, and the address each router answers from. Internal to chain.cpp and chain_faults.cpp.
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "tests/netlab/chain.hpp"

namespace netstab::netlab {

// A link between nodes a and b: a's interface is "to-<b>", b's is "to-<a>". IPv6 prefixes are /64.
struct link_spec {
  node a;
  node b;
  const char* a4;
  const char* b4;
  int prefix4;
  const char* a6;
  const char* b6;
};

// The main path first (host to target, in order), then the second path through alt.
inline constexpr std::size_t main_path_links = 5;
inline constexpr std::array<link_spec, 7> chain_links{{
    {node::host, node::lan, "192.168.1.10", "192.168.1.1", 24, "fd00:1::10", "fd00:1::1"},
    {node::lan, node::isp1, "100.64.1.2", "100.64.1.1", 30, "2001:db8:1::2", "2001:db8:1::1"},
    {node::isp1, node::isp2, "203.0.113.1", "203.0.113.2", 30, "2001:db8:2::1", "2001:db8:2::2"},
    {node::isp2, node::upstream, "198.51.100.1", "198.51.100.2", 30, "2001:db8:3::1", "2001:db8:3::2"},
    {node::upstream, node::target, "192.0.2.1", "192.0.2.2", 30, "2001:db8:4::1", "2001:db8:4::2"},
    {node::isp1, node::alt, "203.0.113.5", "203.0.113.6", 30, "2001:db8:5::1", "2001:db8:5::2"},
    {node::alt, node::upstream, "198.51.100.5", "198.51.100.6", 30, "2001:db8:6::1", "2001:db8:6::2"},
}};

// A static route at node `at` to `prefix` through the neighbour `via`. "default" is added for both families;
// other prefixes for their own family. Every router's default points towards the target; the host-side
// networks it is not connected to point towards the host. set_route replaces the defaults of isp1 and upstream.
struct route_spec {
  node at;
  const char* prefix;
  node via;
};

inline constexpr std::array<route_spec, 21> chain_routes{{
    {node::host, "default", node::lan},          {node::lan, "default", node::isp1},
    {node::isp1, "default", node::isp2},         {node::isp1, "192.168.1.0/24", node::lan},
    {node::isp1, "fd00:1::/64", node::lan},      {node::isp2, "default", node::upstream},
    {node::isp2, "192.168.1.0/24", node::isp1},  {node::isp2, "100.64.1.0/30", node::isp1},
    {node::isp2, "203.0.113.4/30", node::isp1},  {node::isp2, "fd00:1::/64", node::isp1},
    {node::isp2, "2001:db8:1::/64", node::isp1}, {node::isp2, "2001:db8:5::/64", node::isp1},
    {node::alt, "default", node::upstream},      {node::alt, "192.168.1.0/24", node::isp1},
    {node::alt, "100.64.1.0/30", node::isp1},    {node::alt, "203.0.113.0/30", node::isp1},
    {node::alt, "fd00:1::/64", node::isp1},      {node::alt, "2001:db8:1::/64", node::isp1},
    {node::alt, "2001:db8:2::/64", node::isp1},  {node::upstream, "default", node::isp2},
    {node::target, "default", node::upstream},
}};

// The address of `self` on its link to `peer`. Throws std::logic_error when they share no link.
inline std::string address_on_link(node self, node peer, ip_family f) {
  for (const link_spec& l : chain_links) {
    if (l.a == self && l.b == peer) {
      return f == ip_family::v4 ? l.a4 : l.a6;
    }
    if (l.b == self && l.a == peer) {
      return f == ip_family::v4 ? l.b4 : l.b6;
    }
  }
  throw std::logic_error(std::string("chain: ") + to_string(self) + " has no link to " + to_string(peer));
}

}  // namespace netstab::netlab

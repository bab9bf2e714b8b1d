#pragma once
// Segments of a network path: which part of the way to a target a hop belongs to, so that a verdict can name
// whose fault a degradation is (docs/verdict.md has the rules with examples).
//
// Segments, nearest first: `host` (this machine: process latency rising while RTT does not), `lan` (hop 1, the
// default gateway, and the private hops right after it), `isp` (the first hops after the LAN), `upstream` (the
// rest before the target), `remote` (the target itself). A verdict is also `ok` or `unknown` (degraded, but the
// path data cannot place it).
//
// classify_path assigns each hop of a traced path a segment from its position and address class:
// - LAN: hop 1 always (it is the first router, whatever its address), then every following private,
//   link-local or loopback hop (RFC 1918, IPv6 unique local fc00::/7, fe80::/10) up to the first hop of another
//   class; a hop equal to the default gateway is LAN wherever it appears, and so is every hop before it.
// - ISP: after the LAN, every CGNAT (100.64.0.0/10) or private hop up to the first public one, then
//   `isp_public_hops` answering public hops (default 2: an access network's first public routers, its
//   BNG/BRAS and an aggregation router, belong to the ISP; past them the path usually enters a core or a peering
//   point). A CGNAT hop further on is still the ISP's (that address space exists only inside an ISP), and so is
//   every hop before it.
// - upstream: every hop after the ISP.
// Silent hops (no address) do not end a run and do not count as public hops. Segments are contiguous (LAN, then
// ISP, then upstream), so a silent hop between two hops of one segment gets that segment, and a silent hop at a
// boundary gets the later segment of its position.
// Overrides: `lan_hops` makes exactly that many first hops LAN (0: no LAN, e.g. a host that dials PPPoE itself or
// a phone); `isp_hops` makes exactly that many hops after the LAN the ISP's. Either may be set alone.
//
// The target (which answers at TTL hops.size() + 1) is `lan` when it is the gateway, when it answers at TTL 1, or
// when lan_hops covers its TTL; `isp` when its address is CGNAT or isp_hops covers its TTL; `remote` otherwise.
// A private target further away (a server on a corporate network) is `remote`: loss at it is its own.
//
// Pure functions; any thread.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"

namespace netstab::core {

enum class segment : std::uint8_t { ok, host, lan, isp, upstream, remote, unknown };

std::string_view to_string(segment s);  // "ok", "host", "lan", "isp", "upstream", "remote", "unknown"
std::optional<segment> parse_segment(std::string_view text);
// How reason texts name a segment: "LAN", "ISP", "upstream", "target", "host", "ok", "unknown".
std::string_view segment_label(segment s);

struct path_config {
  std::optional<unsigned> lan_hops;  // exactly this many first hops are LAN; nullopt: the heuristic
  std::optional<unsigned> isp_hops;  // exactly this many hops after the LAN are the ISP's; nullopt: the heuristic
  unsigned isp_public_hops = 2;      // the heuristic's count of answering public ISP hops
};

struct path_segments {
  std::vector<segment> hops;  // hops[i] is the segment of TTL i + 1
  segment target = segment::remote;
};

// hops: the address that answered at each TTL from 1 up to the hop before the target (nullopt: no answer); the
// target itself is not in the list. gateway: the default gateway from the routing table, when known.
path_segments classify_path(std::span<const std::optional<ip_address>> hops, const ip_address& target,
                            const std::optional<ip_address>& gateway, const path_config& cfg);

}  // namespace netstab::core

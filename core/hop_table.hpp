#pragma once
// The routers on the monitored paths, one entry per router address, measured as MTR does: TTL-limited probes
// along a real path expire at the router, whose Time Exceeded answer is the hop's reply.
//
// A router on several paths (the LAN gateway is hop 1 of every target) is one hop: its entry lists every route
// to it (a target and the TTL at which the router sits on that target's path) and is probed once per interval
// through one of them, in turn, so the rate at the router holds however many targets share it. An entry lives
// while at least one path holds it.
//
// Schedule: a hop is due at next_probe; when a probe is sent at t its next one is due at t + interval (so two
// probes to a hop are never closer than the interval, however late the first one went). A new hop's first
// probe is staggered within one interval (golden-ratio offsets, core/scheduler.hpp), so the hops of a fresh
// path are not all due at once. The caller charges each probe to the probe budget; one it cannot send now
// stays due.
//
// Statistics per hop: a window_stats over the primary window (sent, received, lost, RTT percentiles, jitter
// from consecutive RTTs) and the hop's RTT baseline (core/baseline.hpp). Outcomes are recorded at resolution:
// the send is counted then, in the bucket of its send time, so a probe whose answer came from another router
// (the path changed) can be left out of this hop's figures altogether.
//
// Not thread-safe; one owner (the loop thread). Time is passed in.
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/baseline.hpp"
#include "core/ip_address.hpp"
#include "core/stats_snapshot.hpp"
#include "core/time.hpp"
#include "core/window_stats.hpp"

namespace netstab::core {

struct hop_table_config {
  nanos window{std::chrono::seconds(60)};
  unsigned buckets = 12;
  nanos interval{std::chrono::seconds(1)};  // at most one probe per interval to any hop
};

// One way to reach a hop: the target whose path holds it, and its TTL there.
struct hop_route {
  std::uint32_t target = 0;
  unsigned ttl = 0;
  friend bool operator==(const hop_route&, const hop_route&) = default;
};

class hop_table {
 public:
  struct hop {
    hop(const ip_address& a, const hop_table_config& cfg, mono_time first);
    ip_address address;
    window_stats window;
    baseline_tracker baseline;
    std::vector<hop_route> routes;
    std::size_t turn = 0;  // the route the next probe takes
    mono_time next_probe{};
    bool deferred = false;  // the current due probe has waited for the budget (counted once)
    std::optional<std::uint32_t> last_rtt_us;
  };

  explicit hop_table(const hop_table_config& cfg) : cfg_(cfg) {}

  // Adds a route to the hop at address (creating the hop, first probe staggered from now).
  void add_route(const ip_address& address, hop_route r, mono_time now);
  // Drops every route of a target; hops left without a route are removed.
  void remove_target(std::uint32_t target);
  // Makes `routes` (address and TTL) the target's routes: the others are dropped (hops left without one are
  // removed), new ones added. A hop the target keeps keeps its statistics.
  void set_routes(std::uint32_t target, const std::vector<std::pair<ip_address, unsigned>>& routes, mono_time now);

  hop* find(const ip_address& address);
  const hop* find(const ip_address& address) const;
  std::size_t size() const { return hops_.size(); }

  // The hop due earliest at now (next_probe <= now), or nullptr; and when the next one is due.
  hop* due(mono_time now);
  std::optional<mono_time> next_due() const;
  // A probe to h goes out at now through the route it returns; the hop's next probe is due one interval later.
  hop_route on_probe(hop& h, mono_time now);

  // Outcomes of a probe sent at sent_at: answered at `at` with rtt, or lost.
  void on_reply(const ip_address& address, mono_time sent_at, mono_time at, nanos rtt);
  void on_lost(const ip_address& address, mono_time sent_at, mono_time at);
  // The hop's window as seen at now (rtt percentiles and counters).
  stats_snapshot snapshot(const hop& h, mono_time now) const;

 private:
  hop_table_config cfg_;
  std::unordered_map<ip_address, hop> hops_;
  std::uint32_t added_ = 0;  // hops ever added: the stagger index
};

}  // namespace netstab::core

#pragma once
// The router chain: network namespaces as real Linux routers between the host that runs netstab and its target,
// so TTL-limited probes expire at real routers and the Time Exceeded answers come from the kernel, as on the
// internet.
//
//   host ── lan ── isp1 ── isp2 ── upstream ── target
//                     └─── alt ───┘            (a second path, chosen with set_route(route::alternate))
//
// Links, IPv4 and IPv6 (each router's interface towards node X is named "to-X"):
//   host–lan       192.168.1.0/24   host .10, lan .1    fd00:1::/64      host ::10, lan ::1   (private LAN, ULA)
//   lan–isp1       100.64.1.0/30    lan .2, isp1 .1     2001:db8:1::/64  lan ::2, isp1 ::1    (CGNAT: the lan
//                                                                         router's WAN address is the ISP's)
//   isp1–isp2      203.0.113.0/30   isp1 .1, isp2 .2    2001:db8:2::/64  isp1 ::1, isp2 ::2
//   isp2–upstream  198.51.100.0/30  isp2 .1, upst. .2   2001:db8:3::/64  isp2 ::1, upstream ::2
//   upstream–target 192.0.2.0/30    upst. .1, target .2 2001:db8:4::/64  upstream ::1, target ::2
//   isp1–alt       203.0.113.4/30   isp1 .5, alt .6     2001:db8:5::/64  isp1 ::1, alt ::2
//   alt–upstream   198.51.100.4/30  alt .5, upst. .6    2001:db8:6::/64  alt ::1, upstream ::2
// Every router forwards both families and has static routes both ways (default towards the target, the
// host-side networks towards the host). A router answers a probe that expires there from its address on the
// link towards the host (the kernel picks the source by the route back), so the hop of each TTL is in
// primary_hops / alternate_hops. The per-destination ICMP error rate limit (net.ipv4.icmp_ratelimit,
// net.ipv6.icmp.ratelimit) is off on every node, so rapid probes all get answers until a test turns it on
// (set_icmp_limits); the global limit keeps the kernel's defaults (1000/s, burst 50).
//
// A chain owns its namespaces (named nsch-<pid>-<n>-<node>), its delay forwarder and its scratch directory:
// the destructor deletes them, also when a test fails or throws; leftovers of killed runs (their pid gone)
// are swept by the next construction. Methods throw std::runtime_error with the failing command and its output
// when a step fails, std::invalid_argument on a request that makes no sense for the node. Needs root. Used
// from the test thread only.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace netstab::netlab {

enum class node : std::uint8_t { host, lan, isp1, isp2, upstream, target, alt };
inline constexpr std::array<node, 7> all_nodes{node::host,     node::lan,    node::isp1, node::isp2,
                                               node::upstream, node::target, node::alt};
const char* to_string(node n);

enum class ip_family : std::uint8_t { v4, v6 };

// The router that answers a probe with a given TTL, and the address its answer comes from.
struct hop_address {
  node router;
  const char* v4;
  const char* v6;
  const char* address(ip_family f) const { return f == ip_family::v4 ? v4 : v6; }
};

struct chain_options {
  // The main-path link from this node towards the target (host, lan, isp1, isp2 or upstream) is made a
  // delaying link: two TUN devices joined by netlab_delay_link instead of a veth pair. Only one link can be.
  std::optional<node> delayed_link{};
  std::chrono::microseconds delay{0};   // initial delay, each way
  std::chrono::microseconds jitter{0};  // initial jitter, each way
  // NAT as at home behind CGNAT: the lan router masquerades IPv4 towards isp1, and isp1 masquerades
  // 100.64.0.0/10 towards isp2 and alt. IPv6 is routed without translation.
  bool nat = false;
};

// Which forwarded packets a router's forward loss applies to.
enum class loss_direction : std::uint8_t {
  outbound,  // forwarded packets travelling away from the host (towards the target)
  inbound,   // forwarded packets travelling towards the host
  both,
};

// The kernel's ICMP rate limits inside one node. per_destination: the minimum spacing of ICMP errors (Time
// Exceeded, unreachable) to one destination, both families (0: off; the kernel's default is 1000 ms for IPv4
// and 100 ms for IPv6, with a burst of six): exact, so it is the one to emulate a rate-limiting router with.
// msgs_per_sec and msgs_burst: the node's global token bucket for ICMP output, shared by IPv4 and IPv6; the
// kernel charges it a random amount per message, so it limits only roughly.
struct icmp_limits {
  std::chrono::milliseconds per_destination{0};
  int msgs_per_sec = 1000;
  int msgs_burst = 50;
};

// Echo requests counted in a node's prerouting hook: every request that reached it, whether it expired there,
// was forwarded or was addressed to it; and those that arrived with TTL / hop limit 1 (they expire at this node
// unless addressed to it).
struct echo_counts {
  std::uint64_t v4 = 0;
  std::uint64_t v6 = 0;
  std::uint64_t v4_ttl1 = 0;
  std::uint64_t v6_ttl1 = 0;
};

enum class route : std::uint8_t { primary, alternate };

class chain {
 public:
  static constexpr const char* host_v4 = "192.168.1.10";
  static constexpr const char* host_v6 = "fd00:1::10";
  static constexpr const char* target_v4 = "192.0.2.2";
  static constexpr const char* target_v6 = "2001:db8:4::2";
  static constexpr int target_ttl = 5;  // the TTL at which probes from the host reach the target
  // Index ttl - 1; the last entry is the target, which answers the echo itself.
  static const std::array<hop_address, 5> primary_hops;    // through isp2
  static const std::array<hop_address, 5> alternate_hops;  // through alt
  static const char* target(ip_family f) { return f == ip_family::v4 ? target_v4 : target_v6; }

  explicit chain(chain_options options = {});
  chain(const chain&) = delete;
  chain& operator=(const chain&) = delete;
  ~chain();

  // The namespace name of a node, for `ip netns exec NAME` or `ip -n NAME`.
  std::string netns(node n) const;
  const std::string& prefix() const { return prefix_; }

  // Runs argv inside the node's namespace and captures its output; the command's own failure is in the result
  // (not thrown). Throws std::runtime_error only when it cannot be started.
  test::run_result exec(node n, const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Starts a long-running argv inside the node's namespace (e.g. netstab in host). The child's pid is the
  // program's own (ip netns exec replaces itself), so it can be signalled or CPU-limited.
  std::unique_ptr<test::child> start(node n, const std::vector<std::string>& argv) const;

  // The hop that answers TTL ttl (1..5) on the current route.
  const hop_address& hop(int ttl) const;

  // Switches the route between isp1 and upstream, both directions and both families, so hops 3 and 4 change
  // (isp2 -> alt, and upstream answers from its other link). Takes effect for the next packet.
  void set_route(route r);
  route current_route() const { return route_; }

  // Loss with nftables, numgen random. Forwarded loss at a router carries forward: every hop behind it and the
  // target lose that share (in the direction given). Answer loss drops the node's own ICMP answers (echo
  // replies, Time Exceeded, unreachable), so only that hop loses; at the target it is the target's reply loss.
  // Percentages are 0..100 at a resolution of 0.01 (std::invalid_argument outside). A new setting replaces the
  // previous one of its kind; 0 removes it.
  void set_forward_loss(node n, double percent, loss_direction d = loss_direction::outbound);
  // Ingress loss drops packets as they arrive at a router from the host's side, before it routes them: the probes
  // that would expire there, those addressed to it and those it would forward alike. That is a lossy router (or
  // the line into it) as the host's traffic meets it, and unlike forward loss it shows at the router's own hop:
  // a lossy LAN router is hop 1 losing, with everything behind it.
  void set_ingress_loss(node n, double percent);
  void set_answer_loss(node n, double percent);
  void set_target_reply_loss(double percent) { set_answer_loss(node::target, percent); }
  void clear_loss(node n);

  // Sets the kernel's ICMP limits inside node n (see icmp_limits); icmp_limits{} turns the chain's default back on.
  void set_icmp_limits(node n, const icmp_limits& limits);

  // Changes the delaying link's delay and jitter (each way) for packets entering it from now on, and returns
  // once the forwarder confirmed. Throws std::logic_error without chain_options::delayed_link.
  void set_link_delay(std::chrono::microseconds delay, std::chrono::microseconds jitter = {});

  echo_counts echo_requests(node n) const;
  void reset_counters();

 private:
  void setup();
  void teardown() noexcept;
  void configure_node(node n);
  void add_delaying_link(node a, node b);
  std::vector<std::string> addresses_and_routes(node n) const;
  void batch(std::optional<node> n, const std::vector<std::string>& lines) const;
  void add_nat();
  void wait_until_routed();
  void must(node n, const std::vector<std::string>& argv) const;
  void nft(node n, const std::string& script) const;

  chain_options options_;
  std::string prefix_;
  std::string scratch_dir_;
  route route_ = route::primary;
  std::vector<node> created_;
  std::unique_ptr<test::child> forwarder_;
};

}  // namespace netstab::netlab

#include "tests/netlab/chain.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "tests/netlab/chain_data.hpp"
#include "tests/netlab/stale.hpp"

namespace netstab::netlab {

namespace {

constexpr auto step_timeout = std::chrono::seconds(10);

std::string joined(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const auto& a : argv) {
    cmd += (cmd.empty() ? "" : " ") + a;
  }
  return cmd;
}

void must_run(const std::vector<std::string>& argv) {
  const test::run_result r = test::run(argv, step_timeout);
  if (r.exit_code != 0) {
    throw std::runtime_error("chain: '" + joined(argv) + "' failed (" + std::to_string(r.exit_code) + "): " + r.err +
                             r.out);
  }
}

// Deletes the namespaces and scratch directories of earlier test processes that were killed before their
// destructors ran (stale.hpp). Processes still inside such a namespace were started by that
// run (netstab, a shell), so they are killed first; otherwise the namespace would live on with them.
void sweep_stale() {
  const test::run_result r = test::run({"ip", "netns", "list"}, step_timeout);
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string ns = line.substr(0, line.find(' '));
    if (!owner_is_gone(ns)) {
      continue;
    }
    std::istringstream pids(test::run({"ip", "netns", "pids", ns}, step_timeout).out);
    for (pid_t pid = 0; pids >> pid;) {
      ::kill(pid, SIGKILL);
    }
    test::run({"ip", "netns", "del", ns}, step_timeout);
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
    if (owner_is_gone(entry.path().filename().string())) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

std::string unique_prefix() {
  static std::atomic<int> counter{0};
  return std::string(stale_prefix) + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

std::string iface(node peer) { return std::string("to-") + to_string(peer); }

constexpr const char* counters_table =
    "table inet netlab_count {\n"
    " counter echo4 { }\n counter echo6 { }\n counter ttl1_4 { }\n counter ttl1_6 { }\n"
    " chain prerouting {\n"
    "  type filter hook prerouting priority -300; policy accept;\n"
    "  icmp type echo-request counter name \"echo4\"\n"
    "  icmp type echo-request ip ttl 1 counter name \"ttl1_4\"\n"
    "  icmpv6 type echo-request counter name \"echo6\"\n"
    "  icmpv6 type echo-request ip6 hoplimit 1 counter name \"ttl1_6\"\n"
    " }\n"
    "}\n";

}  // namespace

const std::array<hop_address, 5> chain::primary_hops{{
    {node::lan, "192.168.1.1", "fd00:1::1"},
    {node::isp1, "100.64.1.1", "2001:db8:1::1"},
    {node::isp2, "203.0.113.2", "2001:db8:2::2"},
    {node::upstream, "198.51.100.2", "2001:db8:3::2"},
    {node::target, "192.0.2.2", "2001:db8:4::2"},
}};

// Through alt, upstream's route back to the host leaves through its link to alt, so it answers from there.
const std::array<hop_address, 5> chain::alternate_hops{{
    {node::lan, "192.168.1.1", "fd00:1::1"},
    {node::isp1, "100.64.1.1", "2001:db8:1::1"},
    {node::alt, "203.0.113.6", "2001:db8:5::2"},
    {node::upstream, "198.51.100.6", "2001:db8:6::2"},
    {node::target, "192.0.2.2", "2001:db8:4::2"},
}};

const char* to_string(node n) {
  switch (n) {
    case node::host:
      return "host";
    case node::lan:
      return "lan";
    case node::isp1:
      return "isp1";
    case node::isp2:
      return "isp2";
    case node::upstream:
      return "upstream";
    case node::target:
      return "target";
    case node::alt:
      return "alt";
  }
  return "?";
}

chain::chain(chain_options options) : options_(options), prefix_(unique_prefix()) {
  sweep_stale();
  try {
    setup();
  } catch (...) {
    teardown();
    throw;
  }
}

chain::~chain() { teardown(); }

std::string chain::netns(node n) const { return prefix_ + "-" + to_string(n); }

void chain::must(node n, const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", netns(n)};
  full.insert(full.end(), argv.begin(), argv.end());
  must_run(full);
}

void chain::nft(node n, const std::string& script) const { must(n, {"nft", script}); }

void chain::setup() {
  if (options_.delayed_link && (*options_.delayed_link == node::target || *options_.delayed_link == node::alt)) {
    throw std::invalid_argument("chain: the delayed link is named by its host-side node on the main path");
  }
  scratch_dir_ = "/tmp/" + prefix_;
  std::filesystem::create_directories(scratch_dir_);
  // Batches keep the set-up to a few dozen processes: the namespaces, each node's settings (before its links
  // exist, so they inherit the defaults), the links (veth pairs made straight inside their namespaces), then
  // each node's addresses and routes.
  created_.assign(all_nodes.begin(), all_nodes.end());  // teardown deletes whichever of them exist
  std::vector<std::string> root;
  for (node n : all_nodes) {
    root.push_back("netns add " + netns(n));
  }
  batch(std::nullopt, root);
  for (node n : all_nodes) {
    configure_node(n);
  }
  root.clear();
  for (std::size_t i = 0; i < chain_links.size(); ++i) {
    const link_spec& l = chain_links[i];
    if (options_.delayed_link == l.a && i < main_path_links) {
      add_delaying_link(l.a, l.b);
    } else {
      root.push_back("link add " + iface(l.b) + " netns " + netns(l.a) + " type veth peer name " + iface(l.a) +
                     " netns " + netns(l.b));
    }
  }
  batch(std::nullopt, root);
  for (node n : all_nodes) {
    batch(n, addresses_and_routes(n));
  }
  if (options_.nat) {
    add_nat();
  }
  wait_until_routed();
  reset_counters();
}

// No duplicate address detection (addresses, link-local ones included, are usable at once), no reverse-path
// filter (the route switch changes paths under running flows), no per-destination ICMP error limit (see the
// header); routers forward.
void chain::configure_node(node n) {
  std::string script =
      "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 "
      "net.ipv4.conf.default.rp_filter=0 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0\n";
  if (n != node::host && n != node::target) {
    script += "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1\n";
  }
  script += "ip link set lo up\n";
  if (n != node::host) {
    script += "nft \"$1\"\n";
  }
  must(n, {"sh", "-ec", script, "sh", counters_table});
}

// The `ip -batch` lines that give node n its addresses, bring its links up and add its static routes. The
// address family of a line follows from its addresses.
std::vector<std::string> chain::addresses_and_routes(node n) const {
  std::vector<std::string> lines;
  for (const link_spec& l : chain_links) {
    if (l.a != n && l.b != n) {
      continue;
    }
    const bool is_a = l.a == n;
    const std::string dev = iface(is_a ? l.b : l.a);
    lines.push_back(std::string("addr add ") + (is_a ? l.a4 : l.b4) + "/" + std::to_string(l.prefix4) + " dev " + dev);
    lines.push_back(std::string("addr add ") + (is_a ? l.a6 : l.b6) + "/64 dev " + dev + " nodad");
    lines.push_back("link set " + dev + " up");
  }
  for (const route_spec& r : chain_routes) {
    if (r.at != n) {
      continue;
    }
    const std::string_view prefix = r.prefix;
    if (prefix == "default" || prefix.find(':') == std::string_view::npos) {
      lines.push_back(std::string("route add ") + r.prefix + " via " + address_on_link(r.via, n, ip_family::v4));
    }
    if (prefix == "default" || prefix.find(':') != std::string_view::npos) {
      lines.push_back(std::string("route add ") + r.prefix + " via " + address_on_link(r.via, n, ip_family::v6));
    }
  }
  return lines;
}

// Runs lines through one `ip -batch` (inside node n's namespace, or in ours); on failure the error names the
// command that failed.
void chain::batch(std::optional<node> n, const std::vector<std::string>& lines) const {
  if (lines.empty()) {
    return;
  }
  const std::string file = scratch_dir_ + "/batch-" + (n ? to_string(*n) : "root");
  {
    std::ofstream out(file);
    for (const auto& l : lines) {
      out << l << '\n';
    }
  }
  std::vector<std::string> argv = {"ip"};
  if (n) {
    argv.insert(argv.end(), {"-n", netns(*n)});
  }
  argv.insert(argv.end(), {"-batch", file});
  const test::run_result r = test::run(argv, step_timeout);
  if (r.exit_code != 0) {
    std::string all;
    for (const auto& l : lines) {
      all += "\n  " + l;
    }
    throw std::runtime_error("chain: '" + joined(argv) + "' failed (" + std::to_string(r.exit_code) + "): " + r.err +
                             r.out + "; the batch:" + all);
  }
}

void chain::add_delaying_link(node a, node b) {
  const std::string control = scratch_dir_ + "/delay.ctl";
  if (::mkfifo(control.c_str(), 0600) != 0) {
    throw std::runtime_error("chain: mkfifo " + control + ": " + std::strerror(errno));
  }
  forwarder_ = std::make_unique<test::child>(std::vector<std::string>{
      "ip", "netns", "exec", netns(a), NETLAB_DELAY_LINK, "--tun-a", iface(b), "--peer-netns", "/run/netns/" + netns(b),
      "--tun-b", iface(a), "--delay-us", std::to_string(options_.delay.count()), "--jitter-us",
      std::to_string(options_.jitter.count()), "--control", control, "--realtime"});
  const auto ready = forwarder_->read_line(step_timeout);
  if (!ready || nlohmann::json::parse(*ready, nullptr, false).value("type", "") != "ready") {
    throw std::runtime_error("chain: the delay forwarder did not report ready" +
                             (ready ? ": '" + *ready + "'" : std::string()));
  }
}

void chain::set_route(route r) {
  const node via = r == route::primary ? node::isp2 : node::alt;
  for (node at : {node::isp1, node::upstream}) {
    batch(at, {"route replace default via " + address_on_link(via, at, ip_family::v4),
               "route replace default via " + address_on_link(via, at, ip_family::v6)});
  }
  route_ = r;
}

const hop_address& chain::hop(int ttl) const {
  if (ttl < 1 || ttl > target_ttl) {
    throw std::invalid_argument("chain: no hop at TTL " + std::to_string(ttl));
  }
  const auto& hops = route_ == route::primary ? primary_hops : alternate_hops;
  return hops[static_cast<std::size_t>(ttl - 1)];
}

void chain::add_nat() {
  nft(node::lan,
      "table ip netlab_nat {\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n"
      "  oifname \"to-isp1\" masquerade\n }\n}\n");
  nft(node::isp1,
      "table ip netlab_nat {\n chain postrouting {\n  type nat hook postrouting priority srcnat; policy accept;\n"
      "  ip saddr 100.64.0.0/10 oifname { \"to-isp2\", \"to-alt\" } masquerade\n }\n}\n");
}

// The chain is ready when an echo from the host reaches the target and comes back, in both families.
void chain::wait_until_routed() {
  const auto deadline = std::chrono::steady_clock::now() + step_timeout;
  for (const char* target : {target_v4, target_v6}) {
    for (;;) {
      const test::run_result r = exec(node::host, {"ping", "-n", "-c", "1", "-W", "1", target}, step_timeout);
      if (r.exit_code == 0) {
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error(std::string("chain: the target ") + target + " is not reachable: " + r.out + r.err);
      }
    }
  }
}

void chain::teardown() noexcept {
  try {
    forwarder_.reset();
    for (node n : created_) {
      test::run({"ip", "netns", "del", netns(n)}, step_timeout);
    }
    created_.clear();
    if (!scratch_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir_, ec);
    }
  } catch (...) {
    // A destructor must not throw; what is left behind is swept by the next run (its owner pid is gone).
  }
}

test::run_result chain::exec(node n, const std::vector<std::string>& argv, std::chrono::milliseconds timeout) const {
  std::vector<std::string> full = {"ip", "netns", "exec", netns(n)};
  full.insert(full.end(), argv.begin(), argv.end());
  return test::run(full, timeout);
}

std::unique_ptr<test::child> chain::start(node n, const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", netns(n)};
  full.insert(full.end(), argv.begin(), argv.end());
  return std::make_unique<test::child>(full);
}

}  // namespace netstab::netlab

// The chain's faults and instruments: loss with nftables, the kernel's ICMP rate limits, the delaying link's
// control, and the echo request counters.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tests/netlab/chain.hpp"

namespace netstab::netlab {

namespace {

constexpr auto step_timeout = std::chrono::seconds(10);

// The nft statement that drops `percent` of the packets it sees at random, at a resolution of 0.01 %: numgen draws
// 0..9999. Empty for 0 %, a plain drop for 100 %.
std::string random_drop(double percent) {
  if (!(percent >= 0.0 && percent <= 100.0)) {
    throw std::invalid_argument("chain: a loss percentage must be within 0..100, got " + std::to_string(percent));
  }
  const long threshold = std::lround(percent * 100.0);
  if (threshold == 0) {
    return {};
  }
  return threshold >= 10000 ? "drop" : "numgen random mod 10000 < " + std::to_string(threshold) + " drop";
}

// The interfaces of a router that face the host; the others face the target.
std::string host_side_set(node n) {
  switch (n) {
    case node::lan:
      return "{ \"to-host\" }";
    case node::isp1:
      return "{ \"to-lan\" }";
    case node::isp2:
    case node::alt:
      return "{ \"to-isp1\" }";
    case node::upstream:
      return "{ \"to-isp2\", \"to-alt\" }";
    case node::host:
    case node::target:
      break;
  }
  throw std::invalid_argument(std::string("chain: ") + to_string(n) + " is not a router");
}

// An nft script that replaces table inet `name` with `body` (nothing when body is empty), atomically: the first
// line creates the table when absent, so the delete never fails.
std::string replace_table(const std::string& name, const std::string& body) {
  std::string script = "table inet " + name + "\ndelete table inet " + name + "\n";
  if (!body.empty()) {
    script += "table inet " + name + " {\n" + body + "}\n";
  }
  return script;
}

}  // namespace

void chain::set_forward_loss(node n, double percent, loss_direction d) {
  const std::string drop = random_drop(percent);
  const std::string host_side = host_side_set(n);
  std::string body;
  if (!drop.empty()) {
    const std::string match = d == loss_direction::outbound  ? "iifname " + host_side + " "
                              : d == loss_direction::inbound ? "oifname " + host_side + " "
                                                             : "";
    body = " chain forward {\n  type filter hook forward priority 0; policy accept;\n  " + match + drop + "\n }\n";
  }
  nft(n, replace_table("netlab_forward_loss", body));
}

void chain::set_ingress_loss(node n, double percent) {
  const std::string drop = random_drop(percent);
  const std::string host_side = host_side_set(n);
  std::string body;
  if (!drop.empty()) {
    // After the echo counters (priority -300), so that they still count every request that reached the router.
    body = " chain prerouting {\n  type filter hook prerouting priority -200; policy accept;\n  iifname " + host_side +
           " " + drop + "\n }\n";
  }
  nft(n, replace_table("netlab_ingress_loss", body));
}

void chain::set_answer_loss(node n, double percent) {
  const std::string drop = random_drop(percent);
  std::string body;
  if (!drop.empty()) {
    body =
        " chain output {\n  type filter hook output priority 0; policy accept;\n"
        "  icmp type { echo-reply, time-exceeded, destination-unreachable, parameter-problem } " +
        drop + "\n  icmpv6 type { echo-reply, time-exceeded, destination-unreachable, parameter-problem } " + drop +
        "\n }\n";
  }
  nft(n, replace_table("netlab_answer_loss", body));
}

void chain::clear_loss(node n) {
  nft(n, replace_table("netlab_forward_loss", "") + replace_table("netlab_answer_loss", "") +
             replace_table("netlab_ingress_loss", ""));
}

void chain::set_icmp_limits(node n, const icmp_limits& limits) {
  const std::string per_destination = std::to_string(limits.per_destination.count());
  must(n, {"sysctl", "-qw", "net.ipv4.icmp_ratelimit=" + per_destination, "net.ipv6.icmp.ratelimit=" + per_destination,
           "net.ipv4.icmp_msgs_per_sec=" + std::to_string(limits.msgs_per_sec),
           "net.ipv4.icmp_msgs_burst=" + std::to_string(limits.msgs_burst)});
}

void chain::set_link_delay(std::chrono::microseconds delay, std::chrono::microseconds jitter) {
  if (!forwarder_) {
    throw std::logic_error("chain: set_link_delay needs chain_options::delayed_link");
  }
  const std::string control = scratch_dir_ + "/delay.ctl";
  const std::string line =
      "delay " + std::to_string(delay.count()) + " jitter " + std::to_string(jitter.count()) + "\n";
  // The forwarder holds the FIFO open for reading, so a non-blocking open for writing succeeds at once; a line
  // shorter than PIPE_BUF is written whole.
  const int fd = ::open(control.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error("chain: open " + control + ": " + std::strerror(errno));
  }
  const ssize_t written = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("chain: cannot write to " + control + ": " + std::strerror(errno));
  }
  const auto answer = forwarder_->read_line(step_timeout);
  if (!answer || nlohmann::json::parse(*answer, nullptr, false).value("type", "") != "set") {
    throw std::runtime_error("chain: the delay forwarder did not confirm '" + line.substr(0, line.size() - 1) + "'" +
                             (answer ? ": " + *answer : std::string()));
  }
}

echo_counts chain::echo_requests(node n) const {
  if (n == node::host) {
    throw std::invalid_argument("chain: the host has no echo counters");
  }
  const std::vector<std::string> argv = {"nft", "-j", "list", "counters", "table", "inet", "netlab_count"};
  const test::run_result r = exec(n, argv, step_timeout);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || !j.is_object() || !j.contains("nftables")) {
    throw std::runtime_error("chain: nft -j list counters in " + netns(n) + " failed: " + r.err + r.out);
  }
  echo_counts c;
  for (const auto& item : j["nftables"]) {
    if (!item.contains("counter")) {
      continue;
    }
    const auto& counter = item["counter"];
    const std::string name = counter.value("name", "");
    const auto packets = counter.value("packets", std::uint64_t{0});
    if (name == "echo4") {
      c.v4 = packets;
    } else if (name == "echo6") {
      c.v6 = packets;
    } else if (name == "ttl1_4") {
      c.v4_ttl1 = packets;
    } else if (name == "ttl1_6") {
      c.v6_ttl1 = packets;
    }
  }
  return c;
}

void chain::reset_counters() {
  for (node n : all_nodes) {
    if (n != node::host) {
      must(n, {"nft", "reset", "counters", "table", "inet", "netlab_count"});
    }
  }
}

}  // namespace netstab::netlab

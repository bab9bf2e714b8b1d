// Tests of the router chain itself (chain.hpp), with the system's ping and the tests' own ICMP prober rather than
// netstab, so a failure here points at the lab and not at the program under test. Every check is on real packets
// through the chain's namespaces.
#include "tests/netlab/chain.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/netlab/chain_probe.hpp"
#include "tests/support/privileges.hpp"

namespace netstab::netlab {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::array families{ip_family::v4, ip_family::v6};
constexpr int far_ttl = 64;
// Loss series: 300 probes 2 ms apart; a 30 % loss then lands within 11 points of 30 % (over four standard
// deviations) unless the chain is wrong.
constexpr int loss_probes = 300;
constexpr auto loss_interval = microseconds(2000);
constexpr double loss_percent = 30.0;
constexpr double loss_tolerance = 0.11;

const char* name(ip_family f) { return f == ip_family::v4 ? "IPv4" : "IPv6"; }

bool namespace_exists(const std::string& name) {
  const test::run_result r = test::run({"ip", "netns", "list"}, std::chrono::seconds(10));
  return r.out.find(name + " ") != std::string::npos || r.out.find(name + "\n") != std::string::npos;
}

// Whether a process runs in the named namespace, asked until one does or the deadline passes.
bool runs_inside(const std::string& name, std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    const test::run_result r = test::run({"ip", "netns", "pids", name}, std::chrono::seconds(10));
    if (r.exit_code == 0 && r.out.find_first_of("0123456789") != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

// Checks, with the chain's prober, that TTL 1..4 expire at the hops of the current route and TTL 5 and beyond
// reach the target, in both families.
void expect_hops(chain& c) {
  for (ip_family f : families) {
    chain_prober p(c, node::host, f);
    for (int ttl = 1; ttl <= chain::target_ttl + 1; ++ttl) {
      const probe_answer a = p.probe(chain::target(f), ttl);
      const bool at_target = ttl >= chain::target_ttl;
      EXPECT_EQ(a.kind, at_target ? answer_kind::echo_reply : answer_kind::time_exceeded) << name(f) << " TTL " << ttl;
      EXPECT_EQ(a.from, at_target ? chain::target(f) : c.hop(ttl).address(f)) << name(f) << " TTL " << ttl;
    }
  }
}

// The share of `count` probes to dst with ttl that got the expected kind of answer.
double answered(chain_prober& p, const std::string& dst, int ttl, answer_kind kind, int count = loss_probes) {
  return share_of(p.series(dst, ttl, count, loss_interval, milliseconds(500)), kind);
}

// The smallest round-trip time of five probes, in milliseconds (negative when one was not answered). Each probe
// crosses a delaying link in full, so a lower bound on the smallest holds for all of them, while an upper bound
// on it is not moved by one probe that a busy machine held up.
double min_rtt_ms(chain_prober& p, const std::string& dst, int ttl) {
  double least = 1e9;
  for (const auto& a : p.series(dst, ttl, 5, milliseconds(10))) {
    if (a.kind == answer_kind::none) {
      return -1.0;
    }
    least = std::min(least, static_cast<double>(a.rtt.count()) / 1000.0);
  }
  return least;
}

TEST(Chain, EachTtlExpiresAtItsDocumentedHop) {
  NETSTAB_REQUIRE_ROOT();
  chain c;
  // The system's ping first, as an oracle independent of this suite's prober.
  for (ip_family f : families) {
    for (int ttl = 1; ttl <= chain::target_ttl; ++ttl) {
      std::vector<std::string> argv = {"ping", "-n", "-c", "1", "-W", "2", "-t", std::to_string(ttl), chain::target(f)};
      if (f == ip_family::v6) {
        argv.insert(argv.begin() + 1, "-6");
      }
      const test::run_result r = c.exec(node::host, argv);
      const std::string expected =
          ttl < chain::target_ttl
              ? std::string("From ") + c.hop(ttl).address(f) +
                    (f == ip_family::v4 ? " icmp_seq=1 Time to live exceeded" : " icmp_seq=1 Time exceeded: Hop limit")
              : std::string("bytes from ") + chain::target(f) + ": icmp_seq=1";
      EXPECT_NE(r.out.find(expected), std::string::npos) << name(f) << " TTL " << ttl << ":\n" << r.out << r.err;
    }
  }
  expect_hops(c);
  EXPECT_EQ(c.hop(2).router, node::isp1);
  EXPECT_THROW(c.hop(0), std::invalid_argument);
}

TEST(Chain, TwoChainsAtOnceAreIsolatedAndTeardownRemovesThem) {
  NETSTAB_REQUIRE_ROOT();
  auto a = std::make_unique<chain>();
  chain b;
  EXPECT_NE(a->prefix(), b.prefix());
  a->set_answer_loss(node::target, 100.0);
  chain_prober pa(*a, node::host, ip_family::v4);
  chain_prober pb(b, node::host, ip_family::v4);
  EXPECT_EQ(pa.probe(chain::target_v4, far_ttl, milliseconds(300)).kind, answer_kind::none);
  EXPECT_EQ(pb.probe(chain::target_v4, far_ttl).kind, answer_kind::echo_reply);
  const std::string a_prefix = a->prefix();
  EXPECT_TRUE(namespace_exists(a_prefix + "-isp1"));
  a.reset();
  for (node n : all_nodes) {
    EXPECT_FALSE(namespace_exists(a_prefix + "-" + to_string(n)));
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/" + a_prefix));
  EXPECT_EQ(pb.probe(chain::target_v4, far_ttl).kind, answer_kind::echo_reply);
}

TEST(Chain, SweepsWhatKilledRunsLeftBehind) {
  NETSTAB_REQUIRE_ROOT();
  // A pid that no longer exists stands for a test process that was killed before its destructors ran.
  const pid_t dead = test::spawn({"true"}, -1, -1);
  ASSERT_TRUE(test::wait_for(dead, std::chrono::seconds(5)).has_value());
  const std::string stale = "nsch-" + std::to_string(dead) + "-0";
  ASSERT_EQ(test::run({"ip", "netns", "add", stale + "-host"}, std::chrono::seconds(10)).exit_code, 0);
  std::filesystem::create_directories("/tmp/" + stale);
  const pid_t left_running = test::spawn({"ip", "netns", "exec", stale + "-host", "sleep", "120"}, -1, -1);
  // The sweep finds what runs inside by the namespace's name: it must be inside before the sweep, or a process
  // entering a namespace the sweep has just deleted would run on where nothing can find it.
  ASSERT_TRUE(runs_inside(stale + "-host", std::chrono::seconds(10))) << "the process never entered the namespace";

  // Under ctest -j another test's chain may sweep these first: either way they are gone once ours is built.
  chain c;
  EXPECT_FALSE(namespace_exists(stale + "-host"));
  EXPECT_FALSE(std::filesystem::exists("/tmp/" + stale));
  EXPECT_TRUE(test::wait_for(left_running, std::chrono::seconds(5)).has_value()) << "the process left inside runs on";
}

TEST(Chain, NatKeepsTheHopsAndTranslatesAtTheIsp) {
  NETSTAB_REQUIRE_ROOT();
  chain c({.nat = true});
  // The target counts echo requests from isp1's public address: what it sees after the home NAT and the CGNAT.
  ASSERT_EQ(c.exec(node::target, {"nft",
                                  "table ip seen {\n chain input {\n  type filter hook input priority 0;\n"
                                  "  ip saddr 203.0.113.1 icmp type echo-request counter\n }\n}\n"})
                .exit_code,
            0);
  expect_hops(c);
  const test::run_result seen = c.exec(node::target, {"nft", "list", "table", "ip", "seen"});
  EXPECT_NE(seen.out.find("packets 2 "), std::string::npos) << seen.out;  // TTL 5 and 6
}

TEST(ChainLoss, ForwardedLossCarriesToEveryHopBehindTheRouter) {
  NETSTAB_REQUIRE_ROOT();
  chain c;
  c.set_forward_loss(node::isp1, loss_percent);
  for (ip_family f : families) {
    chain_prober p(c, node::host, f);
    EXPECT_EQ(answered(p, chain::target(f), 1, answer_kind::time_exceeded), 1.0) << name(f) << ": lan is clean";
    EXPECT_EQ(answered(p, chain::target(f), 2, answer_kind::time_exceeded), 1.0) << name(f) << ": isp1 answers";
    EXPECT_NEAR(answered(p, chain::target(f), 3, answer_kind::time_exceeded), 0.7, loss_tolerance) << name(f);
    EXPECT_NEAR(answered(p, chain::target(f), far_ttl, answer_kind::echo_reply), 0.7, loss_tolerance) << name(f);
  }
  // Towards the host: the answers from behind isp1 are lost on their way back, isp1's own are not.
  c.set_forward_loss(node::isp1, loss_percent, loss_direction::inbound);
  chain_prober p(c, node::host, ip_family::v4);
  EXPECT_EQ(answered(p, chain::target_v4, 2, answer_kind::time_exceeded), 1.0);
  EXPECT_NEAR(answered(p, chain::target_v4, far_ttl, answer_kind::echo_reply), 0.7, loss_tolerance);
  c.set_forward_loss(node::isp1, 0.0);
  EXPECT_EQ(answered(p, chain::target_v4, far_ttl, answer_kind::echo_reply, 100), 1.0);
}

TEST(ChainLoss, AnswerLossStaysAtItsHop) {
  NETSTAB_REQUIRE_ROOT();
  chain c;
  c.set_answer_loss(node::isp2, loss_percent);
  for (ip_family f : families) {
    chain_prober p(c, node::host, f);
    EXPECT_NEAR(answered(p, chain::target(f), 3, answer_kind::time_exceeded), 0.7, loss_tolerance) << name(f);
    EXPECT_EQ(answered(p, chain::target(f), 4, answer_kind::time_exceeded), 1.0) << name(f);
    EXPECT_EQ(answered(p, chain::target(f), far_ttl, answer_kind::echo_reply), 1.0) << name(f);
  }
  c.clear_loss(node::isp2);
  chain_prober p(c, node::host, ip_family::v4);
  EXPECT_EQ(answered(p, chain::target_v4, 3, answer_kind::time_exceeded, 100), 1.0);
}

TEST(ChainLoss, TargetReplyLossIsTheTargetsAlone) {
  NETSTAB_REQUIRE_ROOT();
  chain c;
  c.set_target_reply_loss(loss_percent);
  for (ip_family f : families) {
    chain_prober p(c, node::host, f);
    EXPECT_NEAR(answered(p, chain::target(f), far_ttl, answer_kind::echo_reply), 0.7, loss_tolerance) << name(f);
    EXPECT_EQ(answered(p, chain::target(f), 4, answer_kind::time_exceeded), 1.0) << name(f);
  }
  EXPECT_THROW(c.set_target_reply_loss(101.0), std::invalid_argument);
  EXPECT_THROW(c.set_forward_loss(node::host, 10.0), std::invalid_argument);
}

TEST(ChainRateLimit, RateLimitedRouterAnswersFewRapidProbes) {
  NETSTAB_REQUIRE_ROOT();
  chain c;
  // One error per 200 ms per destination after a burst of six: of 100 probes in 200 ms, a handful get answers.
  c.set_icmp_limits(node::isp2, {.per_destination = milliseconds(200)});
  for (ip_family f : families) {
    chain_prober p(c, node::host, f);
    const double limited = answered(p, chain::target(f), 3, answer_kind::time_exceeded, 100);
    EXPECT_GT(limited, 0.0) << name(f);
    EXPECT_LT(limited, 0.3) << name(f);
    EXPECT_EQ(answered(p, chain::target(f), 4, answer_kind::time_exceeded, 100), 1.0) << name(f);
    EXPECT_EQ(answered(p, chain::target(f), far_ttl, answer_kind::echo_reply, 100), 1.0) << name(f);
  }
  // The global bucket (shared by both families) limits every ICMP the router generates. The kernel charges it a
  // random amount per message (against side channels), so it holds only roughly: a bound, not a count.
  c.set_icmp_limits(node::isp2, {.msgs_per_sec = 20, .msgs_burst = 5});
  chain_prober p(c, node::host, ip_family::v6);
  EXPECT_LT(answered(p, chain::target_v6, 3, answer_kind::time_exceeded, 100), 0.8);
  c.set_icmp_limits(node::isp2, {});
  EXPECT_EQ(answered(p, chain::target_v6, 3, answer_kind::time_exceeded, 100), 1.0);
}

TEST(ChainDelay, DelayingLinkDelaysEveryHopBehindItAndNoneBefore) {
  NETSTAB_REQUIRE_ROOT();
  chain c({.delayed_link = node::isp1, .delay = milliseconds(10)});
  expect_hops(c);  // TTL still expires hop by hop across the TUN pair
  // A round trip crosses the link twice. Upper bounds leave room for a shared machine.
  constexpr double slack_ms = 5.0;
  for (ip_family f : families) {
    chain_prober p(c, node::host, f);
    for (int ttl : {1, 2}) {
      EXPECT_LT(min_rtt_ms(p, chain::target(f), ttl), slack_ms) << name(f) << " TTL " << ttl;
    }
    for (int ttl : {3, 4, far_ttl}) {
      const double rtt = min_rtt_ms(p, chain::target(f), ttl);
      EXPECT_GE(rtt, 20.0) << name(f) << " TTL " << ttl;
      EXPECT_LT(rtt, 20.0 + slack_ms) << name(f) << " TTL " << ttl;
    }
  }
  c.set_link_delay(milliseconds(3));
  chain_prober p(c, node::host, ip_family::v4);
  const double rtt = min_rtt_ms(p, chain::target_v4, far_ttl);
  EXPECT_GE(rtt, 6.0);
  EXPECT_LT(rtt, 6.0 + slack_ms);
  EXPECT_LT(min_rtt_ms(p, chain::target_v4, 2), 6.0);                    // below what the link adds
  EXPECT_THROW(c.set_link_delay(microseconds(-1)), std::runtime_error);  // the forwarder refuses it
  chain plain;
  EXPECT_THROW(plain.set_link_delay(milliseconds(1)), std::logic_error);
}

TEST(ChainDelay, JitterSpreadsTheDelay) {
  NETSTAB_REQUIRE_ROOT();
  chain c({.delayed_link = node::upstream, .delay = milliseconds(10), .jitter = milliseconds(5)});
  chain_prober p(c, node::host, ip_family::v4);
  EXPECT_LT(min_rtt_ms(p, chain::target_v4, 4), 5.0);  // upstream is before its link to the target
  const auto answers = p.series(chain::target_v4, far_ttl, 40, milliseconds(20));
  std::vector<double> ms;
  for (const auto& a : answers) {
    ASSERT_EQ(a.kind, answer_kind::echo_reply);
    ms.push_back(static_cast<double>(a.rtt.count()) / 1000.0);
  }
  std::sort(ms.begin(), ms.end());
  // Twice 10 +- 5 ms: every round trip within 10..30 ms. The 10th and 90th percentiles, not the extremes, carry
  // the upper checks, so one late wake-up of a busy machine does not decide them.
  ASSERT_FALSE(ms.empty());
  const double p10 = ms[ms.size() / 10];
  const double p90 = ms[ms.size() * 9 / 10];
  const double lowest = ms.empty() ? 0.0 : ms.front();  // checked again for GCC 12 at -O3 (-Wnull-dereference)
  EXPECT_GE(lowest, 10.0);
  EXPECT_LT(p90, 30.0 + 5.0);
  EXPECT_GT(p90 - p10, 4.0);
}

TEST(ChainDelay, DelayOnTheLanLinkReachesTheFirstHop) {
  NETSTAB_REQUIRE_ROOT();
  chain c({.delayed_link = node::host, .delay = milliseconds(5)});
  chain_prober p(c, node::host, ip_family::v6);
  const double rtt = min_rtt_ms(p, chain::target_v6, 1);
  EXPECT_GE(rtt, 10.0);
  EXPECT_LT(rtt, 15.0);
  EXPECT_THROW(chain({.delayed_link = node::alt}), std::invalid_argument);
}

TEST(ChainRoute, SwitchMovesHopsThreeAndFourToTheSecondPath) {
  NETSTAB_REQUIRE_ROOT();
  chain c;
  c.set_route(route::alternate);
  EXPECT_EQ(c.hop(3).router, node::alt);
  EXPECT_STREQ(c.hop(3).v4, "203.0.113.6");
  expect_hops(c);
  EXPECT_GT(c.echo_requests(node::alt).v4, 0U);
  EXPECT_EQ(c.echo_requests(node::isp2).v4, 0U);
  c.set_route(route::primary);
  EXPECT_EQ(c.hop(3).router, node::isp2);
  expect_hops(c);
}

TEST(ChainCounters, CountEchoRequestsWhereTheyArrive) {
  NETSTAB_REQUIRE_ROOT();
  chain c;
  chain_prober p4(c, node::host, ip_family::v4);
  chain_prober p6(c, node::host, ip_family::v6);
  p4.series(chain::target_v4, 3, 7, milliseconds(1));
  p4.series(chain::target_v4, far_ttl, 5, milliseconds(1));
  p6.series(chain::target_v6, 2, 4, milliseconds(1));
  p6.series(chain::target_v6, far_ttl, 3, milliseconds(1));
  struct expected {
    node n;
    echo_counts counts;
  };
  const std::array<expected, 6> table{{
      {node::lan, {.v4 = 12, .v6 = 7}},
      {node::isp1, {.v4 = 12, .v6 = 7, .v6_ttl1 = 4}},
      {node::isp2, {.v4 = 12, .v6 = 3, .v4_ttl1 = 7}},
      {node::upstream, {.v4 = 5, .v6 = 3}},
      {node::target, {.v4 = 5, .v6 = 3}},
      {node::alt, {}},
  }};
  for (const auto& row : table) {
    const echo_counts got = c.echo_requests(row.n);
    EXPECT_EQ(got.v4, row.counts.v4) << to_string(row.n);
    EXPECT_EQ(got.v6, row.counts.v6) << to_string(row.n);
    EXPECT_EQ(got.v4_ttl1, row.counts.v4_ttl1) << to_string(row.n);
    EXPECT_EQ(got.v6_ttl1, row.counts.v6_ttl1) << to_string(row.n);
  }
  c.reset_counters();
  EXPECT_EQ(c.echo_requests(node::lan).v4, 0U);
}

}  // namespace
}  // namespace netstab::netlab

// Unit tests of the responder's profile parsing and per-request actions; no privileges needed.
#include "tests/netlab/profile.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace netstab::netlab {
namespace {

using std::chrono::milliseconds;

profile parse(std::vector<std::string_view> args) { return parse_profile(args); }

TEST(NetlabProfile, DefaultsToBothEmulatedHostAddresses) {
  const profile p = parse({"--tun", "lab0"});
  EXPECT_EQ(p.tun, "lab0");
  ASSERT_EQ(p.hosts.size(), 2U);
  EXPECT_EQ(p.hosts[0].second, parse_address("198.18.0.2")->second);
  EXPECT_EQ(p.hosts[1].second, parse_address("2001:2::2")->second);
  EXPECT_EQ(action_for(p, 0).what, action_kind::reply);
}

TEST(NetlabProfile, PatternRepeatsCyclically) {
  const profile p = parse({"--pattern", "ok,loss,dup,late:1500,unreach"});
  const action_kind want[] = {action_kind::reply,       action_kind::loss,  action_kind::duplicate, action_kind::late,
                              action_kind::unreachable, action_kind::reply, action_kind::loss};
  for (std::size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(action_for(p, i).what, want[i]) << "index " << i;
  }
  EXPECT_EQ(action_for(p, 3).late_after, milliseconds(1500));
}

TEST(NetlabProfile, LossEveryDropsEveryNth) {
  const profile p = parse({"--loss-every", "4"});
  std::vector<std::uint64_t> lost;
  for (std::uint64_t i = 0; i < 12; ++i) {
    if (action_for(p, i).what == action_kind::loss) {
      lost.push_back(i);
    }
  }
  EXPECT_EQ(lost, (std::vector<std::uint64_t>{3, 7, 11}));
}

// --at places single actions (ahead of --loss-every and the pattern), --replay maps a request index to the
// index whose reply it replays; both repeatable.
TEST(NetlabProfile, AtAndReplayTargetSingleIndices) {
  const profile p = parse({"--pattern", "ok,loss", "--at", "65534=loss,65535=late:300", "--at", "1=dup", "--replay",
                           "65546=65536", "--replay", "65540=10"});
  EXPECT_EQ(action_for(p, 0).what, action_kind::reply);
  EXPECT_EQ(action_for(p, 1).what, action_kind::duplicate);  // --at wins over the pattern's loss
  EXPECT_EQ(action_for(p, 3).what, action_kind::loss);
  EXPECT_EQ(action_for(p, 65534).what, action_kind::loss);
  EXPECT_EQ(action_for(p, 65535).what, action_kind::late);
  EXPECT_EQ(action_for(p, 65535).late_after, milliseconds(300));
  EXPECT_EQ(p.replay, (std::map<std::uint64_t, std::uint64_t>{{65540, 65530}, {65546, 10}}));
}

struct bad_args_case {
  std::vector<std::string_view> args;
};

TEST(NetlabProfile, RejectsBadArguments) {
  const bad_args_case cases[] = {
      {{"--delay", "gamma:1"}},
      {{"--delay", "uniform:30:10"}},
      {{"--delay", "fixed:-1"}},
      {{"--delay", "fixed:x"}},
      {{"--pattern", "ok,boom"}},
      {{"--pattern", "late:"}},
      {{"--host", "not-an-address"}},
      {{"--seed"}},
      {{"--index", "random"}},
      {{"--tun", "a-name-longer-than-15"}},
      {{"--frobnicate"}},
      {{"--delay", "cycle"}},
      {{"--delay", "cycle:5:"}},
      {{"--flood", "-3"}},
      {{"--flood"}},
      {{"--at", "5"}},
      {{"--at", "x=loss"}},
      {{"--at", "5=boom"}},
      {{"--at", "5=loss,"}},
      {{"--replay", "5=0"}},
      {{"--replay", "5=6"}},
      {{"--replay", "5"}},
      {{"--summary", "some"}},
  };
  for (const auto& c : cases) {
    EXPECT_THROW(parse_profile(c.args), std::invalid_argument) << c.args[0] << ' ' << c.args.back();
  }
}

TEST(NetlabProfile, CycleDelayRepeatsItsDelaysInTurn) {
  const profile p = parse({"--delay", "cycle:60:5:0.5"});
  ASSERT_EQ(p.delay.shape, delay_shape::cycle);
  delay_source d(p.delay, p.seed);
  const double want_ms[] = {60.0, 5.0, 0.5, 60.0, 5.0, 0.5, 60.0};
  for (const double ms : want_ms) {
    EXPECT_EQ(d.next(), nanos(static_cast<std::int64_t>(ms * 1e6)));
  }
}

TEST(NetlabProfile, FloodCountIsParsed) {
  EXPECT_EQ(parse({}).flood, 0U);
  EXPECT_EQ(parse({"--flood", "21"}).flood, 21U);
}

TEST(NetlabProfile, FixedDelayIsExact) {
  delay_source d(parse_delay("fixed:20.5"), 1);
  EXPECT_EQ(d.next(), std::chrono::microseconds(20500));
  EXPECT_EQ(d.next(), std::chrono::microseconds(20500));
}

TEST(NetlabProfile, UniformDelayStaysInRangeWithExpectedSpread) {
  delay_source d(parse_delay("uniform:10:30"), 7);
  double prev = 0.0;
  double mad = 0.0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double ms = static_cast<double>(d.next().count()) / 1e6;
    ASSERT_GE(ms, 10.0);
    ASSERT_LE(ms, 30.0);
    if (i > 0) {
      mad += std::abs(ms - prev);
    }
    prev = ms;
  }
  // The mean absolute difference of two independent uniform draws on [a, b] is (b - a) / 3.
  EXPECT_NEAR(mad / (n - 1), 20.0 / 3.0, 0.15);
}

TEST(NetlabProfile, SameSeedSameDelays) {
  delay_source a(parse_delay("normal:20:3"), 99);
  delay_source b(parse_delay("normal:20:3"), 99);
  delay_source c(parse_delay("normal:20:3"), 100);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs = differs || x != c.next();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace netstab::netlab

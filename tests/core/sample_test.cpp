// measure_rtt: which clock a reply's RTT comes from, and the monotonic guard against clock steps.
#include "core/sample.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace netstab::core {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

struct rtt_case {
  const char* name;
  nanos process;
  std::optional<nanos> rx;  // kernel receive stamp, relative to the user-space send time
  std::optional<nanos> tx;  // kernel transmit stamp, relative to the user-space send time
  nanos want;
  rtt_clock want_clock;
};

const wall_time t0{std::chrono::seconds(1'800'000'000)};

std::optional<wall_time> at(std::optional<nanos> d) {
  if (!d) return std::nullopt;
  return t0 + *d;
}

TEST(MeasureRtt, TrustsKernelStampsOnlyWithinTheMonotonicBounds) {
  const rtt_case cases[] = {
      {"both kernel stamps", milliseconds(20), milliseconds(19), microseconds(10), microseconds(18'990),
       rtt_clock::kernel},
      {"receive stamp only", milliseconds(20), milliseconds(19), std::nullopt, milliseconds(19), rtt_clock::kernel_rx},
      {"no kernel stamp", milliseconds(20), std::nullopt, std::nullopt, milliseconds(20), rtt_clock::user},
      {"clock stepped back between send and reply", milliseconds(20), milliseconds(-980), microseconds(10),
       milliseconds(20), rtt_clock::user},
      {"clock stepped forward between send and reply", milliseconds(20), milliseconds(1019), microseconds(10),
       milliseconds(20), rtt_clock::user},
      {"stepped back, receive stamp only", milliseconds(20), milliseconds(-5), std::nullopt, milliseconds(20),
       rtt_clock::user},
      {"slewing within 1000 ppm is clamped to the process latency", milliseconds(100), microseconds(100'050), nanos(0),
       milliseconds(100), rtt_clock::kernel},
      {"a reply stamped in the same microsecond", microseconds(30), microseconds(12), microseconds(2), microseconds(10),
       rtt_clock::kernel},
  };
  for (const auto& c : cases) {
    const auto m = measure_rtt(c.process, at(c.rx), at(c.tx), t0);
    EXPECT_EQ(m.rtt, c.want) << c.name;
    EXPECT_EQ(m.clock, c.want_clock) << c.name;
  }
}

}  // namespace
}  // namespace netstab::core

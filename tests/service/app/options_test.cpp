// What the settings become in options.cpp, for the values it computes rather than copies.
#include "service/app/options.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace netstab::service {
namespace {

using namespace std::chrono_literals;

config::settings with_targets(int n, core::nanos interval) {
  config::settings s;
  for (int i = 0; i < n; ++i) {
    core::target_spec t;
    t.host = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    t.probe.interval = interval;
    s.targets.push_back(t);
  }
  return s;
}

// The ICMP receive buffer holds 0.4 s of the configured probes: the rate counts, not the number of targets.
TEST(Options, ReceiveBufferIsSizedForTheConfiguredProbeRate) {
  EXPECT_EQ(receive_buffer_from(config::settings{}), 4 << 20);
  EXPECT_EQ(receive_buffer_from(with_targets(10'000, 1s)), 4 << 20);
  EXPECT_EQ(receive_buffer_from(with_targets(50'000, 1s)), 16'640'000);
  EXPECT_EQ(receive_buffer_from(with_targets(10'000, 200ms)), 16'640'000);
}

}  // namespace
}  // namespace netstab::service

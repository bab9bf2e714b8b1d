#include "core/mos.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace netstab::core {
namespace {

TEST(Mos, HandComputedPoints) {
  // L = rtt + 2 * jitter + 10; R = 93.2 - (L < 160 ? L / 40 : (L - 120) / 10) - 2.5 * loss;
  // MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R).
  struct row {
    double rtt_ms, jitter_ms, loss_pct, r, mos;
  };
  const std::vector<row> rows = {
      // L = 30, R = 93.2 - 0.75 = 92.45, MOS = 1 + 3.23575 + 7e-6 * 92.45 * 32.45 * 7.55
      {20, 0, 0, 92.45, 4.394300132125},
      // L = 180 >= 160, R = 93.2 - 6 = 87.2, MOS = 1 + 3.052 + 7e-6 * 87.2 * 27.2 * 12.8
      {150, 10, 0, 87.2, 4.264516864},
      // L = 160 (the knee, both branches give 4): R = 89.2
      {140, 5, 0, 89.2, 4.318910784},
      // loss 10%: R = 92.45 - 25 = 67.45, MOS = 1 + 2.36075 + 7e-6 * 67.45 * 7.45 * 32.55
      {20, 0, 10, 67.45, 3.475245194625},
      // loss 50%: R below 0 clamps to 0, MOS 1
      {20, 0, 50, 0, 1},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.rtt_ms + r.loss_pct);
    EXPECT_NEAR(r_factor(r.rtt_ms, r.jitter_ms, r.loss_pct), r.r, 1e-9);
    EXPECT_NEAR(estimate_mos(r.rtt_ms, r.jitter_ms, r.loss_pct), r.mos, 1e-9);
  }
}

TEST(Mos, ClampsToOneAndFourPointFive) {
  EXPECT_DOUBLE_EQ(mos_from_r(0), 1.0);
  EXPECT_DOUBLE_EQ(mos_from_r(100), 4.5);
  EXPECT_DOUBLE_EQ(mos_from_r(-20), 1.0);
  EXPECT_DOUBLE_EQ(estimate_mos(5000, 0, 0), 1.0);
}

TEST(Mos, WindowMosIsEmptyWithoutProbesAndOneWhenAllLost) {
  EXPECT_FALSE(window_mos(0, 0, std::nullopt, std::nullopt, 0));
  EXPECT_DOUBLE_EQ(*window_mos(0, 7, std::nullopt, std::nullopt, 100), 1.0);
  // One reply: no jitter yet, taken as 0.
  EXPECT_NEAR(*window_mos(1, 0, 20.0, std::nullopt, 0), 4.394300132125, 1e-9);
  EXPECT_NEAR(*window_mos(9, 1, 20.0, 0.0, 10), 3.475245194625, 1e-9);
}

}  // namespace
}  // namespace netstab::core

#include "core/jitter.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace netstab::core {
namespace {

TEST(Jitter, FirstReplyGivesNoSample) {
  jitter_tracker j;
  EXPECT_FALSE(j.on_rtt(10000));
  EXPECT_FALSE(j.rfc3550_us());
}

TEST(Jitter, IpdvAndRfc3550FromHandComputedSequence) {
  // RTTs 10, 20, 15, 15, 30 ms: |D| = 10, 5, 0, 15 ms, IPDV mean 7.5 ms.
  // RFC 3550, J += (|D| - J) / 16 from J = 0 (us):
  //   625, 625 + (5000 - 625) / 16 = 898.4375, 898.4375 * 15 / 16 = 842.28515625,
  //   842.28515625 + (15000 - 842.28515625) / 16 = 1727.142333984375.
  struct row {
    std::uint32_t rtt_us;
    std::optional<std::uint32_t> ipdv_us;
    std::optional<double> rfc3550_us;
  };
  const std::vector<row> rows = {
      {10000, std::nullopt, std::nullopt}, {20000, 10000, 625.0}, {15000, 5000, 898.4375}, {15000, 0, 842.28515625},
      {30000, 15000, 1727.142333984375},
  };
  jitter_tracker j;
  std::uint64_t sum = 0;
  std::uint64_t count = 0;
  for (const row& r : rows) {
    SCOPED_TRACE(r.rtt_us);
    const auto d = j.on_rtt(r.rtt_us);
    EXPECT_EQ(d, r.ipdv_us);
    EXPECT_EQ(j.rfc3550_us().has_value(), r.rfc3550_us.has_value());
    if (r.rfc3550_us) {
      EXPECT_DOUBLE_EQ(*j.rfc3550_us(), *r.rfc3550_us);
    }
    if (d) {
      sum += *d;
      ++count;
    }
  }
  EXPECT_DOUBLE_EQ(*ipdv_mean_ms(sum, count), 7.5);
}

TEST(Jitter, IpdvMeanIsEmptyWithoutPairs) {
  EXPECT_FALSE(ipdv_mean_ms(0, 0));
  EXPECT_DOUBLE_EQ(*ipdv_mean_ms(3000, 2), 1.5);
}

}  // namespace
}  // namespace netstab::core

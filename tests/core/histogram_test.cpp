#include "core/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace netstab::core {
namespace {

struct bin_row {
  std::uint32_t us;
  std::uint16_t bin;
  std::uint32_t lower;
  std::uint32_t width;
};

TEST(Histogram, BinsFollowTheLogLinearLayout) {
  // Below 64 us every value is its own bin; from 64 us each octave has 32 bins.
  // 20000 us: octave 2^14, shift 9, top bits 20000 >> 9 = 39 -> sub-bin 7,
  // bin 32 + 9 * 32 + 7 = 327, lower 39 << 9 = 19968, width 512.
  const std::vector<bin_row> rows = {
      {0, 0, 0, 1},
      {1, 1, 1, 1},
      {31, 31, 31, 1},
      {32, 32, 32, 1},
      {63, 63, 63, 1},
      {64, 64, 64, 2},
      {65, 64, 64, 2},
      {66, 65, 66, 2},
      {127, 95, 126, 2},
      {128, 96, 128, 4},
      {1000, 190, 992, 16},
      {20000, 327, 19968, 512},
      {std::numeric_limits<std::uint32_t>::max(), 895, 63U << 26, 1U << 26},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.us);
    EXPECT_EQ(histogram_bin(r.us), r.bin);
    EXPECT_EQ(histogram_bin_lower(r.bin), r.lower);
    EXPECT_EQ(histogram_bin_width(r.bin), r.width);
  }
  EXPECT_EQ(histogram_bin_count, 896);
}

TEST(Histogram, EveryValueLiesInItsBinAndBinsAreNarrow) {
  std::uint16_t previous = 0;
  for (std::uint64_t v = 0; v <= std::numeric_limits<std::uint32_t>::max(); v = v < 4096 ? v + 1 : v + v / 97) {
    const auto us = static_cast<std::uint32_t>(v);
    const std::uint16_t bin = histogram_bin(us);
    ASSERT_GE(bin, previous) << us;
    ASSERT_LT(bin, histogram_bin_count) << us;
    const std::uint64_t lower = histogram_bin_lower(bin);
    const std::uint64_t width = histogram_bin_width(bin);
    ASSERT_LE(lower, us);
    ASSERT_LT(us, lower + width);
    ASSERT_LE(static_cast<double>(width), std::max(1.0, static_cast<double>(lower) / 32.0)) << us;
    previous = bin;
  }
}

TEST(Histogram, ExactBinsGiveNearestRankPercentiles) {
  sparse_histogram h;
  for (std::uint32_t v = 1; v <= 10; ++v) {
    h.add_value(0, v);
  }
  // Nearest rank k = ceil(p/100 * 10).
  struct row {
    double p;
    double expected;
  };
  for (const row r : {row{0, 1}, row{10, 1}, row{11, 2}, row{50, 5}, row{95, 10}, row{99, 10}, row{100, 10}}) {
    SCOPED_TRACE(r.p);
    ASSERT_TRUE(h.percentile(0, r.p));
    EXPECT_DOUBLE_EQ(*h.percentile(0, r.p), r.expected);
  }
  EXPECT_EQ(h.count(0), 10U);
  EXPECT_FALSE(h.percentile(1, 50));
}

TEST(Histogram, NearestRankCountsRepeatedValues) {
  sparse_histogram h;
  for (std::uint32_t v = 1; v <= 100; ++v) {
    h.add_value(0, v % 64);  // 1..63, 0, 1..36: exact bins
  }
  // Sorted: 0, then 1..36 twice (positions 2..73), then 37..63 once (37 at
  // position 74), so the 95th of 100 values is 37 + 21 = 58.
  EXPECT_DOUBLE_EQ(*h.percentile(0, 95), 58.0);
  EXPECT_DOUBLE_EQ(*h.percentile(0, 50), 25.0);  // position 50 = 2 * 25
}

TEST(Histogram, InterpolatesInsideAWideBin) {
  sparse_histogram h;
  // Four values in bin [19968, 20480) of width 512: the j-th sits at the middle
  // of the j-th quarter: 19968 + (j - 0.5) * 128.
  for (const std::uint32_t v : {20000U, 20100U, 20200U, 20300U}) {
    h.add_value(0, v);
  }
  EXPECT_EQ(h.entries(), 1U);
  EXPECT_DOUBLE_EQ(*h.percentile(0, 25), 19968 + 0.5 * 128);
  EXPECT_DOUBLE_EQ(*h.percentile(0, 50), 19968 + 1.5 * 128);
  EXPECT_DOUBLE_EQ(*h.percentile(0, 100), 19968 + 3.5 * 128);
}

TEST(Histogram, MemoryFollowsDistinctBinsNotValues) {
  sparse_histogram h;
  for (int i = 0; i < 100000; ++i) {
    h.add_value(0, 20000);
    h.add_value(1, 25000);
  }
  EXPECT_EQ(h.entries(), 2U);
  EXPECT_EQ(h.count(0), 100000U);
  EXPECT_EQ(h.count(1), 100000U);
  EXPECT_EQ(h.count(1, histogram_bin(25000)), 100000U);
}

TEST(Histogram, CountsBeyondOneEntrySpillIntoMoreEntries) {
  sparse_histogram h;
  const std::uint64_t big = 3ULL * sparse_histogram::max_entry_count + 5;
  h.add_value(0, 10);
  h.add(0, histogram_bin(20000), big);
  h.add_value(0, 90000);
  EXPECT_EQ(h.entries(), 6U);  // 10, four entries for 20000, 90000
  EXPECT_EQ(h.count(0), big + 2);
  EXPECT_EQ(h.count(0, histogram_bin(20000)), big);
  EXPECT_DOUBLE_EQ(*h.percentile(0, 0), 10.0);
  EXPECT_GT(*h.percentile(0, 100), 89000.0);
  h.remove(0, histogram_bin(20000), 2ULL * sparse_histogram::max_entry_count);
  EXPECT_EQ(h.count(0, histogram_bin(20000)), sparse_histogram::max_entry_count + 5);
  EXPECT_EQ(h.entries(), 4U);
  h.remove(0, histogram_bin(20000), big);  // more than present: removes what is there
  EXPECT_EQ(h.count(0), 2U);
  EXPECT_EQ(h.entries(), 2U);
}

TEST(Histogram, RemoveAllUndoesAddAll) {
  sparse_histogram a;
  sparse_histogram b;
  sparse_histogram sum;
  for (std::uint32_t v = 100; v < 5000; v += 37) {
    a.add_value(0, v);
    b.add_value(v % 2, v * 3);
  }
  sum.add_all(a);
  sum.add_all(b);
  EXPECT_EQ(sum.count(0) + sum.count(1), a.count(0) + b.count(0) + b.count(1));
  sum.remove_all(b);
  EXPECT_EQ(sum.entries(), a.entries());
  for (std::uint16_t bin = 0; bin < histogram_bin_count; ++bin) {
    ASSERT_EQ(sum.count(0, bin), a.count(0, bin)) << bin;
    ASSERT_EQ(sum.count(1, bin), 0U) << bin;
  }
}

TEST(Histogram, SlotHistogramVisitsAndClearsChannelRanges) {
  slot_histogram h;
  h.add_value(0, 100);
  h.add_value(1, 200);
  h.add_value(4, 300);
  h.add_value(5, 400);
  h.add(127, histogram_bin(20000), 2ULL * slot_histogram::max_entry_count + 1);  // last channel, spills
  EXPECT_EQ(slot_histogram::max_entry_count, 32767U);
  EXPECT_EQ(h.entries(), 7U);
  EXPECT_EQ(h.count(127), 2ULL * slot_histogram::max_entry_count + 1);
  std::vector<std::uint32_t> seen;
  h.visit(4, [&](std::uint16_t bin, std::uint32_t n) {
    seen.push_back(histogram_bin_lower(bin));
    seen.push_back(n);
  });
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{296, 1}));  // 300 us is in bin [296, 304)
  h.clear_channels(4, 6);
  EXPECT_EQ(h.count(4), 0U);
  EXPECT_EQ(h.count(5), 0U);
  EXPECT_EQ(h.count(0), 1U);
  EXPECT_EQ(h.count(1), 1U);
  EXPECT_EQ(h.entries(), 5U);
  EXPECT_NEAR(*h.percentile(127, 50), 20000.0, 512.0);
}

TEST(Histogram, ClearKeepsCapacity) {
  sparse_histogram h;
  for (std::uint32_t v = 100; v < 100000; v += 1000) {
    h.add_value(0, v);
  }
  const std::size_t bytes = h.heap_bytes();
  EXPECT_GT(bytes, 0U);
  h.clear();
  EXPECT_EQ(h.entries(), 0U);
  EXPECT_EQ(h.heap_bytes(), bytes);
  EXPECT_FALSE(h.percentile(0, 50));
}

TEST(Histogram, GrowsByAQuarterInsteadOfDoubling) {
  // 129 distinct bins: a doubling vector would hold room for 256 entries, a quarter's growth at most 129 * 1.25
  // plus the four added at each step. Each size on the way is checked, so a growth that overshoots once fails.
  sparse_histogram h;
  for (std::uint16_t bin = 0; bin < 129; ++bin) {
    h.add(0, bin);
    const std::size_t entries = h.entries();
    EXPECT_LE(h.heap_bytes(), (entries + entries / 4 + 4) * sizeof(std::uint32_t)) << "at " << entries;
  }
  EXPECT_EQ(h.entries(), 129U);
  EXPECT_EQ(h.count(0), 129U);
}

TEST(Histogram, PercentilesOfASpreadAreWithinOnePointSixPercent) {
  // Deterministic spread 1 ms .. 500 ms; compare with the exact nearest rank.
  std::vector<std::uint32_t> values;
  std::uint64_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    values.push_back(1000 + static_cast<std::uint32_t>((x >> 33) % 499000));
  }
  sparse_histogram h;
  for (const auto v : values) {
    h.add_value(0, v);
  }
  std::sort(values.begin(), values.end());
  for (const double p : {1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9}) {
    const auto k = static_cast<std::size_t>(std::ceil(p * 5000 / 100 - 1e-9));
    const double truth = values[k - 1];
    EXPECT_NEAR(*h.percentile(0, p), truth, truth / 64.0) << p;
  }
}

}  // namespace
}  // namespace netstab::core

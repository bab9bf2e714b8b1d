#include "core/histogram_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

std::vector<std::uint8_t> encode(const sparse_histogram& h) {
  std::vector<std::uint8_t> out;
  encode_histogram(h, out);
  return out;
}

// Every (channel, bin, count) of h, with spill entries folded, for comparing two histograms.
std::vector<std::uint64_t> contents(const sparse_histogram& h) {
  std::vector<std::uint64_t> out;
  for (unsigned c = 0; c < sparse_histogram::channels; ++c) {
    for (std::uint16_t b = 0; b < histogram_bin_count; ++b) {
      if (const auto n = h.count(c, b); n > 0) {
        out.insert(out.end(), {c, b, n});
      }
    }
  }
  return out;
}

sparse_histogram sample_histogram() {
  sparse_histogram h;
  for (std::uint32_t us = 18000; us < 22000; us += 37) h.add_value(0, us);
  h.add_value(0, 5);
  h.add_value(0, 4'000'000'000U);
  h.add(1, histogram_bin(25000), 3'000'000);  // spills over two entries (21-bit counts)
  h.add_value(1, 0);
  return h;
}

TEST(HistogramCodec, RoundTripsBothChannelsAndSpilledCounts) {
  const sparse_histogram h = sample_histogram();
  sparse_histogram back;
  ASSERT_TRUE(decode_histogram_into(encode(h), back));
  EXPECT_EQ(contents(back), contents(h));
  EXPECT_EQ(back.count(1), 3'000'001U);
}

TEST(HistogramCodec, EmptyHistogramIsThreeBytes) {
  EXPECT_EQ(encode(sparse_histogram{}), (std::vector<std::uint8_t>{1, 0, 0}));
  sparse_histogram back;
  ASSERT_TRUE(decode_histogram_into(std::vector<std::uint8_t>{1, 0, 0}, back));
  EXPECT_EQ(back.entries(), 0U);
}

TEST(HistogramCodec, KnownBytes) {
  sparse_histogram h;
  h.add_value(0, 3);
  h.add_value(0, 3);
  h.add_value(0, 5);
  h.add(1, 200, 300);
  // version, channel 0: 2 bins (gap 3 count 2, gap 1 count 1), channel 1: 1 bin (gap 200, count 300 = 0xAC 0x02).
  EXPECT_EQ(encode(h), (std::vector<std::uint8_t>{1, 2, 3, 2, 1, 1, 1, 0xC8, 0x01, 0xAC, 0x02}));
}

TEST(HistogramCodec, AMinuteOfRepliesIsCompact) {
  sparse_histogram h;
  std::mt19937 rng(7);
  std::normal_distribution<double> rtt(20000, 1500), process(20300, 1600);
  for (int i = 0; i < 60; ++i) {
    h.add_value(0, static_cast<std::uint32_t>(rtt(rng)));
    h.add_value(1, static_cast<std::uint32_t>(process(rng)));
  }
  EXPECT_LT(encode(h).size(), 64U);
}

TEST(HistogramCodec, DecodingAddsToWhatIsThere) {
  sparse_histogram a;
  a.add_value(0, 100);
  sparse_histogram b;
  b.add_value(0, 100);
  b.add_value(1, 7);
  ASSERT_TRUE(decode_histogram_into(encode(b), a));
  EXPECT_EQ(a.count(0, histogram_bin(100)), 2U);
  EXPECT_EQ(a.count(1), 1U);
}

struct damaged {
  const char* what;
  std::vector<std::uint8_t> bytes;
};

TEST(HistogramCodec, RefusesDamagedBytesAndLeavesTheDestinationAlone) {
  const std::vector<damaged> cases = {
      {"empty", {}},
      {"unknown version", {2, 0, 0}},
      {"missing channel", {1, 0}},
      {"truncated entry", {1, 1, 3}},
      {"bin count above the bin range", {1, 0xF0, 0x07, 0}},
      {"bin beyond the last", {1, 1, 0x80, 0x07, 1, 0}},
      {"gap pushes past the last bin", {1, 2, 0xF0, 0x06, 1, 0x0F, 1, 0}},
      {"zero count", {1, 1, 3, 0, 0}},
      {"total above the cap", {1, 1, 3, 0x81, 0x80, 0x80, 0x80, 0x10, 0}},
      {"varint longer than 64 bits", {1, 1, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0}},
      {"trailing bytes", {1, 0, 0, 9}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    sparse_histogram h;
    h.add_value(0, 42);
    const auto r = decode_histogram_into(c.bytes, h);
    EXPECT_FALSE(r);
    EXPECT_FALSE(r.message().empty());
    EXPECT_EQ(h.count(0), 1U);
    EXPECT_EQ(h.entries(), 1U);
  }
}

TEST(HistogramCodec, EveryTruncationIsRefused) {
  const auto bytes = encode(sample_histogram());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    sparse_histogram h;
    EXPECT_FALSE(decode_histogram_into(std::span(bytes.data(), n), h)) << n;
    EXPECT_EQ(h.entries(), 0U);
  }
}

TEST(HistogramCodec, RandomDamageNeverCrashesAndStaysBounded) {
  const auto good = encode(sample_histogram());
  std::mt19937 rng(11);
  for (int round = 0; round < 20000; ++round) {
    auto bytes = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
    if (rng() % 3 == 0) bytes.resize(rng() % (bytes.size() + 1));
    sparse_histogram h;
    if (decode_histogram_into(bytes, h)) {
      EXPECT_LE(h.count(0) + h.count(1), max_encoded_total);
    } else {
      EXPECT_EQ(h.entries(), 0U);
    }
  }
}

}  // namespace
}  // namespace netstab::core

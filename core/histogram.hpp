#pragma once
// Log-linear latency histogram, stored sparsely.
//
// Binning: values are microseconds (uint32, so up to ~71 minutes). Values below
// 64 us get a bin each (exact). Above, every octave [2^k, 2^(k+1)) is split into
// 32 equal sub-bins, so a bin is 1/64 .. 1/32 of its lower bound wide and a
// percentile interpolated inside its bin is within one bin width of the truth
// (under ~1% for smoothly spread values).
// That gives 896 bins in all (index fits in 10 bits).
//
// Storage: a sorted vector of packed 32-bit entries, key in the high 11 bits
// (channel * 1024 + bin) and count in the low 21 bits, so memory follows the
// number of distinct bins that hold values, never the number of values, and is
// bounded by 2 channels x 896 bins. Two channels (RTT and process latency) share
// one vector to save a vector header per window bucket. A count that would pass
// 2^21 - 1 spills into a further entry with the same key, so entries are sorted
// by key but a key may repeat; every operation treats the run of equal keys as
// one bin. clear() keeps the capacity, so a histogram that is refilled with a
// similar spread of values does not allocate again.
//
// Not thread-safe; owned by one window (loop thread).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace netstab::core {

inline constexpr std::uint32_t histogram_sub_bins = 32;
inline constexpr std::uint16_t histogram_bin_count = 896;

// Bin of a value in microseconds; bins are ordered like the values.
std::uint16_t histogram_bin(std::uint32_t us);
// Smallest value of a bin and its width (1 for the exact bins).
std::uint32_t histogram_bin_lower(std::uint16_t bin);
std::uint32_t histogram_bin_width(std::uint16_t bin);

class sparse_histogram {
 public:
  static constexpr unsigned channels = 2;
  static constexpr std::uint32_t max_entry_count = (1U << 21) - 1;

  // Adds n values that fall into bin of channel.
  void add(unsigned channel, std::uint16_t bin, std::uint64_t n = 1);
  void add_value(unsigned channel, std::uint32_t us) { add(channel, histogram_bin(us), 1); }
  // Removes n values of bin; removing more than are present removes what is there.
  void remove(unsigned channel, std::uint16_t bin, std::uint64_t n);
  // Adds / removes every value of other (used to maintain a window aggregate).
  void add_all(const sparse_histogram& other);
  void remove_all(const sparse_histogram& other);
  // Empties the histogram and keeps its capacity.
  void clear() { entries_.clear(); }

  // Number of values in channel (walks the channel's entries).
  std::uint64_t count(unsigned channel) const;
  // Number of values in one bin of channel.
  std::uint64_t count(unsigned channel, std::uint16_t bin) const;
  // Value (us) at percentile p (0..100) of channel by nearest rank: the k-th
  // smallest value, k = max(1, ceil(p/100 * n)). Inside a wide bin holding m
  // values the j-th is estimated at lower + (j - 0.5) / m * width (values spread
  // evenly): the error is below one bin width (1/32 of the value) and about a
  // quarter of that for smoothly spread values; exact bins return their value.
  // Empty when the channel holds nothing.
  std::optional<double> percentile(unsigned channel, double p) const;
  // Same with the channel's count supplied by a caller that tracks it (saves a
  // walk; high percentiles walk from the top, so p95 / p99 cost a few steps).
  std::optional<double> percentile(unsigned channel, double p, std::uint64_t total) const;

  std::size_t entries() const { return entries_.size(); }
  std::size_t heap_bytes() const { return entries_.capacity() * sizeof(std::uint32_t); }

 private:
  std::vector<std::uint32_t> entries_;
};

}  // namespace netstab::core

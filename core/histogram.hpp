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
// Storage: a sorted vector of packed 32-bit entries, the key (channel * 1024 +
// bin) in the high bits and a count in the low bits, so memory follows the
// number of distinct (channel, bin) pairs that hold values, never the number of
// values, and is bounded by channels x 896 entries. ChannelBits sets how many
// channels share the vector (and leaves 22 - ChannelBits bits for the count):
// sparse_histogram has 2 channels (RTT and process latency) and 21-bit counts;
// slot_histogram has 128 channels, i.e. up to 64 window buckets x 2 series in one
// vector (one vector header and one capacity slack per window instead of one
// per bucket) and 15-bit counts. A count that would overflow spills into a
// further entry with the same key, so entries are sorted by key but a key may
// repeat; every operation treats the run of equal keys as one bin. clear()
// keeps the capacity, so a histogram refilled with a similar spread of values
// does not allocate again.
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

template <unsigned ChannelBits>
class basic_sparse_histogram {
 public:
  static constexpr unsigned channels = 1U << ChannelBits;
  static constexpr unsigned count_bits = 22 - ChannelBits;
  static constexpr std::uint32_t max_entry_count = (1U << count_bits) - 1;

  // Adds n values that fall into bin of channel.
  void add(unsigned channel, std::uint16_t bin, std::uint64_t n = 1);
  void add_value(unsigned channel, std::uint32_t us) { add(channel, histogram_bin(us), 1); }
  // Removes n values of bin; removing more than are present removes what is there.
  void remove(unsigned channel, std::uint16_t bin, std::uint64_t n);
  // Adds / removes every value of other (used to maintain a window aggregate).
  void add_all(const basic_sparse_histogram& other);
  void remove_all(const basic_sparse_histogram& other);
  // Empties the histogram / the channels first .. last-1, keeping the capacity.
  void clear() { entries_.clear(); }
  void clear_channels(unsigned first, unsigned last);
  // Calls f(bin, count) for each entry of channel, in bin order (a bin whose
  // count spilled over several entries is reported once per entry).
  template <typename F>
  void visit(unsigned channel, F&& f) const {
    for (auto it = channel_begin(channel), end = channel_begin(channel + 1); it != end; ++it) {
      f(static_cast<std::uint16_t>((*it >> count_bits) % 1024), static_cast<std::uint32_t>(*it & max_entry_count));
    }
  }

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
  // Makes room for one more entry by a quarter of the size (plus four) instead of the vector's doubling: a
  // doubled buffer can leave half of itself unused, and every target holds several histograms of a hundred or
  // so entries. Returns `at` in the grown buffer.
  std::vector<std::uint32_t>::iterator grow(std::vector<std::uint32_t>::iterator at);
  // First entry of channel; channel == channels gives end().
  std::vector<std::uint32_t>::const_iterator channel_begin(unsigned channel) const;

  std::vector<std::uint32_t> entries_;
};

using sparse_histogram = basic_sparse_histogram<1>;
using slot_histogram = basic_sparse_histogram<7>;
extern template class basic_sparse_histogram<1>;
extern template class basic_sparse_histogram<7>;

}  // namespace netstab::core

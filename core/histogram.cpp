#include "core/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace netstab::core {
namespace {

constexpr std::uint32_t channel_stride = 1024;                 // keys: channel * 1024 + bin
constexpr std::uint32_t exact_limit = 2 * histogram_sub_bins;  // values below are their own bin

}  // namespace

std::uint16_t histogram_bin(std::uint32_t us) {
  if (us < exact_limit) {
    return static_cast<std::uint16_t>(us);
  }
  // Octave o = floor(log2(us)) >= 6; the top 6 bits of the value (32..63) pick
  // the sub-bin, and the octave picks which run of 32 bins.
  const auto octave = static_cast<unsigned>(std::bit_width(us)) - 1U;
  const unsigned shift = octave - 5U;
  const std::uint32_t sub = (us >> shift) - histogram_sub_bins;
  return static_cast<std::uint16_t>(histogram_sub_bins + shift * histogram_sub_bins + sub);
}

std::uint32_t histogram_bin_lower(std::uint16_t bin) {
  if (bin < exact_limit) {
    return bin;
  }
  const std::uint32_t shift = (bin - histogram_sub_bins) / histogram_sub_bins;
  const std::uint32_t sub = (bin - histogram_sub_bins) % histogram_sub_bins;
  return (histogram_sub_bins + sub) << shift;
}

std::uint32_t histogram_bin_width(std::uint16_t bin) {
  if (bin < exact_limit) {
    return 1;
  }
  return 1U << ((bin - histogram_sub_bins) / histogram_sub_bins);
}

namespace {

template <unsigned B>
struct packing {
  static constexpr unsigned count_bits = basic_sparse_histogram<B>::count_bits;
  static constexpr std::uint32_t count_mask = basic_sparse_histogram<B>::max_entry_count;
  static constexpr std::uint32_t make_key(unsigned channel, std::uint16_t bin) {
    return static_cast<std::uint32_t>(channel) * channel_stride + bin;
  }
  static constexpr std::uint32_t key_of(std::uint32_t entry) { return entry >> count_bits; }
  static constexpr std::uint32_t count_of(std::uint32_t entry) { return entry & count_mask; }
  static constexpr std::uint32_t make_entry(std::uint32_t key, std::uint32_t count) {
    return (key << count_bits) | count;
  }
};

}  // namespace

template <unsigned B>
std::vector<std::uint32_t>::const_iterator basic_sparse_histogram<B>::channel_begin(unsigned channel) const {
  if (channel >= channels) {
    return entries_.end();
  }
  return std::lower_bound(entries_.begin(), entries_.end(),
                          packing<B>::make_entry(packing<B>::make_key(channel, 0), 0));
}

template <unsigned B>
void basic_sparse_histogram<B>::clear_channels(unsigned first, unsigned last) {
  const auto begin = entries_.begin() + (channel_begin(first) - entries_.cbegin());
  const auto end = entries_.begin() + (channel_begin(last) - entries_.cbegin());
  entries_.erase(begin, end);
}

template <unsigned B>
std::vector<std::uint32_t>::iterator basic_sparse_histogram<B>::grow(std::vector<std::uint32_t>::iterator at) {
  const auto offset = at - entries_.begin();
  entries_.reserve(entries_.size() + entries_.size() / 4 + 4);
  return entries_.begin() + offset;
}

template <unsigned B>
void basic_sparse_histogram<B>::add(unsigned channel, std::uint16_t bin, std::uint64_t n) {
  using P = packing<B>;
  if (n == 0) {
    return;
  }
  const std::uint32_t key = P::make_key(channel, bin);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), P::make_entry(key, 0));
  // Fill the run of entries with this key first, then append spill entries.
  for (; it != entries_.end() && P::key_of(*it) == key; ++it) {
    const std::uint32_t room = P::count_mask - P::count_of(*it);
    const auto take = static_cast<std::uint32_t>(std::min<std::uint64_t>(room, n));
    *it += take;
    n -= take;
    if (n == 0) {
      return;
    }
  }
  while (n > 0) {
    const auto take = static_cast<std::uint32_t>(std::min<std::uint64_t>(P::count_mask, n));
    if (entries_.size() == entries_.capacity()) {
      it = grow(it);
    }
    it = entries_.insert(it, P::make_entry(key, take));
    ++it;
    n -= take;
  }
}

template <unsigned B>
void basic_sparse_histogram<B>::remove(unsigned channel, std::uint16_t bin, std::uint64_t n) {
  using P = packing<B>;
  const std::uint32_t key = P::make_key(channel, bin);
  const auto first = std::lower_bound(entries_.begin(), entries_.end(), P::make_entry(key, 0));
  auto last = first;
  while (last != entries_.end() && P::key_of(*last) == key) {
    ++last;
  }
  // Take from the back of the run so spill entries empty first.
  for (auto it = last; it != first && n > 0;) {
    --it;
    const auto take = static_cast<std::uint32_t>(std::min<std::uint64_t>(P::count_of(*it), n));
    *it -= take;
    n -= take;
  }
  const auto new_last = std::remove_if(first, last, [](std::uint32_t e) { return P::count_of(e) == 0; });
  entries_.erase(new_last, last);
}

template <unsigned B>
void basic_sparse_histogram<B>::add_all(const basic_sparse_histogram& other) {
  using P = packing<B>;
  for (const std::uint32_t e : other.entries_) {
    const std::uint32_t key = P::key_of(e);
    add(key / channel_stride, static_cast<std::uint16_t>(key % channel_stride), P::count_of(e));
  }
}

template <unsigned B>
void basic_sparse_histogram<B>::remove_all(const basic_sparse_histogram& other) {
  using P = packing<B>;
  for (const std::uint32_t e : other.entries_) {
    const std::uint32_t key = P::key_of(e);
    remove(key / channel_stride, static_cast<std::uint16_t>(key % channel_stride), P::count_of(e));
  }
}

template <unsigned B>
std::uint64_t basic_sparse_histogram<B>::count(unsigned channel) const {
  using P = packing<B>;
  std::uint64_t n = 0;
  for (auto it = channel_begin(channel), end = channel_begin(channel + 1); it != end; ++it) {
    n += P::count_of(*it);
  }
  return n;
}

template <unsigned B>
std::uint64_t basic_sparse_histogram<B>::count(unsigned channel, std::uint16_t bin) const {
  using P = packing<B>;
  const std::uint32_t key = P::make_key(channel, bin);
  std::uint64_t n = 0;
  for (auto it = std::lower_bound(entries_.begin(), entries_.end(), P::make_entry(key, 0));
       it != entries_.end() && P::key_of(*it) == key; ++it) {
    n += P::count_of(*it);
  }
  return n;
}

template <unsigned B>
std::optional<double> basic_sparse_histogram<B>::percentile(unsigned channel, double p) const {
  return percentile(channel, p, count(channel));
}

template <unsigned B>
std::optional<double> basic_sparse_histogram<B>::percentile(unsigned channel, double p, std::uint64_t total) const {
  using P = packing<B>;
  if (total == 0) {
    return std::nullopt;
  }
  // Nearest rank: the k-th smallest value, k = ceil(p/100 * n), at least 1. The
  // small epsilon keeps 95 * 100 / 100 from rounding up to 96.
  const double exact_rank = std::clamp(p, 0.0, 100.0) * static_cast<double>(total) / 100.0;
  const auto k = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::ceil(exact_rank - 1e-9)), 1, total);
  const auto first = channel_begin(channel);
  const auto last = channel_begin(channel + 1);

  // Finds the bin holding the k-th value, walking from the nearer end (p95 and
  // p99 walk a few bins from the top). A bin may span several equal-key entries.
  std::uint32_t key = 0;
  std::uint64_t before = 0;  // values in bins below the found one
  std::uint64_t in_bin = 0;
  bool found = false;
  if (k <= total / 2) {
    for (auto it = first; it != last && !found;) {
      key = P::key_of(*it);
      in_bin = 0;
      for (; it != last && P::key_of(*it) == key; ++it) {
        in_bin += P::count_of(*it);
      }
      found = before + in_bin >= k;
      if (!found) {
        before += in_bin;
      }
    }
  } else {
    std::uint64_t after = 0;  // values in bins above the current one
    for (auto it = last; it != first && !found;) {
      key = P::key_of(*(it - 1));
      in_bin = 0;
      for (; it != first && P::key_of(*(it - 1)) == key; --it) {
        in_bin += P::count_of(*(it - 1));
      }
      before = total - after - in_bin;
      found = before < k;
      after += in_bin;
    }
  }
  if (!found || in_bin == 0) {
    return std::nullopt;  // only when total does not match the histogram
  }
  const auto bin = static_cast<std::uint16_t>(key % channel_stride);
  const double lower = histogram_bin_lower(bin);
  const std::uint32_t width = histogram_bin_width(bin);
  if (width == 1) {
    return lower;
  }
  // The bin's values are taken as spread evenly: the j-th of them sits in the
  // middle of the j-th of in_bin equal slices of the bin.
  const double j = static_cast<double>(k - before);
  return lower + (j - 0.5) / static_cast<double>(in_bin) * static_cast<double>(width);
}

template class basic_sparse_histogram<1>;
template class basic_sparse_histogram<7>;

}  // namespace netstab::core

#include "core/histogram_codec.hpp"

#include <string>

namespace netstab::core {
namespace {

void put_varint(std::uint64_t v, std::vector<std::uint8_t>& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

// Reads one varint at pos; false when the bytes end first or it does not fit 64 bits.
bool get_varint(std::span<const std::uint8_t> in, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) {
      return false;
    }
    const std::uint8_t b = in[pos++];
    const std::uint64_t bits = b & 0x7FU;
    if (shift == 63 && bits > 1) {
      return false;
    }
    v |= bits << shift;
    if ((b & 0x80U) == 0) {
      return true;
    }
  }
  return false;
}

struct bin_count {
  std::uint16_t bin;
  std::uint64_t count;
};

// Walks the encoding, calling f(channel, bin, count) for every bin; returns an error for malformed bytes.
template <typename F>
result<void> walk(std::span<const std::uint8_t> in, F&& f) {
  if (in.empty()) {
    return error{"histogram blob is empty"};
  }
  if (in[0] != histogram_format_version) {
    return error{"histogram blob has format version " + std::to_string(in[0]) + ", expected " +
                 std::to_string(histogram_format_version)};
  }
  std::size_t pos = 1;
  std::uint64_t total = 0;
  for (unsigned channel = 0; channel < sparse_histogram::channels; ++channel) {
    std::uint64_t bins = 0;
    if (!get_varint(in, pos, bins) || bins > histogram_bin_count) {
      return error{"histogram blob: bad bin count of channel " + std::to_string(channel)};
    }
    std::uint64_t next = 0;  // smallest bin the next entry may have
    for (std::uint64_t i = 0; i < bins; ++i) {
      std::uint64_t gap = 0;
      std::uint64_t count = 0;
      if (!get_varint(in, pos, gap) || !get_varint(in, pos, count)) {
        return error{"histogram blob is truncated"};
      }
      if (gap >= histogram_bin_count || next + gap >= histogram_bin_count) {
        return error{"histogram blob: bin out of range"};
      }
      if (count == 0 || count > max_encoded_total - total) {
        return error{"histogram blob: bad count"};
      }
      total += count;
      const auto bin = static_cast<std::uint16_t>(next + gap);
      f(channel, bin, count);
      next = std::uint64_t{bin} + 1;
    }
  }
  if (pos != in.size()) {
    return error{"histogram blob has " + std::to_string(in.size() - pos) + " trailing bytes"};
  }
  return success();
}

}  // namespace

void encode_histogram(const sparse_histogram& h, std::vector<std::uint8_t>& out) {
  out.push_back(histogram_format_version);
  for (unsigned channel = 0; channel < sparse_histogram::channels; ++channel) {
    // A bin whose count spilled over several entries is visited once per entry: fold the runs first.
    std::uint64_t bins = 0;
    int last = -1;
    h.visit(channel, [&](std::uint16_t bin, std::uint32_t) {
      if (bin != last) {
        ++bins;
        last = bin;
      }
    });
    put_varint(bins, out);
    int previous = -1;
    int pending_bin = -1;
    std::uint64_t pending = 0;
    const auto flush = [&] {
      if (pending_bin >= 0) {
        put_varint(static_cast<std::uint64_t>(pending_bin - previous - 1), out);
        put_varint(pending, out);
        previous = pending_bin;
      }
    };
    h.visit(channel, [&](std::uint16_t bin, std::uint32_t count) {
      if (bin != pending_bin) {
        flush();
        pending_bin = bin;
        pending = 0;
      }
      pending += count;
    });
    flush();
  }
}

result<void> decode_histogram_into(std::span<const std::uint8_t> bytes, sparse_histogram& into) {
  // Two passes: check everything first, so a damaged blob adds nothing.
  auto checked = walk(bytes, [](unsigned, std::uint16_t, std::uint64_t) {});
  if (!checked) {
    return checked;
  }
  return walk(bytes, [&](unsigned channel, std::uint16_t bin, std::uint64_t count) { into.add(channel, bin, count); });
}

}  // namespace netstab::core

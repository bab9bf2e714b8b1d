#pragma once
// Compact byte encoding of a sparse_histogram, for storing a period's latency distribution (history rows).
//
// Format (version 1): one byte 0x01, then per channel (0, then 1): a varint with the number of non-empty bins,
// then per bin in ascending order a varint gap (the bin minus the previous bin minus one; the first bin as it
// is) and a varint count (at least 1). Varints are unsigned LEB128 (7 bits a byte, low bits first). A channel
// with no values costs one byte, so an empty histogram is 3 bytes; a minute of 60 replies spread over ten bins
// per channel takes about 40 bytes.
//
// Decoding treats the bytes as untrusted (a damaged file, a truncated blob): every length, bin and count is
// checked before anything is added, so damaged bytes give an error and leave the destination untouched. The
// total count of one blob is capped at max_encoded_total, which bounds the memory a decode can claim (a count
// too large for one entry spills over several).
//
// Pure functions; any thread.
#include <cstdint>
#include <span>
#include <vector>

#include "core/histogram.hpp"
#include "core/result.hpp"

namespace netstab::core {

inline constexpr std::uint8_t histogram_format_version = 1;
inline constexpr std::uint64_t max_encoded_total = std::uint64_t{1} << 32;

// Appends the encoding of h to out.
void encode_histogram(const sparse_histogram& h, std::vector<std::uint8_t>& out);

// Checks bytes and adds the values they describe to into (so several blobs can be merged into one histogram).
// On an error into is unchanged.
result<void> decode_histogram_into(std::span<const std::uint8_t> bytes, sparse_histogram& into);

}  // namespace netstab::core

#pragma once
// Jitter from consecutive round-trip times of received replies.
//
// Two views are kept, both from D_i = rtt_i - rtt_{i-1} over consecutive
// received replies (a lost probe between them does not break the pair):
// - the IPDV sample |D_i| (RFC 3393), which windows average into jitter_ms;
// - the RFC 3550 smoothed estimate J += (|D_i| - J) / 16, starting from J = 0.
// Values are microseconds. Owned by one target monitor (loop thread).
#include <cstdint>
#include <optional>

namespace netstab::core {

class jitter_tracker {
 public:
  // Feeds the RTT of one received reply; returns |D| to the previous reply's RTT
  // (the IPDV sample), or nothing for the first reply.
  std::optional<std::uint32_t> on_rtt(std::uint32_t rtt_us);
  // Current RFC 3550 estimate; empty until one pair of replies was seen.
  std::optional<double> rfc3550_us() const;

 private:
  double j_us_ = 0.0;
  std::uint32_t prev_us_ = 0;
  bool has_prev_ = false;
  bool has_j_ = false;
};

// Mean IPDV in milliseconds from a window's sum and count; empty when count is 0.
std::optional<double> ipdv_mean_ms(std::uint64_t sum_us, std::uint64_t count);

}  // namespace netstab::core

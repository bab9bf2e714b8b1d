#include "core/jitter.hpp"

namespace netstab::core {

std::optional<std::uint32_t> jitter_tracker::on_rtt(std::uint32_t rtt_us) {
  if (!has_prev_) {
    has_prev_ = true;
    prev_us_ = rtt_us;
    return std::nullopt;
  }
  const std::uint32_t d = rtt_us > prev_us_ ? rtt_us - prev_us_ : prev_us_ - rtt_us;
  prev_us_ = rtt_us;
  j_us_ += (static_cast<double>(d) - j_us_) / 16.0;
  has_j_ = true;
  return d;
}

std::optional<double> jitter_tracker::rfc3550_us() const {
  if (!has_j_) {
    return std::nullopt;
  }
  return j_us_;
}

std::optional<double> ipdv_mean_ms(std::uint64_t sum_us, std::uint64_t count) {
  if (count == 0) {
    return std::nullopt;
  }
  return static_cast<double>(sum_us) / static_cast<double>(count) / 1000.0;
}

}  // namespace netstab::core

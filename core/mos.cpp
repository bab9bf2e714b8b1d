#include "core/mos.hpp"

#include <algorithm>

namespace netstab::core {

double r_factor(double avg_rtt_ms, double jitter_ms, double loss_pct) {
  const double effective = avg_rtt_ms + 2.0 * jitter_ms + 10.0;
  const double delay_penalty = effective < 160.0 ? effective / 40.0 : (effective - 120.0) / 10.0;
  return std::clamp(93.2 - delay_penalty - 2.5 * loss_pct, 0.0, 100.0);
}

double mos_from_r(double r_in) {
  const double r = std::clamp(r_in, 0.0, 100.0);
  const double mos = 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r);
  return std::clamp(mos, 1.0, 4.5);
}

double estimate_mos(double avg_rtt_ms, double jitter_ms, double loss_pct) {
  return mos_from_r(r_factor(avg_rtt_ms, jitter_ms, loss_pct));
}

std::optional<double> window_mos(std::uint64_t received, std::uint64_t lost, std::optional<double> avg_rtt_ms,
                                 std::optional<double> jitter_ms, double loss_pct) {
  if (received == 0) {
    return lost == 0 ? std::nullopt : std::optional<double>(1.0);
  }
  if (!avg_rtt_ms) {
    return std::nullopt;
  }
  return estimate_mos(*avg_rtt_ms, jitter_ms.value_or(0.0), loss_pct);
}

}  // namespace netstab::core

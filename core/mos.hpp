#pragma once
// Estimated MOS from a simplified ITU-T G.107 E-model (as popularised for VoIP
// monitoring), from average RTT, jitter and loss:
//   effective latency  L = avg_rtt_ms + 2 * jitter_ms + 10 ms
//   R = 93.2 - (L < 160 ? L / 40 : (L - 120) / 10) - 2.5 * loss_pct, clamped to [0, 100]
//   MOS = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R), clamped to [1, 4.5]
// Pure functions; callable from any thread.
#include <cstdint>
#include <optional>

namespace netstab::core {

double r_factor(double avg_rtt_ms, double jitter_ms, double loss_pct);
double mos_from_r(double r);  // r is clamped to [0, 100] first
double estimate_mos(double avg_rtt_ms, double jitter_ms, double loss_pct);

// MOS of a window: empty when the window resolved no probe, 1.0 when nothing was
// received (all lost), otherwise estimate_mos with a missing jitter taken as 0.
std::optional<double> window_mos(std::uint64_t received, std::uint64_t lost, std::optional<double> avg_rtt_ms,
                                 std::optional<double> jitter_ms, double loss_pct);

}  // namespace netstab::core

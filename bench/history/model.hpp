#pragma once
// A synthetic but realistic latency model for the history benchmark: per target a base RTT (4 .. 83 ms), an
// evening congestion (18:00 .. 23:00 UTC: +25 % and three times the spread), rare RTT spikes, a little random
// loss and a loss burst every few days. Deterministic for a seed. One thread.
#include <cstdint>
#include <random>

#include "core/history_rollup.hpp"

namespace netstab::bench {

class latency_model {
 public:
  explicit latency_model(unsigned target) : rng_(target * 7919U + 1U) {
    base_ms_ = 4.0 + static_cast<double>((target * 37U) % 80U);
    spread_ms_ = 0.3 + base_ms_ * 0.04;
  }

  // One minute of `per_minute` probes starting at start_s (Unix seconds, a minute boundary).
  core::rollup minute(std::int64_t start_s, int per_minute) {
    core::minute_accumulator acc;
    core::rollup done;
    const int hour = static_cast<int>((start_s / 3600) % 24);
    const bool evening = hour >= 18 && hour < 23;
    const bool burst = (start_s / 60) % 4001 == 17;  // a bad minute every 2.8 days
    const double base = base_ms_ * (evening ? 1.25 : 1.0);
    const double spread = spread_ms_ * (evening ? 3.0 : 1.0);
    const core::wall_time t0{start_s * 1'000'000'000};
    for (int i = 0; i < per_minute; ++i) {
      const core::wall_time at = t0 + core::nanos{60'000'000'000LL * i / per_minute};
      (void)acc.on_sent(at, done);
      core::sample s;
      s.wall = at;
      s.seq = static_cast<std::uint32_t>(i);
      if (unit_(rng_) < (burst ? 0.3 : 0.001)) {
        s.status = core::probe_status::timeout;
      } else {
        double rtt = base + std::abs(normal_(rng_)) * spread;
        if (unit_(rng_) < 0.01) rtt *= 3.0;
        s.rtt = core::nanos{static_cast<std::int64_t>(rtt * 1e6)};
        s.process = core::nanos{static_cast<std::int64_t>((rtt + 0.05 + unit_(rng_) * 0.1) * 1e6)};
      }
      (void)acc.on_sample(s, burst ? core::health::bad : core::health::ok, done);
    }
    (void)acc.close(done);
    return done;
  }

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<double> normal_{0.0, 1.0};
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  double base_ms_, spread_ms_;
};

}  // namespace netstab::bench

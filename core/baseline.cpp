#include "core/baseline.hpp"

#include <cmath>
#include <stdexcept>

namespace netstab::core {

baseline_tracker::baseline_tracker(nanos period, unsigned buckets) : period_(period) {
  if (buckets == 0 || buckets > max_buckets) {
    throw std::invalid_argument("baseline buckets must be 1..64");
  }
  if (period.count() < static_cast<std::int64_t>(buckets)) {
    throw std::invalid_argument("baseline period is shorter than one nanosecond per bucket");
  }
  slots_.resize(buckets);
  bucket_len_ = period / buckets;
}

std::int64_t baseline_tracker::epoch_of(mono_time t) const {
  // Floor division, so that times before the clock's epoch still fall in the right bucket.
  const std::int64_t q = t.count() / bucket_len_.count();
  return (t.count() % bucket_len_.count() < 0) ? q - 1 : q;
}

void baseline_tracker::feed(mono_time now, double p50_ms) {
  if (!std::isfinite(p50_ms) || p50_ms < 0.0) return;
  const std::int64_t e = epoch_of(now);
  const auto b = static_cast<std::int64_t>(slots_.size());
  slot& s = slots_[static_cast<std::size_t>(((e % b) + b) % b)];
  if (s.used && s.epoch > e) return;  // older than the ring
  if (!s.used || s.epoch < e) {
    s = slot{e, p50_ms, true};
  } else if (p50_ms < s.min_ms) {
    s.min_ms = p50_ms;
  }
}

std::optional<double> baseline_tracker::baseline(mono_time now) const {
  const std::int64_t e = epoch_of(now);
  const auto b = static_cast<std::int64_t>(slots_.size());
  std::optional<double> lowest;
  for (const slot& s : slots_) {
    if (!s.used || s.epoch > e || s.epoch <= e - b) continue;
    if (!lowest || s.min_ms < *lowest) lowest = s.min_ms;
  }
  return lowest;
}

void baseline_tracker::reset() {
  for (slot& s : slots_) s = slot{};
}

std::size_t baseline_tracker::memory_bytes() const { return sizeof(*this) + slots_.capacity() * sizeof(slot); }

}  // namespace netstab::core

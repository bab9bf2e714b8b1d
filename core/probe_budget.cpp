#include "core/probe_budget.hpp"

#include <algorithm>

namespace netstab::core {

namespace {
constexpr nanos one_second{std::chrono::seconds(1)};
}  // namespace

probe_budget::probe_budget(std::uint32_t max_pps, mono_time now)
    : rate_(std::max<std::uint32_t>(max_pps, 1)),
      burst_(std::max<std::uint32_t>(1, rate_ / 20)),
      credit_(static_cast<std::int64_t>(burst_) * token),
      refilled_at_(now),
      ring_(rate_) {
  counters_.max_pps = rate_;
}

std::int64_t probe_budget::credit_at(mono_time now) const {
  if (now <= refilled_at_) return credit_;
  const std::int64_t cap = static_cast<std::int64_t>(burst_) * token;
  // Past the time a bucket takes to fill, longer idleness adds nothing (and cannot overflow).
  const std::int64_t elapsed = std::min<std::int64_t>((now - refilled_at_).count(), cap / rate_ + 1);
  return std::min(cap, credit_ + elapsed * rate_);
}

void probe_budget::refill(mono_time now) {
  credit_ = credit_at(now);
  refilled_at_ = std::max(refilled_at_, now);
}

// Drops the send times at or before limit: they are a full second old or more.
void probe_budget::forget_older_than(mono_time limit) {
  const auto cap = static_cast<std::uint32_t>(ring_.size());
  while (size_ > 0 && ring_[head_] <= limit) {
    head_ = (head_ + 1) % cap;
    --size_;
  }
}

bool probe_budget::try_take(mono_time now) {
  refill(now);
  forget_older_than(now - one_second);
  const auto cap = static_cast<std::uint32_t>(ring_.size());
  if (credit_ < token || size_ >= cap) return false;
  credit_ -= token;
  ring_[(head_ + size_) % cap] = now;
  ++size_;
  ++counters_.sent;
  counters_.peak_per_second = std::max(counters_.peak_per_second, size_);
  return true;
}

mono_time probe_budget::next_free(mono_time now) const {
  mono_time at = now;
  // Credit as it will be at now (refill is lazy).
  const std::int64_t credit = credit_at(now);
  if (credit < token) at = now + nanos{(token - credit + rate_ - 1) / rate_};
  // The window: the send times still within the second before `at`; the oldest of them must leave it.
  const auto cap = static_cast<std::uint32_t>(ring_.size());
  std::uint32_t h = head_;
  std::uint32_t n = size_;
  while (n > 0 && ring_[h] <= at - one_second) {
    h = (h + 1) % cap;
    --n;
  }
  if (n >= cap) at = std::max(at, ring_[h] + one_second);
  return at;
}

}  // namespace netstab::core

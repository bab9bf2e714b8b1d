#include "core/scheduler.hpp"

#include <algorithm>
#include <cmath>

namespace netstab::core {

void scheduler::schedule(id_type id, mono_time at) {
  if (id >= generation_.size()) {
    generation_.resize(id + 1, 0);
    live_.resize(id + 1, false);
    at_.resize(id + 1);
  }
  if (live_[id] && at_[id] == at) return;
  ++generation_[id];
  at_[id] = at;
  if (!live_[id]) {
    live_[id] = true;
    ++live_count_;
  }
  heap_.push_back(entry{at, id, generation_[id]});
  std::push_heap(heap_.begin(), heap_.end(), later);
  if (heap_.size() > 4 * live_count_ + 64) compact();
}

void scheduler::cancel(id_type id) {
  if (id < generation_.size() && live_[id]) {
    ++generation_[id];
    live_[id] = false;
    --live_count_;
  }
}

bool scheduler::scheduled(id_type id) const { return id < live_.size() && live_[id]; }

void scheduler::drop_stale_top() {
  while (!heap_.empty()) {
    const entry& top = heap_.front();
    if (live_[top.id] && generation_[top.id] == top.generation) return;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

std::optional<mono_time> scheduler::next() {
  drop_stale_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().at;
}

std::optional<scheduler::id_type> scheduler::pop_due(mono_time now) {
  drop_stale_top();
  if (heap_.empty() || heap_.front().at > now) return std::nullopt;
  const id_type id = heap_.front().id;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  live_[id] = false;
  --live_count_;
  return id;
}

void scheduler::clear() {
  heap_.clear();
  for (std::size_t i = 0; i < live_.size(); ++i) {
    if (live_[i]) ++generation_[i];
    live_[i] = false;
  }
  live_count_ = 0;
}

void scheduler::compact() {
  std::erase_if(heap_, [this](const entry& e) { return !live_[e.id] || generation_[e.id] != e.generation; });
  std::make_heap(heap_.begin(), heap_.end(), later);
}

nanos stagger_offset(std::uint32_t index, nanos interval) {
  // Fractional part of index * (golden ratio - 1): a low-discrepancy sequence in [0, 1).
  constexpr double phi = 0.61803398874989484820;
  const double frac = std::fmod(static_cast<double>(index) * phi, 1.0);
  return nanos{static_cast<std::int64_t>(frac * static_cast<double>(interval.count()))};
}

std::size_t spread_steps(std::size_t count) {
  const std::size_t by_burst = (count + spread_max_burst - 1) / spread_max_burst;
  return std::min(count, std::max(spread_min_steps, by_burst));
}

nanos spread_offset(std::size_t rank, std::size_t count, nanos interval) {
  if (count == 0 || rank >= count) return nanos{0};
  const std::size_t steps = spread_steps(count);
  // rank × steps fits 64 bits for any number of targets a prober holds; interval × step may not, hence double.
  const std::size_t step = rank * steps / count;
  const double share = static_cast<double>(step) / static_cast<double>(steps);
  return nanos{static_cast<std::int64_t>(share * static_cast<double>(interval.count()))};
}

}  // namespace netstab::core

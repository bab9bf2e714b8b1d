#include "core/qos0_ledger.hpp"

#include <algorithm>

namespace netstab::core {

void qos0_ledger::on_completed(std::uint64_t id, int qos, mono_time now) {
  if (qos > 0) {
    while (!recent_.empty() && recent_.front().last_id < id) recent_.pop_front();
    return;
  }
  const std::int64_t sec = second_of(now);
  if (!recent_.empty() && recent_.back().second == sec) {
    ++recent_.back().count;
    recent_.back().last_id = std::max(recent_.back().last_id, id);
  } else {
    recent_.push_back(bucket{sec, 1, id});
  }
  const std::int64_t oldest = second_of(now - window_);
  while (!recent_.empty() && recent_.front().second < oldest) recent_.pop_front();
}

std::uint64_t qos0_ledger::take_unconfirmed(mono_time now) {
  const std::int64_t oldest = second_of(now - window_);
  std::uint64_t n = 0;
  for (const auto& b : recent_) {
    if (b.second >= oldest) n += b.count;
  }
  recent_.clear();
  return n;
}

}  // namespace netstab::core

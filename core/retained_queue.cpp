#include "core/retained_queue.hpp"

#include <algorithm>

namespace netstab::core {

bool retained_queue::keeps_every(const std::string& topic) const {
  return std::find(keep_every_.begin(), keep_every_.end(), topic) != keep_every_.end();
}

void retained_queue::put(outgoing_message m) {
  if (keeps_every(m.topic)) {
    items_.push_back(std::move(m));
    return;
  }
  if (auto it = seq_of_.find(m.topic); it != seq_of_.end()) {
    items_[static_cast<std::size_t>(it->second - front_seq_)] = std::move(m);
    ++coalesced_;
    return;
  }
  seq_of_.emplace(m.topic, front_seq_ + items_.size());
  items_.push_back(std::move(m));
}

void retained_queue::push_front(outgoing_message m) {
  if (seq_of_.count(m.topic) != 0) return;
  --front_seq_;
  if (!keeps_every(m.topic)) seq_of_.emplace(m.topic, front_seq_);
  items_.push_front(std::move(m));
}

outgoing_message retained_queue::pop() {
  outgoing_message m = std::move(items_.front());
  items_.pop_front();
  if (auto it = seq_of_.find(m.topic); it != seq_of_.end() && it->second == front_seq_) seq_of_.erase(it);
  ++front_seq_;
  return m;
}

void retained_queue::clear() {
  items_.clear();
  seq_of_.clear();
}

}  // namespace netstab::core

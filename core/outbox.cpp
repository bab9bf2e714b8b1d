#include "core/outbox.hpp"

#include <utility>

namespace netstab::core {

outbox::outbox(std::size_t capacity, std::size_t max_bytes) : capacity_(capacity), max_bytes_(max_bytes) {}

void outbox::push(outgoing_message m) {
  bytes_ += weight(m);
  queue_.push_back(std::move(m));
  enforce_bounds();
}

void outbox::push_front(std::vector<outgoing_message>&& batch) {
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
    bytes_ += weight(*it);
    queue_.push_front(std::move(*it));
  }
  batch.clear();
  enforce_bounds();
}

std::optional<outgoing_message> outbox::pop() {
  if (queue_.empty()) return std::nullopt;
  outgoing_message m = std::move(queue_.front());
  queue_.pop_front();
  bytes_ -= weight(m);
  return m;
}

void outbox::clear() {
  dropped_ += queue_.size();
  queue_.clear();
  bytes_ = 0;
}

void outbox::enforce_bounds() {
  while (!queue_.empty() && (queue_.size() > capacity_ || (max_bytes_ > 0 && bytes_ > max_bytes_))) {
    bytes_ -= weight(queue_.front());
    queue_.pop_front();
    ++dropped_;
  }
}

}  // namespace netstab::core

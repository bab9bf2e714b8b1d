#pragma once
// Bounded FIFO of outgoing non-retained messages (samples, events, replies)
// kept while the broker is away or while earlier messages are still in flight.
//
// Invariants: messages leave in the order they entered (push_front puts a batch
// back before everything else, in the batch's order); size() <= capacity and
// bytes() <= max_bytes (when max_bytes > 0) after every call; when a bound is
// exceeded the oldest messages (front) are dropped and counted in dropped().
// Retained "latest value" messages don't belong here: they are republished on
// reconnect instead.
//
// Not thread-safe: owned and used by the loop thread.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/message_bus.hpp"

namespace netstab::core {

class outbox {
 public:
  // capacity: maximum number of messages; max_bytes: maximum sum of topic and
  // payload sizes, 0 for no byte bound.
  explicit outbox(std::size_t capacity, std::size_t max_bytes = 0);

  void push(outgoing_message m);
  // Puts messages back at the front (oldest first in `batch`), e.g. the
  // unacknowledged in-flight ones after a connection loss.
  void push_front(std::vector<outgoing_message>&& batch);
  std::optional<outgoing_message> pop();
  const outgoing_message* front() const { return queue_.empty() ? nullptr : &queue_.front(); }

  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t dropped() const { return dropped_; }
  // Drops everything (counted as dropped), e.g. on shutdown with no broker.
  void clear();

 private:
  static std::size_t weight(const outgoing_message& m) { return m.topic.size() + m.payload.size(); }
  void enforce_bounds();

  std::deque<outgoing_message> queue_;
  std::size_t capacity_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace netstab::core

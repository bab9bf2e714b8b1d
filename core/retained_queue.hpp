#pragma once
// Retained "latest value" messages (state, statistics, incidents) waiting for room in the MQTT link's delivery
// window; the sibling of core::outbox, which holds the messages that must all arrive.
//
// Invariants: at most one message per topic waits, and a newer value replaces a waiting older one in place,
// keeping its turn (counted in coalesced()); topics leave oldest first. Entry i of the queue has the sequence
// number front_seq_ + i (unsigned, wrapping), and seq_of_ maps each waiting topic to its number, so replacing is
// O(1) and nothing is ever removed from the middle. Topics in `keep_every` are the exception: every message on
// them is kept and sent in order (Home Assistant's discovery removal is a pair of messages on one topic); they
// never enter seq_of_.
//
// Not thread-safe: owned by the MQTT link on the loop thread.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/message_bus.hpp"

namespace netstab::core {

class retained_queue {
 public:
  explicit retained_queue(std::vector<std::string> keep_every = {}) : keep_every_(std::move(keep_every)) {}

  void put(outgoing_message m);
  // Puts a message taken with pop() back at the front (the transport refused it for now). Dropped when a newer
  // value of its topic arrived meanwhile.
  void push_front(outgoing_message m);
  // Precondition: !empty().
  outgoing_message pop();
  const outgoing_message* front() const { return items_.empty() ? nullptr : &items_.front(); }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  std::uint64_t coalesced() const { return coalesced_; }
  void clear();

 private:
  bool keeps_every(const std::string& topic) const;

  std::vector<std::string> keep_every_;
  std::deque<outgoing_message> items_;
  std::unordered_map<std::string, std::uint64_t> seq_of_;
  std::uint64_t front_seq_ = 0;
  std::uint64_t coalesced_ = 0;
};

}  // namespace netstab::core

#pragma once
// QoS 0 messages the broker may never have read.
//
// A QoS 0 message counts as delivered once the client library wrote it to the socket; the broker does not
// acknowledge it. When a broker freezes, the client notices only after about two keep-alive intervals without an
// answer, and what it wrote meanwhile may be lost with the connection. The ledger keeps the QoS 0 completions of
// that recent window, counted per second (each bucket with the highest message id in it). An acknowledgement of
// a QoS 1/2 message with id X proves the broker read everything written before X, so the buckets whose messages
// all precede X are dropped. At a connection loss, what is left within the window is the upper bound of what may
// have been lost (after an orderly close it usually arrived).
//
// Time is passed in (monotonic). Not thread-safe: owned by the MQTT link on the loop thread.
#include <cstdint>
#include <deque>

#include "core/time.hpp"

namespace netstab::core {

class qos0_ledger {
 public:
  // window: how far back a connection loss can reach (2.5 keep-alive intervals).
  explicit qos0_ledger(nanos window) : window_(window) {}

  // A message with this id completed (qos 0: written; qos 1/2: acknowledged by the broker).
  void on_completed(std::uint64_t id, int qos, mono_time now);
  // At a connection loss: the QoS 0 messages of the window with no acknowledgement after them. Resets the ledger.
  std::uint64_t take_unconfirmed(mono_time now);

 private:
  struct bucket {
    std::int64_t second = 0;
    std::uint64_t count = 0;
    std::uint64_t last_id = 0;
  };
  std::int64_t second_of(mono_time t) const { return std::chrono::duration_cast<std::chrono::seconds>(t).count(); }

  nanos window_;
  std::deque<bucket> recent_;  // oldest first
};

}  // namespace netstab::core

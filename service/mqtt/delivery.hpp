#pragma once
// The MQTT link's delivery: the queues of what waits, the window of what Paho holds, and the pace at which
// messages go from one to the other.
//
// Two queues: retained "latest value" messages (core::retained_queue, one per topic) and everything else in
// order (core::outbox, bounded, oldest dropped first). Every message reaches Paho through pump(), retained ones
// first (state and statistics reach a dashboard before a backlog of samples), then the outbox in order, and only
// while the window allows: at most max_inflight messages handed to Paho and not completed, of at most
// max_inflight_bytes of payload (a larger message goes alone), and at most the broker's receive maximum of QoS 1/2
// ones. So neither Paho's queue nor the broker's receive maximum overflows, and while Paho falls behind a newer
// retained message replaces the one waiting for the window instead of queueing behind it.
//
// Pace: retained messages go in bursts at most every retained_batch, and QoS 0 non-retained messages (samples)
// wait up to qos0_batch and go together; any other non-retained message opens the outbox at once, taking the
// waiting ones along in order. After pump_budget messages handed to Paho the loop gets a turn (an idle handle
// continues): a publish costs Paho a lock that its send thread holds while it writes, and a burst of thousands
// handed over at once held the loop, and the probes due meanwhile (docs/benchmarks.md). The budget counts over
// every pump() call, because each completion and each statistics message published from a probe callback pumps.
//
// Modes: offline (retained messages are skipped, since the owner republishes them on connect; others are
// buffered), online, and draining (a stop: every batch open, everything waiting goes). At a connection loss the
// unfinished non-retained messages in Paho's window go back to the front of the outbox in order, and the retained
// ones are dropped; QoS 0 messages written just before it with no acknowledgement after them are counted as
// unconfirmed (core/qos0_ledger.hpp).
//
// Owns its timers and idle handle; loop thread only. close() before the loop closes.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "core/outbox.hpp"
#include "core/qos0_ledger.hpp"
#include "core/retained_queue.hpp"
#include "service/loop/uv.hpp"
#include "service/mqtt/options.hpp"
#include "service/mqtt/paho_client.hpp"

namespace netstab::service {

class delivery {
 public:
  // Hands one message to Paho; `id` comes back with its completion (on_completed / on_failed).
  using transport = std::function<publish_outcome(core::outgoing_message& m, std::uint64_t id, std::string* why)>;
  enum class mode : std::uint8_t { offline, online, draining };
  // Messages handed to Paho between two loop turns, all pump() calls together.
  static constexpr std::size_t pump_budget = 16;
  // QoS>0 messages in flight when the broker states no receive maximum (MQTT 3.1.1): mosquitto's default.
  static constexpr std::size_t default_qos_window = 20;

  delivery(uv_loop_t* loop, const mqtt_options& o, transport send);
  delivery(const delivery&) = delete;
  delivery& operator=(const delivery&) = delete;

  // Queues a message by the rules of the current mode (see above).
  void publish(core::outgoing_message m);
  // Connected: the broker takes qos_window QoS 1/2 messages at once; `first` (the availability "online") goes
  // ahead of everything waiting.
  void go_online(std::size_t qos_window, std::optional<core::outgoing_message> first);
  // The connection was lost (see above).
  void go_offline(core::mono_time now);
  // A stop: everything waiting goes now, `last` (the availability "offline") after it.
  void drain(std::optional<core::outgoing_message> last);
  void on_completed(std::uint64_t id, core::mono_time now);
  // Paho failed a message. A failure because the connection went is left for go_offline to requeue.
  void on_failed(std::uint64_t id, int rc, int reason_code);

  bool flushed() const { return inflight_.empty() && outbox_.empty() && retained_.empty(); }
  std::size_t pending() const { return pending_; }
  std::size_t buffered() const { return outbox_.size(); }
  void fill(mqtt_link_counters& c) const;
  // Stops every timer; what still waits is discarded (and logged).
  void close();

 private:
  struct inflight_entry {
    std::uint64_t id = 0;
    core::outgoing_message msg;
    bool done = false;
    std::size_t bytes = 0;  // the payload's size when handed over (Paho may take the payload itself)
  };
  void pump();
  // Whether Paho may take another message: fewer than max_inflight, of fewer than max_inflight_bytes (or none).
  bool window_open() const;
  // Whether the next message may go now, and which queue it comes from.
  const core::outgoing_message* next(bool& retained);
  bool send(bool retained);
  void open_retained_later();
  void open_outbox_later();
  inflight_entry* find_inflight(std::uint64_t id);
  void complete(inflight_entry& entry);
  void requeue_inflight();

  const mqtt_options& o_;
  transport send_;
  mode mode_ = mode::offline;
  core::outbox outbox_;
  core::retained_queue retained_;
  core::qos0_ledger ledger_;
  bool retained_open_ = true;            // retained_ may be sent now (else it waits for batch_timer_)
  bool outbox_open_ = true;              // outbox_ may be sent now (else only QoS 0 messages wait in it)
  std::deque<inflight_entry> inflight_;  // ids consecutive, oldest first; front never done
  std::size_t pending_ = 0;              // entries of inflight_ not done
  std::size_t pending_qos_ = 0;          // of those, QoS 1/2 ones (bounded by qos_window_)
  std::size_t pending_bytes_ = 0;        // their payload bytes (bounded by max_inflight_bytes)
  std::size_t qos_window_ = default_qos_window;
  std::uint64_t next_id_ = 1;
  std::size_t budget_ = pump_budget;  // Paho calls left before the loop must get a turn
  timer batch_timer_;                 // opens the next burst of retained messages
  timer qos0_timer_;                  // opens the outbox for the QoS 0 messages waiting in it
  timer retry_timer_;                 // pumps again after Paho's queue was full
  idle next_turn_;                    // continues pump() in the next loop turn when the budget is spent
  std::uint64_t delivered_ = 0, rejected_ = 0, retained_skipped_ = 0, requeued_ = 0, unconfirmed_ = 0;
};

}  // namespace netstab::service

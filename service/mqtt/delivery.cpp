#include "service/mqtt/delivery.hpp"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

namespace netstab::service {

namespace {

// How far back a connection loss can reach: Paho notices a frozen broker only after about two keep-alive
// intervals without an answer.
core::nanos unconfirmed_window(std::chrono::seconds keepalive) {
  return keepalive.count() > 0 ? core::nanos(keepalive * 5 / 2) : core::nanos(std::chrono::seconds(60));
}

}  // namespace

delivery::delivery(uv_loop_t* loop, const mqtt_options& o, transport send)
    : o_(o),
      send_(std::move(send)),
      outbox_(o.outbox_capacity, o.outbox_max_bytes),
      retained_(o.keep_every_retained),
      ledger_(unconfirmed_window(o.keepalive)),
      batch_timer_(loop),
      qos0_timer_(loop),
      retry_timer_(loop),
      next_turn_(loop) {}

void delivery::publish(core::outgoing_message m) {
  if (mode_ == mode::draining) {
    if (!m.retain) ++rejected_;
    return;
  }
  if (m.retain) {
    if (mode_ != mode::online) {
      ++retained_skipped_;
      return;
    }
    retained_.put(std::move(m));
    if (retained_open_ || o_.retained_batch.count() == 0) {
      pump();
    } else {
      open_retained_later();
    }
    return;
  }
  const bool may_wait = m.qos == 0 && o_.qos0_batch.count() > 0;
  outbox_.push(std::move(m));
  if (mode_ != mode::online) return;
  if (!may_wait) outbox_open_ = true;
  if (outbox_open_) {
    pump();
  } else {
    open_outbox_later();
  }
}

// The first retained message of a burst opens it when the batch time is up.
void delivery::open_retained_later() {
  if (batch_timer_.active()) return;
  batch_timer_.start(static_cast<std::uint64_t>(o_.retained_batch.count()), [this] {
    retained_open_ = true;
    pump();
  });
}

void delivery::open_outbox_later() {
  if (qos0_timer_.active()) return;
  qos0_timer_.start(static_cast<std::uint64_t>(o_.qos0_batch.count()), [this] {
    outbox_open_ = true;
    pump();
  });
}

void delivery::go_online(std::size_t qos_window, std::optional<core::outgoing_message> first) {
  mode_ = mode::online;
  // Paho C queues QoS>0 publishes beyond the broker's receive maximum and then stops sending them: never have
  // more QoS>0 messages in flight than the broker accepts.
  qos_window_ = qos_window > 0 ? qos_window : default_qos_window;
  if (first) retained_.put(std::move(*first));
  outbox_open_ = true;  // what was buffered while disconnected goes now
  pump();
}

void delivery::go_offline(core::mono_time now) {
  mode_ = mode::offline;
  if (const std::uint64_t n = ledger_.take_unconfirmed(now); n > 0) {
    unconfirmed_ += n;
    spdlog::warn(
        "mqtt: {} QoS 0 messages were written in the last {} s with no acknowledgement after them; they may have "
        "been lost with the connection (counted in state mqtt.unconfirmed)",
        n, std::chrono::duration_cast<std::chrono::seconds>(unconfirmed_window(o_.keepalive)).count());
  }
  requeue_inflight();
}

void delivery::drain(std::optional<core::outgoing_message> last) {
  mode_ = mode::draining;
  batch_timer_.stop();
  qos0_timer_.stop();
  retained_open_ = true;
  outbox_open_ = true;
  if (last) outbox_.push(std::move(*last));
  pump();
}

void delivery::on_completed(std::uint64_t id, core::mono_time now) {
  auto* entry = find_inflight(id);
  if (entry == nullptr || entry->done) return;
  ledger_.on_completed(entry->id, entry->msg.qos, now);
  complete(*entry);
  ++delivered_;
  pump();
}

void delivery::on_failed(std::uint64_t id, int rc, int reason_code) {
  auto* entry = find_inflight(id);
  if (entry == nullptr || entry->done) return;
  // Paho fails pending tokens when the connection goes; the entry stays and is requeued when the loss is handled.
  if (is_connection_failure(rc)) return;
  spdlog::warn("mqtt: broker refused a message on {} (code {}, reason {}); dropped", entry->msg.topic, rc, reason_code);
  complete(*entry);
  ++rejected_;
}

const core::outgoing_message* delivery::next(bool& retained) {
  // A burst of retained messages closes once the queue is empty; the next one waits for the batch timer. Likewise
  // the outbox, when it runs empty (only while online: draining sends everything).
  if (retained_.empty() && o_.retained_batch.count() > 0) retained_open_ = false;
  if (outbox_.empty() && o_.qos0_batch.count() > 0 && mode_ == mode::online) outbox_open_ = false;
  retained = retained_open_ && !retained_.empty();
  const core::outgoing_message* m = retained ? retained_.front() : (outbox_open_ ? outbox_.front() : nullptr);
  if (m == nullptr || (m->qos > 0 && pending_qos_ >= qos_window_)) return nullptr;
  return m;
}

void delivery::pump() {
  bool retained = false;
  while (mode_ != mode::offline && window_open() && next(retained) != nullptr) {
    if (budget_ == 0) {
      if (!next_turn_.active()) {
        next_turn_.start_once([this] {
          budget_ = pump_budget;
          pump();
        });
      }
      return;
    }
    --budget_;
    if (!send(retained)) {
      // Paho's queue is full: completions pump again; the timer covers the case of none pending.
      if (!retry_timer_.active()) retry_timer_.start(20, [this] { pump(); });
      return;
    }
  }
}

bool delivery::window_open() const {
  return pending_ < o_.max_inflight && (pending_ == 0 || pending_bytes_ < o_.max_inflight_bytes);
}

// Hands the next message to Paho and tracks it; false when Paho can't take it now (it went back to its queue).
bool delivery::send(bool retained) {
  core::outgoing_message m = retained ? retained_.pop() : std::move(*outbox_.pop());
  // Ids stay consecutive within inflight_ (see find_inflight): an id is given back when Paho refuses at once.
  const std::uint64_t id = next_id_++;
  const std::size_t bytes = m.payload.size();
  inflight_.push_back(inflight_entry{id, std::move(m), false, bytes});
  std::string why;
  const publish_outcome out = send_(inflight_.back().msg, id, &why);
  if (out == publish_outcome::sent) {
    ++pending_;
    pending_bytes_ += bytes;
    if (inflight_.back().msg.qos > 0) ++pending_qos_;
    return true;
  }
  core::outgoing_message back = std::move(inflight_.back().msg);
  inflight_.pop_back();
  --next_id_;
  if (out == publish_outcome::refused) {
    spdlog::warn("mqtt: publish to {} refused: {}", back.topic, why);
    ++rejected_;
    return true;
  }
  if (retained) {
    retained_.push_front(std::move(back));
  } else {
    std::vector<core::outgoing_message> one;
    one.push_back(std::move(back));
    outbox_.push_front(std::move(one));
  }
  return false;
}

delivery::inflight_entry* delivery::find_inflight(std::uint64_t id) {
  // Ids are consecutive in the deque, so the entry's index is its distance from the front.
  if (inflight_.empty() || id < inflight_.front().id) return nullptr;
  const std::uint64_t index = id - inflight_.front().id;
  if (index >= inflight_.size()) return nullptr;
  auto& e = inflight_[static_cast<std::size_t>(index)];
  return e.id == id ? &e : nullptr;
}

// Marks an in-flight entry finished and drops finished entries from the front.
void delivery::complete(inflight_entry& entry) {
  entry.done = true;
  --pending_;
  pending_bytes_ -= entry.bytes;
  if (entry.msg.qos > 0) --pending_qos_;
  while (!inflight_.empty() && inflight_.front().done) inflight_.pop_front();
}

void delivery::requeue_inflight() {
  std::vector<core::outgoing_message> back;
  for (auto& e : inflight_) {
    if (e.done) continue;
    if (e.msg.retain) {
      ++retained_skipped_;
    } else {
      back.push_back(std::move(e.msg));
    }
  }
  retained_skipped_ += retained_.size();
  retained_.clear();
  inflight_.clear();
  pending_ = 0;
  pending_qos_ = 0;
  pending_bytes_ = 0;
  requeued_ += back.size();
  if (!back.empty()) outbox_.push_front(std::move(back));
}

void delivery::fill(mqtt_link_counters& c) const {
  c.buffered = outbox_.size();
  c.inflight = pending_;
  c.dropped = outbox_.dropped() + rejected_;
  c.delivered = delivered_;
  c.retained_skipped = retained_skipped_;
  c.requeued = requeued_;
  c.retained_waiting = retained_.size();
  c.retained_coalesced = retained_.coalesced();
  c.unconfirmed = unconfirmed_;
}

void delivery::close() {
  if (!outbox_.empty() || !inflight_.empty()) {
    spdlog::info("mqtt: {} unsent messages discarded at stop", outbox_.size() + pending_);
  }
  inflight_.clear();
  pending_ = 0;
  pending_qos_ = 0;
  pending_bytes_ = 0;
  batch_timer_.close();
  qos0_timer_.close();
  retry_timer_.close();
  next_turn_.close();
}

}  // namespace netstab::service

#include "service/mqtt_link.hpp"

#include <spdlog/spdlog.h>

#include <mqtt/async_client.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/outbox.hpp"
#include "service/connect_diagnosis.hpp"
#include "service/uv.hpp"

namespace netstab::service {

namespace {

// ---- events from Paho's threads to the loop ----

struct ev_connect_ok {
  std::size_t receive_maximum = 0;  // MQTT 5 CONNACK property; 0 when absent
};
struct ev_connect_failed {
  int rc = 0;
  int reason_code = 0;
};
struct ev_connection_lost {
  std::string cause;
};
struct ev_message {
  core::incoming_message msg;
};
struct ev_delivered {
  std::uint64_t id = 0;
};
struct ev_delivery_failed {
  std::uint64_t id = 0;
  int rc = 0;
  int reason_code = 0;
};
struct ev_disconnect_done {};
struct ev_diagnosis {
  connect_diagnosis result;
};

using paho_event = std::variant<ev_connect_ok, ev_connect_failed, ev_connection_lost, ev_message, ev_delivered,
                                ev_delivery_failed, ev_disconnect_done, ev_diagnosis>;

// Incoming messages waiting for the loop beyond this are dropped (a command
// flood must not grow memory without bound); completion events never are.
constexpr std::size_t max_pending_incoming = 1000;

// QoS>0 messages in flight when the broker states no receive maximum (MQTT
// 3.1.1): mosquitto's default.
constexpr std::size_t default_qos_window = 20;
// Messages handed to Paho between two loop turns, all pump() calls together (see pump()).
constexpr std::size_t pump_budget = 16;

// The only state Paho's threads touch. Owned through shared_ptr by the link and
// by the handlers registered with Paho, so a callback racing with shutdown
// still finds it alive; once `open` is false nothing is queued or sent.
struct bridge {
  std::mutex mu;
  std::vector<paho_event> queue;
  std::size_t pending_incoming = 0;
  std::uint64_t incoming_dropped = 0;
  async* wake = nullptr;  // valid while open
  bool open = true;

  void post(paho_event e) {
    std::lock_guard lock(mu);
    if (!open) return;
    if (std::holds_alternative<ev_message>(e)) {
      if (pending_incoming >= max_pending_incoming) {
        ++incoming_dropped;
        return;
      }
      ++pending_incoming;
    }
    const bool was_empty = queue.empty();
    queue.push_back(std::move(e));
    if (was_empty && wake != nullptr) wake->send();
  }

  void close() {
    std::lock_guard lock(mu);
    open = false;
    wake = nullptr;
    queue.clear();
  }
};

void* to_context(std::uint64_t id) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)); }
std::uint64_t from_context(void* ctx) { return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(ctx)); }

// Paho action listeners; their callbacks run on Paho's threads and only post.
class connect_listener final : public mqtt::iaction_listener {
 public:
  explicit connect_listener(bridge& b) : b_(b) {}
  void on_success(const mqtt::token& tok) override {
    ev_connect_ok ev;
    try {
      const auto& props = tok.get_connect_response().get_properties();
      if (props.contains(mqtt::property::RECEIVE_MAXIMUM)) {
        ev.receive_maximum = mqtt::get<std::uint16_t>(props, mqtt::property::RECEIVE_MAXIMUM);
      }
    } catch (...) {
      // No CONNACK properties (MQTT 3.1.1): the default window applies.
    }
    b_.post(ev);
  }
  void on_failure(const mqtt::token& tok) override {
    b_.post(ev_connect_failed{tok.get_return_code(), static_cast<int>(tok.get_reason_code())});
  }

 private:
  bridge& b_;
};

class delivery_listener final : public mqtt::iaction_listener {
 public:
  explicit delivery_listener(bridge& b) : b_(b) {}
  void on_success(const mqtt::token& tok) override { b_.post(ev_delivered{from_context(tok.get_user_context())}); }
  void on_failure(const mqtt::token& tok) override {
    b_.post(ev_delivery_failed{from_context(tok.get_user_context()), tok.get_return_code(),
                               static_cast<int>(tok.get_reason_code())});
  }

 private:
  bridge& b_;
};

class disconnect_listener final : public mqtt::iaction_listener {
 public:
  explicit disconnect_listener(bridge& b) : b_(b) {}
  void on_success(const mqtt::token&) override { b_.post(ev_disconnect_done{}); }
  void on_failure(const mqtt::token&) override { b_.post(ev_disconnect_done{}); }

 private:
  bridge& b_;
};

// Listeners live as long as the bridge: Paho tokens keep raw pointers to them.
struct shared_state {
  bridge b;
  connect_listener on_connect{b};
  delivery_listener on_delivery{b};
  disconnect_listener on_disconnect{b};
};

// Retained "latest value" messages waiting for room in the QoS window: at most
// one per topic (a newer value replaces a waiting older one in place, keeping
// its turn), oldest topic first. Entry i of `items` has sequence number
// front_seq + i (unsigned, wrapping), and seq_of maps each waiting topic to its
// number, so replacing is O(1) and nothing is ever removed from the middle.
// Topics in `keep_every` are the exception: every message on them is sent, in
// order (Home Assistant's discovery removal is a pair of messages on one topic);
// they never enter seq_of.
class retained_queue {
 public:
  explicit retained_queue(std::vector<std::string> keep_every) : keep_every_(std::move(keep_every)) {}

  void put(core::outgoing_message m) {
    if (std::find(keep_every_.begin(), keep_every_.end(), m.topic) != keep_every_.end()) {
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
  // Back to the front, after Paho refused it for now (no newer value can have come meanwhile).
  void push_front(core::outgoing_message m) {
    if (seq_of_.count(m.topic) != 0) return;
    --front_seq_;
    if (std::find(keep_every_.begin(), keep_every_.end(), m.topic) == keep_every_.end()) {
      seq_of_.emplace(m.topic, front_seq_);
    }
    items_.push_front(std::move(m));
  }
  core::outgoing_message pop() {
    core::outgoing_message m = std::move(items_.front());
    items_.pop_front();
    if (auto it = seq_of_.find(m.topic); it != seq_of_.end() && it->second == front_seq_) seq_of_.erase(it);
    ++front_seq_;
    return m;
  }
  const core::outgoing_message* front() const { return items_.empty() ? nullptr : &items_.front(); }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  std::uint64_t coalesced() const { return coalesced_; }
  void clear() {
    items_.clear();
    seq_of_.clear();
  }

 private:
  std::vector<std::string> keep_every_;
  std::deque<core::outgoing_message> items_;
  std::unordered_map<std::string, std::uint64_t> seq_of_;
  std::uint64_t front_seq_ = 0;
  std::uint64_t coalesced_ = 0;
};

// Paho reports an MQTT 5 CONNACK reason either as the reason code or as the return code.
int v5_reason(int rc, int reason_code) { return reason_code >= 0x80 ? reason_code : (rc >= 0x80 ? rc : 0); }

std::string connack_text(int version, int rc, int reason_code) {
  if (version >= 5) reason_code = v5_reason(rc, reason_code);
  if (version >= 5 && reason_code >= 0x80) {
    const char* s = MQTTReasonCode_toString(static_cast<MQTTReasonCodes>(reason_code));
    std::string text = s != nullptr ? s : "reason code " + std::to_string(reason_code);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return "broker refused the connection: " + text;
  }
  switch (rc) {
    case 1: return "broker refused the connection: unacceptable protocol version";
    case 2: return "broker refused the connection: client identifier rejected";
    case 3: return "broker refused the connection: server unavailable";
    case 4: return "broker refused the connection: bad user name or password";
    case 5: return "broker refused the connection: not authorized";
    default: break;
  }
  return "cannot connect (broker unreachable, connection refused, TLS failure or timeout; Paho code " +
         std::to_string(rc) + ")";
}

// Credentials or authorization problems: reported through on_error, because
// retrying won't fix them until someone changes the configuration.
bool is_auth_failure(int version, int rc, int reason_code) {
  if (version >= 5) {
    reason_code = v5_reason(rc, reason_code);
    return reason_code == MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD || reason_code == MQTTREASONCODE_NOT_AUTHORIZED ||
           reason_code == MQTTREASONCODE_BANNED;
  }
  return rc == 4 || rc == 5;
}

// Paho reports these when an operation could not finish because the connection
// went away: the message is kept and resent after reconnecting.
bool is_connection_failure(int rc) {
  return rc == MQTTASYNC_FAILURE || rc == MQTTASYNC_DISCONNECTED || rc == MQTTASYNC_OPERATION_INCOMPLETE ||
         rc == MQTTASYNC_MAX_MESSAGES_INFLIGHT;
}

std::string ms_text(std::chrono::milliseconds d) {
  if (d < std::chrono::seconds(1)) return fmt::format("{} ms", d.count());
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace

std::string mqtt_link::paho_uri(const std::string& url) {
  struct scheme_map {
    std::string_view from, to, default_port;
  };
  constexpr scheme_map schemes[] = {{"mqtt://", "tcp://", "1883"}, {"tcp://", "tcp://", "1883"},
                                    {"mqtts://", "ssl://", "8883"}, {"ssl://", "ssl://", "8883"},
                                    {"ws://", "ws://", ""},         {"wss://", "wss://", ""}};
  for (const auto& s : schemes) {
    if (url.rfind(s.from, 0) != 0) continue;
    std::string rest = url.substr(s.from.size());
    if (rest.empty() || rest.front() == ':' || rest.front() == '/') return {};
    if (!s.default_port.empty()) {
      // Host, "[v6]" or "host:port"; add the scheme's port when none is given.
      const auto slash = rest.find('/');
      const std::string hostport = rest.substr(0, slash);
      const auto bracket = hostport.rfind(']');
      const auto colon = hostport.rfind(':');
      const bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
      if (!has_port) rest.insert(hostport.size(), ":" + std::string(s.default_port));
    }
    return std::string(s.to) + rest;
  }
  return {};
}

class mqtt_link::impl {
 public:
  enum class phase { idle, connecting, connected, waiting, stopping, stopped };

  impl(uv_loop_t* loop, mqtt_options options, mqtt_callbacks callbacks)
      : opts_(std::move(options)),
        cbs_(std::move(callbacks)),
        uri_(paho_uri(opts_.broker_url)),
        shared_(std::make_shared<shared_state>()),
        wake_(loop, [this] { drain(); }),
        retry_timer_(loop),
        stop_timer_(loop),
        pump_timer_(loop),
        next_turn_(loop),
        batch_timer_(loop),
        qos0_timer_(loop),
        outbox_(opts_.outbox_capacity, opts_.outbox_max_bytes),
        retained_(opts_.keep_every_retained),
        backoff_(opts_.reconnect_min) {
    if (uri_.empty()) throw std::invalid_argument("unsupported MQTT broker URL: \"" + opts_.broker_url + "\"");
    if (opts_.mqtt_version != 5 && opts_.mqtt_version != 4) {
      throw std::invalid_argument("MQTT version must be 5 or 4 (3.1.1), not " + std::to_string(opts_.mqtt_version));
    }
    if (opts_.max_inflight == 0) opts_.max_inflight = 1;
    shared_->b.wake = &wake_;
  }

  ~impl() {
    *alive_ = false;
    if (phase_ != phase::stopped) finish(false);
  }

  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  void start() {
    if (phase_ != phase::idle) return;
    connect();
  }

  // A fresh Paho client for each connection: after a loss the old one is
  // retired with everything still queued inside it, so that nothing it held is
  // sent twice (we requeue those messages ourselves).
  bool create_client() {
    try {
      mqtt::create_options copts(opts_.mqtt_version);
      // Paho refuses publishes beyond this many queued commands, connected or
      // not; leave room for our in-flight window plus retained messages.
      copts.set_max_buffered_messages(static_cast<int>(std::min<std::size_t>(opts_.max_inflight + 10'000, 1'000'000)));
      copts.set_send_while_disconnected(false);
      client_ = std::make_unique<mqtt::async_client>(uri_, opts_.client_id, copts, nullptr);
    } catch (const std::exception& e) {
      report_error(std::string("cannot create the MQTT client: ") + e.what());
      return false;
    }
    std::weak_ptr<shared_state> weak = shared_;
    client_->set_connection_lost_handler([weak](const std::string& cause) {
      if (auto s = weak.lock()) s->b.post(ev_connection_lost{cause.empty() ? "connection lost" : cause});
    });
    client_->set_disconnected_handler([weak](const mqtt::properties&, mqtt::ReasonCode rc) {
      if (auto s = weak.lock()) {
        const char* text = MQTTReasonCode_toString(static_cast<MQTTReasonCodes>(rc));
        s->b.post(ev_connection_lost{std::string("broker sent DISCONNECT: ") + (text != nullptr ? text : "?")});
      }
    });
    client_->set_message_callback([weak](mqtt::const_message_ptr msg) {
      auto s = weak.lock();
      if (!s || !msg) return;
      try {
        core::incoming_message in;
        in.topic = msg->get_topic();
        in.payload = msg->get_payload_str();
        const auto& props = msg->get_properties();
        if (props.contains(mqtt::property::RESPONSE_TOPIC)) {
          in.response_topic = mqtt::get<std::string>(props, mqtt::property::RESPONSE_TOPIC);
        }
        if (props.contains(mqtt::property::CORRELATION_DATA)) {
          in.correlation_data = mqtt::get<mqtt::binary>(props, mqtt::property::CORRELATION_DATA);
        }
        s->b.post(ev_message{std::move(in)});
      } catch (...) {
        // Never let an exception cross into Paho's C code; a malformed message is dropped.
      }
    });
    return true;
  }

  // Replaces the client with a fresh one and destroys the old one off the loop
  // thread (Paho's destroy can take ~100 ms). The replacement is created first:
  // when Paho C's client count drops to zero it stops its shared threads, and a
  // client connected while they are stopping never sends anything.
  void retire_client() {
    if (!client_) return;
    try {
      client_->disable_callbacks();
    } catch (const std::exception&) {
      // The client is destroyed next either way.
    }
    auto old = std::move(client_);
    (void)create_client();  // on failure connect() tries again
    if (reaper_.joinable()) reaper_.join();
    reaper_ = std::thread([c = std::move(old)]() mutable { c.reset(); });
  }

  void publish(core::outgoing_message m) {
    if (phase_ == phase::stopped || phase_ == phase::stopping) {
      if (!m.retain) ++rejected_;
      return;
    }
    if (m.retain) {
      if (phase_ == phase::connected) {
        retained_.put(std::move(m));
        if (retained_open_ || opts_.retained_batch.count() == 0) {
          pump();
        } else if (!batch_timer_.active()) {
          // The first retained message of a burst opens it when the batch time is up; see pump().
          batch_timer_.start(static_cast<std::uint64_t>(opts_.retained_batch.count()), [this] {
            retained_open_ = true;
            pump();
          });
        }
      } else {
        ++retained_skipped_;
      }
      return;
    }
    // QoS 0 messages (samples, by default) may wait up to opts_.qos0_batch and go out together; anything else
    // opens the outbox at once, and the QoS 0 messages queued before it go out with it, in order.
    const bool may_wait = m.qos == 0 && opts_.qos0_batch.count() > 0;
    outbox_.push(std::move(m));
    if (phase_ != phase::connected) return;
    if (!may_wait) outbox_open_ = true;
    if (outbox_open_) {
      pump();
    } else if (!qos0_timer_.active()) {
      qos0_timer_.start(static_cast<std::uint64_t>(opts_.qos0_batch.count()), [this] {
        outbox_open_ = true;
        pump();
      });
    }
  }

  bool connected() const { return phase_ == phase::connected; }

  void stop(std::function<void()> on_stopped) {
    if (phase_ == phase::stopped) {
      if (on_stopped) on_stopped();
      return;
    }
    if (phase_ == phase::stopping) {
      on_stopped_ = std::move(on_stopped);
      return;
    }
    on_stopped_ = std::move(on_stopped);
    retry_timer_.stop();
    if (phase_ != phase::connected) {
      spdlog::info("mqtt: stopping while not connected; {} buffered messages discarded", outbox_.size());
      finish(true);
      return;
    }
    phase_ = phase::stopping;
    // What waits for a burst goes now, ahead of "offline".
    batch_timer_.stop();
    retained_open_ = true;
    qos0_timer_.stop();
    outbox_open_ = true;
    // Everything waiting goes out through the same window as before, then
    // "offline": it is queued last in the outbox, which is sent after the
    // retained queue.
    if (!opts_.availability_topic.empty()) {
      outbox_.push(core::outgoing_message{opts_.availability_topic, "offline", 1, true, {}});
    }
    pump();
    // The flush is ours: the loop polls every 20 ms until every in-flight token
    // completed (or stop_timeout passed), then asks Paho for an immediate
    // disconnect and waits (bounded) until the client reports it is no longer
    // connected. (Paho's own disconnect timeout holds the connection for the
    // whole timeout in some cases, and its MQTT 5 disconnect token doesn't
    // always complete.)
    const auto now = std::chrono::steady_clock::now();
    flush_deadline_ = now + opts_.stop_timeout;
    stop_deadline_ = flush_deadline_ + std::chrono::milliseconds(500);
    stop_timer_.start(0, [this] { poll_stop(); });
    uv_timer_set_repeat(stop_timer_.get(), 20);
  }

  void poll_stop() {
    const auto now = std::chrono::steady_clock::now();
    const bool still_connected = client_ && client_->is_connected();
    if (!still_connected) {
      finish(true);
      return;
    }
    if (!disconnect_requested_) {
      const bool flushed = inflight_.empty() && outbox_.empty() && retained_.empty();
      if (!flushed && now < flush_deadline_) return;
      if (pending_ > 0) spdlog::warn("mqtt: {} messages not acknowledged at stop", pending_);
      disconnect_requested_ = true;
      try {
        client_->disconnect(0, nullptr, shared_->on_disconnect);
      } catch (const std::exception& e) {
        spdlog::warn("mqtt: disconnect failed: {}", e.what());
        finish(true);
      }
      return;
    }
    if (now >= stop_deadline_) {
      spdlog::warn("mqtt: disconnect did not complete in time; closing anyway");
      finish(true);
    }
  }

  mqtt_link_counters counters() const {
    mqtt_link_counters c;
    c.buffered = outbox_.size();
    c.inflight = pending_;
    c.dropped = outbox_.dropped() + rejected_;
    c.delivered = delivered_;
    c.retained_skipped = retained_skipped_;
    c.requeued = requeued_;
    c.connects = connects_;
    c.retained_waiting = retained_.size();
    c.retained_coalesced = retained_.coalesced();
    c.unconfirmed = unconfirmed_;
    c.last_error = last_error_;
    return c;
  }

 private:
  struct inflight_entry {
    std::uint64_t id = 0;
    core::outgoing_message msg;
    bool done = false;
  };

  mqtt::connect_options make_connect_options() {
    mqtt::connect_options co;
    co.set_mqtt_version(opts_.mqtt_version);
    if (opts_.mqtt_version >= 5) {
      co.set_clean_start(true);
    } else {
      co.set_clean_session(true);
    }
    co.set_keep_alive_interval(static_cast<int>(opts_.keepalive.count()));
    co.set_connect_timeout(static_cast<int>(std::max<std::int64_t>(1, (opts_.connect_timeout.count() + 999) / 1000)));
    co.set_automatic_reconnect(false);
    co.set_max_inflight(65535);
    if (!opts_.username.empty()) {
      co.set_user_name(opts_.username);
      co.set_password(opts_.password);
    }
    if (!opts_.availability_topic.empty()) {
      co.set_will(mqtt::will_options(opts_.availability_topic, std::string("offline"), 1, true));
    }
    if (uri_.rfind("ssl://", 0) == 0 || uri_.rfind("wss://", 0) == 0) {
      mqtt::ssl_options ssl;
      if (!opts_.ca_file.empty()) ssl.set_trust_store(opts_.ca_file);
      if (!opts_.cert_file.empty()) ssl.set_key_store(opts_.cert_file);
      if (!opts_.key_file.empty()) ssl.set_private_key(opts_.key_file);
      ssl.set_enable_server_cert_auth(opts_.tls_verify);
      ssl.set_verify(opts_.tls_verify);
      // No ssl error handler: Paho C++ 1.2 keeps a pointer to the ssl_options
      // object as the handler's context, which dangles once these options are
      // copied (a crash on the first TLS error). Failures show as connect failures.
      co.set_ssl(std::move(ssl));
    }
    return co;
  }

  void connect() {
    if (!client_ && !create_client()) {
      phase_ = phase::waiting;
      schedule_retry();
      return;
    }
    phase_ = phase::connecting;
    try {
      client_->connect(make_connect_options(), nullptr, shared_->on_connect);
    } catch (const std::exception& e) {
      spdlog::warn("mqtt: connect to {} failed to start: {}", opts_.broker_url, e.what());
      phase_ = phase::waiting;
      schedule_retry();
    }
  }

  void schedule_retry() {
    const auto delay = backoff_;
    backoff_ = std::min(backoff_ * 2, opts_.reconnect_max);
    spdlog::info("mqtt: retrying {} in {}", opts_.broker_url, ms_text(delay));
    retry_timer_.start(static_cast<std::uint64_t>(delay.count()), [this] {
      if (phase_ == phase::waiting) connect();
    });
  }

  // Loop thread: takes the whole queue at once (wake-ups coalesce).
  void drain() {
    std::vector<paho_event> batch;
    std::uint64_t incoming_dropped = 0;
    {
      std::lock_guard lock(shared_->b.mu);
      batch.swap(shared_->b.queue);
      shared_->b.pending_incoming = 0;
      incoming_dropped = std::exchange(shared_->b.incoming_dropped, 0);
    }
    if (incoming_dropped > 0) spdlog::warn("mqtt: {} incoming messages dropped (arriving too fast)", incoming_dropped);
    // An owner may destroy the link from a callback (on_stopped): stop touching it then.
    const std::shared_ptr<bool> alive = alive_;
    for (auto& e : batch) {
      std::visit([this](auto& ev) { handle(ev); }, e);
      if (!*alive || phase_ == phase::stopped) return;
    }
  }

  void handle(ev_connect_ok& ev) {
    if (phase_ != phase::connecting) return;
    phase_ = phase::connected;
    // Paho C 1.3 queues QoS>0 publishes beyond the broker's receive maximum
    // and then stops sending them (seen with mosquitto's 20): never have more
    // QoS>0 messages in flight than the broker accepts.
    qos_window_ = ev.receive_maximum > 0 ? ev.receive_maximum : default_qos_window;
    backoff_ = opts_.reconnect_min;
    last_reported_.clear();
    last_diagnosis_.clear();
    last_error_.clear();
    ++connects_;
    spdlog::info("mqtt: connected to {} as \"{}\" (MQTT {}); {} buffered messages to send", opts_.broker_url,
                 opts_.client_id, opts_.mqtt_version == 5 ? "5" : "3.1.1", outbox_.size());
    for (const auto& topic : opts_.subscriptions) {
      try {
        client_->subscribe(topic, 1);
      } catch (const std::exception& e) {
        report_error("cannot subscribe to " + topic + ": " + e.what());
      }
    }
    // "online" first; the owner's retained state (on_connected) queues behind it.
    if (!opts_.availability_topic.empty()) {
      retained_.put(core::outgoing_message{opts_.availability_topic, "online", 1, true, {}});
    }
    outbox_open_ = true;  // what was buffered while disconnected goes now
    pump();
    if (cbs_.on_connected) cbs_.on_connected();
  }

  void handle(ev_connect_failed& ev) {
    if (phase_ != phase::connecting) return;
    std::string text = connack_text(opts_.mqtt_version, ev.rc, ev.reason_code);
    const bool refused_by_broker = text.rfind("broker refused", 0) == 0;
    if (!refused_by_broker) {
      // Paho says only "TCP/TLS connect failure": find out which step failed
      // (off the loop). Until the answer comes, the last one found is the best guess.
      start_diagnosis();
      if (!last_diagnosis_.empty()) text = last_diagnosis_;
    }
    spdlog::warn("mqtt: connect to {} failed: {}", opts_.broker_url, text);
    last_error_ = text;
    // Reported once per failure streak, not at every retry.
    if (is_auth_failure(opts_.mqtt_version, ev.rc, ev.reason_code) && text != last_reported_) {
      last_reported_ = text;
      report_error(text);
    }
    phase_ = phase::waiting;
    schedule_retry();
  }

  void handle(ev_diagnosis& ev) {
    diagnosing_ = false;
    if (diag_thread_.joinable()) diag_thread_.join();
    if (phase_ == phase::connected || phase_ == phase::stopping) return;
    const connect_diagnosis& d = ev.result;
    const bool tls = uri_.rfind("ssl://", 0) == 0 || uri_.rfind("wss://", 0) == 0;
    const std::string text = !d.text.empty() ? d.text
                             : tls ? "cannot connect: TCP and TLS work when tried alone, but the broker closed the "
                                     "connection or did not answer the MQTT CONNECT"
                                   : "cannot connect: TCP works when tried alone, but the broker closed the connection "
                                     "or did not answer the MQTT CONNECT";
    if (text == last_diagnosis_) return;
    last_diagnosis_ = text;
    last_error_ = text;
    spdlog::warn("mqtt: connect to {} failed: {}", opts_.broker_url, text);
    // Certificate and configuration problems don't go away by retrying.
    if (d.config_problem && text != last_reported_) {
      last_reported_ = text;
      report_error(text);
    }
  }

  // One diagnosis at a time, on a helper thread that only posts its result.
  void start_diagnosis() {
    if (diagnosing_) return;
    const auto ep = endpoint_of(uri_);
    if (!ep) return;
    if (diag_thread_.joinable()) diag_thread_.join();
    tls_settings tls;
    tls.ca_file = opts_.ca_file;
    tls.cert_file = opts_.cert_file;
    tls.key_file = opts_.key_file;
    tls.verify = opts_.tls_verify;
    const auto timeout = std::min<std::chrono::milliseconds>(opts_.connect_timeout, std::chrono::seconds(3));
    diagnosing_ = true;
    diag_thread_ = std::thread([s = shared_, e = *ep, tls, timeout] {
      s->b.post(ev_diagnosis{diagnose_connect(e, tls, timeout)});
    });
  }

  void handle(ev_connection_lost& ev) {
    if (phase_ != phase::connected) return;
    phase_ = phase::waiting;
    last_error_ = ev.cause;
    count_unconfirmed();
    requeue_inflight();
    retire_client();
    spdlog::warn("mqtt: disconnected from {}: {}; {} messages buffered", opts_.broker_url, ev.cause,
                 outbox_.size());
    if (cbs_.on_disconnected) cbs_.on_disconnected(ev.cause);
    if (phase_ == phase::waiting) schedule_retry();
  }

  void handle(ev_message& ev) {
    if (phase_ != phase::connected) return;
    if (cbs_.on_message) cbs_.on_message(std::move(ev.msg));
  }

  void handle(ev_delivered& ev) {
    auto* entry = find_inflight(ev.id);
    if (entry == nullptr || entry->done) return;
    note_delivered(entry->id, entry->msg.qos);
    complete(*entry);
    ++delivered_;
    pump();
  }

  void handle(ev_delivery_failed& ev) {
    auto* entry = find_inflight(ev.id);
    if (entry == nullptr || entry->done) return;
    // Paho fails pending tokens when the connection goes; the entry stays and
    // is requeued when the loss is handled.
    if (is_connection_failure(ev.rc)) return;
    spdlog::warn("mqtt: broker refused a message on {} (code {}, reason {}); dropped", entry->msg.topic, ev.rc,
                 ev.reason_code);
    complete(*entry);
    ++rejected_;
  }

  // QoS 0 completions are counted per second of completion (qos0_recent_, oldest first, each bucket with the
  // highest message id in it). A QoS 1/2 acknowledgement of message id X proves the broker read everything
  // written before X, so the buckets whose messages all precede X are dropped. The buckets are bounded by the
  // detection window: Paho notices a frozen broker only after about two keep-alive intervals without an answer.
  std::chrono::steady_clock::duration unconfirmed_window() const {
    return opts_.keepalive.count() > 0 ? std::chrono::steady_clock::duration(opts_.keepalive * 5 / 2)
                                       : std::chrono::steady_clock::duration(std::chrono::seconds(60));
  }

  void note_delivered(std::uint64_t id, int qos) {
    const auto now = std::chrono::steady_clock::now();
    if (qos > 0) {
      while (!qos0_recent_.empty() && qos0_recent_.front().last_id < id) qos0_recent_.pop_front();
      return;
    }
    const auto sec = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (!qos0_recent_.empty() && qos0_recent_.back().sec == sec) {
      ++qos0_recent_.back().count;
      qos0_recent_.back().last_id = std::max(qos0_recent_.back().last_id, id);
    } else {
      qos0_recent_.push_back(qos0_bucket{sec, 1, id});
    }
    const auto oldest =
        std::chrono::duration_cast<std::chrono::seconds>((now - unconfirmed_window()).time_since_epoch()).count();
    while (!qos0_recent_.empty() && qos0_recent_.front().sec < oldest) qos0_recent_.pop_front();
  }

  void count_unconfirmed() {
    const auto oldest = std::chrono::duration_cast<std::chrono::seconds>(
                            (std::chrono::steady_clock::now() - unconfirmed_window()).time_since_epoch())
                            .count();
    std::uint64_t n = 0;
    for (const auto& b : qos0_recent_) {
      if (b.sec >= oldest) n += b.count;
    }
    qos0_recent_.clear();
    if (n == 0) return;
    unconfirmed_ += n;
    spdlog::warn("mqtt: {} QoS 0 messages were written in the last {} s with no acknowledgement after them; "
                 "they may have been lost with the connection (counted in state mqtt.unconfirmed)",
                 n, std::chrono::duration_cast<std::chrono::seconds>(unconfirmed_window()).count());
  }

  // Marks an in-flight entry finished and drops finished entries from the front.
  void complete(inflight_entry& entry) {
    entry.done = true;
    --pending_;
    if (entry.msg.qos > 0) --pending_qos_;
    while (!inflight_.empty() && inflight_.front().done) inflight_.pop_front();
  }

  void handle(ev_disconnect_done&) {
    if (phase_ == phase::stopping) finish(true);
  }

  inflight_entry* find_inflight(std::uint64_t id) {
    // Ids are consecutive in the deque, so the entry's index is its distance from the front.
    if (inflight_.empty() || id < inflight_.front().id) return nullptr;
    const std::uint64_t index = id - inflight_.front().id;
    if (index >= inflight_.size()) return nullptr;
    auto& e = inflight_[static_cast<std::size_t>(index)];
    return e.id == id ? &e : nullptr;
  }

  // After a connection loss: unfinished non-retained messages go back to the
  // front of the outbox; retained ones (in flight or waiting) are dropped,
  // because the owner republishes its retained state on the next connect.
  void requeue_inflight() {
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
    requeued_ += back.size();
    if (!back.empty()) outbox_.push_front(std::move(back));
  }

  // Hands waiting messages to Paho while the windows allow: retained ones
  // first (state and stats reach a dashboard before a backlog of samples),
  // then the outbox in order. Every message goes this way, so neither Paho's
  // queue nor the broker's receive maximum ever overflows.
  void pump() {
    // After pump_budget messages the loop gets a turn (its I/O and due timers) before the next one goes: each
    // publish costs Paho a lock (shared with its send thread, which holds it while it writes) and a copy, 20-40 µs
    // here. The budget counts over every pump() call, because each completion in a drain() and each statistics
    // message published from a probe callback pumps again: counted per call, a burst of 2,500 retained messages
    // held the loop for 50-100 ms and delayed the probes due meanwhile. next_turn_ refills the budget and goes on.
    while ((phase_ == phase::connected || phase_ == phase::stopping) && pending_ < opts_.max_inflight) {
      // A burst of retained messages closes once the queue is empty; the next one waits for the batch timer.
      if (retained_.empty() && opts_.retained_batch.count() > 0) retained_open_ = false;
      // Likewise the outbox, when it runs empty (only while connected: a stop sends everything).
      if (outbox_.empty() && opts_.qos0_batch.count() > 0 && phase_ == phase::connected) outbox_open_ = false;
      const bool retained = retained_open_ && !retained_.empty();
      const core::outgoing_message* next = retained ? retained_.front() : (outbox_open_ ? outbox_.front() : nullptr);
      if (next == nullptr || (next->qos > 0 && pending_qos_ >= qos_window_)) break;
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
      core::outgoing_message m = retained ? retained_.pop() : std::move(*outbox_.pop());
      if (auto back = send_buffered(std::move(m))) {
        if (retained) {
          retained_.push_front(std::move(*back));
        } else {
          std::vector<core::outgoing_message> one;
          one.push_back(std::move(*back));
          outbox_.push_front(std::move(one));
        }
        // Paho's queue is full: completions pump again; the timer covers the case of none pending.
        if (!pump_timer_.active()) pump_timer_.start(20, [this] { pump(); });
        return;
      }
    }
  }

  // A retained message's payload moves into Paho's message: after a connection loss the retained ones in flight
  // are dropped, not re-sent (requeue_inflight), so netstab needs no copy of its own. That saves a copy of the
  // largest payloads (the state, the digest: megabytes at 10,000 targets). Other payloads are copied, because they
  // go back to the outbox when the connection is lost before they complete.
  mqtt::message_ptr make_message(core::outgoing_message& m) const {
    auto msg = m.retain ? mqtt::make_message(m.topic, mqtt::binary_ref(std::move(m.payload)), m.qos, m.retain)
                        : mqtt::make_message(m.topic, m.payload, m.qos, m.retain);
    if (opts_.mqtt_version >= 5 && !m.correlation_data.empty()) {
      mqtt::properties props;
      props.add(mqtt::property(mqtt::property::CORRELATION_DATA, m.correlation_data));
      msg->set_properties(props);
    }
    return msg;
  }

  // Hands one message to Paho and tracks it in flight. Returns the message
  // when Paho can't take it now (its queue is full, or it is not connected
  // after all): the caller puts it back at the front of its queue and stops
  // sending until a completion (or a reconnect) makes room.
  std::optional<core::outgoing_message> send_buffered(core::outgoing_message m) {
    // Ids stay consecutive within inflight_ (see find_inflight): an id is given
    // back when its publish is refused synchronously (no token will complete).
    const std::uint64_t id = next_id_++;
    const bool acked = m.qos > 0;
    inflight_.push_back(inflight_entry{id, std::move(m), false});
    ++pending_;
    if (acked) ++pending_qos_;
    int rc = 0;
    std::string what;
    mqtt::message_ptr msg;
    try {
      msg = make_message(inflight_.back().msg);
      client_->publish(msg, to_context(id), shared_->on_delivery);
      return std::nullopt;
    } catch (const mqtt::exception& e) {
      rc = e.get_return_code();
      what = e.what();
    } catch (const std::exception& e) {
      rc = MQTTASYNC_BAD_STRUCTURE;
      what = e.what();
    }
    core::outgoing_message back = std::move(inflight_.back().msg);
    if (back.retain && msg) back.payload = msg->get_payload_str();  // it moved into msg (see make_message)
    inflight_.pop_back();
    --pending_;
    if (acked) --pending_qos_;
    --next_id_;
    // Paho's queue full, or Paho not (or no longer) connected although we saw
    // the connect succeed: retried by pump() (or after the reconnect, when the
    // loss is reported).
    if (rc == MQTTASYNC_MAX_BUFFERED_MESSAGES || rc == MQTTASYNC_MAX_BUFFERED || is_connection_failure(rc)) {
      return back;
    }
    spdlog::warn("mqtt: publish to {} refused: {}", back.topic, what);
    ++rejected_;
    return std::nullopt;
  }

  void report_error(const std::string& text) {
    if (cbs_.on_error) cbs_.on_error(text);
  }

  // Tears down: Paho's callbacks off, client destroyed, handles closed. `notify`
  // runs on_stopped (not from the destructor).
  void finish(bool notify) {
    if (phase_ == phase::stopped) return;
    const bool was_started = phase_ != phase::idle;
    phase_ = phase::stopped;
    stop_timer_.stop();
    retry_timer_.stop();
    pump_timer_.stop();
    next_turn_.stop();
    if (reaper_.joinable()) reaper_.join();
    // A diagnosis still connecting must not hold up the stop: it only posts to
    // the (closed) bridge it co-owns, so it may finish on its own.
    if (diag_thread_.joinable()) {
      if (diagnosing_) {
        diag_thread_.detach();
      } else {
        diag_thread_.join();
      }
    }
    if (client_) {
      try {
        client_->disable_callbacks();
      } catch (const std::exception&) {
        // Nothing to do: the client is destroyed next either way.
      }
    }
    shared_->b.close();
    client_.reset();
    if (!outbox_.empty() || !inflight_.empty()) {
      spdlog::info("mqtt: {} unsent messages discarded at stop", outbox_.size() + pending_);
    }
    inflight_.clear();
    pending_ = 0;
    pending_qos_ = 0;
    wake_.close();
    retry_timer_.close();
    stop_timer_.close();
    pump_timer_.close();
    next_turn_.close();
    batch_timer_.close();
    qos0_timer_.close();
    if (was_started) spdlog::info("mqtt: stopped");
    if (notify && on_stopped_) {
      auto cb = std::move(on_stopped_);
      cb();
    }
  }

  mqtt_options opts_;
  mqtt_callbacks cbs_;
  std::string uri_;
  std::shared_ptr<shared_state> shared_;
  async wake_;
  timer retry_timer_;
  timer stop_timer_;
  timer pump_timer_;
  idle next_turn_;     // continues pump() in the next loop turn when this turn's budget is spent
  std::size_t budget_ = pump_budget;  // Paho calls left before the loop must get a turn (see pump())
  timer batch_timer_;  // opens the next burst of retained messages (opts_.retained_batch)
  timer qos0_timer_;   // opens the outbox for the QoS 0 messages waiting in it (opts_.qos0_batch)
  std::thread reaper_;  // destroys a retired client
  std::thread diag_thread_;  // runs diagnose_connect after a generic connect failure
  bool diagnosing_ = false;  // diag_thread_ has not posted its result yet
  std::unique_ptr<mqtt::async_client> client_;
  core::outbox outbox_;
  retained_queue retained_;              // retained messages waiting for the window, one per topic
  bool retained_open_ = true;            // retained_ may be sent now (else it waits for batch_timer_)
  bool outbox_open_ = true;              // outbox_ may be sent now (else only QoS 0 messages wait in it)
  struct qos0_bucket {
    std::int64_t sec = 0;          // steady-clock second of the completions
    std::uint64_t count = 0;       // QoS 0 messages completed in it
    std::uint64_t last_id = 0;     // highest message id among them
  };
  std::deque<qos0_bucket> qos0_recent_;  // see note_delivered
  std::uint64_t unconfirmed_ = 0;
  std::deque<inflight_entry> inflight_;  // ids consecutive, oldest first; front never done
  std::size_t pending_ = 0;              // entries of inflight_ not done
  std::size_t pending_qos_ = 0;          // of those, QoS 1/2 ones (bounded by qos_window_)
  std::size_t qos_window_ = default_qos_window;
  std::uint64_t next_id_ = 1;
  std::chrono::milliseconds backoff_;
  phase phase_ = phase::idle;
  std::function<void()> on_stopped_;
  std::chrono::steady_clock::time_point flush_deadline_{};
  std::chrono::steady_clock::time_point stop_deadline_{};
  bool disconnect_requested_ = false;
  std::string last_reported_;  // last connect error given to on_error since the last success
  std::string last_diagnosis_;  // last diagnose_connect result since the last success
  std::string last_error_;      // why the link is not connected; empty while connected
  std::uint64_t rejected_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t retained_skipped_ = 0;
  std::uint64_t connects_ = 0;
  std::uint64_t requeued_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

mqtt_link::mqtt_link(uv_loop_t* loop, mqtt_options options, mqtt_callbacks callbacks)
    : impl_(std::make_unique<impl>(loop, std::move(options), std::move(callbacks))) {}

mqtt_link::~mqtt_link() = default;

void mqtt_link::start() { impl_->start(); }
void mqtt_link::publish(core::outgoing_message m) { impl_->publish(std::move(m)); }
bool mqtt_link::connected() const { return impl_->connected(); }
void mqtt_link::stop(std::function<void()> on_stopped) { impl_->stop(std::move(on_stopped)); }
mqtt_link_counters mqtt_link::counters() const { return impl_->counters(); }

}  // namespace netstab::service

#include "service/mqtt/paho_client.hpp"

#include <mqtt/async_client.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <thread>

namespace netstab::service {

namespace {

void* to_context(std::uint64_t id) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)); }
std::uint64_t from_context(void* ctx) { return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(ctx)); }

// Paho reports an MQTT 5 CONNACK reason either as the reason code or as the return code.
int v5_reason(int rc, int reason_code) { return reason_code >= 0x80 ? reason_code : (rc >= 0x80 ? rc : 0); }

class connect_listener final : public mqtt::iaction_listener {
 public:
  explicit connect_listener(link_inbox::poster p) : p_(std::move(p)) {}
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
    p_.post(ev);
  }
  void on_failure(const mqtt::token& tok) override {
    p_.post(ev_connect_failed{tok.get_return_code(), static_cast<int>(tok.get_reason_code())});
  }

 private:
  link_inbox::poster p_;
};

class delivery_listener final : public mqtt::iaction_listener {
 public:
  explicit delivery_listener(link_inbox::poster p) : p_(std::move(p)) {}
  void on_success(const mqtt::token& tok) override { p_.post(ev_delivered{from_context(tok.get_user_context())}); }
  void on_failure(const mqtt::token& tok) override {
    p_.post(ev_delivery_failed{from_context(tok.get_user_context()), tok.get_return_code(),
                               static_cast<int>(tok.get_reason_code())});
  }

 private:
  link_inbox::poster p_;
};

class disconnect_listener final : public mqtt::iaction_listener {
 public:
  explicit disconnect_listener(link_inbox::poster p) : p_(std::move(p)) {}
  void on_success(const mqtt::token&) override { p_.post(ev_disconnect_done{}); }
  void on_failure(const mqtt::token&) override { p_.post(ev_disconnect_done{}); }

 private:
  link_inbox::poster p_;
};

core::incoming_message to_incoming(const mqtt::const_message_ptr& msg) {
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
  return in;
}

mqtt::connect_options connect_options_of(const mqtt_options& o) {
  mqtt::connect_options co;
  co.set_mqtt_version(o.mqtt_version);
  if (o.mqtt_version >= 5) {
    co.set_clean_start(true);
  } else {
    co.set_clean_session(true);
  }
  co.set_keep_alive_interval(static_cast<int>(o.keepalive.count()));
  co.set_connect_timeout(static_cast<int>(std::max<std::int64_t>(1, (o.connect_timeout.count() + 999) / 1000)));
  co.set_automatic_reconnect(false);
  co.set_max_inflight(65535);
  if (!o.username.empty()) {
    co.set_user_name(o.username);
    co.set_password(o.password);
  }
  if (!o.availability_topic.empty()) {
    co.set_will(mqtt::will_options(o.availability_topic, std::string("offline"), 1, true));
  }
  if (o.broker.tls()) {
    mqtt::ssl_options ssl;
    if (!o.ca_file.empty()) ssl.set_trust_store(o.ca_file);
    if (!o.cert_file.empty()) ssl.set_key_store(o.cert_file);
    if (!o.key_file.empty()) ssl.set_private_key(o.key_file);
    ssl.set_enable_server_cert_auth(o.tls_verify);
    ssl.set_verify(o.tls_verify);
    // No ssl error handler: Paho C++ 1.2 keeps a pointer to the ssl_options object as the handler's context,
    // which dangles once these options are copied (a crash on the first TLS error). Failures show as connect
    // failures, which the connect diagnosis explains.
    co.set_ssl(std::move(ssl));
  }
  return co;
}

}  // namespace

struct paho_listeners {
  explicit paho_listeners(link_inbox::poster p)
      : events(p), on_connect(p), on_delivery(p), on_disconnect(std::move(p)) {}
  link_inbox::poster events;
  connect_listener on_connect;
  delivery_listener on_delivery;
  disconnect_listener on_disconnect;
};

std::shared_ptr<paho_listeners> make_paho_listeners(link_inbox::poster events) {
  return std::make_shared<paho_listeners>(std::move(events));
}

std::string paho_uri(const core::broker_address& b) {
  std::string scheme;
  if (b.scheme == "mqtt") {
    scheme = "tcp";
  } else if (b.scheme == "mqtts") {
    scheme = "ssl";
  } else if (b.scheme == "ws" || b.scheme == "wss") {
    scheme = b.scheme;
  } else {
    return {};
  }
  if (b.host.empty() || b.port == 0) return {};
  return scheme + "://" + b.authority() + b.path;
}

paho_client::paho_client(const mqtt_options& o, std::shared_ptr<paho_listeners> listeners)
    : mqtt_version_(o.mqtt_version), listeners_(std::move(listeners)) {}

paho_client::~paho_client() = default;

core::result<std::unique_ptr<paho_client>> paho_client::create(const mqtt_options& o,
                                                               std::shared_ptr<paho_listeners> listeners) {
  std::unique_ptr<paho_client> c(new paho_client(o, std::move(listeners)));
  try {
    mqtt::create_options copts(o.mqtt_version);
    // Room for the delivery window; the link itself never hands Paho more than max_inflight messages.
    copts.set_max_buffered_messages(static_cast<int>(std::min<std::size_t>(o.max_inflight + 10'000, 1'000'000)));
    copts.set_send_while_disconnected(false);
    c->client_ = std::make_unique<mqtt::async_client>(paho_uri(o.broker), o.client_id, copts, nullptr);
  } catch (const std::exception& e) {
    return core::error{std::string("cannot create the MQTT client: ") + e.what()};
  }
  c->connect_options_ = connect_options_of(o);
  std::weak_ptr<paho_listeners> weak = c->listeners_;
  c->client_->set_connection_lost_handler([weak](const std::string& cause) {
    if (auto l = weak.lock()) l->events.post(ev_connection_lost{cause.empty() ? "connection lost" : cause});
  });
  c->client_->set_disconnected_handler([weak](const mqtt::properties&, mqtt::ReasonCode rc) {
    if (auto l = weak.lock()) {
      const char* text = MQTTReasonCode_toString(static_cast<MQTTReasonCodes>(rc));
      l->events.post(ev_connection_lost{std::string("broker sent DISCONNECT: ") + (text != nullptr ? text : "?")});
    }
  });
  c->client_->set_message_callback([weak](mqtt::const_message_ptr msg) {
    auto l = weak.lock();
    if (!l || !msg) return;
    try {
      l->events.try_post(ev_message{to_incoming(msg)});
    } catch (...) {
      // Never let an exception cross into Paho's C code; a malformed message is dropped.
    }
  });
  return c;
}

core::result<void> paho_client::connect() {
  try {
    client_->connect(connect_options_, nullptr, listeners_->on_connect);
  } catch (const std::exception& e) {
    return core::error{std::string("connect failed to start: ") + e.what()};
  }
  return core::success();
}

// A retained message's payload moves into Paho's message: after a connection loss the retained ones in flight are
// dropped, not re-sent (the owner republishes its retained state), so netstab needs no copy of its own. That
// saves a copy of the largest payloads (the state, the digest: megabytes at 10,000 targets). Other payloads are
// copied, because they go back to the outbox when the connection is lost before they complete; a retained
// payload is moved back into `m` when Paho refuses it.
publish_outcome paho_client::publish(core::outgoing_message& m, std::uint64_t id, std::string* why) {
  mqtt::message_ptr msg;
  int rc = 0;
  try {
    msg = m.retain ? mqtt::make_message(m.topic, mqtt::binary_ref(std::move(m.payload)), m.qos, m.retain)
                   : mqtt::make_message(m.topic, m.payload, m.qos, m.retain);
    if (mqtt_version_ >= 5 && !m.correlation_data.empty()) {
      mqtt::properties props;
      props.add(mqtt::property(mqtt::property::CORRELATION_DATA, m.correlation_data));
      msg->set_properties(props);
    }
    client_->publish(msg, to_context(id), listeners_->on_delivery);
    // Paho C copied the payload into its own queue (MQTTAsync_send), so the message's copy is freed now rather
    // than when the delivery completes: a large retained payload is held once while it waits, not twice.
    msg->clear_payload();
    return publish_outcome::sent;
  } catch (const mqtt::exception& e) {
    rc = e.get_return_code();
    if (why != nullptr) *why = e.what();
  } catch (const std::exception& e) {
    rc = MQTTASYNC_BAD_STRUCTURE;
    if (why != nullptr) *why = e.what();
  }
  if (m.retain && msg) m.payload = msg->get_payload_str();
  if (rc == MQTTASYNC_MAX_BUFFERED_MESSAGES || rc == MQTTASYNC_MAX_BUFFERED || is_connection_failure(rc)) {
    return publish_outcome::retry_later;
  }
  return publish_outcome::refused;
}

core::result<void> paho_client::subscribe(const std::string& filter) {
  try {
    client_->subscribe(filter, 1);
  } catch (const std::exception& e) {
    return core::error{"cannot subscribe to " + filter + ": " + e.what()};
  }
  return core::success();
}

core::result<void> paho_client::disconnect() {
  try {
    client_->disconnect(0, nullptr, listeners_->on_disconnect);
  } catch (const std::exception& e) {
    return core::error{std::string("disconnect failed: ") + e.what()};
  }
  return core::success();
}

bool paho_client::is_connected() const { return client_->is_connected(); }

void paho_client::disable_callbacks() {
  try {
    client_->disable_callbacks();
  } catch (const std::exception&) {
    // The client is destroyed next either way.
  }
}

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
    case 1:
      return "broker refused the connection: unacceptable protocol version";
    case 2:
      return "broker refused the connection: client identifier rejected";
    case 3:
      return "broker refused the connection: server unavailable";
    case 4:
      return "broker refused the connection: bad user name or password";
    case 5:
      return "broker refused the connection: not authorized";
    default:
      break;
  }
  return "cannot connect (broker unreachable, connection refused, TLS failure or timeout; Paho code " +
         std::to_string(rc) + ")";
}

bool is_auth_failure(int version, int rc, int reason_code) {
  if (version >= 5) {
    reason_code = v5_reason(rc, reason_code);
    return reason_code == MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD || reason_code == MQTTREASONCODE_NOT_AUTHORIZED ||
           reason_code == MQTTREASONCODE_BANNED;
  }
  return rc == 4 || rc == 5;
}

namespace {

// Paho names its threads MQTTAsync_send and MQTTAsync_rcv (Thread_set_name in its Thread.c).
bool paho_thread_alive() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/task", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::ifstream comm(it->path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind("MQTTAsync", 0) == 0) return true;
  }
  return false;
}

}  // namespace

bool await_paho_threads(std::chrono::milliseconds patience) {
  const auto until = std::chrono::steady_clock::now() + patience;
  while (paho_thread_alive()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

bool is_connection_failure(int rc) {
  return rc == MQTTASYNC_FAILURE || rc == MQTTASYNC_DISCONNECTED || rc == MQTTASYNC_OPERATION_INCOMPLETE ||
         rc == MQTTASYNC_MAX_MESSAGES_INFLIGHT;
}

}  // namespace netstab::service

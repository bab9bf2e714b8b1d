#pragma once
// The MQTT link: netstab's one connection to the broker, implementing
// core::message_bus on top of Paho MQTT C++ (async_client).
//
// Threads: every public function and every callback to the owner runs on the
// loop thread. Paho's own callbacks (its threads) only push an event into a
// mutex-guarded queue and wake the loop with uv_async_send; the loop drains the
// whole queue (wake-ups coalesce). All state lives on the loop thread.
//
// Reconnecting is ours, not Paho's: after a failed connect or a lost connection
// a uv timer retries with capped exponential backoff (reconnect_min doubling up
// to reconnect_max, reset by a successful connect). The log says when the link
// disconnects, when it retries (with the delay) and when it is connected again.
//
// Delivery of non-retained messages (samples, events, replies): a message is
// handed to Paho only while connected, and stays in our in-flight list until
// Paho completes its token (QoS 0: written to the socket; QoS 1/2: acknowledged
// by the broker). When the connection is lost, the in-flight messages whose
// token has not completed go back to the front of the outbox, in order, and
// everything in the outbox is sent after reconnecting, before newer messages.
// So an outage shorter than the outbox loses nothing. A message is sent again
// only if Paho never completed it; for QoS 1 that includes one the broker took
// but whose PUBACK died with the connection, so up to one window of QoS 1
// messages (the broker's receive maximum, 20 on mosquitto) may arrive twice or
// out of order around a connection loss; QoS 0 messages complete once written.
// Each connection uses a fresh Paho client (the old one is destroyed on a
// helper thread), so nothing queued inside Paho survives to be sent twice.
// While offline the outbox is bounded and drops the oldest messages, counted
// by dropped().
//
// Retained messages (availability, state, stats, incidents) are "latest value":
// while connected they wait in a queue of their own, one per topic (a newer
// value replaces a waiting one), and go to Paho through the same QoS window as
// everything else, ahead of the outbox; so republishing the state of hundreds
// of targets at once is paced, never refused by Paho ("no more messages can be
// buffered") and never dropped. While offline they are skipped, and those
// still waiting or in flight at a connection loss are dropped: the owner
// republishes them from on_connected. The link itself publishes "online"
// (retained) to the availability topic on every connect, registers "offline"
// as the last will, and publishes "offline" last on a clean stop.
//
// Connect failures: a refusal by the broker (CONNACK) is reported with its
// reason. Paho reports every TCP or TLS failure with one generic code, so the
// link then repeats the steps on a helper thread (connect_diagnosis.hpp) and
// logs which one failed: host name does not resolve, connection refused, no
// answer, TLS certificate not signed by the configured CA, certificate host
// name mismatch, ... Problems that retrying won't fix (certificates,
// credentials) also go to on_error, once per failure streak.
//
// MQTT 5 request/response: incoming messages carry their response topic and
// correlation data; an outgoing message with correlation_data set is published
// with that property.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/message_bus.hpp"

namespace netstab::service {

struct mqtt_options {
  // mqtt://host[:1883], mqtts://host[:8883], ws://host:port/path, wss://host:port/path
  // (tcp:// and ssl:// are accepted as Paho spells them).
  std::string broker_url = "mqtt://127.0.0.1:1883";
  std::string client_id = "netstab";
  int mqtt_version = 5;                        // 5, or 4 for MQTT 3.1.1
  std::chrono::seconds keepalive{30};
  std::string username;                        // empty: no credentials
  std::string password;
  std::string ca_file;                         // TLS: PEM CA bundle that signs the broker certificate
  std::string cert_file;                       // TLS client certificate (PEM), optional
  std::string key_file;                        // TLS client key (PEM), optional
  bool tls_verify = true;                      // verify the broker certificate and its host name
  std::string availability_topic;              // will "offline" + "online" on connect; empty: none
  std::vector<std::string> subscriptions;      // topic filters subscribed at QoS 1 on every connect
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30'000};
  std::size_t outbox_capacity = 10'000;        // messages buffered while offline
  std::size_t outbox_max_bytes = 0;            // 0: bounded by count only
  // Messages handed to Paho and not yet completed. Small on purpose: Paho C walks its whole command queue on each
  // publish (counting the buffered messages), so a publish costs more the more it holds. At 10,000 statistics
  // messages a second, 1,000 in flight cost 45-61 µs of CPU per probe and 64 cost 32-43 µs (docs/benchmarks.md).
  std::size_t max_inflight = 64;
  // Retained messages wait up to this long and then go out in one burst (0: each at once). Paho wakes its send
  // and receive threads once per burst instead of once per message, which is most of a message's CPU cost.
  std::chrono::milliseconds retained_batch{0};
  // Non-retained QoS 0 messages (samples) wait up to this long and go out together (0: each at once); any other
  // non-retained message takes the waiting ones with it, in order.
  std::chrono::milliseconds qos0_batch{0};
  // Retained topics whose every message is sent in order, never replaced by a newer one while waiting.
  std::vector<std::string> keep_every_retained;
  std::chrono::milliseconds stop_timeout{2'000};  // how long stop() waits for in-flight messages
};

struct mqtt_callbacks {
  std::function<void()> on_connected;                            // republish retained state here
  std::function<void(const std::string& reason)> on_disconnected;
  std::function<void(core::incoming_message)> on_message;
  std::function<void(const std::string& text)> on_error;         // e.g. "broker refused the connection: not authorized"
};

struct mqtt_link_counters {
  std::size_t buffered = 0;          // messages waiting in the outbox
  std::size_t inflight = 0;          // handed to Paho, not yet completed
  std::uint64_t dropped = 0;         // dropped by the bounded outbox, or refused by Paho/the broker
  std::uint64_t delivered = 0;       // messages (retained or not) whose token completed
  std::uint64_t retained_skipped = 0;  // retained messages published while offline (not buffered)
  std::uint64_t requeued = 0;        // in-flight messages put back in the outbox after a connection loss
  std::uint64_t connects = 0;        // successful connections so far
  std::size_t retained_waiting = 0;  // retained messages queued for the QoS window
  std::uint64_t retained_coalesced = 0;  // retained messages replaced by a newer value before they were sent
  // QoS 0 messages written within 2.5 keep-alive intervals before a connection loss with no acknowledgement
  // after them: a broker that froze may never have read them. An upper bound (after an orderly close they
  // usually arrived); QoS 0 has no acknowledgement to tell.
  std::uint64_t unconfirmed = 0;
  std::string last_error;            // why the link is not connected (e.g. "TLS certificate verify failed: ...");
                                     // empty while connected
};

class mqtt_link final : public core::message_bus {
 public:
  // Throws std::invalid_argument for a broker URL it can't use (start-up time).
  mqtt_link(uv_loop_t* loop, mqtt_options options, mqtt_callbacks callbacks);
  // Stops hard (no offline message, no flush) if stop() was not called.
  ~mqtt_link() override;
  mqtt_link(const mqtt_link&) = delete;
  mqtt_link& operator=(const mqtt_link&) = delete;
  mqtt_link(mqtt_link&&) = delete;
  mqtt_link& operator=(mqtt_link&&) = delete;

  // Starts connecting (and retrying until stop()).
  void start();
  void publish(core::outgoing_message m) override;
  bool connected() const override;

  // Clean shutdown without blocking the loop: publishes "offline" (retained),
  // hands the outbox to Paho, disconnects with a bounded wait (stop_timeout,
  // guarded by a uv timer), disables Paho's callbacks and closes the link's
  // libuv handles. on_stopped runs on the loop when that is done; afterwards the
  // link holds no handles, and the loop can close once it has run again.
  void stop(std::function<void()> on_stopped = {});

  mqtt_link_counters counters() const;
  // Maps a broker URL to Paho's scheme (mqtt:// -> tcp://...); empty when not usable.
  static std::string paho_uri(const std::string& broker_url);

  class impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace netstab::service

#pragma once
// What the MQTT link is told at construction, what it reports back, and what it counts. Built from the settings
// in one place (app/options.cpp). Plain values.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/broker_address.hpp"
#include "core/message_bus.hpp"

namespace netstab::service {

struct mqtt_options {
  core::broker_address broker{"mqtt", "127.0.0.1", 1883, ""};
  std::string client_id = "netstab";
  int mqtt_version = 5;  // 5, or 4 for MQTT 3.1.1
  std::chrono::seconds keepalive{30};
  std::string username;  // empty: no credentials
  std::string password;
  std::string ca_file;                     // TLS: PEM CA bundle that signs the broker certificate
  std::string cert_file;                   // TLS client certificate (PEM), optional
  std::string key_file;                    // TLS client key (PEM), optional
  bool tls_verify = true;                  // verify the broker certificate and its host name
  std::string availability_topic;          // will "offline" + "online" on connect; empty: none
  std::vector<std::string> subscriptions;  // topic filters subscribed at QoS 1 on every connect
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30'000};
  std::size_t outbox_capacity = 10'000;  // messages buffered while offline
  std::size_t outbox_max_bytes = 0;      // 0: bounded by count only
  // Messages handed to Paho and not yet completed. Small on purpose: Paho C walks its whole command queue on each
  // publish, so a publish costs more the more it holds (docs/benchmarks.md has the measurement).
  std::size_t max_inflight = 64;
  // Payload bytes handed to Paho and not yet completed; a message larger than this goes alone. Large messages made
  // faster than a slow broker (or Paho, which writes a large one slowly) takes them must not pile up in Paho's
  // queue (the digest of tens of thousands of targets: docs/benchmarks.md, "50,000 targets"). Retained messages
  // wait in their queue instead, where a newer one replaces the one waiting.
  std::size_t max_inflight_bytes = 8 << 20;
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
  std::function<void()> on_connected;  // republish retained state here
  std::function<void(const std::string& reason)> on_disconnected;
  std::function<void(core::incoming_message)> on_message;
  std::function<void(const std::string& text)> on_error;  // e.g. "broker refused the connection: not authorized"
};

struct mqtt_link_counters {
  std::size_t buffered = 0;              // messages waiting in the outbox
  std::size_t inflight = 0;              // handed to Paho, not yet completed
  std::uint64_t dropped = 0;             // dropped by the bounded outbox, or refused by Paho/the broker
  std::uint64_t delivered = 0;           // messages (retained or not) whose token completed
  std::uint64_t retained_skipped = 0;    // retained messages published while offline (not buffered)
  std::uint64_t requeued = 0;            // in-flight messages put back in the outbox after a connection loss
  std::uint64_t connects = 0;            // successful connections so far
  std::size_t retained_waiting = 0;      // retained messages queued for the QoS window
  std::uint64_t retained_coalesced = 0;  // retained messages replaced by a newer value before they were sent
  // QoS 0 messages written shortly before a connection loss with no acknowledgement after them
  // (core/qos0_ledger.hpp): an upper bound of what a frozen broker may never have read.
  std::uint64_t unconfirmed = 0;
  std::uint64_t incoming_dropped = 0;  // incoming messages refused because too many waited for the loop
  std::string last_error;              // why the link is not connected; empty while connected
};

}  // namespace netstab::service

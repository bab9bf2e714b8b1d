#pragma once
// The MQTT link: netstab's one connection to the broker, implementing core::message_bus. It owns the connection's
// life (connect, retry with backoff, connect diagnosis, stop); the Paho adapter (paho_client.hpp) talks to Paho,
// and delivery (delivery.hpp) decides what goes to Paho when.
//
// Threads: every public function and every callback to the owner runs on the loop thread. Paho's callbacks only
// post events into the link's inbox; blocking work (a connect diagnosis, destroying a retired Paho client) runs
// on the link's worker pool.
//
// Reconnecting is ours, not Paho's: after a failed connect or a lost connection a timer retries with capped
// exponential backoff (reconnect_min doubling up to reconnect_max, reset by a successful connect). The log says
// when the link disconnects, when it retries (with the delay) and when it is connected again. Each connection uses
// a fresh Paho client, and the old one is destroyed on a worker, so nothing queued inside Paho survives to be sent
// twice: delivery re-sends what Paho never completed.
//
// Delivery guarantees (delivery.hpp): an outage shorter than the outbox loses no non-retained message; a message
// is sent again only if Paho never completed it, so for QoS 1 up to one window of messages (the broker's receive
// maximum, 20 on mosquitto) may arrive twice or out of order around a connection loss. Retained messages are
// "latest value": the owner republishes them from on_connected. The link itself publishes "online" (retained) to
// the availability topic on every connect, registers "offline" as the last will, and publishes "offline" last on
// a clean stop.
//
// Connect failures: a refusal by the broker (CONNACK) is reported with its reason. Paho reports every TCP or TLS
// failure with one generic code, so the link then repeats the steps on a worker (connect_diagnosis.hpp) and logs
// which one failed. Problems that retrying won't fix (certificates, credentials) also go to on_error, once per
// failure streak.
//
// MQTT 5 request/response: incoming messages carry their response topic and correlation data; an outgoing
// message with correlation_data set is published with that property.
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/message_bus.hpp"
#include "service/loop/system_clock.hpp"
#include "service/loop/uv.hpp"
#include "service/loop/worker_pool.hpp"
#include "service/mqtt/delivery.hpp"
#include "service/mqtt/options.hpp"
#include "service/mqtt/paho_client.hpp"

namespace netstab::service {

class mqtt_link final : public core::message_bus {
 public:
  // Incoming messages waiting for the loop beyond this are dropped (a command flood must not grow memory
  // without bound); completion events never are.
  static constexpr std::size_t max_pending_incoming = 1000;

  // Throws std::invalid_argument for options it can't use (start-up time).
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
  bool connected() const override { return phase_ == phase::connected; }

  // Clean shutdown without blocking the loop: publishes "offline" (retained), hands everything waiting to Paho,
  // disconnects with a bounded wait (stop_timeout, polled by a timer), disables Paho's callbacks and closes the
  // link's handles. on_stopped runs on the loop when that is done; the loop can close once it has run again.
  void stop(std::function<void()> on_stopped = {});

  mqtt_link_counters counters() const;

 private:
  enum class phase : std::uint8_t { idle, connecting, connected, waiting, stopping, stopped };

  void connect();
  void schedule_retry();
  void retire_client();
  void start_diagnosis();
  void poll_stop();
  void finish(bool notify);
  void report_error(const std::string& text);
  void on_event(link_event& e);
  void handle(ev_connect_ok& ev);
  void handle(ev_connect_failed& ev);
  void handle(ev_connection_lost& ev);
  void handle(ev_message& ev);
  void handle(ev_delivered& ev);
  void handle(ev_delivery_failed& ev);
  void handle(ev_disconnect_done& ev);
  void handle(ev_diagnosis& ev);

  mqtt_options opts_;
  mqtt_callbacks cbs_;
  system_clock clock_;
  link_inbox events_;
  std::shared_ptr<paho_listeners> listeners_;
  delivery delivery_;
  worker_pool reaper_{1, worker_pool::on_close::join};  // destroys retired Paho clients
  worker_pool diagnosis_{1};                            // runs diagnose_connect; may hang, never waited for
  timer retry_timer_;
  timer stop_timer_;
  std::unique_ptr<paho_client> client_;
  phase phase_ = phase::idle;
  std::chrono::milliseconds backoff_;
  bool diagnosing_ = false;  // a diagnosis is running and has not posted its result yet
  std::function<void()> on_stopped_;
  std::chrono::steady_clock::time_point flush_deadline_{};
  std::chrono::steady_clock::time_point stop_deadline_{};
  bool disconnect_requested_ = false;
  std::string last_reported_;   // last connect error given to on_error since the last success
  std::string last_diagnosis_;  // last diagnose_connect result since the last success
  std::string last_error_;      // why the link is not connected; empty while connected
  std::uint64_t connects_ = 0;
};

}  // namespace netstab::service

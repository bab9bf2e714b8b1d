#pragma once
// The Paho adapter: one Paho MQTT C++ async_client, created for one connection, and the translation of what
// Paho's threads report into events for the link.
//
// Paho calls back on its own threads. Every callback here only turns what it got into a link_event and posts it
// to the link's inbox (inbox.hpp); the link handles it on the loop thread. Incoming messages use try_post, so a
// command flood is bounded by the inbox's capacity; completions use post and are never dropped. A callback never
// lets an exception out into Paho's C code.
//
// Paho tokens keep raw pointers to the action listeners, so the listeners live in a paho_listeners value that
// the link and every client it created share: a client retired after a connection loss is destroyed on a
// worker thread, later than the link may think, and its tokens must still find their listener.
//
// Threads: create, publish, subscribe, disconnect and the rest on the loop thread; the destructor anywhere (the
// link destroys retired clients on a worker, because Paho's destroy can take a while).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "core/message_bus.hpp"
#include "core/result.hpp"
#include "service/loop/inbox.hpp"
#include "service/mqtt/connect_diagnosis.hpp"
#include "service/mqtt/options.hpp"

#include <mqtt/connect_options.h>

namespace mqtt {
class async_client;
}

namespace netstab::service {

// ---- what Paho's threads (and the connect diagnosis) report to the loop ----
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
using link_event = std::variant<ev_connect_ok, ev_connect_failed, ev_connection_lost, ev_message, ev_delivered,
                                ev_delivery_failed, ev_disconnect_done, ev_diagnosis>;
using link_inbox = inbox<link_event>;

struct paho_listeners;
// The listeners every client of one link shares (see above).
std::shared_ptr<paho_listeners> make_paho_listeners(link_inbox::poster events);

// Paho's URI for a broker address: tcp://, ssl://, ws:// or wss://, with the port always spelled out.
std::string paho_uri(const core::broker_address& broker);

// How Paho took a message handed to publish().
enum class publish_outcome : std::uint8_t {
  sent,         // queued in Paho; its completion arrives as ev_delivered / ev_delivery_failed
  retry_later,  // Paho's queue is full, or it is not connected after all: keep the message and try again
  refused,      // Paho refused it for good (counted and dropped by the caller)
};

class paho_client {
 public:
  // A client for one connection; an error when Paho refuses to create one.
  static core::result<std::unique_ptr<paho_client>> create(const mqtt_options& o,
                                                           std::shared_ptr<paho_listeners> listeners);
  ~paho_client();
  paho_client(const paho_client&) = delete;
  paho_client& operator=(const paho_client&) = delete;

  // Starts connecting; the outcome arrives as ev_connect_ok / ev_connect_failed.
  core::result<void> connect();
  // id comes back in the completion. A retained message's payload moves into Paho's message (see the .cpp).
  publish_outcome publish(core::outgoing_message& m, std::uint64_t id, std::string* why);
  core::result<void> subscribe(const std::string& filter);
  // An immediate disconnect; completion arrives as ev_disconnect_done.
  core::result<void> disconnect();
  bool is_connected() const;
  // No more callbacks from this client (before it is retired or destroyed).
  void disable_callbacks();

 private:
  paho_client(const mqtt_options& o, std::shared_ptr<paho_listeners> listeners);

  int mqtt_version_;
  std::shared_ptr<paho_listeners> listeners_;
  mqtt::connect_options connect_options_;
  std::unique_ptr<mqtt::async_client> client_;
};

// Paho's connect failure codes as a sentence: the broker's refusal and its reason, or the generic
// "cannot connect" that the connect diagnosis then explains.
std::string connack_text(int mqtt_version, int rc, int reason_code);
// Credentials or authorization problems: retrying won't fix them until someone changes the configuration.
bool is_auth_failure(int mqtt_version, int rc, int reason_code);
// An operation that could not finish because the connection went away: the message is kept and resent.
bool is_connection_failure(int rc);

// Paho's send and receive threads are detached. Destroying the last client stops them (Paho waits until both say
// they have stopped), but each still has its thread exit to run, OpenSSL's per-thread clean-up among it; a process
// that exits meanwhile ends them halfway. Waits until no thread of Paho's is left, at most `patience`; true when
// none is. Main's thread, once the loop has ended; it reads /proc/self/task.
bool await_paho_threads(std::chrono::milliseconds patience);

}  // namespace netstab::service

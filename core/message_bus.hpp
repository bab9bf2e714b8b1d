#pragma once
// The narrow messaging interface that core and service code use instead of
// Paho, so that everything above the MQTT link can be tested with a fake
// (tests/support/fake_message_bus.hpp).
#include <string>

namespace netstab::core {

struct outgoing_message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  // MQTT 5 correlation data for a reply to a request's response topic; empty
  // means none. Ignored on MQTT 3.1.1.
  std::string correlation_data;
};

struct incoming_message {
  std::string topic;
  std::string payload;
  std::string response_topic;    // MQTT 5 response topic, empty when none
  std::string correlation_data;  // MQTT 5 correlation data, empty when none
};

// Implemented by service::mqtt_link. Both functions are called on the loop
// thread only.
class message_bus {
 public:
  virtual ~message_bus() = default;
  // Never blocks. While offline, non-retained messages are buffered (bounded,
  // oldest dropped first) and retained ones are skipped: the owner republishes
  // its retained state when the connection comes back.
  virtual void publish(outgoing_message m) = 0;
  virtual bool connected() const = 0;
};

}  // namespace netstab::core

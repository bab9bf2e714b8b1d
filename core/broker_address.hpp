#pragma once
// A broker URL as a value: scheme://host[:port][/path]. Config parses mqtt.broker into one
// (config::parse_broker_url, with the file:line:key error when it can't); the MQTT link builds Paho's URI
// from it and the connect diagnosis takes its host, port and TLS flag from it, so the URL is parsed once.
//
// Pure value; any thread.
#include <cstdint>
#include <string>

namespace netstab::core {

struct broker_address {
  std::string scheme;      // "mqtt", "mqtts", "ws" or "wss"
  std::string host;        // host name or address literal, IPv6 without brackets
  std::uint16_t port = 0;  // as given, else the scheme's default (1883, 8883, 80, 443)
  std::string path;        // ws/wss only: begins with '/'; empty when not given

  bool tls() const { return scheme == "mqtts" || scheme == "wss"; }
  bool websocket() const { return scheme == "ws" || scheme == "wss"; }
  // "host:port", with brackets around an IPv6 host: for log lines.
  std::string authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }

  friend bool operator==(const broker_address&, const broker_address&) = default;
};

}  // namespace netstab::core

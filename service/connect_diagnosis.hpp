#pragma once
// Finding out why a connection to the broker failed.
//
// Paho reports a failed TCP or TLS connect as one generic code (-1, "TCP/TLS
// connect failure") and, in Paho C++ 1.2, offers no usable way to see OpenSSL's
// error (its ssl_options error handler is lost when the options are copied).
// So after such a failure the MQTT link repeats the connection on a helper
// thread with the same settings, step by step: resolve the host, connect TCP,
// and for TLS do the handshake with the same CA file, client certificate and
// host name verification. The first step that fails says what is wrong, in a
// sentence for the log ("TLS certificate verify failed: ...").
//
// Pure blocking functions without shared state: call them off the loop thread.
#include <chrono>
#include <optional>
#include <string>

namespace netstab::service {

struct broker_endpoint {
  std::string host;  // as written in the URL, without IPv6 brackets
  std::string port;
  bool tls = false;
};

// The host, port and TLS flag of a Paho URI (tcp://, ssl://, ws://, wss://); nullopt when it has no port.
std::optional<broker_endpoint> endpoint_of(const std::string& paho_uri);

struct tls_settings {
  std::string ca_file;    // empty: the system's default CA paths
  std::string cert_file;  // client certificate, optional
  std::string key_file;   // client key, optional (default: in cert_file)
  bool verify = true;     // verify the certificate chain and the host name
};

struct connect_diagnosis {
  std::string text;           // what failed; empty when every step worked
  bool config_problem = false;  // retrying won't help (certificate, CA file, host name): report it as an error
};

// Resolves, connects and (for TLS) handshakes, each step bounded by `timeout`.
connect_diagnosis diagnose_connect(const broker_endpoint& ep, const tls_settings& tls,
                                   std::chrono::milliseconds timeout);

}  // namespace netstab::service

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
// A blocking function without shared state: call it off the loop thread (the link runs it on a worker).
#include <chrono>
#include <optional>
#include <string>

#include "core/broker_address.hpp"

namespace netstab::service {

struct tls_settings {
  std::string ca_file;    // empty: the system's default CA paths
  std::string cert_file;  // client certificate, optional
  std::string key_file;   // client key, optional (default: in cert_file)
  bool verify = true;     // verify the certificate chain and the host name
};

struct connect_diagnosis {
  std::string text;             // what failed; empty when every step worked
  bool config_problem = false;  // retrying won't help (certificate, CA file, host name): report it as an error
};

// Resolves, connects and (for TLS) handshakes, each step bounded by `timeout`.
connect_diagnosis diagnose_connect(const core::broker_address& ep, const tls_settings& tls,
                                   std::chrono::milliseconds timeout);

}  // namespace netstab::service

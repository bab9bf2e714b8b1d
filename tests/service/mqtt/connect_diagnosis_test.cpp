#include "service/mqtt/connect_diagnosis.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/support/mosquitto.hpp"
#include "tests/support/wait.hpp"

namespace netstab::service {
namespace {

using namespace std::chrono_literals;

core::broker_address at(const std::string& host, int port, bool tls) {
  return core::broker_address{tls ? "mqtts" : "mqtt", host, static_cast<std::uint16_t>(port), ""};
}

TEST(ConnectDiagnosis, NamesTheFailedStep) {
  test::mosquitto_options bo;
  bo.tls = true;
  test::mosquitto_broker broker(bo);
  const int tls_port = broker.tls_port();
  tls_settings right;
  right.ca_file = broker.ca_file();
  tls_settings wrong;
  wrong.ca_file = broker.other_ca_file();
  tls_settings missing;
  missing.ca_file = broker.dir() + "/no-such-ca.crt";

  struct row {
    core::broker_address ep;
    tls_settings tls;
    std::string contains;  // empty: every step works
    bool config_problem;
  };
  const row rows[] = {
      {at("localhost", tls_port, true), right, "", false},
      {at("127.0.0.1", tls_port, true), right, "", false},
      {at("localhost", tls_port, true), wrong,
       "TLS certificate verify failed: the broker's certificate is not signed by a CA", true},
      {at("127.1", tls_port, true), right, "does not match the host name \"127.1\"", true},
      {at("localhost", tls_port, true), missing, "cannot load the CA file", true},
      {at("127.0.0.1", broker.port(), false), right, "", false},
      {at("127.0.0.1", test::free_port(), false), right, "connection refused by 127.0.0.1:", false},
      {at("no-such-host.invalid", 1883, false), right, "does not resolve", false},
  };
  for (const auto& r : rows) {
    const connect_diagnosis d = diagnose_connect(r.ep, r.tls, test::patience);
    if (r.contains.empty()) {
      EXPECT_EQ(d.text, "") << r.ep.host << ":" << r.ep.port;
    } else {
      EXPECT_NE(d.text.find(r.contains), std::string::npos) << r.ep.host << ":" << r.ep.port << " -> " << d.text;
    }
    EXPECT_EQ(d.config_problem, r.config_problem) << r.ep.host << ":" << r.ep.port << " -> " << d.text;
  }
}

}  // namespace
}  // namespace netstab::service

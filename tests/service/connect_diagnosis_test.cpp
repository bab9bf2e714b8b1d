#include "service/connect_diagnosis.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/support/mosquitto.hpp"

namespace netstab::service {
namespace {

using namespace std::chrono_literals;

TEST(ConnectDiagnosis, EndpointOfPahoUris) {
  struct row {
    std::string uri;
    std::optional<broker_endpoint> want;
  };
  const row rows[] = {
      {"tcp://broker:1883", broker_endpoint{"broker", "1883", false}},
      {"ssl://broker:8883", broker_endpoint{"broker", "8883", true}},
      {"tcp://[::1]:1883", broker_endpoint{"::1", "1883", false}},
      {"ws://broker:9001/mqtt", broker_endpoint{"broker", "9001", false}},
      {"wss://broker/mqtt", broker_endpoint{"broker", "443", true}},
      {"ws://broker/mqtt", broker_endpoint{"broker", "80", false}},
      {"tcp://broker", std::nullopt},
      {"tcp://[::1]", std::nullopt},
      {"mqtt://broker:1883", std::nullopt},
      {"tcp://:1883", std::nullopt},
  };
  for (const auto& r : rows) {
    const auto got = endpoint_of(r.uri);
    ASSERT_EQ(got.has_value(), r.want.has_value()) << r.uri;
    if (!got) continue;
    EXPECT_EQ(got->host, r.want->host) << r.uri;
    EXPECT_EQ(got->port, r.want->port) << r.uri;
    EXPECT_EQ(got->tls, r.want->tls) << r.uri;
  }
}

TEST(ConnectDiagnosis, NamesTheFailedStep) {
  test::mosquitto_options bo;
  bo.tls = true;
  test::mosquitto_broker broker(bo);
  const std::string tls_port = std::to_string(broker.tls_port());
  tls_settings right;
  right.ca_file = broker.ca_file();
  tls_settings wrong;
  wrong.ca_file = broker.other_ca_file();
  tls_settings missing;
  missing.ca_file = broker.dir() + "/no-such-ca.crt";

  struct row {
    broker_endpoint ep;
    tls_settings tls;
    std::string contains;  // empty: every step works
    bool config_problem;
  };
  const row rows[] = {
      {{"localhost", tls_port, true}, right, "", false},
      {{"127.0.0.1", tls_port, true}, right, "", false},
      {{"localhost", tls_port, true}, wrong,
       "TLS certificate verify failed: the broker's certificate is not signed by a CA", true},
      {{"127.1", tls_port, true}, right, "does not match the host name \"127.1\"", true},
      {{"localhost", tls_port, true}, missing, "cannot load the CA file", true},
      {{"127.0.0.1", std::to_string(broker.port()), false}, right, "", false},
      {{"127.0.0.1", std::to_string(test::free_port()), false}, right, "connection refused by 127.0.0.1:", false},
      {{"no-such-host.invalid", "1883", false}, right, "does not resolve", false},
  };
  for (const auto& r : rows) {
    const connect_diagnosis d = diagnose_connect(r.ep, r.tls, 2s);
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

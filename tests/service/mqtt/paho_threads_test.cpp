#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include <chrono>
#include <string>

#include "service/mqtt/paho_client.hpp"
#include "tests/support/mosquitto.hpp"

namespace netstab::service {
namespace {

using namespace std::chrono_literals;

// Paho's threads exist while a client is connected, so the wait gives up at its patience then; once the last
// client is destroyed they end, and the wait sees it. Main relies on this before the process exits.
TEST(PahoThreads, AwaitReturnsOnceTheLastClientsThreadsHaveEnded) {
  test::mosquitto_broker broker;
  const std::string url = broker.url();
  const std::string uri = "tcp://" + url.substr(url.find("://") + 3);
  {
    mqtt::async_client client(uri, "paho-threads", mqtt::create_options(MQTTVERSION_5), nullptr);
    client.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).finalize())->wait();
    ASSERT_TRUE(client.is_connected());
    EXPECT_FALSE(await_paho_threads(50ms)) << "no thread of Paho's found while its client is connected";
    client.disconnect()->wait();
  }
  EXPECT_TRUE(await_paho_threads(5s));
}

}  // namespace
}  // namespace netstab::service

#pragma once
// Test fixture: a real mosquitto broker on a free loopback port, plus a tiny
// MQTT client (3.1.1 or 5, raw sockets, no Paho) that collects messages.
//
// mosquitto_broker writes a config into a fresh temp dir (anonymous access or a
// password file made with mosquitto_passwd; optionally a TLS listener whose
// certificates openssl makes here; optionally a websockets listener; optionally
// persistence so sessions and queued messages survive a restart), starts
// /usr/sbin/mosquitto, and waits until it accepts connections. It can stop,
// restart on the same ports, SIGSTOP and SIGCONT the broker; the destructor
// kills it and removes the directory. Every wait is bounded. Not thread-safe:
// use it from the test's thread.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/wait.hpp"

namespace netstab::test {

struct mosquitto_options {
  bool require_password = false;  // allow_anonymous false + password file with user/password below
  std::string user = "netstab";
  std::string password = "s3cret";
  bool tls = false;                  // TLS listener on tls_port(); certificate for "localhost" and 127.0.0.1
  bool require_client_cert = false;  // with tls: the listener demands a client certificate signed by ca_file()
  bool websockets = false;           // websockets listener on ws_port() (if mosquitto was built with it)
  bool persistence = false;          // keep sessions and queued messages (QoS 0 too) across stop/start
};

class mosquitto_broker {
 public:
  // Starts the broker; throws std::runtime_error (with the broker's log) if it doesn't come up.
  explicit mosquitto_broker(mosquitto_options options = {});
  ~mosquitto_broker();
  mosquitto_broker(const mosquitto_broker&) = delete;
  mosquitto_broker& operator=(const mosquitto_broker&) = delete;

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  int ws_port() const { return ws_port_; }
  std::string url() const;               // "mqtt://127.0.0.1:<port>"
  std::string tls_url() const;           // "mqtts://localhost:<tls_port>"
  std::string ca_file() const;           // CA that signed the broker's certificate
  std::string other_ca_file() const;     // an unrelated CA (for "wrong CA" tests)
  std::string client_cert_file() const;  // a client certificate signed by ca_file() (CN netstab-client)
  std::string client_key_file() const;
  const std::string& dir() const { return dir_; }
  std::string log() const;  // the broker's log so far

  void stop();    // SIGTERM and wait for exit (persistence is written)
  void kill();    // SIGKILL and wait
  void start();   // (re)start on the same ports; waits until it accepts connections
  void pause();   // SIGSTOP
  void resume();  // SIGCONT
  bool running() const { return pid_ > 0; }

 private:
  void write_config() const;
  void make_certificates() const;
  void wait_exit(std::chrono::milliseconds timeout);

  mosquitto_options opts_;
  std::string dir_;
  int port_ = 0;
  int tls_port_ = 0;
  int ws_port_ = 0;
  pid_t pid_ = -1;
};

// Runs a program (argv[0] searched in PATH), output appended to log_file (or
// discarded); returns its exit status, or -1 if it could not run or took longer than timeout.
int run_program(const std::vector<std::string>& argv, const std::string& log_file = {},
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A free TCP port on 127.0.0.1 (bound then released; fine for tests).
int free_port();

struct received_message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
  std::string response_topic;    // MQTT 5
  std::string correlation_data;  // MQTT 5
};

// Minimal MQTT client for tests. A background thread owns reading: it connects,
// (re)subscribes every filter asked for, acknowledges QoS 1 deliveries and
// stores messages; when the connection drops it reconnects every 50 ms, so it
// follows a broker restart by itself (use clean_session=false with a broker
// that has persistence to also get what was queued meanwhile). Thread-safe.
class mqtt_test_client {
 public:
  struct options {
    int port = 1883;
    std::string client_id = "netstab-test";
    int version = 4;  // 4 = MQTT 3.1.1, 5 = MQTT 5
    bool clean_session = true;
    std::string user;
    std::string password;
  };

  explicit mqtt_test_client(options o);
  ~mqtt_test_client();  // DISCONNECT, close, join
  mqtt_test_client(const mqtt_test_client&) = delete;
  mqtt_test_client& operator=(const mqtt_test_client&) = delete;

  // Waits until connected (CONNACK accepted). Returns false on timeout.
  bool wait_connected(std::chrono::milliseconds timeout = patience);
  // Subscribes (and resubscribes after reconnects); waits for the SUBACK.
  bool subscribe(const std::string& filter, int qos = 1, std::chrono::milliseconds timeout = patience);
  // QoS 0 publish; false when not connected.
  bool publish(const std::string& topic, const std::string& payload, bool retain = false,
               const std::string& response_topic = {}, const std::string& correlation_data = {});

  // Waits until pred(messages) holds; false on timeout.
  bool wait_until(const std::function<bool(const std::vector<received_message>&)>& pred,
                  std::chrono::milliseconds timeout = patience);
  // Waits until at least n messages arrived on topic.
  bool wait_count(const std::string& topic, std::size_t n, std::chrono::milliseconds timeout = patience);
  std::vector<received_message> messages() const;
  std::vector<received_message> on_topic(const std::string& topic) const;
  void clear();
  int connects() const;  // successful connections so far

 private:
  void run();
  bool try_connect();
  bool read_packet(std::uint8_t& type, std::vector<std::uint8_t>& body);
  bool write_all(const std::vector<std::uint8_t>& bytes);
  void handle_publish(std::uint8_t flags, const std::vector<std::uint8_t>& body);
  std::vector<std::uint8_t> subscribe_packet(const std::string& filter, int qos, std::uint16_t id) const;
  void drop_connection();

  options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::mutex write_mu_;
  int fd_ = -1;  // written by the reader thread only; read under write_mu_ by writers
  bool connected_ = false;
  int connects_ = 0;
  std::vector<std::pair<std::string, int>> filters_;
  std::set<std::uint16_t> acked_;
  std::uint16_t next_id_ = 1;
  std::vector<received_message> messages_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace netstab::test

#pragma once
// The one validated settings value of netstab, built from built-in defaults, a TOML file, the environment and
// the command line (see config/loader.hpp). A settings value is plain data: it owns copies of every string and
// list, holds only values that passed validation, and is never changed after loading; a reload builds a new one.
// Any thread may read it; main hands copies (or the parts they need) to the loop thread.
//
// The default member initialisers below are the built-in defaults: the loader starts from `settings{}`, so
// changing a default here changes it everywhere (config/netstab.toml states the same defaults, and a test
// checks that the reference file and `settings{}` agree).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/target.hpp"

namespace netstab::config {

// Every configuration problem: a bad value, an unknown key, an unreadable file. what() is the full message,
// starting with where the value came from ("netstab.toml:12: probe.interval_ms: ...", "NETSTAB_MQTT_BROKER:
// ...", "--interval: ..."), ready to print as is.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class mqtt_protocol : std::uint8_t { v5, v3_1_1 };                    // "5" | "3.1.1"
enum class log_level : std::uint8_t { trace, debug, info, warn, error, off };
enum class log_format : std::uint8_t { text, json };

// A parsed mqtt.broker URL: scheme://host[:port][/path].
struct broker_address {
  std::string scheme;     // "mqtt", "mqtts", "ws" or "wss"
  std::string host;       // host name or address literal, IPv6 without brackets
  std::uint16_t port = 0; // as given, else the scheme's default (1883, 8883, 80, 443)
  std::string path;       // ws/wss only: begins with '/'; empty when not given

  bool tls() const { return scheme == "mqtts" || scheme == "wss"; }
  bool websocket() const { return scheme == "ws" || scheme == "wss"; }
};

// [stats]: the statistics windows.
struct stats_settings {
  std::chrono::seconds window{60};                    // main window
  std::vector<std::chrono::seconds> extra_windows;    // further windows, e.g. 10 s, 5 min, 1 h; no duplicates
  unsigned buckets = 12;                              // sub-windows per window (rolling granularity)
  std::chrono::milliseconds publish_interval{0};      // 0: publish once per target interval
  bool per_target = true;                             // statistics on each target's own topics
  std::chrono::milliseconds digest_interval{0};       // 0: no digest; else every target's statistics in one message
  std::size_t max_incidents = 20;                     // incidents kept per target
};

// [status]: thresholds of the OK / WARN / BAD status. Every *_warn is <= its *_bad (checked).
struct status_settings {
  double loss_warn_pct = 2;
  double loss_bad_pct = 5;
  double rtt_p95_warn_ms = 100;
  double rtt_p95_bad_ms = 250;
  double jitter_warn_ms = 20;
  double jitter_bad_ms = 50;
  unsigned rto_streak_warn = 2;   // consecutive timeouts
  unsigned rto_streak_bad = 4;
  double hysteresis_pct = 20;     // a metric must fall this far below a threshold to count as recovered
  unsigned recover_after = 3;     // windows/evaluations in a better state before the status improves
  unsigned min_samples = 5;       // below this many samples in the window the status stays as it is
};

// [output]: stdout (engine) mode.
struct output_settings {
  bool json = false;          // one JSON object per line instead of text
  std::uint64_t count = 0;    // probes per target before exiting; 0 = run until stopped
};

// [mqtt]: the broker connection and topics. `password` holds the secret whether it came from mqtt.password or
// from mqtt.password_file (read at load time); it is never printed.
struct mqtt_settings {
  std::string broker;                       // as configured; empty = stdout mode
  std::optional<broker_address> address;    // parsed broker; set exactly when broker is not empty
  std::string agent;                        // effective agent id (defaults to the sanitised host name)
  std::string base_topic = "netstab";
  std::string client_id;                    // effective client id (defaults to "netstab-<agent>")
  mqtt_protocol protocol = mqtt_protocol::v5;
  std::chrono::seconds keepalive{30};
  std::string username;
  std::string password;                     // secret
  std::string password_file;                // where the password was read from, if it was
  int qos_sample = 0;
  int qos_other = 1;
  int qos_stats = 0;                        // periodic statistics: a lost one is replaced at the next period
  std::chrono::milliseconds batch{250};     // retained messages go to the broker in bursts at most this often
  std::chrono::milliseconds sample_batch{20};  // QoS 0 non-retained messages (samples) wait at most this long
  std::size_t buffer_messages = 10000;      // messages buffered while disconnected
  bool retain_stats = true;
  std::string tls_ca_file;
  std::string tls_cert_file;                // set together with tls_key_file (checked)
  std::string tls_key_file;
  bool tls_verify = true;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds reconnect_min{1};    // <= reconnect_max (checked)
  std::chrono::seconds reconnect_max{60};
};

// [control]: what MQTT commands may do.
struct control_settings {
  bool enabled = true;
  std::size_t max_payload_bytes = 4096;
  std::size_t max_targets = 1000;
  std::chrono::milliseconds min_interval{100};   // smallest interval a command may set
  unsigned commands_per_minute = 120;
  std::vector<std::string> allow;                // host names, IP literals or CIDRs; empty = any
  std::vector<std::string> deny;                 // host names, IP literals or CIDRs
  bool allow_loopback = false;
  bool allow_link_local = false;
};

// [discovery]: Home Assistant MQTT discovery.
struct discovery_settings {
  bool enabled = true;
  std::string prefix = "homeassistant";
  std::size_t max_targets = 100;  // targets beyond the first max_targets get no Home Assistant entities
};

// [log]
struct log_settings {
  log_level level = log_level::info;
  log_format format = log_format::text;
};

struct settings {
  // Targets from the file (`targets = [...]` and `[[target]]`), NETSTAB_TARGETS or --target, each with its
  // resolved probe settings. No duplicates. May be empty: main decides what that means.
  std::vector<core::target_spec> targets;
  core::probe_settings probe;                      // [probe]: defaults, also for targets added by command
  std::chrono::seconds resolve_interval{300};      // [probe] resolve_interval_s: re-resolve host names
  stats_settings stats;
  status_settings status;
  output_settings output;
  mqtt_settings mqtt;
  control_settings control;
  discovery_settings discovery;
  log_settings log;

  bool stdout_mode() const { return mqtt.broker.empty(); }
};

}  // namespace netstab::config

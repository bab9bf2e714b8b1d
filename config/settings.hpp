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

#include "core/access_policy.hpp"
#include "core/broker_address.hpp"
#include "core/target.hpp"

namespace netstab::config {

// Every configuration problem: a bad value, an unknown key, an unreadable file. what() is the full message,
// starting with where the value came from ("netstab.toml:12: probe.interval_ms: ...", "NETSTAB_MQTT_BROKER:
// ...", "--interval: ..."), ready to print as is.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class mqtt_protocol : std::uint8_t { v5, v3_1_1 };  // "5" | "3.1.1"
enum class log_level : std::uint8_t { trace, debug, info, warn, error, off };
enum class log_format : std::uint8_t { text, json };

// A parsed mqtt.broker URL (core/broker_address.hpp).
using broker_address = core::broker_address;

// [stats]: the statistics windows.
struct stats_settings {
  std::chrono::seconds window{60};                  // main window
  std::vector<std::chrono::seconds> extra_windows;  // further windows, e.g. 10 s, 5 min, 1 h; no duplicates
  unsigned buckets = 12;                            // sub-windows per window (rolling granularity)
  std::chrono::milliseconds publish_interval{0};    // 0: publish once per target interval
  unsigned max_publish_rate = 1000;  // with publish_interval 0: per-target messages a second in all; 0: no limit
  bool per_target = true;            // statistics on each target's own topics
  std::chrono::milliseconds digest_interval{0};  // 0: no digest; else every target's statistics in one message
  std::size_t digest_part_size = 0;  // 0: the digest in one message; else at most this many targets a message
  std::size_t max_incidents = 20;    // incidents kept per target

  friend bool operator==(const stats_settings&, const stats_settings&) = default;
};

// [status]: thresholds of the OK / WARN / BAD status. Every *_warn is <= its *_bad (checked).
struct status_settings {
  double loss_warn_pct = 2;
  double loss_bad_pct = 5;
  double rtt_p95_warn_ms = 100;
  double rtt_p95_bad_ms = 250;
  double jitter_warn_ms = 20;
  double jitter_bad_ms = 50;
  unsigned rto_streak_warn = 2;  // consecutive timeouts
  unsigned rto_streak_bad = 4;
  double hysteresis_pct = 20;  // a metric must fall this far below a threshold to count as recovered
  unsigned recover_after = 3;  // windows/evaluations in a better state before the status improves
  unsigned min_samples = 5;    // below this many samples in the window the status stays as it is

  friend bool operator==(const status_settings&, const status_settings&) = default;
};

// [output]: stdout (engine) mode.
struct output_settings {
  bool json = false;        // one JSON object per line instead of text
  std::uint64_t count = 0;  // probes per target before exiting; 0 = run until stopped

  friend bool operator==(const output_settings&, const output_settings&) = default;
};

// [mqtt]: the broker connection and topics. `password` holds the secret whether it came from mqtt.password or
// from mqtt.password_file (read at load time); it is never printed.
struct mqtt_settings {
  std::string broker;                     // as configured; empty = stdout mode
  std::optional<broker_address> address;  // parsed broker; set exactly when broker is not empty
  std::string agent;                      // effective agent id (defaults to the sanitised host name)
  std::string base_topic = "netstab";
  std::string client_id;  // effective client id (defaults to "netstab-<agent>")
  mqtt_protocol protocol = mqtt_protocol::v5;
  std::chrono::seconds keepalive{30};
  std::string username;
  std::string password;       // secret
  std::string password_file;  // where the password was read from, if it was
  int qos_sample = 0;
  int qos_other = 1;
  int qos_stats = 0;                           // periodic statistics: a lost one is replaced at the next period
  std::chrono::milliseconds batch{250};        // retained messages go to the broker in bursts at most this often
  std::chrono::milliseconds sample_batch{20};  // QoS 0 non-retained messages (samples) wait at most this long
  std::size_t buffer_messages = 10000;         // messages buffered while disconnected
  bool retain_stats = true;
  std::string tls_ca_file;
  std::string tls_cert_file;  // set together with tls_key_file (checked)
  std::string tls_key_file;
  bool tls_verify = true;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds reconnect_min{1};  // <= reconnect_max (checked)
  std::chrono::seconds reconnect_max{60};

  friend bool operator==(const mqtt_settings&, const mqtt_settings&) = default;
};

// [control]: what MQTT commands may do.
struct control_settings {
  bool enabled = true;
  std::size_t max_payload_bytes = 4096;
  std::size_t max_targets = 1000;
  std::chrono::milliseconds min_interval{100};  // smallest interval a command may set
  unsigned commands_per_minute = 120;
  std::vector<core::access_rule> allow;  // host names, IP literals or CIDRs; empty = any
  std::vector<core::access_rule> deny;   // host names, IP literals or CIDRs
  bool allow_loopback = false;
  bool allow_link_local = false;

  friend bool operator==(const control_settings&, const control_settings&) = default;
};

// [discovery]: Home Assistant MQTT discovery.
struct discovery_settings {
  bool enabled = true;
  std::string prefix = "homeassistant";
  std::size_t max_targets = 100;  // targets beyond the first max_targets get no Home Assistant entities

  friend bool operator==(const discovery_settings&, const discovery_settings&) = default;
};

// [path]: path discovery and hop monitoring (docs/path.md).
struct path_settings {
  bool enabled = true;
  std::size_t max_targets = 10;  // path monitoring for at most this many targets ("auto" ones fill it in order)
  unsigned max_ttl = 30;
  unsigned trace_rounds = 3;
  std::chrono::seconds retrace{300};
  std::chrono::seconds retrace_min{30};          // the least time between two traces of a target
  std::chrono::milliseconds hop_interval{1000};  // at most one probe per interval to any hop
  std::chrono::seconds unknown_interval{10};     // probes to a hop that never answered
  unsigned max_pps = 150;                        // every path probe together, in any second
  int lan_hops = -1;                             // -1: the heuristic of docs/verdict.md
  int isp_hops = -1;
  unsigned isp_public_hops = 2;

  friend bool operator==(const path_settings&, const path_settings&) = default;
};

// [verdict]: the thresholds of the verdict rule that are not the status's (docs/verdict.md).
struct verdict_settings {
  double excess_ms = 20;
  double excess_pct = 25;
  double carry_share = 0.5;
  double carry_noise_sd = 1;
  double host_gap_ms = 20;
  unsigned confirm_after = 3;
  unsigned clear_after = 10;

  friend bool operator==(const verdict_settings&, const verdict_settings&) = default;
};

// [history]: the history netstab keeps of itself (service mode only), in one SQLite file.
struct history_settings {
  bool enabled = true;
  // As configured; "" picks the state directory: $STATE_DIRECTORY (systemd's StateDirectory=) when set, else
  // netstab-history.db in the working directory. The Docker image sets /var/lib/netstab/history.db.
  std::string path;
  std::string effective_path;               // the file the store uses (set by the loader)
  std::chrono::days keep_minutes{14};       // per-minute rows
  std::chrono::days keep_hours{400};        // per-hour rows
  std::chrono::years keep_days{10};         // per-day rows
  std::chrono::hours keep_raw{24};          // raw samples
  std::size_t raw_max_targets = 10;         // raw samples only for the first this many targets
  std::chrono::seconds flush_interval{10};  // batches go to the writer at least this often

  friend bool operator==(const history_settings&, const history_settings&) = default;
};

// [log]
struct log_settings {
  log_level level = log_level::info;
  log_format format = log_format::text;

  friend bool operator==(const log_settings&, const log_settings&) = default;
};

struct settings {
  // Targets from the file (`targets = [...]` and `[[target]]`), NETSTAB_TARGETS or --target, each with its
  // resolved probe settings. No duplicates. May be empty: main decides what that means.
  std::vector<core::target_spec> targets;
  core::probe_settings probe;                  // [probe]: defaults, also for targets added by command
  std::chrono::seconds resolve_interval{300};  // [probe] resolve_interval_s: re-resolve host names
  std::chrono::milliseconds send_grid{5};      // [probe] send_grid_ms: wake-ups on multiples of this
  stats_settings stats;
  status_settings status;
  output_settings output;
  mqtt_settings mqtt;
  control_settings control;
  discovery_settings discovery;
  path_settings path;
  verdict_settings verdict;
  history_settings history;
  log_settings log;

  bool stdout_mode() const { return mqtt.broker.empty(); }
};

}  // namespace netstab::config

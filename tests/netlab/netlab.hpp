#pragma once
// The netlab fixture: a uniquely named network namespace with lo up, and the emulated remote host (the
// netlab_responder on a TUN device) reachable from it. Addresses come from the benchmarking ranges (RFC 2544,
// RFC 5180): the namespace's end of the TUN is 198.18.0.1 / 2001:2::1, the emulated host 198.18.0.2 / 2001:2::2.
//
// A netlab owns its namespace and responder: the destructor stops the responder and deletes the namespace,
// also when a test fails or throws. Construction throws std::runtime_error when a step fails (so it runs only
// as root). Used from the test thread only.
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace netstab::netlab {

// The child-process helpers are shared with the other test suites (tests/support/process.hpp).
using test::child;
using test::run;
using test::run_result;

inline constexpr const char* local_v4 = "198.18.0.1";
inline constexpr const char* host_v4 = "198.18.0.2";
inline constexpr const char* local_v6 = "2001:2::1";
inline constexpr const char* host_v6 = "2001:2::2";

class netlab {
 public:
  // responder_args: the profile arguments of netlab_responder (e.g. {"--delay", "fixed:20"}); --tun is added.
  explicit netlab(const std::vector<std::string>& responder_args);
  netlab(const netlab&) = delete;
  netlab& operator=(const netlab&) = delete;
  ~netlab();

  const std::string& name() const { return name_; }
  const std::string& tun() const { return tun_; }

  // Takes the TUN link down or brings it back up. Down makes the kernel delete the routes through the device
  // (so sends to the emulated host fail at once); up restores the addresses and host routes of setup.
  // Throws std::runtime_error when an ip command fails.
  void set_link(bool up) const;

  // Runs argv inside the namespace (`ip netns exec NAME argv...`) and captures its output.
  run_result exec(const std::vector<std::string>& argv,
                  std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;

  // Stops the responder (SIGTERM) and returns its JSON summary (see responder.cpp). Throws std::runtime_error
  // when no summary came.
  nlohmann::json stop_responder();

 private:
  void setup(const std::vector<std::string>& responder_args);
  void teardown() noexcept;

  std::string name_;
  std::string tun_ = "nstab0";
  std::unique_ptr<child> responder_;
};

// The outcome of one netstab run: its parsed --json lines by type.
struct netstab_output {
  run_result raw;
  std::vector<nlohmann::json> samples;
  std::vector<nlohmann::json> stats;
  std::vector<nlohmann::json> events;
  std::vector<std::string> bad_lines;  // stdout lines that are not JSON objects
};

// Splits netstab's --json stdout into samples, stats and events.
netstab_output parse_netstab_output(run_result raw);

// The argv that runs netstab with args (and --json) inside the lab's namespace as root, for a caller that
// needs to act while it runs (e.g. through a child).
std::vector<std::string> netstab_command(const netlab& lab, const std::vector<std::string>& args);

// Runs ${NETSTAB_BINARY_DIR}/service/netstab with args (and --json) inside the lab's namespace. With
// `unprivileged`, it first allows ICMP datagram sockets for every group in the namespace
// (net.ipv4.ping_group_range) and runs netstab as uid/gid 65534 through setpriv.
netstab_output run_netstab(const netlab& lab, const std::vector<std::string>& args, bool unprivileged = false,
                           std::chrono::milliseconds timeout = std::chrono::seconds(120));

// The netstab executable's path.
std::string netstab_binary();

// A TOML configuration file for netstab with the given text, named after `tag`; removed with the object.
class temp_config {
 public:
  temp_config(const std::string& tag, const std::string& text);
  temp_config(const temp_config&) = delete;
  temp_config& operator=(const temp_config&) = delete;
  ~temp_config();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The median of the non-null numeric field `key` over samples with status `status`.
std::optional<double> median_of(const std::vector<nlohmann::json>& samples, const std::string& key,
                                const std::string& status = "ok");

// Counts the samples with the given status.
std::size_t count_status(const std::vector<nlohmann::json>& samples, const std::string& status);

// The sequence numbers of the samples with the given status, ascending.
std::vector<std::uint64_t> seqs_with_status(const netstab_output& out, const std::string& status);

}  // namespace netstab::netlab

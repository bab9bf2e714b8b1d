// Fuzz target for the configuration loader: the input is the text of a TOML configuration file, loaded through
// config::build_from_text with an empty environment and command line (the same path as `--config FILE`).
//
// Invariants, beyond "no crash, no undefined behaviour, no leak":
//   - the only exception a bad file raises is config_error, with a message that names the file;
//   - a configuration that loads holds only validated values (targets and probe settings in range, warn <= bad
//     thresholds, a broker address exactly when a broker is set, an agent id);
//   - --print-config output (to_toml) does not depend on the password's value, and loads again to the same
//     settings (printing the reloaded settings gives the same text).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "config/print.hpp"
#include "config/settings.hpp"
#include "tests/fuzz/check.hpp"

namespace netstab::fuzz {
namespace {

constexpr const char* file_name = "fuzz.toml";

void check_probe(const core::probe_settings& p) {
  FUZZ_REQUIRE(p.interval >= core::min_interval);
  FUZZ_REQUIRE(p.timeout > core::nanos{0});
  FUZZ_REQUIRE(p.size >= core::min_payload_size && p.size <= core::max_payload_size);
  FUZZ_REQUIRE(p.ttl >= 1 && p.ttl <= 255);
  FUZZ_REQUIRE(p.tos >= 0 && p.tos <= 255);
}

void check_settings(const config::settings& s) {
  check_probe(s.probe);
  for (const auto& t : s.targets) {
    FUZZ_REQUIRE(!t.host.empty());
    check_probe(t.probe);
  }
  FUZZ_REQUIRE(s.status.loss_warn_pct <= s.status.loss_bad_pct);
  FUZZ_REQUIRE(s.status.rtt_p95_warn_ms <= s.status.rtt_p95_bad_ms);
  FUZZ_REQUIRE(s.status.jitter_warn_ms <= s.status.jitter_bad_ms);
  FUZZ_REQUIRE(s.status.rto_streak_warn <= s.status.rto_streak_bad);
  FUZZ_REQUIRE(s.mqtt.reconnect_min <= s.mqtt.reconnect_max);
  FUZZ_REQUIRE(s.mqtt.broker.empty() != s.mqtt.address.has_value());
  FUZZ_REQUIRE(!s.mqtt.agent.empty() && !s.mqtt.client_id.empty());
  FUZZ_REQUIRE(s.mqtt.tls_cert_file.empty() == s.mqtt.tls_key_file.empty());
  FUZZ_REQUIRE(s.stats.window.count() > 0 && s.stats.buckets > 0);
}

config::load_request request() {
  config::load_request r;
  r.host_name = "fuzzhost";  // keeps gethostname() out of the run
  return r;
}

void check(std::string_view text) {
  config::settings s;
  try {
    s = config::build_from_text(text, file_name, request());
  } catch (const config::config_error& e) {
    FUZZ_REQUIRE(std::string_view(e.what()).find(file_name) != std::string_view::npos);
    return;
  }
  check_settings(s);

  const std::string printed = config::to_toml(s);
  if (!s.mqtt.password.empty()) {
    // The printed text must not depend on the password's value: printing with another password gives the same
    // text, so no part of the secret shows.
    config::settings other = s;
    other.mqtt.password = s.mqtt.password == "x" ? "y" : "x";
    FUZZ_REQUIRE(config::to_toml(other) == printed);
  }
  config::settings reloaded;
  try {
    reloaded = config::build_from_text(printed, "printed.toml", request());
  } catch (const config::config_error& e) {
    std::fprintf(stderr, "printed configuration does not load: %s\n--- printed:\n%s\n", e.what(), printed.c_str());
    FUZZ_REQUIRE(false && "to_toml output loads again");
  }
  check_settings(reloaded);
  const std::string printed_again = config::to_toml(reloaded);
  if (printed_again != printed) {
    std::fprintf(stderr, "--- printed:\n%s\n--- printed after reload:\n%s\n", printed.c_str(), printed_again.c_str());
  }
  FUZZ_REQUIRE(printed_again == printed);
}

}  // namespace
}  // namespace netstab::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  netstab::fuzz::check(std::string_view(reinterpret_cast<const char*>(data), size));  // NOLINT
  return 0;
}

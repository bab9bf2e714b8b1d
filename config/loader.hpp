#pragma once
// Building one validated settings value from four layers, each overriding the one before:
//   built-in defaults (settings{}) < TOML file < environment (NETSTAB_<SECTION>_<KEY>) < command line.
// Not tied to a thread; it reads files (the config file, mqtt.password_file, the TLS files) and, when no host
// name is given, calls gethostname(). Every problem throws config_error whose message names the file, line
// and key, the environment variable, or the flag.
//
// Targets: `targets = ["a", "b"]` and `[[target]]` tables in the file (together), replaced as a whole by
// NETSTAB_TARGETS (comma list), replaced in turn by --target. A [[target]] may override any [probe] key except
// resolve_interval_s; a [probe] key set in the environment or on the command line beats those per-target
// overrides too, because it comes from a later layer.
// mqtt.password and mqtt.password_file are two ways to give the same secret: the one from the later layer wins,
// and both in one layer is an error.
// Files are bounded (config/bounded_file.hpp): the configuration file at most 16 MiB, mqtt.password_file at most
// 64 KiB, each TLS file at most 1 MiB, and each must be a regular file (not a directory, FIFO or device). The TLS
// files are only checked (opened, fstat), not read: OpenSSL reads them when connecting.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace netstab::config {

using environment = std::map<std::string, std::string>;

// The process environment as a map, from the envp of main or `environ`.
environment environment_from(const char* const* envp);

// One setting given on the command line: `flag` names it in errors, `key` is "section.key", `text` as given.
struct cli_override {
  std::string flag;
  std::string key;
  std::string text;
};

// Everything a load reads, kept so that a reload (SIGHUP) re-reads the same file with the same environment
// and command line.
struct load_request {
  std::string config_file;                              // empty: NETSTAB_CONFIG from env, else no file
  environment env;                                      // NETSTAB_* variables are read, others ignored
  std::vector<cli_override> cli;                        // applied in order
  std::optional<std::vector<std::string>> cli_targets;  // --target values; replace file and env targets
  std::string host_name;                                // default agent id; empty: gethostname()
};

// The file the request reads: config_file, else NETSTAB_CONFIG, else "" (no file).
std::string config_file_of(const load_request& request);

// Loads and validates. Throws config_error.
settings build(const load_request& request);

// Same as build, with the TOML text given in memory in place of the file (config_file and NETSTAB_CONFIG are
// ignored); `name` stands for the file name in messages. For the fuzz target and for tools that hold the text.
settings build_from_text(std::string_view toml_text, const std::string& name, const load_request& request);

// Re-reads the request's file (same environment and command line). Throws config_error; the caller keeps
// its old settings then.
settings reload(const load_request& request);

// The dotted keys a TOML file sets ("probe.interval_ms", "targets", "target"), in file order, without checking
// them against the known keys; for tools and for the test that the reference file lists every key.
// Throws config_error when the file cannot be read or parsed.
std::vector<std::string> keys_in_file(const std::string& path);

}  // namespace netstab::config

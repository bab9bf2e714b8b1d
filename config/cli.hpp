#pragma once
// The command line of netstab (CLI11), merged with the environment and the config file into settings.
// Called once from main (and from tests); not tied to a thread.
//
//   cli_result r = config::load(argc, argv, config::environment_from(envp));
//   if (r.exit_now) { (r.exit_code == 0 ? stdout : stderr) << r.output; return r.exit_code; }
//
// exit_now is set for --help, --version and --print-config (exit_code 0, output is the text to print to
// stdout) and for command line syntax errors such as an unknown flag or a missing argument (exit_code 2,
// output is the message for stderr). An invalid *value* (in the file, the environment or a flag argument)
// throws config_error instead, like every other loader entry point: main prints what() and exits with 2.
#include <map>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "config/settings.hpp"

namespace netstab::config {

struct cli_result {
  settings value;
  bool exit_now = false;
  int exit_code = 0;
  std::string output;
  load_request request;  // what was read, for reload() on SIGHUP
};

struct load_options {
  std::string host_name;  // default agent id; empty: gethostname()
  std::string version;    // for --version; empty: the project version netstab_config was built with
};

cli_result load(int argc, const char* const* argv, const std::map<std::string, std::string>& env);
cli_result load(int argc, const char* const* argv, const std::map<std::string, std::string>& env,
                const load_options& options);

// The project version netstab_config was built with ("0.1.0").
std::string_view version();

}  // namespace netstab::config

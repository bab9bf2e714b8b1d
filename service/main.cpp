// netstab's entry point: reads the settings, wires the parts and runs the loop.
// main owns every part for the life of the process; nothing is global.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config/cli.hpp"
#include "service/engine.hpp"
#include "service/privileges.hpp"
#include "service/service_mode.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace netstab;
  config::cli_result cli;
  try {
    cli = config::load(argc, argv, config::environment_from(environ));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "netstab: %s\n", e.what());
    return 2;
  }
  if (cli.exit_now) {
    std::fputs(cli.output.c_str(), cli.exit_code == 0 ? stdout : stderr);
    return cli.exit_code;
  }
  service::setup_logging(cli.value.log);
  // A dead subscriber pipe must not kill the monitor; writes report EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  // SIGHUP means "reload" once the loop runs; until then it must not kill a starting service.
  std::signal(SIGHUP, SIG_IGN);
  // Before any thread exists (Paho starts its own), so every thread runs with the reduced set.
  if (const auto caps = service::drop_capabilities(); !caps.error.empty()) {
    spdlog::warn("could not drop capabilities ({}); running with the ones it was started with", caps.error);
  } else if (caps.dropped > 0 || caps.kept_net_raw) {
    spdlog::debug("capabilities: kept {}, dropped {} other(s)", caps.kept_net_raw ? "CAP_NET_RAW" : "none",
                  caps.dropped);
  }
  try {
    if (cli.value.stdout_mode()) return service::run_engine(cli.value, cli.request);
    return service::run_service(cli.value, cli.request);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}

// netstab's entry point: reads the settings, prepares the process and runs. main owns nothing else; every part is
// built and owned by run() (run.hpp). Nothing is global.
#include <cstdio>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "config/cli.hpp"
#include "service/app/logging.hpp"
#include "service/app/options.hpp"
#include "service/app/run.hpp"
#include "service/app/startup.hpp"
#include "service/history/cli.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace netstab;
  // `netstab history ...` reads a history file and prints it (service/history/cli.hpp).
  if (argc > 1 && std::string_view(argv[1]) == "history") return service::history::history_main(argc - 1, argv + 1);
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
  service::prepare_process();
  service::icmp_descriptors icmp = service::open_icmp_sockets(service::receive_buffer_from(cli.value));
  // Before any thread exists (Paho starts its own), so every thread runs with the reduced set.
  service::drop_privileges();
  int code = 1;
  try {
    code = service::run(std::move(cli.value), cli.request, std::move(icmp));
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
  }
  service::finish_process();
  return code;
}

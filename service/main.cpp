// netstab's entry point: reads the settings, wires the parts and runs the loop.
// main owns every part for the life of the process; nothing is global.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <utility>

#include <MQTTAsync.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config/cli.hpp"
#include "service/engine.hpp"
#include "service/icmp_socket.hpp"
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
  // Paho's own OpenSSL set-up (error strings, every algorithm, the OpenSSL config file) would run when the first
  // client is created and touch 1.3 MB of libcrypto even with no TLS configured (bench/footprint: VmRSS 10.4 ->
  // 9.0 MB at one target). OpenSSL 3 initialises itself on first use, so an mqtts:// or wss:// broker still works.
  MQTTAsync_init_options paho_init = MQTTAsync_init_options_initializer;
  paho_init.do_openssl_init = 0;
  MQTTAsync_global_init(&paho_init);
  // The ICMP sockets are opened while the capabilities are still held: a receive buffer above
  // net.core.rmem_max (SO_RCVBUFFORCE) needs CAP_NET_ADMIN, which is dropped next. The prober attaches them
  // when the loop runs; a family that does not open here is opened, or reported, when a target needs it.
  service::icmp_descriptors icmp = service::icmp_descriptors::open();
  for (const auto* d : {&icmp.v4, &icmp.v6}) {
    const bool v4 = d == &icmp.v4;
    if (d->valid()) {
      spdlog::debug("pre-opened {} {} socket: receive buffer {} bytes as the kernel counts it ({} asked)",
                    v4 ? "ICMP" : "ICMPv6", d->kind() == service::socket_kind::raw ? "raw" : "datagram",
                    d->receive_buffer(), d->asked_receive_buffer());
    } else {
      spdlog::debug("no pre-opened {} socket: {}", v4 ? "ICMP" : "ICMPv6", v4 ? icmp.v4_error : icmp.v6_error);
    }
  }
  // Before any thread exists (Paho starts its own), so every thread runs with the reduced set.
  if (const auto caps = service::drop_capabilities(); !caps.error.empty()) {
    spdlog::warn("could not drop capabilities ({}); running with the ones it was started with", caps.error);
  } else if (caps.dropped > 0 || caps.kept_net_raw) {
    spdlog::debug("capabilities: kept {}, dropped {} other(s)", caps.kept_net_raw ? "CAP_NET_RAW" : "none",
                  caps.dropped);
  }
  try {
    if (cli.value.stdout_mode()) return service::run_engine(cli.value, cli.request, std::move(icmp));
    return service::run_service(cli.value, cli.request, std::move(icmp));
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}

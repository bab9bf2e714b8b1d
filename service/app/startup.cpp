#include "service/app/startup.hpp"

#include <MQTTAsync.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <chrono>
#include <csignal>

#include "service/app/privileges.hpp"
#include "service/mqtt/paho_client.hpp"

namespace netstab::service {

bool tune_allocator() {
  // Setting the mmap threshold also stops glibc from moving it (and the trim threshold) by itself.
  const bool heap = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool kept = mallopt(M_TRIM_THRESHOLD, 64 << 20) == 1;
  return heap && kept;
}

void prepare_process() {
  if (!tune_allocator()) spdlog::debug("the allocator is not glibc's: its thresholds are left as they are");
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  // Paho's own OpenSSL set-up (error strings, every algorithm, the OpenSSL configuration file) would run when the
  // first client is created and touch much of libcrypto even with no TLS configured (docs/benchmarks.md has the
  // resident size it costs). OpenSSL 3 initialises itself on first use, so an mqtts:// or wss:// broker works.
  MQTTAsync_init_options paho_init = MQTTAsync_init_options_initializer;
  paho_init.do_openssl_init = 0;
  MQTTAsync_global_init(&paho_init);
  // OpenSSL's clean-up at exit frees its global state while a detached thread of Paho's may still be running its
  // thread exit, which uses that state (a crash at exit, seen under AddressSanitizer). Without it the state lives
  // until the process ends. Only the first initialisation decides, so this comes before anything uses OpenSSL.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
}

void finish_process() {
  if (!await_paho_threads(std::chrono::seconds(2))) {
    spdlog::debug("a thread of Paho's had not ended 2 s after its client was destroyed");
  }
}

icmp_descriptors open_icmp_sockets(int receive_buffer) {
  icmp_descriptors icmp = icmp_descriptors::open(receive_buffer);
  for (const auto* d : {&icmp.v4, &icmp.v6}) {
    const bool v4 = d == &icmp.v4;
    if (d->valid()) {
      spdlog::debug("pre-opened {} {} socket: receive buffer {} bytes as the kernel counts it ({} asked)",
                    v4 ? "ICMP" : "ICMPv6", d->kind() == socket_kind::raw ? "raw" : "datagram", d->receive_buffer(),
                    d->asked_receive_buffer());
    } else {
      spdlog::debug("no pre-opened {} socket: {}", v4 ? "ICMP" : "ICMPv6", v4 ? icmp.v4_error : icmp.v6_error);
    }
  }
  return icmp;
}

void drop_privileges() {
  if (const auto caps = drop_capabilities(); !caps.error.empty()) {
    spdlog::warn("could not drop capabilities ({}); running with the ones it was started with", caps.error);
  } else if (caps.dropped > 0 || caps.kept_net_raw) {
    spdlog::debug("capabilities: kept {}, dropped {} other(s)", caps.kept_net_raw ? "CAP_NET_RAW" : "none",
                  caps.dropped);
  }
}

}  // namespace netstab::service

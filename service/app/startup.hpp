#pragma once
// What main does around run(). Before the loop runs, in this order: the process-wide set-up, the ICMP sockets
// opened while the capabilities are still held, then the capabilities dropped (privileges.hpp); main's thread
// only, before any other thread exists. After run() has returned: finish_process().
#include "service/probe/icmp_descriptor.hpp"

namespace netstab::service {

// A dead subscriber pipe must not kill the monitor (writes report EPIPE instead); SIGHUP means "reload" once the
// loop runs, and until then it must not kill a starting service; Paho's global set-up without its OpenSSL part.
void prepare_process();
// Part of prepare_process: glibc's allocator serves blocks up to 32 MiB from its heap and keeps up to 64 MiB of
// free heap instead of returning it at once. A digest of thousands of targets is a message of several megabytes,
// made every second and copied twice on its way to Paho's socket; served by mmap, as glibc serves blocks that
// large by default, each copy's pages were faulted in anew every second (docs/benchmarks.md has the cost). False
// when the allocator is not glibc's (a sanitizer's), which then keeps its own ways.
bool tune_allocator();
// One ICMP socket per family, opened now so that a receive buffer above net.core.rmem_max (SO_RCVBUFFORCE, which
// needs CAP_NET_ADMIN) is granted, asking for receive_buffer bytes (options.hpp: receive_buffer_from sizes it for
// the configured targets); logged at debug. A family that does not open is opened, or reported, by the prober
// when a target needs it.
icmp_descriptors open_icmp_sockets(int receive_buffer);
// drop_capabilities, with what it did in the log.
void drop_privileges();
// What main does last, after run() has returned (the loop has ended and every client is destroyed): waits, at
// most 2 s, until Paho's detached threads have ended (await_paho_threads), so that exiting cannot cut their thread
// exit short.
void finish_process();

}  // namespace netstab::service

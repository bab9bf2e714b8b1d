#pragma once
// Dropping what the process does not need. netstab needs at most CAP_NET_RAW (raw ICMP sockets, when the kernel's
// ping_group_range does not allow datagram ICMP sockets for our group); everything else it was started with
// (root's full set, a container's default set, ambient capabilities) is dropped before the loop runs, so a bug in
// packet or command handling cannot be turned into more than sending ICMP. Call from main's thread before any
// other thread (Paho's) starts: capabilities are per thread, and threads inherit them when created. What needs a
// capability only once is done before: main opens the ICMP sockets first (icmp_descriptors), so that they keep
// the receive buffer SO_RCVBUFFORCE gives with CAP_NET_ADMIN.
#include <string>

namespace netstab::service {

struct capability_report {
  bool kept_net_raw = false;  // CAP_NET_RAW was permitted and is kept (effective)
  int dropped = 0;            // capabilities removed from the permitted set
  std::string error;          // empty on success; the call that failed otherwise
};

// Keeps CAP_NET_RAW (if it was permitted) in the effective and permitted sets, clears everything else from the
// effective, permitted, inheritable and ambient sets, removes every other capability from the bounding set when
// allowed (CAP_SETPCAP), and sets no_new_privs so nothing regains them through exec.
capability_report drop_capabilities();

}  // namespace netstab::service

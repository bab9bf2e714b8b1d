#pragma once
// ICMP sockets opened before the loop runs, not yet attached to it.
//
// Start-up opens one per family while the process still holds CAP_NET_ADMIN (so that SO_RCVBUFFORCE grants the
// receive buffer), drops its capabilities, and hands them to the prober, which attaches each with
// icmp_socket::open (icmp_socket.hpp) when a target of that family needs it.
#include <cstdint>
#include <string>

#include "core/icmp.hpp"
#include "core/result.hpp"

namespace netstab::service {

enum class socket_kind : std::uint8_t { datagram, raw };

// The receive buffer netstab asks for at least, in bytes: replies from many targets keep arriving while the loop
// is busy elsewhere, and what does not fit is dropped by the kernel. SO_RCVBUFFORCE grants it whatever
// net.core.rmem_max says but needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max.
inline constexpr int wanted_receive_buffer = 4 << 20;
// What the kernel charges a socket's receive buffer per probe, in bytes of the buffer asked for: an echo reply of
// the default size on loopback is charged 832 bytes (its buffer's true size), its transmit timestamp on the error
// queue as much again, and the kernel grants twice the bytes asked.
inline constexpr double charge_per_probe = 832;
// The receive buffer for a probe rate: 0.4 s of replies, at least wanted_receive_buffer, at most 64 MiB. At tens
// of thousands of probes a second the loop's longest turns (the digest) outlast what 4 MiB hold (docs/benchmarks.md,
// "50,000 targets"); the buffer only takes memory while replies wait in it.
int receive_buffer_for(double probes_per_second);

// An ICMP socket that is open but not attached to a loop. Start-up opens one per family while the process still
// holds CAP_NET_ADMIN (so that SO_RCVBUFFORCE grants the buffer), drops its capabilities, and hands them to the
// prober, which attaches each with icmp_socket::open when a target of that family needs it. A raw one has an ICMP
// filter that blocks every type until it is attached, so an unused one receives nothing and costs nothing; a
// datagram one receives nothing before its first send. Owns the descriptor; move-only; one thread at a time.
class icmp_descriptor {
 public:
  icmp_descriptor() = default;
  ~icmp_descriptor();
  icmp_descriptor(icmp_descriptor&& o) noexcept;
  icmp_descriptor& operator=(icmp_descriptor&& o) noexcept;
  icmp_descriptor(const icmp_descriptor&) = delete;
  icmp_descriptor& operator=(const icmp_descriptor&) = delete;

  // Opens a socket of family f of the kind icmp_socket::open would (datagram if the kernel allows it for our
  // group, else raw) and asks for receive_buffer bytes; the error says why none opens and how to fix it.
  static core::result<icmp_descriptor> open(core::icmp::family f, int receive_buffer = wanted_receive_buffer);
  // A raw ICMP socket receives every ICMP message the host receives that its filter passes. One that is not
  // attached to the loop (opened early, or released by a stopped prober) passes none, so that nothing queues up
  // in it while no one reads.
  static void block_every_type(int fd, core::icmp::family f);

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  core::icmp::family family() const { return family_; }
  socket_kind kind() const { return kind_; }
  int asked_receive_buffer() const { return asked_; }
  // SO_RCVBUF as getsockopt reports it: the kernel doubles what it grants, to cover its own bookkeeping, so a
  // granted request reads as twice the bytes asked. -1 when invalid.
  int receive_buffer() const;
  void close();

 private:
  friend class icmp_socket;
  icmp_descriptor(int fd, core::icmp::family f, socket_kind k, int asked)
      : fd_(fd), family_(f), kind_(k), asked_(asked) {}

  int fd_ = -1;
  core::icmp::family family_ = core::icmp::family::v4;
  socket_kind kind_ = socket_kind::datagram;
  int asked_ = 0;
};

// The sockets start-up opens before it drops its capabilities, one per family. Either may be invalid: a family
// that cannot be opened (no IPv6 on the host, no permission) is opened again, or reported, by the prober when a
// target of that family appears.
struct icmp_descriptors {
  icmp_descriptor v4, v6;
  std::string v4_error, v6_error;  // why a family did not open (logged at start); empty when it did

  // Both families, each asking for receive_buffer bytes.
  static icmp_descriptors open(int receive_buffer = wanted_receive_buffer);
};

// setsockopt of one int; 0 or -1 with errno, as the call returns.
int set_socket_int(int fd, int level, int name, int value);

}  // namespace netstab::service

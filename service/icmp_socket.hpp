#pragma once
// One ICMP socket per address family, shared by every target of that family.
//
// Owns the socket descriptor, an inner epoll set watching it, and the uv poll
// handle on that epoll set. Why the inner epoll: the kernel signals a non-empty
// error queue (transmit timestamps, ICMP errors from IP_RECVERR) as EPOLLERR, and
// libuv stops a uv_poll_t for good on POLLERR. Behind an epoll descriptor the
// same readiness arrives as plain "readable", and the error queue is drained like
// the normal queue. Every readiness drains both queues until EAGAIN, with recvmmsg.
//
// Opening tries an unprivileged ICMP datagram socket first and falls back to a raw
// socket; if neither opens, the error says why and how to fix it. A socket can also be
// opened early, as an icmp_descriptor without a loop, and attached later (see below).
// Loop thread only.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/icmp.hpp"
#include "core/time.hpp"
#include "service/uv.hpp"

namespace netstab::service {

enum class socket_kind : std::uint8_t { datagram, raw };

// The receive buffer netstab asks for, in bytes: replies from many targets keep arriving while the loop is busy
// elsewhere, and what does not fit is dropped by the kernel. SO_RCVBUFFORCE grants it whatever
// net.core.rmem_max says but needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max.
inline constexpr int wanted_receive_buffer = 4 << 20;

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
  // group, else raw) and asks for receive_buffer bytes. Returns an invalid descriptor and fills error when no
  // socket opens.
  static icmp_descriptor open(core::icmp::family f, std::string& error, int receive_buffer = wanted_receive_buffer);

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
  std::string v4_error, v6_error;  // why a family did not open; empty when it did

  static icmp_descriptors open();
};

struct send_options {
  int ttl = -1;      // -1: socket default
  int tos = -1;      // -1: socket default
  int ifindex = 0;   // 0: any
  std::optional<sockaddr_storage> source;
};

// What a drain produces; handed to the owner one by one (no allocation per packet).
struct icmp_input {
  enum class kind : std::uint8_t { reply, icmp_error, tx_timestamp, local_error } what = kind::reply;
  core::icmp::decoded pkt;           // reply: the echo reply; icmp_error: the quoted request; tx_timestamp: our request
  sockaddr_storage from{};           // reply source / error offender / (tx: unset)
  std::optional<core::wall_time> kernel_ts;  // kernel receive (reply) or transmit (tx_timestamp) time, realtime clock
  int ttl = -1;
  int err = 0;                       // icmp_error / local_error: errno-style code
  std::uint8_t icmp_type = 0, icmp_code = 0;  // icmp_error: the ICMP type/code that reported it
};

class icmp_socket {
 public:
  using handler = std::function<void(const icmp_input&)>;
  // Called once per drained batch, after the handler saw each item: the moment the
  // loop "handled" the replies. Receives the monotonic time read right after recvmmsg.
  using batch_handler = std::function<void()>;

  // Opens a socket of family f. Returns nullptr and fills error when impossible.
  static std::unique_ptr<icmp_socket> open(uv_loop_t* loop, core::icmp::family f, bool tx_timestamps,
                                           std::string& error);
  // Attaches a socket opened earlier (see icmp_descriptor): sets its options and watches it on loop. Returns
  // nullptr and fills error when impossible (the descriptor is closed then).
  static std::unique_ptr<icmp_socket> open(uv_loop_t* loop, icmp_descriptor d, bool tx_timestamps,
                                           std::string& error);
  ~icmp_socket();
  icmp_socket(const icmp_socket&) = delete;
  icmp_socket& operator=(const icmp_socket&) = delete;

  // Starts watching; handler runs for every reply, error and timestamp.
  void start(handler on_input, batch_handler on_batch_end);
  // Stops watching and closes the descriptors (the poll handle is closed through libuv).
  void close();
  // Stops watching and gives the socket back, unattached (a raw one blocks every ICMP type again), so that it
  // can be attached again later with the receive buffer it was opened with. The icmp_socket is closed afterwards.
  icmp_descriptor release();

  // Sends one ICMP message. Returns 0 or a negative errno.
  int send(const sockaddr_storage& dst, std::span<const std::byte> message, const send_options& opt);

  socket_kind kind() const { return kind_; }
  core::icmp::family family() const { return family_; }
  // The identifier replies carry: raw sockets choose it, datagram sockets get the
  // kernel's (their local "port"), known after the first send.
  std::uint16_t identifier() const { return id_; }
  bool has_ip_header() const { return kind_ == socket_kind::raw && family_ == core::icmp::family::v4; }
  bool tx_timestamps() const { return tx_timestamps_; }
  std::uint64_t drained_packets() const { return drained_; }
  // The receive buffer asked for, and what the kernel granted as getsockopt(SO_RCVBUF) read it when the socket
  // was attached (twice the usable bytes; see icmp_descriptor::receive_buffer).
  int asked_receive_buffer() const { return asked_receive_buffer_; }
  int receive_buffer() const { return receive_buffer_; }

 private:
  icmp_socket(uv_loop_t* loop, icmp_descriptor d, int epfd, bool tx);
  void on_ready();
  bool drain(bool errqueue);

  int fd_ = -1;
  int epfd_ = -1;
  core::icmp::family family_;
  socket_kind kind_;
  bool tx_timestamps_;
  std::uint16_t id_ = 0;
  std::unique_ptr<poll> poll_;
  handler on_input_;
  batch_handler on_batch_end_;
  std::uint64_t drained_ = 0;
  int asked_receive_buffer_ = 0;
  int receive_buffer_ = -1;

  // recvmmsg batch storage, allocated once.
  static constexpr std::size_t batch = 32;
  static constexpr std::size_t buffer_size = 2048;
  static constexpr std::size_t control_size = 512;
  std::vector<std::byte> buffers_;
  std::vector<std::byte> controls_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_storage> addrs_;
};

// Parses an IPv4 or IPv6 literal (no DNS). Returns false if s is not a literal.
bool parse_ip_literal(const std::string& s, sockaddr_storage& out);
std::string address_text(const sockaddr_storage& a);
bool same_address(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace netstab::service

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
#include "core/result.hpp"
#include "core/time.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/icmp_descriptor.hpp"
#include "service/probe/sockaddr.hpp"

struct sock_extended_err;

namespace netstab::service {

struct send_options {
  int ttl = -1;     // -1: socket default
  int tos = -1;     // -1: socket default
  int ifindex = 0;  // 0: any
  std::optional<sock_address> source;
};

// One message of a burst (icmp_socket::send_burst); what it points at must live until send_burst returns.
struct outgoing {
  const sock_address* dst;
  std::span<const std::byte> message;
  const send_options* opt;
};

// What a drain produces; handed to the owner one by one (no allocation per packet).
struct icmp_input {
  enum class kind : std::uint8_t { reply, icmp_error, tx_timestamp, local_error } what = kind::reply;
  core::icmp::decoded pkt;  // reply: the echo reply; icmp_error: the quoted request; tx_timestamp: our request
  sockaddr_storage from{};  // reply source / error offender / (tx: unset)
  std::optional<core::wall_time> kernel_ts;  // kernel receive (reply) or transmit (tx_timestamp) time, realtime clock
  int ttl = -1;
  int err = 0;                                // icmp_error / local_error: errno-style code
  std::uint8_t icmp_type = 0, icmp_code = 0;  // icmp_error: the ICMP type/code that reported it
};

class icmp_socket {
 public:
  using handler = std::function<void(const icmp_input&)>;
  // Called once per drained batch, after the handler saw each item.
  using batch_handler = std::function<void()>;

  // Opens a socket of family f, or says why it can't (and how to fix a missing permission).
  static core::result<std::unique_ptr<icmp_socket>> open(uv_loop_t* loop, core::icmp::family f, bool tx_timestamps);
  // Attaches a socket opened earlier (see icmp_descriptor): sets its options and watches it on loop. On failure
  // the descriptor is closed.
  static core::result<std::unique_ptr<icmp_socket>> open(uv_loop_t* loop, icmp_descriptor d, bool tx_timestamps);
  ~icmp_socket();
  icmp_socket(const icmp_socket&) = delete;
  icmp_socket& operator=(const icmp_socket&) = delete;

  // Starts watching; handler runs for every reply, error and timestamp. on_peek, when set, sees every item of a
  // received batch before on_input sees the first of them, so that the owner can start fetching the state the
  // items will touch (their targets) while it handles the ones before.
  core::result<void> start(handler on_input, batch_handler on_batch_end, handler on_peek = {});
  // Stops watching and closes the descriptors (the poll handle is closed through libuv).
  void close();
  // Stops watching and gives the socket back, unattached (a raw one blocks every ICMP type again), so that it
  // can be attached again later with the receive buffer it was opened with. The icmp_socket is closed afterwards.
  icmp_descriptor release();

  // Sends one ICMP message; the error says why the kernel refused it ("send failed: Network is unreachable").
  core::result<void> send(const sock_address& dst, std::span<const std::byte> message, const send_options& opt);
  // Sends the messages in order with one sendmmsg call per max_burst (plus one per refusal); refused(i, why)
  // names each message the kernel refused, and the rest still go out.
  using refused_fn = std::function<void(std::size_t, const std::string&)>;
  void send_burst(std::span<const outgoing> burst, const refused_fn& refused);

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
  void prepare_batch();
  bool drain(bool errqueue);
  void fill(const outgoing& m, msghdr& h, iovec& iov, std::byte* control) const;
  void learn_identifier();
  static const sock_extended_err* read_control(const msghdr& h, icmp_input& in);
  bool from_error_queue(std::span<const std::byte> data, const sock_extended_err* ee, icmp_input& in) const;
  bool from_normal_queue(std::span<const std::byte> data, icmp_input& in);

  int fd_ = -1;
  int epfd_ = -1;
  core::icmp::family family_;
  socket_kind kind_;
  bool tx_timestamps_;
  std::uint16_t id_ = 0;
  std::unique_ptr<poll> poll_;
  handler on_input_;
  batch_handler on_batch_end_;
  handler on_peek_;
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
  std::vector<icmp_input> inputs_;  // a batch's items that are ours, decoded before any is handed on

  // sendmmsg storage, grown to the largest burst and reused.
  static constexpr std::size_t max_burst = 1024;  // UIO_MAXIOV: the most one sendmmsg call takes
  static constexpr std::size_t outgoing_control_size =
      CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(sizeof(in6_pktinfo));  // TTL, TOS and packet info
  std::vector<mmsghdr> out_msgs_;
  std::vector<iovec> out_iovs_;
  std::vector<std::byte> out_controls_;
};

}  // namespace netstab::service

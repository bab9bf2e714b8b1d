#include "service/probe/icmp_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/net_tstamp.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

namespace netstab::service {

namespace icmp = core::icmp;

namespace {

core::wall_time to_wall(const timespec& ts) {
  return core::nanos{static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec};
}

// Finds netstab's payload block in a message the kernel looped back (transmit
// timestamps carry the packet from the link-layer header on, whose length depends
// on the device) and fills token/seq32/cookie.
bool find_payload_block(std::span<const std::byte> data, icmp::decoded& out) {
  const std::size_t limit = std::min<std::size_t>(data.size(), 160);
  for (std::size_t i = icmp::header_size; i + icmp::payload_header_size <= data.size() && i < limit; ++i) {
    if (std::equal(icmp::magic.begin(), icmp::magic.end(), data.begin() + static_cast<std::ptrdiff_t>(i))) {
      const std::byte* p = data.data() + i + 4;
      out.cookie = icmp::load_be64(p);
      out.token = icmp::load_be32(p + 8);
      out.seq32 = icmp::load_be32(p + 12);
      out.id = icmp::load_be16(data.data() + i - 4);
      out.seq16 = icmp::load_be16(data.data() + i - 2);
      out.has_netstab_payload = true;
      return true;
    }
  }
  return false;
}

}  // namespace

core::result<std::unique_ptr<icmp_socket>> icmp_socket::open(uv_loop_t* loop, icmp::family f, bool tx_timestamps) {
  auto d = icmp_descriptor::open(f);
  if (!d) return core::error{d.message()};
  return open(loop, std::move(*d), tx_timestamps);
}

core::result<std::unique_ptr<icmp_socket>> icmp_socket::open(uv_loop_t* loop, icmp_descriptor d, bool tx_timestamps) {
  if (!d.valid()) return core::error{"no ICMP socket to attach"};
  const int fd = d.fd();
  const icmp::family f = d.family();
  const socket_kind kind = d.kind();

  // Kernel timestamps: software receive always; transmit when asked (one error-queue message per probe,
  // which the drain batches). The transmit stamp is the one taken as the packet enters the device layer
  // (TX_SCHED), in the send call's own context, not the driver's (TX_SOFTWARE): drivers take that one where
  // they like, and some take it late. TUN stamps a packet when its reader picks it up, which made the RTT of
  // an emulated path come out short by up to one scheduler tick.
  unsigned ts_flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  if (tx_timestamps) ts_flags |= SOF_TIMESTAMPING_TX_SCHED;
  if (set_socket_int(fd, SOL_SOCKET, SO_TIMESTAMPING, static_cast<int>(ts_flags)) != 0) {
    tx_timestamps = false;
    set_socket_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
  }
  if (f == icmp::family::v4) {
    set_socket_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
    // Datagram sockets report ICMP errors through the error queue; raw sockets
    // receive the ICMP error messages themselves, so the queue would count them twice.
    if (kind == socket_kind::datagram) set_socket_int(fd, IPPROTO_IP, IP_RECVERR, 1);
    if (kind == socket_kind::raw) {
      // Only echo replies and the errors that quote our requests reach the socket.
      std::uint32_t mask = ~((1U << ICMP_ECHOREPLY) | (1U << ICMP_DEST_UNREACH) | (1U << ICMP_TIME_EXCEEDED));
      ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &mask, sizeof mask);
    }
  } else {
    set_socket_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    if (kind == socket_kind::datagram) set_socket_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
    if (kind == socket_kind::raw) {
      icmp6_filter filter;
      ICMP6_FILTER_SETBLOCKALL(&filter);
      ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
      ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
      ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filter);
      ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
    }
  }

  const int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    return core::error{std::string("epoll_create1: ") + std::strerror(errno)};
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int e = errno;
    ::close(epfd);
    return core::error{std::string("epoll_ctl: ") + std::strerror(e)};
  }
  return std::unique_ptr<icmp_socket>(new icmp_socket(loop, std::move(d), epfd, tx_timestamps));
}

icmp_socket::icmp_socket(uv_loop_t* loop, icmp_descriptor d, int epfd, bool tx)
    : fd_(std::exchange(d.fd_, -1)),
      epfd_(epfd),
      family_(d.family_),
      kind_(d.kind_),
      tx_timestamps_(tx),
      poll_(std::make_unique<poll>(loop, epfd)),
      asked_receive_buffer_(d.asked_) {
  int granted = 0;
  socklen_t len = sizeof granted;
  if (::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &granted, &len) == 0) receive_buffer_ = granted;
  if (kind_ == socket_kind::raw) {
    std::random_device rd;
    id_ = static_cast<std::uint16_t>(rd() & 0xffffU);
  }
  buffers_.resize(batch * buffer_size);
  controls_.resize(batch * control_size);
  msgs_.resize(batch);
  iovs_.resize(batch);
  addrs_.resize(batch);
  inputs_.resize(batch);
}

icmp_socket::~icmp_socket() { close(); }

icmp_descriptor icmp_socket::release() {
  if (poll_) {
    poll_->close();
    poll_.reset();
  }
  if (epfd_ >= 0) ::close(epfd_);
  epfd_ = -1;
  if (fd_ < 0) return {};
  if (kind_ == socket_kind::raw) icmp_descriptor::block_every_type(fd_, family_);
  return icmp_descriptor(std::exchange(fd_, -1), family_, kind_, asked_receive_buffer_);
}

core::result<void> icmp_socket::start(handler on_input, batch_handler on_batch_end, handler on_peek) {
  on_input_ = std::move(on_input);
  on_batch_end_ = std::move(on_batch_end);
  on_peek_ = std::move(on_peek);
  return poll_->start(UV_READABLE, [this](int status, int) {
    if (status < 0) return;  // the epoll descriptor itself cannot fail this way; ignore defensively
    on_ready();
  });
}

void icmp_socket::close() {
  if (poll_) {
    poll_->close();
    poll_.reset();
  }
  if (epfd_ >= 0) ::close(epfd_);
  if (fd_ >= 0) ::close(fd_);
  epfd_ = fd_ = -1;
}

void icmp_socket::on_ready() {
  // Transmit timestamps and errors first: they precede the replies they belong to.
  bool any = false;
  while (drain(true)) any = true;
  while (drain(false)) any = true;
  if (any && on_batch_end_) on_batch_end_();
}

void icmp_socket::prepare_batch() {
  for (std::size_t i = 0; i < batch; ++i) {
    iovs_[i] = iovec{buffers_.data() + i * buffer_size, buffer_size};
    msghdr& h = msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &addrs_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    h.msg_control = controls_.data() + i * control_size;
    h.msg_controllen = control_size;
    msgs_[i].msg_len = 0;
  }
}

bool icmp_socket::drain(bool errqueue) {
  prepare_batch();
  const int n = ::recvmmsg(fd_, msgs_.data(), batch, MSG_DONTWAIT | (errqueue ? MSG_ERRQUEUE : 0), nullptr);
  if (n <= 0) {
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && !errqueue) {
      // A pending socket error (e.g. ECONNREFUSED from an ICMP error) is returned once by
      // the normal queue; its details come through the error queue. Keep draining.
      return errno != EBADF && errno != ENOTSOCK && errno != EINVAL && errno != EFAULT;
    }
    return false;
  }
  std::size_t ours = 0;
  for (std::size_t idx = 0; idx < static_cast<std::size_t>(n); ++idx) {
    std::span<const std::byte> data(buffers_.data() + idx * buffer_size,
                                    std::min<std::size_t>(msgs_[idx].msg_len, buffer_size));
    icmp_input& in = inputs_[ours];
    in = icmp_input{};
    in.from = addrs_[idx];
    const sock_extended_err* ee = read_control(msgs_[idx].msg_hdr, in);
    ++drained_;
    if (errqueue ? from_error_queue(data, ee, in) : from_normal_queue(data, in)) ++ours;
  }
  if (on_peek_) {
    for (std::size_t i = 0; i < ours; ++i) on_peek_(inputs_[i]);
  }
  for (std::size_t i = 0; i < ours; ++i) on_input_(inputs_[i]);
  return static_cast<std::size_t>(n) == batch;
}

// The ancillary data of one message: kernel timestamp, TTL, and the extended error of an error-queue message.
const sock_extended_err* icmp_socket::read_control(const msghdr& h, icmp_input& in) {
  const sock_extended_err* ee = nullptr;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
      scm_timestamping ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      if (ts.ts[0].tv_sec != 0 || ts.ts[0].tv_nsec != 0) in.kernel_ts = to_wall(ts.ts[0]);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      in.kernel_ts = to_wall(ts);
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      int v = -1;
      std::memcpy(&v, CMSG_DATA(c), sizeof v);
      in.ttl = v;
    } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
               (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
      ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
    }
  }
  return ee;
}

// A transmit timestamp, or (datagram sockets) an ICMP error or local error quoting one of our probes, with the
// offender's address. False for what is not ours.
bool icmp_socket::from_error_queue(std::span<const std::byte> data, const sock_extended_err* ee, icmp_input& in) const {
  if (ee == nullptr) return false;
  if (ee->ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
    in.what = icmp_input::kind::tx_timestamp;
    return find_payload_block(data, in.pkt) && in.kernel_ts;
  }
  in.what = ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6 ? icmp_input::kind::icmp_error
                                                                                      : icmp_input::kind::local_error;
  in.err = static_cast<int>(ee->ee_errno);
  in.icmp_type = ee->ee_type;
  in.icmp_code = ee->ee_code;
  // msg_name (in.from until the offender replaces it) holds the original destination.
  if (in.from.ss_family == AF_INET) {
    std::memcpy(in.pkt.quoted_dst.data(), &reinterpret_cast<const sockaddr_in*>(&in.from)->sin_addr, 4);
  } else if (in.from.ss_family == AF_INET6) {
    std::memcpy(in.pkt.quoted_dst.data(), &reinterpret_cast<const sockaddr_in6*>(&in.from)->sin6_addr, 16);
  }
  in.from = sockaddr_storage{};
  const auto* offender = SO_EE_OFFENDER(ee);
  if (offender->sa_family == AF_INET) {
    std::memcpy(&in.from, offender, sizeof(sockaddr_in));
  } else if (offender->sa_family == AF_INET6) {
    std::memcpy(&in.from, offender, sizeof(sockaddr_in6));
  }
  if (!find_payload_block(data, in.pkt)) {
    // A quote that ends before the payload block (a router that quotes only 8 bytes): the ICMP header alone
    // still says which probe, by its 16-bit sequence (the prober matches it to a path probe).
    const std::uint8_t echo_type = family_ == icmp::family::v4 ? icmp::v4_echo_request : icmp::v6_echo_request;
    if (in.what != icmp_input::kind::icmp_error || data.size() < icmp::header_size ||
        std::to_integer<std::uint8_t>(data[0]) != echo_type || icmp::load_be16(data.data() + 4) != id_) {
      return false;
    }
    in.pkt.id = icmp::load_be16(data.data() + 4);
    in.pkt.seq16 = icmp::load_be16(data.data() + 6);
  }
  const int time_exceeded = ee->ee_origin == SO_EE_ORIGIN_ICMP ? 11 : 3;
  in.pkt.what = ee->ee_type == time_exceeded ? icmp::kind::time_exceeded : icmp::kind::dest_unreachable;
  in.pkt.has_quoted_echo = true;
  return true;
}

// An echo reply, or (raw sockets) an ICMP error quoting one of our requests. False for what is not ours.
bool icmp_socket::from_normal_queue(std::span<const std::byte> data, icmp_input& in) {
  auto res = icmp::decode(family_, data, has_ip_header());
  if (!res) return false;  // malformed: not ours to report, never fatal
  in.pkt = *res;
  if (in.ttl < 0) in.ttl = in.pkt.ttl;
  if (in.pkt.what == icmp::kind::echo_reply) {
    in.what = icmp_input::kind::reply;
  } else if (in.pkt.what == icmp::kind::dest_unreachable || in.pkt.what == icmp::kind::time_exceeded) {
    if (!in.pkt.has_quoted_echo) return false;
    in.what = icmp_input::kind::icmp_error;
    in.icmp_type = in.pkt.type;
    in.icmp_code = in.pkt.code;
  } else {
    return false;
  }
  // Raw sockets see every process's ICMP: only our identifier is ours.
  return kind_ != socket_kind::raw || in.pkt.id == id_;
}

}  // namespace netstab::service

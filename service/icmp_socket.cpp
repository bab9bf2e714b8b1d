#include "service/icmp_socket.hpp"

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

int set_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

core::wall_time to_wall(const timespec& ts) {
  return core::nanos{static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec};
}

std::string open_error_text(icmp::family f, int dgram_errno, int raw_errno) {
  const std::string fam = f == icmp::family::v4 ? "ICMP" : "ICMPv6";
  std::string msg = "cannot open an " + fam + " socket: unprivileged ICMP sockets were refused (" +
                    std::strerror(dgram_errno) + ") and raw sockets were refused (" + std::strerror(raw_errno) +
                    "). Fix one of: allow unprivileged ICMP for your group with "
                    "`sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` (this sysctl covers IPv6 too), "
                    "or give netstab CAP_NET_RAW (`sudo setcap cap_net_raw+ep $(command -v netstab)`, or "
                    "AmbientCapabilities=CAP_NET_RAW under systemd, or `--cap-add NET_RAW` in Docker).";
  if (dgram_errno == EAFNOSUPPORT || raw_errno == EAFNOSUPPORT) {
    msg = "cannot open an " + fam + " socket: the address family is not supported on this host (" +
          std::strerror(EAFNOSUPPORT) + ")";
  }
  return msg;
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

// A raw ICMP socket receives every ICMP message the host receives that its filter passes. One that is not
// attached to the loop (opened early, or released by a stopped prober) passes none, so that nothing queues up
// in it while no one reads.
void block_every_type(int fd, icmp::family f) {
  if (f == icmp::family::v4) {
    const std::uint32_t mask = ~0U;
    ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &mask, sizeof mask);
  } else {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
}

}  // namespace

icmp_descriptor::~icmp_descriptor() { close(); }

icmp_descriptor::icmp_descriptor(icmp_descriptor&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), family_(o.family_), kind_(o.kind_), asked_(o.asked_) {}

icmp_descriptor& icmp_descriptor::operator=(icmp_descriptor&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    family_ = o.family_;
    kind_ = o.kind_;
    asked_ = o.asked_;
  }
  return *this;
}

void icmp_descriptor::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int icmp_descriptor::receive_buffer() const {
  int value = 0;
  socklen_t len = sizeof value;
  if (fd_ < 0 || ::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &value, &len) != 0) return -1;
  return value;
}

icmp_descriptor icmp_descriptor::open(icmp::family f, std::string& error, int receive_buffer) {
  const int domain = f == icmp::family::v4 ? AF_INET : AF_INET6;
  const int proto = f == icmp::family::v4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
  socket_kind kind = socket_kind::datagram;
  int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    const int dgram_errno = errno;
    fd = ::socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) {
      error = open_error_text(f, dgram_errno, errno);
      return {};
    }
    kind = socket_kind::raw;
    block_every_type(fd, f);
  }
  // SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN, which is why start-up opens the sockets
  // before it drops its capabilities. Without it, SO_RCVBUF grants at most rmem_max; the prober reports a
  // shortfall when it attaches the socket.
  if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer) != 0) set_int(fd, SOL_SOCKET, SO_RCVBUF, receive_buffer);
  return icmp_descriptor(fd, f, kind, receive_buffer);
}

icmp_descriptors icmp_descriptors::open() {
  icmp_descriptors d;
  d.v4 = icmp_descriptor::open(icmp::family::v4, d.v4_error);
  d.v6 = icmp_descriptor::open(icmp::family::v6, d.v6_error);
  return d;
}

std::unique_ptr<icmp_socket> icmp_socket::open(uv_loop_t* loop, icmp::family f, bool tx_timestamps,
                                               std::string& error) {
  icmp_descriptor d = icmp_descriptor::open(f, error);
  if (!d.valid()) return nullptr;
  return open(loop, std::move(d), tx_timestamps, error);
}

std::unique_ptr<icmp_socket> icmp_socket::open(uv_loop_t* loop, icmp_descriptor d, bool tx_timestamps,
                                               std::string& error) {
  if (!d.valid()) {
    error = "no ICMP socket to attach";
    return nullptr;
  }
  const int fd = d.fd();
  const icmp::family f = d.family();
  const socket_kind kind = d.kind();

  // Kernel timestamps: software receive always; transmit when asked (one error-queue message per probe,
  // which the drain batches). The transmit stamp is the one taken as the packet enters the device layer
  // (TX_SCHED), in the send call's own context, not the driver's (TX_SOFTWARE): drivers take that one where
  // they like, and some take it late. TUN on Linux 6.18 stamps a packet when its reader picks it up, which
  // made the RTT of an emulated 10..20 ms path come out up to one scheduler tick (3.5 ms) short.
  unsigned ts_flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  if (tx_timestamps) ts_flags |= SOF_TIMESTAMPING_TX_SCHED;
  if (set_int(fd, SOL_SOCKET, SO_TIMESTAMPING, static_cast<int>(ts_flags)) != 0) {
    tx_timestamps = false;
    set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
  }
  if (f == icmp::family::v4) {
    set_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
    // Datagram sockets report ICMP errors through the error queue; raw sockets
    // receive the ICMP error messages themselves, so the queue would count them twice.
    if (kind == socket_kind::datagram) set_int(fd, IPPROTO_IP, IP_RECVERR, 1);
    if (kind == socket_kind::raw) {
      // Only echo replies and the errors that quote our requests reach the socket.
      std::uint32_t mask = ~((1U << ICMP_ECHOREPLY) | (1U << ICMP_DEST_UNREACH) | (1U << ICMP_TIME_EXCEEDED));
      ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &mask, sizeof mask);
    }
  } else {
    set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
    if (kind == socket_kind::datagram) set_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
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
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return nullptr;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    error = std::string("epoll_ctl: ") + std::strerror(errno);
    ::close(epfd);
    return nullptr;
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
  if (kind_ == socket_kind::raw) block_every_type(fd_, family_);
  return icmp_descriptor(std::exchange(fd_, -1), family_, kind_, asked_receive_buffer_);
}

void icmp_socket::start(handler on_input, batch_handler on_batch_end) {
  on_input_ = std::move(on_input);
  on_batch_end_ = std::move(on_batch_end);
  poll_->start(UV_READABLE, [this](int status, int) {
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

int icmp_socket::send(const sockaddr_storage& dst, std::span<const std::byte> message, const send_options& opt) {
  // Per-target TTL/TOS, source and interface travel as ancillary data, because the
  // socket is shared by every target of the family.
  alignas(cmsghdr) std::byte control[CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(sizeof(in6_pktinfo))]{};
  msghdr msg{};
  iovec iov{const_cast<std::byte*>(message.data()), message.size()};
  msg.msg_name = const_cast<sockaddr_storage*>(&dst);
  msg.msg_namelen = family_ == icmp::family::v4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::size_t used = 0;
  auto add = [&](int level, int type, const void* data, std::size_t len) {
    auto* c = reinterpret_cast<cmsghdr*>(control + used);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(len);
    std::memcpy(CMSG_DATA(c), data, len);
    used += CMSG_SPACE(len);
  };
  if (family_ == icmp::family::v4) {
    if (opt.ttl >= 0) add(IPPROTO_IP, IP_TTL, &opt.ttl, sizeof(int));
    if (opt.tos >= 0) add(IPPROTO_IP, IP_TOS, &opt.tos, sizeof(int));
    if (opt.ifindex != 0 || opt.source) {
      in_pktinfo pi{};
      pi.ipi_ifindex = opt.ifindex;
      if (opt.source) pi.ipi_spec_dst = reinterpret_cast<const sockaddr_in*>(&*opt.source)->sin_addr;
      add(IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
    }
  } else {
    if (opt.ttl >= 0) add(IPPROTO_IPV6, IPV6_HOPLIMIT, &opt.ttl, sizeof(int));
    if (opt.tos >= 0) add(IPPROTO_IPV6, IPV6_TCLASS, &opt.tos, sizeof(int));
    if (opt.ifindex != 0 || opt.source) {
      in6_pktinfo pi{};
      pi.ipi6_ifindex = static_cast<unsigned>(opt.ifindex);
      if (opt.source) pi.ipi6_addr = reinterpret_cast<const sockaddr_in6*>(&*opt.source)->sin6_addr;
      add(IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
    }
  }
  if (used > 0) {
    msg.msg_control = control;
    msg.msg_controllen = used;
  }
  const ssize_t n = ::sendmsg(fd_, &msg, MSG_DONTWAIT);
  if (n < 0) return -errno;
  if (kind_ == socket_kind::datagram && id_ == 0) {
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      id_ = ntohs(family_ == icmp::family::v4 ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                              : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    }
  }
  return 0;
}

void icmp_socket::on_ready() {
  // Transmit timestamps and errors first: they precede the replies they belong to.
  bool any = false;
  while (drain(true)) any = true;
  while (drain(false)) any = true;
  if (any && on_batch_end_) on_batch_end_();
}

bool icmp_socket::drain(bool errqueue) {
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
  const int n = ::recvmmsg(fd_, msgs_.data(), batch, MSG_DONTWAIT | (errqueue ? MSG_ERRQUEUE : 0), nullptr);
  if (n <= 0) {
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && !errqueue) {
      // A pending socket error (e.g. ECONNREFUSED from an ICMP error) is returned once by
      // the normal queue; its details come through the error queue. Keep draining.
      return errno != EBADF && errno != ENOTSOCK && errno != EINVAL && errno != EFAULT;
    }
    return false;
  }
  for (int i = 0; i < n; ++i) {
    const auto idx = static_cast<std::size_t>(i);
    const msghdr& h = msgs_[idx].msg_hdr;
    std::span<const std::byte> data(buffers_.data() + idx * buffer_size,
                                    std::min<std::size_t>(msgs_[idx].msg_len, buffer_size));
    icmp_input in;
    in.from = addrs_[idx];
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
    ++drained_;
    if (errqueue) {
      if (ee == nullptr) continue;
      if (ee->ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
        in.what = icmp_input::kind::tx_timestamp;
        if (!find_payload_block(data, in.pkt) || !in.kernel_ts) continue;
      } else {
        in.what = ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6
                      ? icmp_input::kind::icmp_error
                      : icmp_input::kind::local_error;
        in.err = static_cast<int>(ee->ee_errno);
        in.icmp_type = ee->ee_type;
        in.icmp_code = ee->ee_code;
        const auto* offender = SO_EE_OFFENDER(ee);
        if (offender->sa_family == AF_INET) {
          std::memcpy(&in.from, offender, sizeof(sockaddr_in));
        } else if (offender->sa_family == AF_INET6) {
          std::memcpy(&in.from, offender, sizeof(sockaddr_in6));
        }
        if (!find_payload_block(data, in.pkt)) continue;
        in.pkt.what = ee->ee_origin == SO_EE_ORIGIN_ICMP ? (ee->ee_type == 11 ? icmp::kind::time_exceeded
                                                                                : icmp::kind::dest_unreachable)
                                                          : (ee->ee_type == 3 ? icmp::kind::time_exceeded
                                                                              : icmp::kind::dest_unreachable);
        in.pkt.has_quoted_echo = true;
      }
      on_input_(in);
      continue;
    }
    auto res = icmp::decode(family_, data, has_ip_header());
    if (!res) continue;  // malformed: not ours to report, never fatal
    in.pkt = *res;
    if (in.ttl < 0) in.ttl = in.pkt.ttl;
    if (in.pkt.what == icmp::kind::echo_reply) {
      in.what = icmp_input::kind::reply;
    } else if (in.pkt.what == icmp::kind::dest_unreachable || in.pkt.what == icmp::kind::time_exceeded) {
      if (!in.pkt.has_quoted_echo) continue;
      in.what = icmp_input::kind::icmp_error;
      in.icmp_type = in.pkt.type;
      in.icmp_code = in.pkt.code;
    } else {
      continue;
    }
    // Raw sockets see every process's ICMP: only our identifier is ours.
    if (kind_ == socket_kind::raw && in.pkt.id != id_) continue;
    on_input_(in);
  }
  return static_cast<std::size_t>(n) == batch;
}

bool parse_ip_literal(const std::string& s, sockaddr_storage& out) {
  out = sockaddr_storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (::inet_pton(AF_INET, s.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return true;
  }
  out = sockaddr_storage{};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  std::string host = s;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    return true;
  }
  return false;
}

std::string address_text(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, buf, sizeof buf);
  } else if (a.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

bool same_address(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&a)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&b)->sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&b)->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

}  // namespace netstab::service

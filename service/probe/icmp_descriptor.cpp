#include "service/probe/icmp_descriptor.hpp"

#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace netstab::service {

namespace icmp = core::icmp;

namespace {

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

}  // namespace

int set_socket_int(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value);
}

void icmp_descriptor::block_every_type(int fd, icmp::family f) {
  if (f == icmp::family::v4) {
    const std::uint32_t mask = ~0U;
    ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &mask, sizeof mask);
  } else {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
}

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

core::result<icmp_descriptor> icmp_descriptor::open(icmp::family f, int receive_buffer) {
  const int domain = f == icmp::family::v4 ? AF_INET : AF_INET6;
  const int proto = f == icmp::family::v4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
  socket_kind kind = socket_kind::datagram;
  int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    const int dgram_errno = errno;
    fd = ::socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) return core::error{open_error_text(f, dgram_errno, errno)};
    kind = socket_kind::raw;
    icmp_descriptor::block_every_type(fd, f);
  }
  // SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN, which is why start-up opens the sockets
  // before it drops its capabilities. Without it, SO_RCVBUF grants at most rmem_max; the prober reports a
  // shortfall when it attaches the socket.
  if (set_socket_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer) != 0)
    set_socket_int(fd, SOL_SOCKET, SO_RCVBUF, receive_buffer);
  return icmp_descriptor(fd, f, kind, receive_buffer);
}

int receive_buffer_for(double probes_per_second) {
  constexpr double hold_s = 0.4;
  constexpr double most = 64 << 20;
  const double wanted = std::clamp(probes_per_second * hold_s * charge_per_probe, double{wanted_receive_buffer}, most);
  return static_cast<int>(wanted);
}

icmp_descriptors icmp_descriptors::open(int receive_buffer) {
  icmp_descriptors d;
  for (const auto f : {icmp::family::v4, icmp::family::v6}) {
    auto opened = icmp_descriptor::open(f, receive_buffer);
    auto& slot = f == icmp::family::v4 ? d.v4 : d.v6;
    auto& error = f == icmp::family::v4 ? d.v4_error : d.v6_error;
    if (opened) {
      slot = std::move(*opened);
    } else {
      error = opened.message();
    }
  }
  return d;
}

}  // namespace netstab::service

// The send side of icmp_socket: one message (sendmsg) or a burst (sendmmsg). Per-target TTL/TOS, source and
// interface travel as ancillary data, because the socket is shared by every target of its family.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "service/probe/icmp_socket.hpp"

namespace netstab::service {

namespace icmp = core::icmp;

// Fills h, iov and control (outgoing_control_size bytes) for one message; the message keeps pointing at dst and
// at the bytes.
void icmp_socket::fill(const outgoing& m, msghdr& h, iovec& iov, std::byte* control) const {
  h = msghdr{};
  iov = iovec{const_cast<std::byte*>(m.message.data()), m.message.size()};
  h.msg_name = const_cast<sockaddr*>(m.dst->get());
  h.msg_namelen = family_ == icmp::family::v4 ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  std::size_t used = 0;
  auto add = [&](int level, int type, const void* data, std::size_t len) {
    auto* c = reinterpret_cast<cmsghdr*>(control + used);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(len);
    std::memcpy(CMSG_DATA(c), data, len);
    used += CMSG_SPACE(len);
  };
  const send_options& opt = *m.opt;
  if (family_ == icmp::family::v4) {
    if (opt.ttl >= 0) add(IPPROTO_IP, IP_TTL, &opt.ttl, sizeof(int));
    if (opt.tos >= 0) add(IPPROTO_IP, IP_TOS, &opt.tos, sizeof(int));
    if (opt.ifindex != 0 || opt.source) {
      in_pktinfo pi{};
      pi.ipi_ifindex = opt.ifindex;
      if (opt.source) pi.ipi_spec_dst = opt.source->v4().sin_addr;
      add(IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
    }
  } else {
    if (opt.ttl >= 0) add(IPPROTO_IPV6, IPV6_HOPLIMIT, &opt.ttl, sizeof(int));
    if (opt.tos >= 0) add(IPPROTO_IPV6, IPV6_TCLASS, &opt.tos, sizeof(int));
    if (opt.ifindex != 0 || opt.source) {
      in6_pktinfo pi{};
      pi.ipi6_ifindex = static_cast<unsigned>(opt.ifindex);
      if (opt.source) pi.ipi6_addr = opt.source->raw.sin6_addr;
      add(IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
    }
  }
  if (used > 0) {
    h.msg_control = control;
    h.msg_controllen = used;
  }
}

// A datagram socket's identifier is its local "port", which the kernel chooses at the first send.
void icmp_socket::learn_identifier() {
  if (kind_ != socket_kind::datagram || id_ != 0) return;
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    id_ = ntohs(family_ == icmp::family::v4 ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                            : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  }
}

core::result<void> icmp_socket::send(const sock_address& dst, std::span<const std::byte> message,
                                     const send_options& opt) {
  alignas(cmsghdr) std::byte control[outgoing_control_size]{};
  msghdr msg{};
  iovec iov{};
  fill(outgoing{&dst, message, &opt}, msg, iov, control);
  if (::sendmsg(fd_, &msg, MSG_DONTWAIT) < 0) return core::error{std::string("send failed: ") + std::strerror(errno)};
  learn_identifier();
  return core::success();
}

void icmp_socket::send_burst(std::span<const outgoing> burst, const refused_fn& refused) {
  const std::size_t n = burst.size();
  if (out_msgs_.size() < n) {
    out_msgs_.resize(n);
    out_iovs_.resize(n);
    out_controls_.resize(n * outgoing_control_size);
  }
  for (std::size_t i = 0; i < n; ++i) {
    fill(burst[i], out_msgs_[i].msg_hdr, out_iovs_[i], out_controls_.data() + i * outgoing_control_size);
  }
  // sendmmsg stops at the first message the kernel refuses and reports how many went before it; called again
  // from that message, it fails with that message's errno. So each refusal costs one more call, and the rest of
  // the burst still goes out.
  std::size_t i = 0;
  bool any = false;
  while (i < n) {
    const auto left = static_cast<unsigned>(std::min<std::size_t>(n - i, max_burst));
    const int sent = ::sendmmsg(fd_, out_msgs_.data() + i, left, MSG_DONTWAIT);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) {
      refused(i, std::string("send failed: ") + (sent < 0 ? std::strerror(errno) : "nothing sent"));
      ++i;
      continue;
    }
    any = any || sent > 0;
    i += static_cast<std::size_t>(sent);
  }
  if (any) learn_identifier();
}

}  // namespace netstab::service

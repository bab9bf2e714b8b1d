#include "tests/netlab/chain_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace netstab::netlab {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::size_t payload_size = 32;

std::string error_text(const std::string& what) { return "chain_prober: " + what + ": " + std::strerror(errno); }

// Opens the raw socket from a thread that first enters the namespace: setns changes only the calling thread,
// and the socket stays in the namespace it was made in after the thread ends.
int open_in_namespace(const std::string& netns, ip_family f) {
  int fd = -1;
  std::string error;
  std::thread([&] {
    const int ns = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {
      error = error_text("enter " + netns);
    } else {
      fd = f == ip_family::v4 ? ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP)
                              : ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
      if (fd < 0) {
        error = error_text("raw socket");
      }
    }
    if (ns >= 0) {
      ::close(ns);
    }
  }).join();
  if (fd < 0) {
    throw std::runtime_error(error);
  }
  return fd;
}

std::uint16_t checksum(const std::uint8_t* data, std::size_t size) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  }
  if (size % 2 == 1) {
    sum += static_cast<std::uint32_t>(data[size - 1] << 8);
  }
  while (sum >> 16 != 0) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum);
}

std::chrono::nanoseconds realtime_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// When the kernel received the datagram (SO_TIMESTAMPNS), or now when it gave no stamp.
std::chrono::nanoseconds arrival(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    }
  }
  return realtime_now();
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// The identifier and sequence of the echo request an answer is about: the echo reply's own, or those of the
// request quoted in an ICMP error (after the error's 8-byte header: the original IP header, then its ICMP
// header). v4 datagrams start with the IP header; v6 ones with the ICMPv6 header.
struct parsed {
  answer_kind kind = answer_kind::none;
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
};

parsed parse(ip_family f, const std::uint8_t* p, std::size_t n) {
  if (f == ip_family::v4) {
    if (n < 20) {
      return {};
    }
    const std::size_t ihl = (p[0] & 0x0fU) * 4U;
    p += ihl;
    n = n > ihl ? n - ihl : 0;
  }
  if (n < 8) {
    return {};
  }
  const bool v4 = f == ip_family::v4;
  const std::uint8_t type = p[0];
  if (type == (v4 ? 0 : ICMP6_ECHO_REPLY)) {
    return {answer_kind::echo_reply, be16(p + 4), be16(p + 6)};
  }
  const answer_kind kind = type == (v4 ? 11 : ICMP6_TIME_EXCEEDED) ? answer_kind::time_exceeded
                           : type == (v4 ? 3 : ICMP6_DST_UNREACH)  ? answer_kind::unreachable
                                                                   : answer_kind::none;
  const std::size_t inner_ip = v4 && n >= 9 ? (p[8] & 0x0fU) * 4U : 40U;
  if (kind == answer_kind::none || n < 8 + inner_ip + 8) {
    return {};
  }
  const std::uint8_t* inner = p + 8 + inner_ip;
  return {kind, be16(inner + 4), be16(inner + 6)};
}

}  // namespace

chain_prober::chain_prober(const chain& c, node from, ip_family f)
    : family_(f), fd_(open_in_namespace(c.netns(from), f)) {
  static std::atomic<std::uint16_t> counter{0};
  const int on = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  id_ = static_cast<std::uint16_t>(::getpid() * 31 + counter++);
  if (f == ip_family::v6) {
    icmp6_filter filter{};
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
    ::setsockopt(fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
}

chain_prober::~chain_prober() { ::close(fd_); }

std::chrono::nanoseconds chain_prober::send(const std::string& dst, int ttl, std::uint16_t seq) {
  std::array<std::uint8_t, 8 + payload_size> msg{};
  msg[0] = family_ == ip_family::v4 ? 8 : ICMP6_ECHO_REQUEST;
  msg[4] = static_cast<std::uint8_t>(id_ >> 8);
  msg[5] = static_cast<std::uint8_t>(id_);
  msg[6] = static_cast<std::uint8_t>(seq >> 8);
  msg[7] = static_cast<std::uint8_t>(seq);
  int rc = 0;
  std::chrono::nanoseconds stamp{};
  if (family_ == ip_family::v4) {
    const std::uint16_t sum = checksum(msg.data(), msg.size());  // ICMPv6's is the kernel's
    msg[2] = static_cast<std::uint8_t>(sum >> 8);
    msg[3] = static_cast<std::uint8_t>(sum);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    if (::inet_pton(AF_INET, dst.c_str(), &to.sin_addr) != 1) {
      throw std::invalid_argument("chain_prober: not an IPv4 address: " + dst);
    }
    ::setsockopt(fd_, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    stamp = realtime_now();
    rc = static_cast<int>(::sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to));
  } else {
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    if (::inet_pton(AF_INET6, dst.c_str(), &to.sin6_addr) != 1) {
      throw std::invalid_argument("chain_prober: not an IPv6 address: " + dst);
    }
    ::setsockopt(fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
    stamp = realtime_now();
    rc = static_cast<int>(::sendto(fd_, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to));
  }
  if (rc < 0) {
    throw std::runtime_error(error_text("sendto " + dst));
  }
  return stamp;
}

void chain_prober::drain(std::vector<probe_answer>& answers, const std::vector<std::chrono::nanoseconds>& sent,
                         std::uint16_t first_seq) {
  std::array<std::uint8_t, 2048> buf{};
  std::array<char, CMSG_SPACE(sizeof(timespec))> control{};
  for (;;) {
    sockaddr_storage from{};
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0) {
      return;  // EAGAIN: drained
    }
    const parsed p = parse(family_, buf.data(), static_cast<std::size_t>(n));
    const std::size_t index = static_cast<std::uint16_t>(p.seq - first_seq);
    if (p.kind == answer_kind::none || p.id != id_ || index >= sent.size() ||
        answers[index].kind != answer_kind::none) {
      continue;
    }
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* addr = from.ss_family == AF_INET
                           ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&from)->sin_addr)
                           : &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr;
    ::inet_ntop(from.ss_family, addr, text.data(), text.size());
    const auto rtt = arrival(msg) - sent[index];
    answers[index] = {p.kind, text.data(), std::chrono::duration_cast<std::chrono::microseconds>(rtt)};
  }
}

probe_answer chain_prober::probe(const std::string& dst, int ttl, std::chrono::milliseconds timeout) {
  return series(dst, ttl, 1, {}, timeout).front();
}

std::vector<probe_answer> chain_prober::series(const std::string& dst, int ttl, int count,
                                               std::chrono::microseconds interval, std::chrono::milliseconds timeout) {
  const std::uint16_t first_seq = next_seq_;
  next_seq_ = static_cast<std::uint16_t>(next_seq_ + count);
  std::vector<probe_answer> answers(static_cast<std::size_t>(std::max(count, 0)));
  std::vector<std::chrono::nanoseconds> sent_at;  // CLOCK_REALTIME, as the kernel's receive stamps
  auto next_send = clock_type::now();
  auto deadline = next_send;
  for (;;) {
    const auto now = clock_type::now();
    if (sent_at.size() < answers.size() && now >= next_send) {
      sent_at.push_back(send(dst, ttl, static_cast<std::uint16_t>(first_seq + sent_at.size())));
      // Counted from this send: a prober that fell behind does not catch up with a burst, which the routers'
      // global ICMP limit (burst 50) could cut.
      next_send = now + interval;
      deadline = now + timeout;
      continue;
    }
    const bool all_sent = sent_at.size() == answers.size();
    const bool all_answered =
        std::none_of(answers.begin(), answers.end(), [](const probe_answer& a) { return a.kind == answer_kind::none; });
    if (all_sent && (all_answered || now >= deadline)) {
      return answers;
    }
    const auto wake = all_sent ? deadline : next_send;
    const auto wait =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(wake - now, clock_type::duration{}));
    const timespec ts{static_cast<time_t>(wait.count() / 1'000'000'000),
                      static_cast<long>(wait.count() % 1'000'000'000)};
    pollfd pfd{fd_, POLLIN, 0};
    ::ppoll(&pfd, 1, &ts, nullptr);
    drain(answers, sent_at, first_seq);
  }
}

double share_of(const std::vector<probe_answer>& answers, answer_kind kind) {
  if (answers.empty()) {
    return 0.0;
  }
  const auto n = std::count_if(answers.begin(), answers.end(), [&](const probe_answer& a) { return a.kind == kind; });
  return static_cast<double>(n) / static_cast<double>(answers.size());
}

}  // namespace netstab::netlab

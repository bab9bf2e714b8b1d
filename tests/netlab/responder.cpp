// netlab_responder: the emulated remote host. Opens a TUN device (IFF_TUN | IFF_NO_PI) by name in the current
// network namespace, reads IP packets, and answers ICMP echo requests addressed to the emulated host's
// addresses according to a profile (see profile.hpp): delay distribution, loss, duplicates, late replies, ICMP
// unreachable, and optionally a flood of foreign and malformed ICMP written at each request (--flood) or a copy
// of an earlier request's reply written at a given request (--replay, a stale reply). Replies
// wait in a min-heap ordered by due time; the loop sleeps on a timerfd (CLOCK_MONOTONIC) until spin before the
// earliest due time, then busy-waits to the exact time, so the injected delay is accurate
// to a few microseconds even where timer wake-ups are coarse. A request's time is the kernel's timestamp of
// the packet leaving the stack towards the TUN (read from a packet socket on the device: its outgoing copies),
// so the responder's own wake-up latency is not added to the delay; --timing read uses the time after read().
//
// Output on stdout, one JSON object per line: {"type":"ready",...} once the device exists, and a summary with
// what it did on SIGTERM or SIGINT (with "injected": every drawn reply delay in request order, unless --summary
// counts), then it exits 0.
// Start-up errors go to stderr with exit status 1 (2 for bad arguments).
// Single-threaded: everything below runs on the main thread.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/netlab/packet.hpp"
#include "tests/netlab/profile.hpp"

namespace netstab::netlab {
namespace {

nanos to_nanos(const timespec& ts) { return std::chrono::seconds(ts.tv_sec) + nanos(ts.tv_nsec); }

nanos mono_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return to_nanos(ts);
}

// Converts a kernel packet timestamp (CLOCK_REALTIME) to CLOCK_MONOTONIC through its age. A packet read here
// is microseconds to milliseconds old, so an age below 0 or above a second means CLOCK_REALTIME was stepped
// between the stamp and now (the clock-step test does that on purpose); the request then counts from now, which
// is off by no more than the packet's real age, instead of by the step.
nanos realtime_to_mono(const timespec& stamp) {
  timespec rt{};
  timespec mt{};
  ::clock_gettime(CLOCK_REALTIME, &rt);
  ::clock_gettime(CLOCK_MONOTONIC, &mt);
  const nanos age = to_nanos(rt) - to_nanos(stamp);
  if (age < nanos{0} || age > std::chrono::seconds(1)) {
    return to_nanos(mt);
  }
  return to_nanos(mt) - age;
}

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "netlab_responder: " << what << ": " << std::strerror(errno) << '\n';
  std::exit(1);
}

struct pending_reply {
  nanos due{};
  std::uint64_t order = 0;  // ties keep their scheduling order
  std::vector<std::byte> packet;
  long request = -1;  // index into injected_ms_ for a normal reply's first copy, -1 otherwise
  nanos received{};   // when the request left the stack (the delay is counted from here)
};

struct later_first {
  bool operator()(const pending_reply& a, const pending_reply& b) const {
    return a.due != b.due ? a.due > b.due : a.order > b.order;
  }
};

struct counters {
  std::uint64_t requests = 0;
  std::uint64_t replies = 0;  // echo reply packets written, duplicates and late ones included
  std::uint64_t dropped = 0;
  std::uint64_t duplicates = 0;  // extra copies written
  std::uint64_t late = 0;
  std::uint64_t unreachable = 0;
  std::uint64_t ignored = 0;  // packets that were not echo requests to the emulated host
  std::uint64_t write_errors = 0;
  std::uint64_t flood = 0;  // hostile packets written (--flood), not counted in replies
  std::uint64_t flood_write_errors = 0;
  std::uint64_t replayed = 0;  // stale replies written (--replay), not counted in replies
  std::uint64_t replay_write_errors = 0;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) {
    return 0.0;
  }
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

class responder {
 public:
  explicit responder(profile p) : profile_(std::move(p)), delays_(profile_.delay, profile_.seed) {}

  int run() {
    open_tun();
    if (profile_.tap_timestamps) {
      open_tap();
    }
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) {
      fail("timerfd_create");
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
      fail("sigprocmask");
    }
    signal_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd_ < 0) {
      fail("signalfd");
    }
    // A 1 ns timer slack: the default 50 us would be added to every timerfd wake-up.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    if (profile_.realtime) {
      sched_param sp{};
      sp.sched_priority = 10;
      if (::sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
        std::cerr << "netlab_responder: SCHED_FIFO unavailable, continuing: " << std::strerror(errno) << '\n';
      }
    }
    std::cout << nlohmann::json{{"type", "ready"}, {"tun", profile_.tun}, {"pid", ::getpid()}}.dump() << std::endl;

    // With tap timestamps off, tap_fd_ is -1 and poll ignores that entry.
    std::array<pollfd, 4> fds{
        {{tun_fd_, POLLIN, 0}, {timer_fd_, POLLIN, 0}, {signal_fd_, POLLIN, 0}, {tap_fd_, POLLIN, 0}}};
    for (;;) {
      arm_timer();
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) {
          continue;
        }
        fail("poll");
      }
      if ((fds[2].revents & POLLIN) != 0) {
        break;
      }
      if ((fds[1].revents & POLLIN) != 0) {
        std::uint64_t expirations = 0;
        [[maybe_unused]] const auto n = ::read(timer_fd_, &expirations, sizeof expirations);
      }
      drain();
      send_due();
    }
    print_summary();
    return 0;
  }

 private:
  void open_tun() {
    tun_fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (tun_fd_ < 0) {
      fail("open /dev/net/tun");
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", profile_.tun.c_str());
    if (::ioctl(tun_fd_, TUNSETIFF, &ifr) != 0) {
      fail("TUNSETIFF " + profile_.tun);
    }
  }

  void arm_timer() {
    itimerspec its{};
    if (!heap_.empty()) {
      // Wake `spin` early; a due time already past fires at once (1 ns, since 0 would disarm).
      const nanos at = std::max(heap_.top().due - profile_.spin, nanos{1});
      its.it_value.tv_sec = static_cast<time_t>(at.count() / 1'000'000'000);
      its.it_value.tv_nsec = static_cast<long>(at.count() % 1'000'000'000);
    }
    ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  // A packet socket on the TUN device that sees the packets the stack sends to it, with kernel timestamps.
  // A classic BPF filter passes only outgoing packets, so the replies we inject cause no wake-ups here.
  void open_tap() {
    tap_fd_ = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (tap_fd_ < 0) {
      fail("packet socket (use --timing read without CAP_NET_RAW)");
    }
    std::array<sock_filter, 4> code{{
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)},
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, PACKET_OUTGOING},
        {BPF_RET | BPF_K, 0, 0, 0xffffU},
        {BPF_RET | BPF_K, 0, 0, 0},
    }};
    const sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
    if (::setsockopt(tap_fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
      fail("SO_ATTACH_FILTER");
    }
    const int on = 1;
    if (::setsockopt(tap_fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
      fail("SO_TIMESTAMPNS");
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(::if_nametoindex(profile_.tun.c_str()));
    if (sll.sll_ifindex == 0 || ::bind(tap_fd_, reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0) {
      fail("bind packet socket to " + profile_.tun);
    }
  }

  // Reads everything that is waiting. With tap timestamps the TUN's copies are only drained (so its queue
  // never fills) and requests come from the packet socket; otherwise from the TUN.
  void drain() {
    for (;;) {
      const ssize_t n = ::read(tun_fd_, buffer_.data(), buffer_.size());
      if (n < 0) {
        break;  // EAGAIN, or a transient error: poll tells us when there is more
      }
      if (tap_fd_ < 0) {
        const nanos now = mono_now();
        handle(std::span<const std::byte>(buffer_.data(), static_cast<std::size_t>(n)), now);
      }
    }
    if (tap_fd_ < 0) {
      return;
    }
    for (;;) {
      alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(timespec))> control{};
      iovec iov{buffer_.data(), buffer_.size()};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      const ssize_t n = ::recvmsg(tap_fd_, &msg, 0);
      if (n < 0) {
        return;
      }
      nanos at = mono_now();
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec stamp{};
          std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
          at = realtime_to_mono(stamp);
        }
      }
      handle(std::span<const std::byte>(buffer_.data(), static_cast<std::size_t>(n)), at);
    }
  }

  bool is_host(const request& r) const {
    return std::any_of(profile_.hosts.begin(), profile_.hosts.end(),
                       [&](const auto& h) { return h.first == r.f && h.second == r.dst; });
  }

  void handle(std::span<const std::byte> packet, nanos now) {
    const auto r = parse_request(packet);
    if (!r || !is_host(*r)) {
      ++counters_.ignored;
      return;
    }
    ++counters_.requests;
    write_flood(packet);
    const std::uint64_t index = profile_.index_by_seq ? r->seq16 : arrivals_[r->dst]++;
    write_replay(packet, index);
    const action a = action_for(profile_, index);
    switch (a.what) {
      case action_kind::loss:
        ++counters_.dropped;
        return;
      case action_kind::late: {
        ++counters_.late;
        build_echo_reply(packet, scratch_);
        schedule(now + a.late_after, scratch_);
        return;
      }
      case action_kind::unreachable: {
        ++counters_.unreachable;
        build_unreachable(packet, r->dst, scratch_);
        schedule(now + delays_.next(), scratch_);
        return;
      }
      case action_kind::reply:
      case action_kind::duplicate: {
        const nanos d = delays_.next();
        injected_ms_.push_back(static_cast<double>(d.count()) / 1e6);
        seqs_.push_back(r->seq16);
        waited_ms_.push_back(-1.0);
        build_echo_reply(packet, scratch_);
        schedule(now + d, scratch_, static_cast<long>(injected_ms_.size() - 1), now);
        if (a.what == action_kind::duplicate) {
          ++counters_.duplicates;
          schedule(now + d + profile_.dup_gap, scratch_);
        }
        return;
      }
    }
  }

  // Writes profile_.flood hostile packets derived from this request at once, cycling through the kinds across
  // requests too, so every kind is sent equally often over a run.
  void write_flood(std::span<const std::byte> packet) {
    for (std::uint32_t i = 0; i < profile_.flood; ++i) {
      const auto k = static_cast<flood_kind>(next_flood_kind_);
      next_flood_kind_ = (next_flood_kind_ + 1) % flood_kind_count;
      build_flood_packet(packet, k, flood_scratch_);
      if (::write(tun_fd_, flood_scratch_.data(), flood_scratch_.size()) < 0) {
        ++counters_.flood_write_errors;
      } else {
        ++counters_.flood;
      }
    }
  }

  // Keeps the reply to this request when a later --replay entry will need it, and writes at once the kept
  // reply that an entry for this index asks for.
  void write_replay(std::span<const std::byte> packet, std::uint64_t index) {
    if (profile_.replay.empty()) {
      return;
    }
    if (std::any_of(profile_.replay.begin(), profile_.replay.end(),
                    [&](const auto& entry) { return entry.second == index; })) {
      build_echo_reply(packet, kept_[index]);
    }
    const auto it = profile_.replay.find(index);
    if (it == profile_.replay.end()) {
      return;
    }
    const auto kept = kept_.find(it->second);
    if (kept == kept_.end()) {
      return;  // the old request never came (netstab failed to send it): nothing to replay
    }
    if (::write(tun_fd_, kept->second.data(), kept->second.size()) < 0) {
      ++counters_.replay_write_errors;
    } else {
      ++counters_.replayed;
    }
  }

  void schedule(nanos due, const std::vector<std::byte>& packet, long request = -1, nanos received = {}) {
    heap_.push({due, next_order_++, packet, request, received});
  }

  // Writes every reply due within `spin` from now, busy-waiting to each exact due time. Requests that arrive
  // while waiting are read at once, so their timestamps are not delayed by the wait.
  void send_due() {
    while (!heap_.empty() && heap_.top().due <= mono_now() + profile_.spin) {
      const nanos due = heap_.top().due;
      nanos now = mono_now();
      while (now < due) {
        drain();
        now = mono_now();
      }
      if (heap_.top().due != due) {
        continue;  // drain scheduled something earlier (a zero delay): send that first
      }
      const pending_reply& top = heap_.top();
      const nanos before_write = mono_now();
      if (::write(tun_fd_, top.packet.data(), top.packet.size()) < 0) {
        ++counters_.write_errors;
      } else {
        const auto t = std::to_integer<unsigned>(top.packet[0]) >> 4U == 4 ? top.packet[20] : top.packet[40];
        const auto type = std::to_integer<std::uint8_t>(t);
        if (type == core::icmp::v4_echo_reply || type == core::icmp::v6_echo_reply) {
          ++counters_.replies;
        }
        wake_us_.push_back(static_cast<double>((before_write - due).count()) / 1e3);
        if (top.request >= 0) {
          waited_ms_[static_cast<std::size_t>(top.request)] =
              static_cast<double>((before_write - top.received).count()) / 1e6;
        }
        write_us_.push_back(static_cast<double>((mono_now() - before_write).count()) / 1e3);
      }
      heap_.pop();
    }
  }

  void print_summary() const {
    double sum = 0.0;
    double mad = 0.0;
    for (std::size_t i = 0; i < injected_ms_.size(); ++i) {
      sum += injected_ms_[i];
      if (i > 0) {
        mad += std::abs(injected_ms_[i] - injected_ms_[i - 1]);
      }
    }
    const auto n = static_cast<double>(injected_ms_.size());
    nlohmann::json delay = {
        {"count", injected_ms_.size()},
        {"mean", injected_ms_.empty() ? 0.0 : sum / n},
        {"p50", percentile(injected_ms_, 0.5)},
        {"min", injected_ms_.empty() ? 0.0 : *std::min_element(injected_ms_.begin(), injected_ms_.end())},
        {"max", injected_ms_.empty() ? 0.0 : *std::max_element(injected_ms_.begin(), injected_ms_.end())},
        {"mean_abs_diff", injected_ms_.size() > 1 ? mad / (n - 1.0) : 0.0},
    };
    nlohmann::json out = {
        {"type", "summary"},
        {"requests", counters_.requests},
        {"replies", counters_.replies},
        {"dropped", counters_.dropped},
        {"duplicates", counters_.duplicates},
        {"late", counters_.late},
        {"unreachable", counters_.unreachable},
        {"ignored", counters_.ignored},
        {"write_errors", counters_.write_errors},
        {"flood", counters_.flood},
        {"flood_write_errors", counters_.flood_write_errors},
        {"replayed", counters_.replayed},
        {"replay_write_errors", counters_.replay_write_errors},
        {"pending", heap_.size()},
        {"delay_ms", delay},
        {"send_error_us",
         {{"p50", percentile(wake_us_, 0.5)}, {"p99", percentile(wake_us_, 0.99)}, {"max", percentile(wake_us_, 1.0)}}},
        {"write_us",
         {{"p50", percentile(write_us_, 0.5)},
          {"p99", percentile(write_us_, 0.99)},
          {"max", percentile(write_us_, 1.0)}}},
    };
    if (profile_.summary_per_request) {
      out["injected"] = injected_ms_;
      out["injected_seq"] = seqs_;
      out["waited"] = waited_ms_;
    }
    std::cout << out.dump() << std::endl;
  }

  profile profile_;
  delay_source delays_;
  int tun_fd_ = -1;
  int tap_fd_ = -1;
  int timer_fd_ = -1;
  int signal_fd_ = -1;
  std::array<std::byte, 65536> buffer_{};
  std::vector<std::byte> scratch_;
  std::vector<std::byte> flood_scratch_;
  std::size_t next_flood_kind_ = 0;
  std::priority_queue<pending_reply, std::vector<pending_reply>, later_first> heap_;
  std::uint64_t next_order_ = 0;
  std::map<address, std::uint64_t> arrivals_;
  std::map<std::uint64_t, std::vector<std::byte>> kept_;  // replies kept for --replay, by request index
  counters counters_;
  std::vector<double> injected_ms_;  // drawn delays of normal replies, in request order
  std::vector<std::uint16_t> seqs_;  // their requests' 16-bit sequence numbers
  std::vector<double> waited_ms_;    // from the request's timestamp to the write of its reply (-1: not written)
  std::vector<double> wake_us_;      // how late each write started, relative to its due time
  std::vector<double> write_us_;     // how long each write() took (the kernel may deliver the reply inline)
};

}  // namespace
}  // namespace netstab::netlab

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  netstab::netlab::profile p;
  try {
    p = netstab::netlab::parse_profile(args);
  } catch (const std::invalid_argument& e) {
    std::cerr << "netlab_responder: " << e.what() << '\n';
    return 2;
  }
  netstab::netlab::responder r(std::move(p));
  return r.run();
}

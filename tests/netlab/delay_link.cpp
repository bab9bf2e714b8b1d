// netlab_delay_link: a delaying point-to-point link between two network namespaces, for the router chain
// (chain.hpp) on kernels without the netem qdisc. It opens TUN device A (IFF_TUN | IFF_NO_PI) in the namespace
// it starts in, then enters the namespace at --peer-netns (a /run/netns path) and opens TUN device B there; the
// file descriptors stay bound to their namespaces' devices. Every IP packet read from one device is written to
// the other after delay + jitter, jitter drawn uniformly from [-jitter, +jitter] per packet (the sum never below
// zero). A packet never leaves before the packet ahead of it in the same direction, so the link delays and
// jitters without reordering, like a queue on a real line. The delay is applied in each direction, so a round
// trip through the link grows by twice the delay.
//
// With --realtime it runs under SCHED_FIFO (when allowed), so its wake-ups beat ordinary processes on a busy
// machine.
//
// Control: --control FIFO, one command per line: "delay <us> jitter <us>". A command applies to packets read
// after it (packets on the line keep their due time); the program answers on stdout.
// Output on stdout, one JSON object per line: {"type":"ready"} once both devices exist; {"type":"set",...} after
// each applied command, {"type":"error",...} after a bad one; a summary on SIGTERM or SIGINT, then exit 0.
// Start-up errors go to stderr with exit status 1 (2 for bad arguments). It dies with its parent
// (PR_SET_PDEATHSIG), so a killed test run leaves no forwarder behind. Single-threaded.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using nanos = std::chrono::nanoseconds;

nanos mono_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + nanos(ts.tv_nsec);
}

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "netlab_delay_link: " << what << ": " << std::strerror(errno) << '\n';
  std::exit(1);
}

[[noreturn]] void usage(const std::string& what) {
  std::cerr << "netlab_delay_link: " << what << "\n"
            << "usage: netlab_delay_link --tun-a NAME --peer-netns PATH --tun-b NAME [--delay-us N] [--jitter-us N]"
               " [--control FIFO] [--seed N] [--queue N] [--realtime]\n";
  std::exit(2);
}

struct options {
  std::string tun_a;
  std::string tun_b;
  std::string peer_netns;
  std::string control;
  std::int64_t delay_us = 0;
  std::int64_t jitter_us = 0;
  std::uint64_t seed = 1;
  std::size_t queue = 10000;  // packets held per direction; more are dropped, as a full line queue would
  bool realtime = false;
};

std::int64_t parse_count(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used != text.size() || v < 0) {
      usage(flag + " needs a whole number >= 0, got '" + text + "'");
    }
    return v;
  } catch (const std::logic_error&) {
    usage(flag + " needs a whole number >= 0, got '" + text + "'");
  }
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--realtime") {
      o.realtime = true;
      continue;
    }
    if (i + 1 >= argc) {
      usage(flag + " needs a value");
    }
    const std::string value = argv[++i];
    if (flag == "--tun-a") {
      o.tun_a = value;
    } else if (flag == "--tun-b") {
      o.tun_b = value;
    } else if (flag == "--peer-netns") {
      o.peer_netns = value;
    } else if (flag == "--control") {
      o.control = value;
    } else if (flag == "--delay-us") {
      o.delay_us = parse_count(flag, value);
    } else if (flag == "--jitter-us") {
      o.jitter_us = parse_count(flag, value);
    } else if (flag == "--seed") {
      o.seed = static_cast<std::uint64_t>(parse_count(flag, value));
    } else if (flag == "--queue") {
      o.queue = static_cast<std::size_t>(std::max<std::int64_t>(1, parse_count(flag, value)));
    } else {
      usage("unknown option " + flag);
    }
  }
  if (o.tun_a.empty() || o.tun_b.empty() || o.peer_netns.empty()) {
    usage("--tun-a, --peer-netns and --tun-b are required");
  }
  return o;
}

int open_tun(const std::string& name) {
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    fail("open /dev/net/tun");
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name.c_str());
  if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
    fail("TUNSETIFF " + name);
  }
  return fd;
}

struct held_packet {
  nanos due{};
  std::vector<std::byte> bytes;
};

// One direction of the link: packets read from `in` wait in a FIFO and are written to `out` when due.
struct direction {
  int in = -1;
  int out = -1;
  std::deque<held_packet> line;
  nanos last_due{};
  std::uint64_t forwarded = 0;
  std::uint64_t dropped = 0;  // the line was full
  std::uint64_t write_errors = 0;
};

class delay_link {
 public:
  explicit delay_link(options o) : opts_(std::move(o)), random_(opts_.seed) {}

  int run() {
    open_devices();
    open_control();
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) {
      fail("timerfd_create");
    }
    signal_fd_ = block_signals();
    // A 1 ns timer slack: the default 50 us would be added to every packet's hold time.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    if (opts_.realtime) {
      // Wakes ahead of ordinary processes on a busy machine. The loop never spins, so it cannot hog a CPU;
      // without the privilege it runs as an ordinary process.
      sched_param sp{};
      sp.sched_priority = 10;
      if (::sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
        std::cerr << "netlab_delay_link: SCHED_FIFO refused, running unprioritised: " << std::strerror(errno) << '\n';
      }
    }
    std::cout << nlohmann::json{{"type", "ready"}}.dump() << std::endl;
    while (!stopping_) {
      wait_and_dispatch();
      send_due();
      arm_timer();
    }
    print_summary();
    return 0;
  }

 private:
  void open_devices() {
    const int a = open_tun(opts_.tun_a);
    const int ns = ::open(opts_.peer_netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      fail("open " + opts_.peer_netns);
    }
    if (::setns(ns, CLONE_NEWNET) != 0) {
      fail("setns " + opts_.peer_netns);
    }
    ::close(ns);
    const int b = open_tun(opts_.tun_b);
    dirs_[0].in = a;
    dirs_[0].out = b;
    dirs_[1].in = b;
    dirs_[1].out = a;
  }

  void open_control() {
    if (opts_.control.empty()) {
      return;
    }
    // Read-write, so the FIFO never reports end of file when a writer closes it.
    control_fd_ = ::open(opts_.control.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (control_fd_ < 0) {
      fail("open " + opts_.control);
    }
  }

  static int block_signals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
      fail("sigprocmask");
    }
    const int fd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
      fail("signalfd");
    }
    return fd;
  }

  void wait_and_dispatch() {
    std::array<pollfd, 5> fds{{{dirs_[0].in, POLLIN, 0},
                               {dirs_[1].in, POLLIN, 0},
                               {timer_fd_, POLLIN, 0},
                               {signal_fd_, POLLIN, 0},
                               {control_fd_, POLLIN, 0}}};
    const nfds_t count = control_fd_ >= 0 ? 5 : 4;
    if (::poll(fds.data(), count, -1) < 0) {
      if (errno == EINTR) {
        return;
      }
      fail("poll");
    }
    for (std::size_t d = 0; d < 2; ++d) {
      if (fds[d].revents != 0) {
        read_packets(dirs_[d]);
      }
    }
    if (fds[2].revents != 0) {
      std::uint64_t expirations = 0;
      [[maybe_unused]] const ssize_t n = ::read(timer_fd_, &expirations, sizeof expirations);
    }
    if (fds[3].revents != 0) {
      stopping_ = true;
    }
    if (count == 5 && fds[4].revents != 0) {
      read_control();
    }
  }

  nanos hold_time() {
    std::int64_t us = delay_us_;
    if (jitter_us_ > 0) {
      std::uniform_int_distribution<std::int64_t> draw(-jitter_us_, jitter_us_);
      us = std::max<std::int64_t>(0, us + draw(random_));
    }
    return std::chrono::microseconds(us);
  }

  void read_packets(direction& d) {
    std::array<std::byte, 65536> buf{};
    for (;;) {
      const ssize_t n = ::read(d.in, buf.data(), buf.size());
      if (n <= 0) {
        return;  // EAGAIN: drained
      }
      if (d.line.size() >= opts_.queue) {
        ++d.dropped;
        continue;
      }
      const nanos due = std::max(mono_now() + hold_time(), d.last_due);
      d.last_due = due;
      d.line.push_back({due, std::vector<std::byte>(buf.begin(), buf.begin() + n)});
    }
  }

  void send_due() {
    const nanos now = mono_now();
    for (auto& d : dirs_) {
      while (!d.line.empty() && d.line.front().due <= now) {
        const auto& p = d.line.front().bytes;
        if (::write(d.out, p.data(), p.size()) == static_cast<ssize_t>(p.size())) {
          ++d.forwarded;
        } else {
          ++d.write_errors;
        }
        d.line.pop_front();
      }
    }
  }

  void arm_timer() {
    nanos next = nanos::max();
    for (const auto& d : dirs_) {
      if (!d.line.empty()) {
        next = std::min(next, d.line.front().due);
      }
    }
    itimerspec its{};
    if (next != nanos::max()) {
      const nanos at = std::max(next, nanos{1});  // 0 would disarm; a due time already past fires at once
      its.it_value.tv_sec = static_cast<time_t>(at.count() / 1'000'000'000);
      its.it_value.tv_nsec = static_cast<long>(at.count() % 1'000'000'000);
    }
    ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  void read_control() {
    std::array<char, 512> buf{};
    for (;;) {
      const ssize_t n = ::read(control_fd_, buf.data(), buf.size());
      if (n <= 0) {
        break;
      }
      control_text_.append(buf.data(), static_cast<std::size_t>(n));
    }
    for (auto nl = control_text_.find('\n'); nl != std::string::npos; nl = control_text_.find('\n')) {
      apply(control_text_.substr(0, nl));
      control_text_.erase(0, nl + 1);
    }
  }

  void apply(const std::string& line) {
    std::istringstream in(line);
    std::string delay_word;
    std::string jitter_word;
    std::int64_t delay = -1;
    std::int64_t jitter = -1;
    in >> delay_word >> delay >> jitter_word >> jitter;
    if (!in || delay_word != "delay" || jitter_word != "jitter" || delay < 0 || jitter < 0) {
      std::cout << nlohmann::json{{"type", "error"}, {"line", line}}.dump() << std::endl;
      return;
    }
    delay_us_ = delay;
    jitter_us_ = jitter;
    std::cout << nlohmann::json{{"type", "set"}, {"delay_us", delay_us_}, {"jitter_us", jitter_us_}}.dump()
              << std::endl;
  }

  void print_summary() const {
    nlohmann::json j{{"type", "summary"}};
    const std::array<const char*, 2> names{"a_to_b", "b_to_a"};
    for (std::size_t i = 0; i < 2; ++i) {
      j[names[i]] = {{"forwarded", dirs_[i].forwarded},
                     {"dropped", dirs_[i].dropped},
                     {"write_errors", dirs_[i].write_errors},
                     {"held", dirs_[i].line.size()}};
    }
    std::cout << j.dump() << std::endl;
  }

  options opts_;
  std::mt19937_64 random_;
  std::int64_t delay_us_ = opts_.delay_us;
  std::int64_t jitter_us_ = opts_.jitter_us;
  std::array<direction, 2> dirs_{};
  int timer_fd_ = -1;
  int signal_fd_ = -1;
  int control_fd_ = -1;
  std::string control_text_;
  bool stopping_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  delay_link link(parse_options(argc, argv));
  return link.run();
}

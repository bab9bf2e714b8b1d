// Tests of CPU starvation (cpu_limit.hpp): a shell that times ten short sleeps takes far longer under the limit,
// and is itself again once the limit is gone.
#include "tests/netlab/cpu_limit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "tests/support/privileges.hpp"

namespace netstab::netlab {
namespace {

// A shell that, for each line written to its FIFO, times ten 20 ms sleeps and prints the milliseconds taken.
// Each round needs the shell to wake up and start a process ten times, so a starved shell is late every time.
// It runs at nice -15: on a loaded machine a free round at nice 0 waited for the CPU about as long as the limit's
// period (ten sleeps took 0.8-1 s instead of 0.25 s), which hid the limit's effect in the machine's. At -15 the
// machine's other work (nice 0) hardly delays the shell, and the limit holds it back all the same (a cgroup's
// quota and SIGSTOP do not care for priority), so the rounds measure the limit and not the load.
class timed_shell {
 public:
  timed_shell() : fifo_("/tmp/nsch-" + std::to_string(::getpid()) + "-cpu-test.fifo") {
    ::unlink(fifo_.c_str());
    if (::mkfifo(fifo_.c_str(), 0600) != 0) {
      throw std::runtime_error("mkfifo " + fifo_);
    }
    // Read-write, so neither side's open waits for the other.
    fd_ = ::open(fifo_.c_str(), O_RDWR | O_CLOEXEC);
    shell_ =
        std::make_unique<test::child>(std::vector<std::string>{"nice", "-n", "-15", "sh", "-c",
                                                               "exec 3< \"$0\"; while read go <&3; do s=$(date +%s%N); "
                                                               "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.02; done; "
                                                               "e=$(date +%s%N); echo $(( (e - s) / 1000000 )); done",
                                                               fifo_});
  }
  ~timed_shell() {
    shell_.reset();
    ::close(fd_);
    ::unlink(fifo_.c_str());
  }
  timed_shell(const timed_shell&) = delete;
  timed_shell& operator=(const timed_shell&) = delete;

  pid_t pid() const { return shell_->pid(); }

  // One timed round, in milliseconds; nullopt when the shell did not answer within a minute.
  std::optional<long> round() {
    if (::write(fd_, "go\n", 3) != 3) {
      return std::nullopt;
    }
    const auto line = shell_->read_line(std::chrono::seconds(60));
    return line ? std::optional<long>(std::stol(*line)) : std::nullopt;
  }

 private:
  std::string fifo_;
  int fd_ = -1;
  std::unique_ptr<test::child> shell_;
};

void expect_starves(cpu_limit::mechanism m, double share) {
  timed_shell shell;
  const auto free_ms = shell.round();
  ASSERT_TRUE(free_ms.has_value());
  std::optional<long> starved_ms;
  {
    cpu_limit limit(share, m);
    std::cout << "cpu_limit mechanism: " << cpu_limit::name(limit.used()) << '\n';
    ::testing::Test::RecordProperty("mechanism", cpu_limit::name(limit.used()));
    if (m != cpu_limit::mechanism::automatic) {
      EXPECT_EQ(limit.used(), m);
    }
    limit.attach(shell.pid());
    starved_ms = shell.round();
    ASSERT_TRUE(starved_ms.has_value());
    EXPECT_GT(limit.throttled(), 0U);
  }
  const auto again_ms = shell.round();
  ASSERT_TRUE(again_ms.has_value());
  std::cout << "ten 20 ms sleeps: " << *free_ms << " ms free, " << *starved_ms << " ms starved, " << *again_ms
            << " ms after release\n";
  // The faster free round is the baseline: on a busy machine either may be slowed by others.
  const long baseline = std::min(*free_ms, *again_ms);
  EXPECT_GT(*starved_ms, 2 * baseline);
  EXPECT_GT(*starved_ms, baseline + 500);
  EXPECT_LT(*again_ms, *starved_ms - 400);
}

// 2 % of a core: a round needs some tens of milliseconds of CPU (ten process starts), which a share of 10 % still
// granted within 0.25-0.36 s more on a fast machine running nothing else; at 2 % it waits well over a second.
TEST(CpuLimit, StarvesAnAttachedProcessUntilReleased) {
  NETSTAB_REQUIRE_ROOT();
  expect_starves(cpu_limit::mechanism::automatic, 0.02);
}

// Signals stop only the attached shell, not the short processes it starts, so a smaller share gives a clear effect.
TEST(CpuLimit, SignalFallbackStarvesToo) { expect_starves(cpu_limit::mechanism::signals, 0.02); }

TEST(CpuLimit, RejectsAShareOutOfRange) {
  EXPECT_THROW(cpu_limit(0.0), std::invalid_argument);
  EXPECT_THROW(cpu_limit(1.0), std::invalid_argument);
}

}  // namespace
}  // namespace netstab::netlab

#pragma once
// CPU starvation of chosen processes, for the `host` segment of the verdict: a probe's answer reaches the host
// in time, but the program is late to read it.
//
// A CPU limit alone does not starve a program that needs little CPU (netstab idles most of the time), so with a
// cgroup the limit also holds a burner: a busy loop in the same group that uses up the group's quota at once.
// Every process in the group then waits for the next period after each wake-up; the quota is share x 100 ms
// per 100 ms period, so the burner costs the machine only that share of one CPU. Mechanisms, first that works:
//   cgroup2  a child of this process's cgroup v2 group with cpu.max, when the cpu controller is available
//            there and can be enabled for children (not in a container's root group that holds processes);
//   cgroup1  a child of this process's group in the cgroup v1 cpu hierarchy, with cpu.cfs_quota_us (this
//            development machine: its v2 hierarchy holds no controllers);
//   signals  a thread that stops the processes (SIGSTOP) for (1 - share) of each 100 ms period and lets them
//            run (SIGCONT) for the rest; needs no kernel feature, but the processes see themselves stopped.
//
// Owns the group (named nsch-cpu-<pid>-<n>), the burner and the thread: the destructor resumes and moves back
// every attached process still alive, kills the burner and removes the group; groups of killed runs are swept
// (their processes killed) by the next construction. Throws std::runtime_error when the chosen mechanism
// cannot be set up. Used from the test thread only.
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.hpp"

namespace netstab::netlab {

class cpu_limit {
 public:
  enum class mechanism : std::uint8_t { automatic, cgroup2, cgroup1, signals };

  // share: the part of one CPU left to the attached processes together, 0.01 to 0.9.
  explicit cpu_limit(double share, mechanism m = mechanism::automatic);
  cpu_limit(const cpu_limit&) = delete;
  cpu_limit& operator=(const cpu_limit&) = delete;
  ~cpu_limit();

  // The mechanism in use (never automatic).
  mechanism used() const { return used_; }
  static const char* name(mechanism m);
  // True when a cgroup mechanism can be set up on this machine.
  static bool cgroup_available();

  // Puts pid under the limit (with a cgroup, the children it starts from now on too). Throws
  // std::runtime_error when the kernel refuses.
  void attach(pid_t pid);

  // How often the limit held the processes back so far: throttled periods (cgroup cpu.stat nr_throttled), or
  // stops sent (signals).
  std::uint64_t throttled() const;

 private:
  bool try_cgroup(mechanism m);
  void start_burner();
  void start_signals();
  void cycle_signals();
  void release() noexcept;

  double share_;
  mechanism used_ = mechanism::signals;
  std::string group_;   // the cgroup directory, empty with signals
  std::string parent_;  // its parent, where attached processes return
  std::unique_ptr<test::child> burner_;
  std::vector<pid_t> attached_;
  std::mutex mutex_;  // guards attached_ against the signal thread
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> stops_{0};
  std::thread cycler_;
};

}  // namespace netstab::netlab

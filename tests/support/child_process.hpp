#pragma once
// A child process for tests that run the real netstab binary: stdout and stderr
// go to a log file the test can read; the destructor kills and reaps it, so a
// failing test leaves nothing behind. Test thread only.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace netstab::test {

class child_process {
 public:
  // argv[0] is a path; extra_env entries are added to (or replace in) the environment.
  child_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                const std::string& log_file);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // Waits for the exit; returns the exit status (128 + signal when killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_file_;
};

// Path of the netstab binary under test.
std::string netstab_binary();

}  // namespace netstab::test

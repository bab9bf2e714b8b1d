#pragma once
// Child processes for tests: run a command to completion capturing its output, keep a long-lived child whose
// stdout is read line by line (the netlab responder), and the spawn and reap steps under both and under
// child_process.hpp. Used from the test thread only.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace netstab::test {

// Starts argv (argv[0] is looked up in PATH unless it holds a '/') with stdin from /dev/null and the given
// stdout and stderr (-1 keeps ours). env, when given, replaces the environment ("NAME=value" strings).
// Throws std::runtime_error when the process cannot be started.
pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd,
            const std::vector<std::string>* env = nullptr);

// The exit status of a waitpid status: the exit code, or 128 + signal when killed by a signal.
int decode_status(int status);

// Waits for pid up to timeout; returns its decoded status, or nullopt while it still runs.
std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout);

struct run_result {
  int exit_code = -1;  // the exit status, or 128 + signal when killed by a signal
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv (argv[0] is looked up in PATH) with stdin from /dev/null, capturing stdout and stderr. A child
// still running after `timeout` is killed (SIGKILL) and reported with timed_out. Throws std::runtime_error
// when the process cannot be started.
run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// A child process whose stdout is a pipe to us; stderr is inherited. Owns the process: the destructor stops it
// (SIGTERM, then SIGKILL) and reaps it, so a failing test leaves nothing running.
class child {
 public:
  explicit child(const std::vector<std::string>& argv);  // throws std::runtime_error
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Returns the next line of stdout (without the newline), or nullopt on end of file or after timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  // Sends sig, waits up to timeout for the exit (then SIGKILL), and returns all stdout not yet read.
  // exit_code receives the exit status (128 + signal when killed).
  std::string stop(int sig, std::chrono::milliseconds timeout, int& exit_code);

 private:
  void read_available(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool eof_ = false;
  std::string buffered_;
};

}  // namespace netstab::test

#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/process.hpp"

extern char** environ;

namespace netstab::test {

child_process::child_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                             const std::string& log_file)
    : log_file_(log_file) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra_env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  // Opened (and emptied) before the child starts, so that a test reading the log right after the constructor
  // never sees an earlier run's output in it.
  const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + log_file);
  try {
    pid_ = spawn(argv, fd, fd, &env_strings);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

child_process::~child_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_, std::chrono::seconds(10));
  }
}

void child_process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int child_process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto code = wait_for(pid_, timeout);
  if (!code) return -1;
  pid_ = -1;
  return *code;
}

std::string child_process::log() const {
  std::ifstream in(log_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string netstab_binary() { return std::string(NETSTAB_BINARY_DIR) + "/service/netstab"; }

}  // namespace netstab::test

#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace netstab::test {

namespace {

using clock_type = std::chrono::steady_clock;

struct pipe_pair {
  int read_end = -1;
  int write_end = -1;
};

pipe_pair make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  return {fds[0], fds[1]};
}

}  // namespace

pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd, const std::vector<std::string>* env) {
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));  // posix_spawn's signature; it does not write
  }
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  }
  if (err_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  }
  pid_t pid = -1;
  std::vector<char*> cenv;
  if (env != nullptr) {
    for (const auto& e : *env) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
  }
  const int rc =
      ::posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), env != nullptr ? cenv.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return decode_status(status);
    }
    if (r < 0) {
      return -1;
    }
    if (clock_type::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  pipe_pair out = make_pipe();
  pipe_pair err = make_pipe();
  const pid_t pid = spawn(argv, out.write_end, err.write_end);
  ::close(out.write_end);
  ::close(err.write_end);
  run_result result;
  const auto deadline = clock_type::now() + timeout;
  std::array<pollfd, 2> fds{{{out.read_end, POLLIN, 0}, {err.read_end, POLLIN, 0}}};
  std::array<char, 65536> buf{};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) {
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const auto& f : fds) {
    if (f.fd >= 0) {
      ::close(f.fd);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = decode_status(status);
  return result;
}

child::child(const std::vector<std::string>& argv) {
  pipe_pair out = make_pipe();
  try {
    pid_ = spawn(argv, out.write_end, -1);
  } catch (...) {
    ::close(out.read_end);
    ::close(out.write_end);
    throw;
  }
  ::close(out.write_end);
  out_fd_ = out.read_end;
}

child::~child() {
  if (pid_ > 0) {
    int code = 0;
    stop(SIGTERM, std::chrono::milliseconds(2000), code);
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
  }
}

void child::read_available(std::chrono::milliseconds timeout) {
  if (eof_ || out_fd_ < 0) {
    return;
  }
  pollfd p{out_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return;
  }
  std::array<char, 4096> buf{};
  const ssize_t n = ::read(out_fd_, buf.data(), buf.size());
  if (n > 0) {
    buffered_.append(buf.data(), static_cast<std::size_t>(n));
  } else if (n == 0 || errno != EINTR) {
    eof_ = true;
  }
}

std::optional<std::string> child::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    const std::size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (eof_ || left.count() <= 0) {
      return std::nullopt;
    }
    read_available(left);
  }
}

std::string child::stop(int sig, std::chrono::milliseconds timeout, int& exit_code) {
  if (pid_ <= 0) {
    exit_code = -1;
    return {};
  }
  ::kill(pid_, sig);
  auto code = wait_for(pid_, timeout);
  if (!code) {
    ::kill(pid_, SIGKILL);
    code = wait_for(pid_, std::chrono::milliseconds(5000));
  }
  exit_code = code.value_or(-1);
  pid_ = -1;
  // The process is gone, so the pipe reaches end of file once its last bytes are read (unless a process it
  // started still holds the pipe: then give up after a while).
  const auto deadline = clock_type::now() + std::chrono::seconds(3);
  while (!eof_ && clock_type::now() < deadline) {
    read_available(std::chrono::milliseconds(200));
  }
  std::string rest = std::move(buffered_);
  buffered_.clear();
  return rest;
}

}  // namespace netstab::test

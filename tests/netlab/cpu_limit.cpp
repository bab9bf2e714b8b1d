#include "tests/netlab/cpu_limit.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "tests/netlab/stale.hpp"

namespace netstab::netlab {

namespace {

namespace fs = std::filesystem;

constexpr auto period = std::chrono::milliseconds(100);

struct mount_point {
  std::string root;  // the part of the hierarchy mounted there
  std::string path;
};

// True when word is one of list's items (separated by sep, or by white space when sep is ' ').
bool has_word(const std::string& list, const std::string& word, char sep) {
  std::istringstream in(list);
  for (std::string w; sep == ' ' ? static_cast<bool>(in >> w) : static_cast<bool>(std::getline(in, w, sep));) {
    if (w == word) {
      return true;
    }
  }
  return false;
}

// The mount of the cgroup2 hierarchy (v1 false) or of the v1 hierarchy holding the cpu controller (v1 true).
std::optional<mount_point> find_mount(bool v1) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::vector<std::string> fields;
    for (std::string w; f >> w;) {
      fields.push_back(w);
    }
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || std::distance(dash, fields.end()) < 4) {
      continue;
    }
    const std::string& type = *(dash + 1);
    const std::string& super_options = *(dash + 3);
    if ((!v1 && type == "cgroup2") || (v1 && type == "cgroup" && has_word(super_options, "cpu", ','))) {
      return mount_point{fields[3], fields[4]};
    }
  }
  return std::nullopt;
}

// This process's group directory in that hierarchy, from /proc/self/cgroup ("0::/path" for v2,
// "N:cpu,cpuacct:/path" for v1).
std::optional<std::string> own_group(bool v1) {
  const auto mount = find_mount(v1);
  if (!mount) {
    return std::nullopt;
  }
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    const std::string controllers = line.substr(first + 1, second - first - 1);
    if ((!v1 && line.substr(0, first) == "0" && controllers.empty()) || (v1 && has_word(controllers, "cpu", ','))) {
      std::string path = line.substr(second + 1);
      if (mount->root != "/" && path.starts_with(mount->root)) {
        path = path.substr(mount->root.size());
      }
      std::string dir = (fs::path(mount->path) / fs::path(path).relative_path()).lexically_normal().string();
      while (dir.size() > 1 && dir.back() == '/') {
        dir.pop_back();
      }
      return dir;
    }
  }
  return std::nullopt;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// Removes an (emptied) group; its last processes may take a moment to leave after being killed.
void remove_group(const std::string& dir) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::error_code ec;
  while (fs::exists(dir, ec) && !fs::remove(dir, ec) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Kills the processes of groups left behind by killed test runs (their owner pid gone) and removes the groups.
void sweep_stale(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec) || !owner_is_gone(entry.path().filename().string())) {
      continue;
    }
    std::istringstream procs(read_text(entry.path() / "cgroup.procs"));
    for (pid_t p = 0; procs >> p;) {
      ::kill(p, SIGKILL);
      ::kill(p, SIGCONT);
    }
    remove_group(entry.path().string());
  }
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  return std::string(stale_prefix) + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-cpu";
}

}  // namespace

cpu_limit::cpu_limit(double share, mechanism m) : share_(share) {
  if (!(share >= 0.01 && share <= 0.9)) {
    throw std::invalid_argument("cpu_limit: the share must be within 0.01..0.9");
  }
  try {
    if (m == mechanism::automatic) {
      if (!try_cgroup(mechanism::cgroup2) && !try_cgroup(mechanism::cgroup1)) {
        start_signals();
      }
    } else if (m == mechanism::signals) {
      start_signals();
    } else if (!try_cgroup(m)) {
      throw std::runtime_error(std::string("cpu_limit: ") + name(m) + " is not available here");
    }
  } catch (...) {
    release();
    throw;
  }
}

cpu_limit::~cpu_limit() { release(); }

const char* cpu_limit::name(mechanism m) {
  switch (m) {
    case mechanism::automatic:
      return "automatic";
    case mechanism::cgroup2:
      return "cgroup2";
    case mechanism::cgroup1:
      return "cgroup1";
    case mechanism::signals:
      return "signals";
  }
  return "?";
}

bool cpu_limit::cgroup_available() {
  const auto v2 = own_group(false);
  return (v2 && has_word(read_text(*v2 + "/cgroup.controllers"), "cpu", ' ')) || own_group(true).has_value();
}

// Makes the group: under this process's own group when that can hand the cpu controller to children, else
// beside it (its parent hands the controller to it, since it has it). Returns false when the hierarchy or the
// controller is missing, so the caller can try the next mechanism.
bool cpu_limit::try_cgroup(mechanism m) {
  const bool v1 = m == mechanism::cgroup1;
  const auto home = own_group(v1);
  if (!home || !fs::exists(*home)) {
    return false;
  }
  std::vector<std::string> candidates = {*home};
  if (!v1) {
    if (!has_word(read_text(*home + "/cgroup.controllers"), "cpu", ' ')) {
      return false;
    }
    if (!has_word(read_text(*home + "/cgroup.subtree_control"), "cpu", ' ') &&
        !write_text(*home + "/cgroup.subtree_control", "+cpu")) {
      // Beside this group, unless it is the top of what is mounted (a container's root): nothing is above.
      const auto mount = find_mount(false);
      if (!mount || *home == fs::path(mount->path).lexically_normal().string()) {
        return false;
      }
      candidates = {fs::path(*home).parent_path().string()};
    }
  }
  for (const auto& dir : candidates) {
    sweep_stale(dir);
    const std::string group = dir + "/" + unique_name();
    std::error_code ec;
    if (!fs::create_directory(group, ec)) {
      continue;
    }
    const std::string quota_us = std::to_string(std::max(1000L, std::lround(share_ * 100000)));
    const bool limited =
        v1 ? write_text(group + "/cpu.cfs_period_us", "100000") && write_text(group + "/cpu.cfs_quota_us", quota_us)
           : write_text(group + "/cpu.max", quota_us + " 100000");
    if (!limited) {
      remove_group(group);
      continue;
    }
    group_ = group;
    parent_ = *home;
    used_ = m;
    start_burner();
    return true;
  }
  return false;
}

void cpu_limit::start_burner() {
  burner_ = std::make_unique<test::child>(std::vector<std::string>{"sh", "-c", "while :; do :; done"});
  if (!write_text(group_ + "/cgroup.procs", std::to_string(burner_->pid()))) {
    throw std::runtime_error("cpu_limit: cannot move the burner into " + group_);
  }
}

void cpu_limit::start_signals() {
  used_ = mechanism::signals;
  cycler_ = std::thread([this] { cycle_signals(); });
}

// The signal mechanism's thread: run for share of each period, stopped for the rest.
void cpu_limit::cycle_signals() {
  const auto run_time = std::chrono::duration_cast<std::chrono::microseconds>(period * share_);
  const auto stop_time = std::chrono::duration_cast<std::chrono::microseconds>(period) - run_time;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (wake_.wait_for(lock, run_time, [this] { return stopping_; })) {
      break;
    }
    for (pid_t p : attached_) {
      ::kill(p, SIGSTOP);
    }
    stops_ += attached_.empty() ? 0 : 1;
    wake_.wait_for(lock, stop_time, [this] { return stopping_; });
    for (pid_t p : attached_) {
      ::kill(p, SIGCONT);
    }
  }
}

void cpu_limit::attach(pid_t pid) {
  std::lock_guard lock(mutex_);
  if (used_ != mechanism::signals && !write_text(group_ + "/cgroup.procs", std::to_string(pid))) {
    throw std::runtime_error("cpu_limit: cannot move pid " + std::to_string(pid) + " into " + group_);
  }
  attached_.push_back(pid);
}

std::uint64_t cpu_limit::throttled() const {
  if (used_ == mechanism::signals) {
    return stops_;
  }
  std::istringstream stat(read_text(group_ + "/cpu.stat"));
  std::string key;
  for (std::uint64_t value = 0; stat >> key >> value;) {
    if (key == "nr_throttled") {
      return value;
    }
  }
  return 0;
}

void cpu_limit::release() noexcept {
  try {
    if (cycler_.joinable()) {
      {
        std::lock_guard lock(mutex_);
        stopping_ = true;
      }
      wake_.notify_all();
      cycler_.join();
    }
    burner_.reset();
    if (!group_.empty()) {
      // Processes still alive go back to where this process lives; the ones gone are refused, which is fine.
      std::istringstream procs(read_text(group_ + "/cgroup.procs"));
      for (pid_t p = 0; procs >> p;) {
        write_text(parent_ + "/cgroup.procs", std::to_string(p));
      }
      remove_group(group_);
      group_.clear();
    }
  } catch (...) {
    // A destructor must not throw; a group left behind is swept by the next run (its owner pid is gone).
  }
}

}  // namespace netstab::netlab

#include "tests/netlab/netlab.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace netstab::netlab {

namespace {

constexpr const char* name_prefix = "nstab-";
constexpr auto step_timeout = std::chrono::seconds(10);

// Runs a set-up command on the host side; throws with its stderr when it fails.
void must(const std::vector<std::string>& argv) {
  const run_result r = run(argv, step_timeout);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) {
      cmd += a + ' ';
    }
    throw std::runtime_error("netlab: '" + cmd + "' failed (" + std::to_string(r.exit_code) + "): " + r.err);
  }
}

// Deletes namespaces left behind by earlier test processes that were killed before their destructors ran.
// Names are nstab-<pid>-<n>; one whose pid no longer exists is stale.
void delete_stale_namespaces() {
  const run_result r = run({"ip", "netns", "list"}, step_timeout);
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string ns = line.substr(0, line.find(' '));
    if (!ns.starts_with(name_prefix)) {
      continue;
    }
    const std::size_t start = std::string_view(name_prefix).size();
    const std::size_t dash = ns.find('-', start);
    const std::string pid = ns.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
    if (!pid.empty() && !std::filesystem::exists("/proc/" + pid)) {
      run({"ip", "netns", "del", ns}, step_timeout);
    }
  }
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  return std::string(name_prefix) + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

netlab::netlab(const std::vector<std::string>& responder_args) : name_(unique_name()) {
  delete_stale_namespaces();
  try {
    setup(responder_args);
  } catch (...) {
    teardown();
    throw;
  }
}

netlab::~netlab() { teardown(); }

void netlab::setup(const std::vector<std::string>& responder_args) {
  must({"ip", "netns", "add", name_});
  must({"ip", "-n", name_, "link", "set", "lo", "up"});

  std::vector<std::string> argv = {"ip", "netns", "exec", name_, NETLAB_RESPONDER, "--tun", tun_};
  argv.insert(argv.end(), responder_args.begin(), responder_args.end());
  responder_ = std::make_unique<child>(argv);
  const auto ready = responder_->read_line(step_timeout);
  if (!ready || nlohmann::json::parse(*ready, nullptr, false).value("type", "") != "ready") {
    throw std::runtime_error("netlab: the responder did not report ready" +
                             (ready ? ": '" + *ready + "'" : std::string()));
  }
  // The TUN is a point-to-point link without neighbour discovery: local addresses plus host routes to the
  // emulated host. nodad makes the IPv6 address usable at once instead of after duplicate detection.
  set_link(true);
}

void netlab::set_link(bool up) const {
  if (!up) {
    must({"ip", "-n", name_, "link", "set", tun_, "down"});
    return;
  }
  // replace rather than add: after a link down the kernel may or may not have kept each of these.
  must({"ip", "-n", name_, "addr", "replace", std::string(local_v4) + "/32", "dev", tun_});
  must({"ip", "-n", name_, "-6", "addr", "replace", std::string(local_v6) + "/128", "dev", tun_, "nodad"});
  must({"ip", "-n", name_, "link", "set", tun_, "up"});
  must({"ip", "-n", name_, "route", "replace", std::string(host_v4) + "/32", "dev", tun_, "src", local_v4});
  must({"ip", "-n", name_, "-6", "route", "replace", std::string(host_v6) + "/128", "dev", tun_, "src", local_v6});
}

void netlab::teardown() noexcept {
  try {
    responder_.reset();
    run({"ip", "netns", "del", name_}, step_timeout);
  } catch (...) {
    // A destructor must not throw; a namespace left behind is deleted by the next run's stale sweep.
  }
}

run_result netlab::exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return run(full, timeout);
}

nlohmann::json netlab::stop_responder() {
  if (!responder_) {
    throw std::runtime_error("netlab: the responder was already stopped");
  }
  int code = 0;
  const std::string out = responder_->stop(SIGTERM, std::chrono::seconds(5), code);
  responder_.reset();
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("type", "") == "summary") {
      return j;
    }
  }
  throw std::runtime_error("netlab: no summary from the responder (exit " + std::to_string(code) + "): " + out);
}

temp_config::temp_config(const std::string& tag, const std::string& text)
    : path_("/tmp/netstab-" + tag + "-" + std::to_string(::getpid()) + ".toml") {
  std::ofstream(path_) << text;
}

temp_config::~temp_config() { ::unlink(path_.c_str()); }

std::string netstab_binary() { return std::string(NETSTAB_BINARY_DIR) + "/service/netstab"; }

netstab_output run_netstab(const netlab& lab, const std::vector<std::string>& args, bool unprivileged,
                           std::chrono::milliseconds timeout) {
  std::vector<std::string> argv;
  if (unprivileged) {
    const run_result r = lab.exec({"sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647"});
    if (r.exit_code != 0) {
      throw std::runtime_error("netlab: cannot set ping_group_range: " + r.err);
    }
    argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  argv.push_back(netstab_binary());
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--json");
  return parse_netstab_output(lab.exec(argv, timeout));
}

std::vector<std::string> netstab_command(const netlab& lab, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip", "netns", "exec", lab.name(), netstab_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.emplace_back("--json");
  return argv;
}

netstab_output parse_netstab_output(run_result raw) {
  netstab_output out;
  out.raw = std::move(raw);
  std::istringstream lines(out.raw.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) {
      continue;
    }
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) {
      out.bad_lines.push_back(line);
    } else if (j.value("type", "") == "sample") {
      out.samples.push_back(std::move(j));
    } else if (j.value("type", "") == "stats") {
      out.stats.push_back(std::move(j));
    } else if (j.value("type", "") == "event") {
      out.events.push_back(std::move(j));
    }
  }
  return out;
}

std::optional<double> median_of(const std::vector<nlohmann::json>& samples, const std::string& key,
                                const std::string& status) {
  std::vector<double> v;
  for (const auto& s : samples) {
    if (s.value("status", "") == status && s.contains(key) && s[key].is_number()) {
      v.push_back(s[key].get<double>());
    }
  }
  if (v.empty()) {
    return std::nullopt;
  }
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2.0;
}

std::size_t count_status(const std::vector<nlohmann::json>& samples, const std::string& status) {
  return static_cast<std::size_t>(std::count_if(
      samples.begin(), samples.end(), [&](const nlohmann::json& s) { return s.value("status", "") == status; }));
}

std::vector<std::uint64_t> seqs_with_status(const netstab_output& out, const std::string& status) {
  std::vector<std::uint64_t> v;
  for (const auto& s : out.samples) {
    if (s.value("status", "") == status) {
      v.push_back(s.value("seq", std::uint64_t{0}));
    }
  }
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace netstab::netlab

#include "tests/support/mosquitto.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace netstab::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// ---- processes ----

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& log_file) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Dies with the test process, so a crashed test leaves no broker behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int out = log_file.empty() ? ::open("/dev/null", O_WRONLY)
                                     : ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::close(out);
    }
    const int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) {
      ::dup2(in, 0);
      ::close(in);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Waits up to timeout for pid; returns its wait status or nullopt.
std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (steady::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

bool can_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int run_program(const std::vector<std::string>& argv, const std::string& log_file, std::chrono::milliseconds timeout) {
  const pid_t pid = spawn(argv, log_file);
  if (pid < 0) return -1;
  auto status = wait_pid(pid, timeout);
  if (!status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
  }
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// ---- broker ----

mosquitto_broker::mosquitto_broker(mosquitto_options options) : opts_(std::move(options)) {
  std::string templ = (fs::temp_directory_path() / "netstab-mosquitto-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
  port_ = free_port();
  if (opts_.tls) {
    tls_port_ = free_port();
    make_certificates();
  }
  if (opts_.websockets) ws_port_ = free_port();
  if (opts_.require_password) {
    const std::string passwd = dir_ + "/passwd";
    if (run_program({"mosquitto_passwd", "-c", "-b", passwd, opts_.user, opts_.password}, dir_ + "/tools.log") != 0) {
      throw std::runtime_error("mosquitto_passwd failed: " + read_file(dir_ + "/tools.log"));
    }
  }
  write_config();
  start();
}

mosquitto_broker::~mosquitto_broker() {
  if (pid_ > 0) kill();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string mosquitto_broker::url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }
std::string mosquitto_broker::tls_url() const { return "mqtts://localhost:" + std::to_string(tls_port_); }
std::string mosquitto_broker::ca_file() const { return dir_ + "/ca.crt"; }
std::string mosquitto_broker::other_ca_file() const { return dir_ + "/other_ca.crt"; }
std::string mosquitto_broker::client_cert_file() const { return dir_ + "/client.crt"; }
std::string mosquitto_broker::client_key_file() const { return dir_ + "/client.key"; }
std::string mosquitto_broker::log() const { return read_file(dir_ + "/mosquitto.log"); }

void mosquitto_broker::make_certificates() const {
  const std::string log = dir_ + "/tools.log";
  const std::string ext = dir_ + "/server.ext";
  std::ofstream(ext) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  auto ok = [&](std::vector<std::string> argv) {
    if (run_program(argv, log) != 0) throw std::runtime_error("openssl failed: " + read_file(log));
  };
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
  auto req = [&](std::vector<std::string> head, const std::vector<std::string>& tail) {
    head.insert(head.end(), ec.begin(), ec.end());
    head.insert(head.end(), tail.begin(), tail.end());
    ok(head);
  };
  req({"openssl", "req", "-x509"},
      {"-keyout", dir_ + "/ca.key", "-out", dir_ + "/ca.crt", "-days", "2", "-subj", "/CN=netstab test CA"});
  req({"openssl", "req", "-x509"}, {"-keyout", dir_ + "/other_ca.key", "-out", dir_ + "/other_ca.crt", "-days", "2",
                                    "-subj", "/CN=netstab other CA"});
  req({"openssl", "req"}, {"-keyout", dir_ + "/server.key", "-out", dir_ + "/server.csr", "-subj", "/CN=localhost"});
  ok({"openssl", "x509", "-req", "-in", dir_ + "/server.csr", "-CA", dir_ + "/ca.crt", "-CAkey", dir_ + "/ca.key",
      "-CAcreateserial", "-out", dir_ + "/server.crt", "-days", "2", "-extfile", ext});
  req({"openssl", "req"},
      {"-keyout", dir_ + "/client.key", "-out", dir_ + "/client.csr", "-subj", "/CN=netstab-client"});
  ok({"openssl", "x509", "-req", "-in", dir_ + "/client.csr", "-CA", dir_ + "/ca.crt", "-CAkey", dir_ + "/ca.key",
      "-CAcreateserial", "-out", dir_ + "/client.crt", "-days", "2"});
}

void mosquitto_broker::write_config() const {
  std::ofstream conf(dir_ + "/mosquitto.conf");
  if (::geteuid() == 0) conf << "user root\n";  // else mosquitto drops to "mosquitto" and can't use our dir
  conf << "log_dest stderr\n";
  conf << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  conf << "connection_messages true\n";
  conf << "listener " << port_ << " 127.0.0.1\n";
  if (opts_.tls) {
    conf << "listener " << tls_port_ << " 127.0.0.1\n";
    conf << "cafile " << dir_ << "/ca.crt\ncertfile " << dir_ << "/server.crt\nkeyfile " << dir_ << "/server.key\n";
    if (opts_.require_client_cert) conf << "require_certificate true\n";
  }
  if (opts_.websockets) conf << "listener " << ws_port_ << " 127.0.0.1\nprotocol websockets\n";
  if (opts_.require_password) {
    conf << "allow_anonymous false\npassword_file " << dir_ << "/passwd\n";
  } else {
    conf << "allow_anonymous true\n";
  }
  if (opts_.persistence) {
    conf << "persistence true\npersistence_location " << dir_ << "/\nqueue_qos0_messages true\n";
    conf << "max_queued_messages 100000\n";
  }
}

void mosquitto_broker::start() {
  if (pid_ > 0) return;
  pid_ = spawn({"/usr/sbin/mosquitto", "-c", dir_ + "/mosquitto.conf"}, dir_ + "/mosquitto.log");
  if (pid_ < 0) throw std::runtime_error("fork failed");
  const auto deadline = steady::now() + patience;
  while (steady::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mosquitto exited at start:\n" + log());
    }
    if (can_connect(port_) && (tls_port_ == 0 || can_connect(tls_port_)) && (ws_port_ == 0 || can_connect(ws_port_))) {
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  kill();
  throw std::runtime_error("mosquitto did not accept connections within " + std::to_string(patience.count()) + " s:\n" +
                           log());
}

void mosquitto_broker::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return;
  if (!wait_pid(pid_, timeout)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

void mosquitto_broker::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  // SIGKILL after the wait would lose what persistence has still to write: wait as long as a loaded machine needs.
  wait_exit(patience);
}

void mosquitto_broker::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exit(patience);
}

void mosquitto_broker::pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void mosquitto_broker::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

// ---- MQTT test client ----

namespace {

void put_u16(std::vector<std::uint8_t>& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>((v >> 8U) & 0xFFU));
  out.push_back(static_cast<std::uint8_t>(v & 0xFFU));
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
  put_u16(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void put_varint(std::vector<std::uint8_t>& out, std::size_t v) {
  do {
    auto b = static_cast<std::uint8_t>(v % 128);
    v /= 128;
    if (v > 0) b = static_cast<std::uint8_t>(b | 0x80U);
    out.push_back(b);
  } while (v > 0);
}

std::vector<std::uint8_t> packet(std::uint8_t first, const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> out{first};
  put_varint(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Bounds-checked reader over a packet body.
struct cursor {
  const std::vector<std::uint8_t>& b;
  std::size_t pos = 0;
  bool ok = true;

  std::size_t left() const { return pos <= b.size() ? b.size() - pos : 0; }
  std::uint8_t u8() {
    if (left() < 1) {
      ok = false;
      return 0;
    }
    return b[pos++];
  }
  std::size_t u16() {
    const std::size_t hi = u8();
    const std::size_t lo = u8();
    return (hi << 8U) | lo;
  }
  std::size_t varint() {
    std::size_t v = 0;
    std::size_t mul = 1;
    for (int i = 0; i < 4; ++i) {
      const std::uint8_t x = u8();
      v += (x & 0x7FU) * mul;
      if ((x & 0x80U) == 0) break;
      mul *= 128;
    }
    return v;
  }
  std::string bytes(std::size_t n) {
    if (left() < n) {
      ok = false;
      return {};
    }
    std::string s(b.begin() + static_cast<std::ptrdiff_t>(pos), b.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    return s;
  }
  std::string str() { return bytes(u16()); }
  void skip(std::size_t n) {
    if (left() < n) ok = false;
    pos += n;
  }
};

}  // namespace

mqtt_test_client::mqtt_test_client(options o) : opts_(std::move(o)) {
  thread_ = std::thread([this] { run(); });
}

mqtt_test_client::~mqtt_test_client() {
  stop_ = true;  // first, so the reader doesn't reconnect after the DISCONNECT below
  {
    std::lock_guard w(write_mu_);
    if (fd_ >= 0) {
      const std::uint8_t disconnect[] = {0xE0, 0x00};
      (void)::send(fd_, disconnect, sizeof disconnect, MSG_NOSIGNAL);
    }
  }
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

bool mqtt_test_client::write_all(const std::vector<std::uint8_t>& bytes) {
  std::lock_guard w(write_mu_);
  if (fd_ < 0) return false;
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

void mqtt_test_client::drop_connection() {
  {
    std::lock_guard w(write_mu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::lock_guard lock(mu_);
  connected_ = false;
}

bool mqtt_test_client::read_packet(std::uint8_t& type, std::vector<std::uint8_t>& body) {
  // Reads exactly n bytes, polling in 50 ms steps so that stop_ is noticed.
  auto read_exact = [this](std::uint8_t* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      if (stop_) return false;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, 50);
      if (r == 0) continue;
      if (r < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      const ssize_t k = ::recv(fd_, dst + got, n - got, 0);
      if (k <= 0) {
        if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return false;
      }
      got += static_cast<std::size_t>(k);
    }
    return true;
  };
  std::uint8_t first = 0;
  if (!read_exact(&first, 1)) return false;
  std::size_t len = 0;
  std::size_t mul = 1;
  for (int i = 0; i < 4; ++i) {
    std::uint8_t b = 0;
    if (!read_exact(&b, 1)) return false;
    len += (b & 0x7FU) * mul;
    if ((b & 0x80U) == 0) break;
    mul *= 128;
  }
  type = first;
  body.assign(len, 0);
  return len == 0 || read_exact(body.data(), len);
}

std::vector<std::uint8_t> mqtt_test_client::subscribe_packet(const std::string& filter, int qos,
                                                             std::uint16_t id) const {
  std::vector<std::uint8_t> body;
  put_u16(body, id);
  if (opts_.version == 5) put_varint(body, 0);
  put_string(body, filter);
  body.push_back(static_cast<std::uint8_t>(qos));
  return packet(0x82, body);
}

bool mqtt_test_client::try_connect() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(opts_.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  {
    std::lock_guard w(write_mu_);
    fd_ = fd;
  }
  std::vector<std::uint8_t> body;
  put_string(body, "MQTT");
  body.push_back(static_cast<std::uint8_t>(opts_.version));
  std::uint8_t flags = opts_.clean_session ? 0x02 : 0x00;
  if (!opts_.user.empty()) flags = static_cast<std::uint8_t>(flags | 0x80U);
  if (!opts_.password.empty()) flags = static_cast<std::uint8_t>(flags | 0x40U);
  body.push_back(flags);
  put_u16(body, 0);  // no keepalive: the test client is short-lived
  if (opts_.version == 5) {
    if (opts_.clean_session) {
      put_varint(body, 0);
    } else {
      put_varint(body, 5);  // session expiry interval: one hour
      body.insert(body.end(), {0x11, 0x00, 0x00, 0x0E, 0x10});
    }
  }
  put_string(body, opts_.client_id);
  if (!opts_.user.empty()) put_string(body, opts_.user);
  if (!opts_.password.empty()) put_string(body, opts_.password);
  if (!write_all(packet(0x10, body))) {
    drop_connection();
    return false;
  }
  std::uint8_t type = 0;
  std::vector<std::uint8_t> ack;
  if (!read_packet(type, ack) || (type & 0xF0U) != 0x20 || ack.size() < 2 || ack[1] != 0) {
    drop_connection();
    return false;
  }
  std::vector<std::pair<std::string, int>> filters;
  {
    std::lock_guard lock(mu_);
    connected_ = true;
    ++connects_;
    filters = filters_;
  }
  cv_.notify_all();
  for (const auto& [f, q] : filters) write_all(subscribe_packet(f, q, 0xFFFF));
  return true;
}

void mqtt_test_client::handle_publish(std::uint8_t flags, const std::vector<std::uint8_t>& body) {
  cursor c{body};
  received_message m;
  m.qos = (flags >> 1U) & 0x03U;
  m.retained = (flags & 0x01U) != 0;
  m.topic = c.str();
  std::size_t id = 0;
  if (m.qos > 0) id = c.u16();
  if (opts_.version == 5) {
    const std::size_t plen = c.varint();
    const std::size_t end = c.pos + plen;
    while (c.ok && c.pos < end) {
      const std::size_t prop = c.varint();
      switch (prop) {
        case 0x01:
          c.skip(1);
          break;
        case 0x02:
          c.skip(4);
          break;
        case 0x03:
          (void)c.str();
          break;
        case 0x08:
          m.response_topic = c.str();
          break;
        case 0x09:
          m.correlation_data = c.str();
          break;
        case 0x0B:
          (void)c.varint();
          break;
        case 0x23:
          c.skip(2);
          break;
        case 0x26:
          (void)c.str();
          (void)c.str();
          break;
        default:
          c.ok = false;
          break;
      }
    }
  }
  if (!c.ok) return;
  m.payload = c.bytes(c.left());
  if (m.qos == 1) {
    std::vector<std::uint8_t> puback;
    put_u16(puback, id);
    write_all(packet(0x40, puback));
  }
  {
    std::lock_guard lock(mu_);
    messages_.push_back(std::move(m));
  }
  cv_.notify_all();
}

void mqtt_test_client::run() {
  while (!stop_) {
    if (fd_ < 0) {
      if (!try_connect()) {
        std::this_thread::sleep_for(50ms);
      }
      continue;
    }
    std::uint8_t type = 0;
    std::vector<std::uint8_t> body;
    if (!read_packet(type, body)) {
      if (!stop_) drop_connection();
      continue;
    }
    switch (type & 0xF0U) {
      case 0x30:
        handle_publish(static_cast<std::uint8_t>(type & 0x0FU), body);
        break;
      case 0x90:
        if (body.size() >= 2) {
          {
            std::lock_guard lock(mu_);
            acked_.insert(static_cast<std::uint16_t>((static_cast<unsigned>(body[0]) << 8U) | body[1]));
          }
          cv_.notify_all();
        }
        break;
      case 0xE0:
        drop_connection();
        break;
      default:
        break;
    }
  }
}

bool mqtt_test_client::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return connected_; });
}

bool mqtt_test_client::subscribe(const std::string& filter, int qos, std::chrono::milliseconds timeout) {
  std::uint16_t id = 0;
  {
    std::lock_guard lock(mu_);
    filters_.emplace_back(filter, qos);
    id = next_id_++;
    if (next_id_ == 0xFFFF) next_id_ = 1;
  }
  if (!wait_connected(timeout)) return false;
  if (!write_all(subscribe_packet(filter, qos, id))) return false;
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return acked_.count(id) > 0; });
}

bool mqtt_test_client::publish(const std::string& topic, const std::string& payload, bool retain,
                               const std::string& response_topic, const std::string& correlation_data) {
  std::vector<std::uint8_t> body;
  put_string(body, topic);
  if (opts_.version == 5) {
    std::vector<std::uint8_t> props;
    if (!response_topic.empty()) {
      props.push_back(0x08);
      put_string(props, response_topic);
    }
    if (!correlation_data.empty()) {
      props.push_back(0x09);
      put_string(props, correlation_data);
    }
    put_varint(body, props.size());
    body.insert(body.end(), props.begin(), props.end());
  }
  body.insert(body.end(), payload.begin(), payload.end());
  return write_all(packet(retain ? 0x31 : 0x30, body));
}

bool mqtt_test_client::wait_until(const std::function<bool(const std::vector<received_message>&)>& pred,
                                  std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(messages_); });
}

bool mqtt_test_client::wait_count(const std::string& topic, std::size_t n, std::chrono::milliseconds timeout) {
  return wait_until(
      [&](const std::vector<received_message>& ms) {
        std::size_t k = 0;
        for (const auto& m : ms) k += m.topic == topic ? 1U : 0U;
        return k >= n;
      },
      timeout);
}

std::vector<received_message> mqtt_test_client::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::vector<received_message> mqtt_test_client::on_topic(const std::string& topic) const {
  std::lock_guard lock(mu_);
  std::vector<received_message> out;
  for (const auto& m : messages_) {
    if (m.topic == topic) out.push_back(m);
  }
  return out;
}

void mqtt_test_client::clear() {
  std::lock_guard lock(mu_);
  messages_.clear();
}

int mqtt_test_client::connects() const {
  std::lock_guard lock(mu_);
  return connects_;
}

}  // namespace netstab::test

// Size and file-type limits on every file a configuration names (issue 7): the configuration file, the password
// file and the TLS files. Each hostile file must be refused at once with a message naming the file and the key;
// none may hang (a FIFO nobody writes to) or be read whole (/dev/zero).
#include "config/bounded_file.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "tests/config/temp_files.hpp"

namespace netstab::config {
namespace {

using testing::error_of;
using testing::temp_dir;

// A directory holding one file of every kind the loader must refuse or accept. Files whose content is never
// read (refused by their size, or TLS files that are only checked) are sparse, so that the tests stay fast.
class hostile_files {
 public:
  hostile_files() {
    fifo_ = dir_.path("fifo");
    if (::mkfifo(fifo_.c_str(), 0600) != 0) {
      ADD_FAILURE() << "mkfifo " << fifo_ << " failed";
    }
    directory_ = dir_.path("directory");
    std::filesystem::create_directory(directory_);
    config_over_limit_ = sparse("over_limit.toml", max_config_file_bytes + 1);
    // At the limit: a 65535-byte password (the most MQTT can carry) and its newline.
    password_at_limit_ = dir_.write("password_at_limit", std::string(max_password_file_bytes - 1, 'p') + "\n");
    password_over_limit_ = sparse("password_over_limit", max_password_file_bytes + 1);
    ca_at_limit_ = sparse("ca_at_limit.pem", max_tls_file_bytes);
    ca_over_limit_ = sparse("ca_over_limit.pem", max_tls_file_bytes + 1);
  }

  // Writes a configuration file `name` with `toml` and returns its path.
  std::string config(std::string_view name, std::string_view toml) const { return dir_.write(name, toml); }

  // The text of a configuration file of exactly `size` bytes that sets probe.ttl = 7.
  static std::string padded_toml(std::size_t size) {
    std::string text = "[probe]\nttl = 7\n#";
    text.resize(size, 'x');
    return text;
  }

  std::string fifo_;
  std::string directory_;
  std::string config_over_limit_;
  std::string password_at_limit_;
  std::string password_over_limit_;
  std::string ca_at_limit_;
  std::string ca_over_limit_;

 private:
  std::string sparse(std::string_view name, std::size_t size) const {
    const std::string path = dir_.write(name, "");
    std::filesystem::resize_file(path, size);
    return path;
  }

  temp_dir dir_;
};

load_request request_for(const std::string& config_file) {
  load_request request;
  request.config_file = config_file;
  request.host_name = "testhost";
  return request;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

TEST(BoundedFile, FormatsLimits) {
  EXPECT_EQ(format_byte_limit(max_config_file_bytes), "16 MiB");
  EXPECT_EQ(format_byte_limit(max_password_file_bytes), "64 KiB");
  EXPECT_EQ(format_byte_limit(max_tls_file_bytes), "1 MiB");
  EXPECT_EQ(format_byte_limit(1500), "1500 bytes");
  EXPECT_EQ(format_byte_limit(1), "1 byte");
}

TEST(BoundedFile, ReadsUpToTheLimitAndNoFurther) {
  const temp_dir dir;
  const std::string small = dir.write("small", "abc");
  std::string problem;
  EXPECT_EQ(read_bounded_file(small, 3, problem), "abc");
  EXPECT_EQ(read_bounded_file(small, 2, problem), std::nullopt);
  EXPECT_EQ(problem, "it is larger than the limit of 2 bytes");
  const std::string empty = dir.write("empty", "");
  EXPECT_EQ(read_bounded_file(empty, 0, problem), "");
}

// fstat's size is only a hint: /proc files are regular, report a size of 0 and still have content, like a file
// that grows after the check. Reading stops after the limit + 1 byte.
TEST(BoundedFile, StopsReadingAFileLargerThanItsStatSize) {
  std::string problem;
  EXPECT_EQ(read_bounded_file("/proc/self/status", 16, problem), std::nullopt);
  EXPECT_EQ(problem, "it is larger than the limit of 16 bytes");
  const auto whole = read_bounded_file("/proc/self/status", max_config_file_bytes, problem);
  ASSERT_TRUE(whole.has_value()) << problem;
  EXPECT_GT(whole->size(), 16U);
}

// What read_bounded_file and check_bounded_file say of `path`, as uid/gid 65534 when run as root: root reads
// files without read permission, so a forked child gives up root first and sends its findings through a pipe.
struct unreadable_findings {
  bool read_refused = false;
  std::string read_problem;
  std::string check_problem;
};

unreadable_findings findings_as_nobody(const std::string& path) {
  const auto look = [&path] {
    unreadable_findings f;
    f.read_refused = !read_bounded_file(path, max_password_file_bytes, f.read_problem).has_value();
    f.check_problem = check_bounded_file(path, max_tls_file_bytes).value_or("(no problem)");
    return f;
  };
  if (::geteuid() != 0) return look();
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int rc = 1;
    if (::setgroups(0, nullptr) == 0 && ::setresgid(65534, 65534, 65534) == 0 &&
        ::setresuid(65534, 65534, 65534) == 0) {
      const unreadable_findings f = look();
      const std::string out = std::string(f.read_refused ? "1" : "0") + "\n" + f.read_problem + "\n" + f.check_problem;
      rc = ::write(fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size()) ? 0 : 1;
    }
    ::_exit(rc);
  }
  ::close(fds[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  unreadable_findings f;
  std::istringstream in(text);
  std::string refused;
  std::getline(in, refused);
  f.read_refused = refused == "1";
  std::getline(in, f.read_problem);
  std::getline(in, f.check_problem);
  return f;
}

TEST(BoundedFile, NamesTheErrorOfAnUnreadableFile) {
  const temp_dir dir;
  const std::string secret = dir.write("secret", "s3cr3t\n");
  std::filesystem::permissions(secret, std::filesystem::perms::none);
  const unreadable_findings f = findings_as_nobody(secret);
  EXPECT_TRUE(f.read_refused);
  EXPECT_EQ(f.read_problem, "Permission denied");
  EXPECT_EQ(f.check_problem, "Permission denied");
}

TEST(BoundedFile, RefusesWhatIsNotARegularFile) {
  const hostile_files files;
  struct refused_case {
    std::string path;
    std::string problem;
  };
  const std::vector<refused_case> cases{
      {"/dev/zero", "it is a character device, not a regular file"},
      {"/dev/null", "it is a character device, not a regular file"},
      {files.fifo_, "it is a FIFO, not a regular file"},
      {files.directory_, "it is a directory, not a regular file"},
      {"/nonexistent/file", "No such file or directory"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    std::string problem;
    EXPECT_EQ(read_bounded_file(c.path, max_config_file_bytes, problem), std::nullopt);
    EXPECT_EQ(problem, c.problem);
    EXPECT_EQ(check_bounded_file(c.path, max_tls_file_bytes), c.problem);
  }
}

// Every way of naming a hostile file, through the loader, with the whole message.
TEST(Loader, RefusesHostileFilesNamingTheFileAndTheKey) {
  const hostile_files files;
  struct hostile_case {
    std::string name;
    load_request request;
    std::string message;
  };
  std::vector<hostile_case> cases;
  const auto config_case = [&](const std::string& name, const std::string& path, const std::string& problem) {
    cases.push_back({name, request_for(path), path + ": cannot read the configuration file: " + problem});
  };
  config_case("/dev/zero as the configuration", "/dev/zero", "it is a character device, not a regular file");
  config_case("a FIFO as the configuration", files.fifo_, "it is a FIFO, not a regular file");
  config_case("a directory as the configuration", files.directory_, "it is a directory, not a regular file");
  config_case("a configuration of 16 MiB + 1 byte", files.config_over_limit_, "it is larger than the limit of 16 MiB");

  const auto key_case = [&](const std::string& name, std::string_view key, const std::string& path,
                            const std::string& problem) {
    // One file per case: the requests are built first and loaded afterwards.
    const std::string config = files.config("case" + std::to_string(cases.size()) + ".toml",
                                            "[mqtt]\n" + std::string(key) + " = " + in_quotes(path) + "\n");
    cases.push_back({name, request_for(config),
                     config + ":2: mqtt." + std::string(key) + ": cannot read " + in_quotes(path) + ": " + problem});
  };
  key_case("a FIFO as password_file", "password_file", files.fifo_, "it is a FIFO, not a regular file");
  key_case("/dev/zero as password_file", "password_file", "/dev/zero", "it is a character device, not a regular file");
  key_case("a directory as password_file", "password_file", files.directory_, "it is a directory, not a regular file");
  key_case("a password file of 64 KiB + 1 byte", "password_file", files.password_over_limit_,
           "it is larger than the limit of 64 KiB");
  key_case("a CA file of 1 MiB + 1 byte", "tls_ca_file", files.ca_over_limit_, "it is larger than the limit of 1 MiB");
  key_case("a missing CA file", "tls_ca_file", "/nonexistent/ca.pem", "No such file or directory");
  key_case("a directory as CA file", "tls_ca_file", files.directory_, "it is a directory, not a regular file");
  key_case("a FIFO as CA file", "tls_ca_file", files.fifo_, "it is a FIFO, not a regular file");
  key_case("/dev/zero as CA file", "tls_ca_file", "/dev/zero", "it is a character device, not a regular file");

  // The environment layer names its variable instead of file:line.
  load_request from_env = request_for("");
  from_env.env = {{"NETSTAB_MQTT_PASSWORD_FILE", files.fifo_}};
  cases.push_back(
      {"a FIFO as NETSTAB_MQTT_PASSWORD_FILE", from_env,
       "NETSTAB_MQTT_PASSWORD_FILE: cannot read " + in_quotes(files.fifo_) + ": it is a FIFO, not a regular file"});
  load_request cert_from_env = request_for("");
  cert_from_env.env = {{"NETSTAB_MQTT_TLS_CERT_FILE", files.ca_over_limit_},
                       {"NETSTAB_MQTT_TLS_KEY_FILE", files.ca_at_limit_}};
  cases.push_back({"an oversized NETSTAB_MQTT_TLS_CERT_FILE", cert_from_env,
                   "NETSTAB_MQTT_TLS_CERT_FILE: cannot read " + in_quotes(files.ca_over_limit_) +
                       ": it is larger than the limit of 1 MiB"});
  load_request key_from_env = request_for("");
  key_from_env.env = {{"NETSTAB_MQTT_TLS_CERT_FILE", files.ca_at_limit_},
                      {"NETSTAB_MQTT_TLS_KEY_FILE", files.directory_}};
  cases.push_back({"a directory as NETSTAB_MQTT_TLS_KEY_FILE", key_from_env,
                   "NETSTAB_MQTT_TLS_KEY_FILE: cannot read " + in_quotes(files.directory_) +
                       ": it is a directory, not a regular file"});

  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(error_of(c.request), c.message);
  }
}

TEST(Loader, AcceptsFilesAtTheirLimits) {
  const hostile_files files;
  const std::string config_at_limit = files.config("at_limit.toml", hostile_files::padded_toml(max_config_file_bytes));
  const settings from_file = build(request_for(config_at_limit));
  EXPECT_EQ(from_file.probe.ttl, 7);

  load_request request = request_for("");
  request.env = {{"NETSTAB_MQTT_PASSWORD_FILE", files.password_at_limit_},
                 {"NETSTAB_MQTT_TLS_CA_FILE", files.ca_at_limit_},
                 {"NETSTAB_MQTT_TLS_CERT_FILE", files.ca_at_limit_},
                 {"NETSTAB_MQTT_TLS_KEY_FILE", files.ca_at_limit_}};
  const settings s = build(request);
  EXPECT_EQ(s.mqtt.password, std::string(max_password_file_bytes - 1, 'p'));
  EXPECT_EQ(s.mqtt.tls_ca_file, files.ca_at_limit_);
}

TEST(Loader, TextInMemoryHasTheSameLimit) {
  // A text at the limit parses like the file at the limit (AcceptsFilesAtTheirLimits); one byte more is refused
  // before parsing.
  try {
    build_from_text(hostile_files::padded_toml(max_config_file_bytes + 1), "text.toml", request_for(""));
    ADD_FAILURE() << "an oversized text loaded";
  } catch (const config_error& e) {
    EXPECT_STREQ(e.what(), "text.toml: cannot read the configuration: it is larger than the limit of 16 MiB");
  }
}

// SIGHUP reloads through config::reload on a worker thread; a file replaced by a hostile one is refused there
// (the service then publishes reload_failed and keeps its settings), and the same request loads again once the
// file is fixed.
TEST(Loader, ReloadRefusesAFileGrownPastTheLimitOrReplacedByAFifo) {
  const hostile_files files;
  const temp_dir dir;
  const std::string path = dir.path("netstab.toml");
  const load_request request = request_for(path);
  dir.write("netstab.toml", "[probe]\nttl = 9\n");
  EXPECT_EQ(build(request).probe.ttl, 9);

  // Grown past the limit in place (same path, same inode), as an editor appending to it would.
  std::filesystem::resize_file(path, max_config_file_bytes + 1);
  EXPECT_EQ(error_of(request), path + ": cannot read the configuration file: it is larger than the limit of 16 MiB");
  EXPECT_THROW(reload(request), config_error);

  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_THROW(reload(request), config_error);

  std::filesystem::remove(path);
  const std::string password = in_quotes(files.password_over_limit_);
  dir.write("netstab.toml", "[probe]\nttl = 10\n[mqtt]\npassword_file = " + password + "\n");
  try {
    reload(request);
    ADD_FAILURE() << "an oversized password file reloaded";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ":4: mqtt.password_file: cannot read " + password + ": it is larger than the limit of 64 KiB");
  }

  dir.write("netstab.toml", "[probe]\nttl = 11\n");
  EXPECT_EQ(reload(request).probe.ttl, 11);
}

}  // namespace
}  // namespace netstab::config

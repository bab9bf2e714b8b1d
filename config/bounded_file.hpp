#pragma once
// Size-bounded access to the files a configuration names: the configuration file itself, mqtt.password_file
// and the TLS files. A configuration naming /dev/zero, a FIFO nobody writes to, a directory or a huge file must
// get a clear error instead of a hang or an exhausted memory, at start-up and on reload (SIGHUP) alike.
// Pure functions over the file system, callable from any thread (reload runs them on a libuv worker thread).
// Each returns the problem as a sentence fragment for "<where>: cannot read \"<path>\": <problem>", in the style
// of validate.hpp.
#include <cstddef>
#include <optional>
#include <string>

namespace netstab::config {

inline constexpr std::size_t max_config_file_bytes = std::size_t{16} * 1024 * 1024;
inline constexpr std::size_t max_password_file_bytes = std::size_t{64} * 1024;
inline constexpr std::size_t max_tls_file_bytes = std::size_t{1024} * 1024;

// A byte count as people write limits: "16 MiB", "64 KiB", else "N bytes".
std::string format_byte_limit(std::size_t bytes);

// The whole content of a regular file of at most max_bytes bytes. Anything else (missing, unreadable, not a
// regular file, larger than max_bytes, or grown past max_bytes while being read) gives nothing and sets
// `problem`. The file is opened non-blocking, so a FIFO without a writer cannot hang the open, and checked with
// fstat on the opened descriptor; reading still stops after max_bytes + 1 bytes.
std::optional<std::string> read_bounded_file(const std::string& path, std::size_t max_bytes, std::string& problem);

// The problem of a file that another library reads later (the TLS files, read by OpenSSL), or nothing when it
// exists, can be opened for reading, is a regular file and has at most max_bytes bytes. Does not read it.
std::optional<std::string> check_bounded_file(const std::string& path, std::size_t max_bytes);

}  // namespace netstab::config

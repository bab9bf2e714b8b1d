#pragma once
// Asynchronous name resolution with uv_getaddrinfo (libuv's thread pool): the
// loop never blocks on DNS.
//
// Owns its in-flight requests. cancel() detaches a request's callback (the request
// itself is freed when libuv completes or cancels it), so an owner that forgets a
// target never receives a stale answer. Loop thread only.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>

#include "core/target.hpp"

namespace netstab::service {

class resolver {
 public:
  // status 0 and addresses in resolver preference order, or a libuv error code and its text.
  using callback = std::function<void(int status, const std::string& error, std::vector<sockaddr_storage>)>;

  explicit resolver(uv_loop_t* loop) : loop_(loop) {}
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  // Starts a resolution; returns its id (never 0), or 0 when it could not start (cb got the error).
  std::uint64_t resolve(const std::string& host, core::ip_version family, callback cb);
  void cancel(std::uint64_t id);
  std::size_t in_flight() const { return requests_.size(); }

 private:
  struct request;
  static void on_done(uv_getaddrinfo_t* req, int status, addrinfo* res);

  uv_loop_t* loop_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, request*> requests_;
};

}  // namespace netstab::service

#pragma once
// Asynchronous name resolution: getaddrinfo on a few helper threads of the
// resolver's own, results handed to the loop through a uv_async_t. The loop
// never blocks on DNS.
//
// Why not uv_getaddrinfo: a lookup that hangs (a DNS server that never answers
// waits out the resolver's timeout, 30 s and more) would keep the loop alive
// and, at exit, hold the process in libuv's thread-pool shutdown. Here a
// cancelled lookup is merely forgotten: its thread finishes on its own
// (detached), and nothing waits for it.
//
// Owns: the async handle (referenced only while lookups are pending, so it
// keeps the loop alive exactly as pending requests would), the callbacks of
// pending lookups, and a share of the state the workers use. At most
// max_workers threads run at once; further lookups queue. cancel() detaches a
// lookup's callback (and drops it from the queue if it has not started), so an
// owner that forgets a target never receives a stale answer. Loop thread only.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>

#include "core/target.hpp"
#include "service/uv.hpp"

namespace netstab::service {

class resolver {
 public:
  // status 0 and addresses in resolver preference order, or a libuv error code and its text.
  using callback = std::function<void(int status, const std::string& error, std::vector<sockaddr_storage>)>;
  static constexpr std::size_t max_workers = 4;

  explicit resolver(uv_loop_t* loop);
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  // Starts a resolution; returns its id (never 0), or 0 when it could not start (cb got the error).
  std::uint64_t resolve(const std::string& host, core::ip_version family, callback cb);
  void cancel(std::uint64_t id);
  std::size_t in_flight() const { return callbacks_.size(); }

  struct shared;

 private:
  void drain();
  void update_ref();

  std::shared_ptr<shared> shared_;
  async wake_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, callback> callbacks_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace netstab::service

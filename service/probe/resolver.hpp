#pragma once
// Asynchronous name resolution: getaddrinfo on the resolver's own workers (worker_pool.hpp), answers handed to
// the loop through its inbox (inbox.hpp). The loop never blocks on DNS.
//
// Why not uv_getaddrinfo: a lookup that hangs (a DNS server that never answers waits out the resolver's timeout,
// 30 s and more) would keep the loop alive and, at exit, hold the process in libuv's thread-pool shutdown. Here a
// cancelled lookup is merely forgotten: its worker finishes on its own (detached), and nothing waits for it.
//
// Owns: the workers (at most max_workers at once; further lookups queue), the inbox (referenced only while
// lookups are pending, so it keeps the loop alive exactly as pending requests would) and the callbacks of
// pending lookups. cancel() forgets a lookup's callback (and drops it from the queue if it has not started), so
// an owner that forgets a target never receives a stale answer. Loop thread only.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ip_address.hpp"
#include "core/result.hpp"
#include "core/target.hpp"
#include "service/loop/inbox.hpp"
#include "service/loop/worker_pool.hpp"

namespace netstab::service {

class resolver {
 public:
  // The addresses in the resolver's preference order (never empty), or why there are none.
  using answer = core::result<std::vector<core::ip_address>>;
  using callback = std::function<void(answer)>;
  static constexpr std::size_t max_workers = 4;

  explicit resolver(uv_loop_t* loop);
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  // Starts a lookup; its id (never 0). When no worker can be started, cb gets the error at once and the id is 0.
  std::uint64_t resolve(const std::string& host, core::ip_version family, callback cb);
  void cancel(std::uint64_t id);
  std::size_t in_flight() const { return callbacks_.size(); }
  void close();

 private:
  struct done {
    std::uint64_t id = 0;
    answer result{core::error{""}};
  };
  void deliver(done& d);

  worker_pool workers_{max_workers};
  inbox<done> answers_;
  std::unordered_map<std::uint64_t, std::pair<worker_pool::job_id, callback>> callbacks_;
  std::uint64_t next_id_ = 1;
};

}  // namespace netstab::service

#pragma once
// Reads the default gateways (IPv4 and IPv6) from the kernel's routing table off the loop: /proc/net/route and
// /proc/net/ipv6_route are read on a worker (worker_pool.hpp) and parsed there (core/route_table.hpp), and the
// answer comes back through an inbox (inbox.hpp), as the resolver's do. A /proc read is cheap, but the loop
// does no file I/O at all.
//
// request() starts a read unless one is under way (requests meanwhile are covered by it); the callback gets
// every answer on the loop. A file that cannot be read gives no gateway of its family. Owns the worker and the
// inbox (which does not keep the loop alive); loop thread only. close() before the loop closes.
#include <uv.h>

#include <functional>
#include <string>

#include "core/route_table.hpp"
#include "service/loop/inbox.hpp"
#include "service/loop/worker_pool.hpp"

namespace netstab::service {

class gateway_reader {
 public:
  using callback = std::function<void(const core::gateways&)>;

  // The files' paths are arguments so that a test can hand in its own routing tables.
  gateway_reader(uv_loop_t* loop, callback cb, std::string route_v4 = "/proc/net/route",
                 std::string route_v6 = "/proc/net/ipv6_route");
  gateway_reader(const gateway_reader&) = delete;
  gateway_reader& operator=(const gateway_reader&) = delete;

  void request();
  bool busy() const { return busy_; }
  void close();

 private:
  worker_pool workers_{1};
  inbox<core::gateways> answers_;
  callback cb_;
  std::string route_v4_, route_v6_;
  bool busy_ = false;
  bool closed_ = false;
};

}  // namespace netstab::service

#include "service/probe/gateway_reader.hpp"

#include <fstream>
#include <sstream>

namespace netstab::service {

namespace {

// The whole file, or "" when it cannot be read (a system without IPv6 has no ipv6_route).
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

gateway_reader::gateway_reader(uv_loop_t* loop, callback cb, std::string route_v4, std::string route_v6)
    : answers_(loop,
               [this](core::gateways& g) {
                 busy_ = false;
                 if (cb_) cb_(g);
               }),
      cb_(std::move(cb)),
      route_v4_(std::move(route_v4)),
      route_v6_(std::move(route_v6)) {
  answers_.keep_loop_alive(false);
}

void gateway_reader::request() {
  if (busy_ || closed_) return;
  auto job = workers_.submit([poster = answers_.make_poster(), v4 = route_v4_, v6 = route_v6_] {
    poster.post(core::gateways{core::default_gateway_v4(slurp(v4)), core::default_gateway_v6(slurp(v6))});
  });
  busy_ = job.ok();
}

void gateway_reader::close() {
  if (closed_) return;
  closed_ = true;
  workers_.close();
  answers_.close();
}

}  // namespace netstab::service

#include "service/probe/resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "service/probe/sockaddr.hpp"

namespace netstab::service {

namespace {

// getaddrinfo's answer: the addresses, or its error as a sentence.
resolver::answer lookup(const std::string& host, int family) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM;  // one entry per address, not one per socket type
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    if (rc == EAI_NONAME) return core::error{"name does not resolve"};
    if (rc == EAI_SYSTEM) return core::error{std::strerror(errno)};
    return core::error{::gai_strerror(rc)};
  }
  std::vector<core::ip_address> out;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    sockaddr_storage s{};
    std::memcpy(&s, a->ai_addr, a->ai_addrlen);
    out.push_back(from_sockaddr(s));
  }
  ::freeaddrinfo(res);
  if (out.empty()) return core::error{"no address of the requested family"};
  return out;
}

}  // namespace

resolver::resolver(uv_loop_t* loop) : answers_(loop, [this](done& d) { deliver(d); }) {
  answers_.keep_loop_alive(false);
}

std::uint64_t resolver::resolve(const std::string& host, core::ip_version family, callback cb) {
  const std::uint64_t id = next_id_++;
  const int fam = family == core::ip_version::v4 ? AF_INET : family == core::ip_version::v6 ? AF_INET6 : AF_UNSPEC;
  auto job = workers_.submit([poster = answers_.make_poster(), id, host, fam] {
    poster.post(done{id, lookup(host, fam)});
  });
  if (!job) {
    cb(core::error{job.message()});
    return 0;
  }
  callbacks_.emplace(id, std::make_pair(*job, std::move(cb)));
  answers_.keep_loop_alive(true);
  return id;
}

void resolver::cancel(std::uint64_t id) {
  auto it = callbacks_.find(id);
  if (it == callbacks_.end()) return;
  workers_.cancel(it->second.first);
  callbacks_.erase(it);
  if (callbacks_.empty()) answers_.keep_loop_alive(false);
}

void resolver::deliver(done& d) {
  auto it = callbacks_.find(d.id);
  if (it == callbacks_.end()) return;  // cancelled
  callback cb = std::move(it->second.second);
  callbacks_.erase(it);
  if (callbacks_.empty()) answers_.keep_loop_alive(false);
  cb(std::move(d.result));
}

void resolver::close() {
  callbacks_.clear();
  workers_.close();
  answers_.close();
}

}  // namespace netstab::service

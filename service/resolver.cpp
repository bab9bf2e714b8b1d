#include "service/resolver.hpp"

#include <netdb.h>

#include <cstring>

#include "service/uv.hpp"

namespace netstab::service {

struct resolver::request {
  uv_getaddrinfo_t req{};
  resolver* owner = nullptr;  // nullptr once cancelled or the resolver is gone
  std::uint64_t id = 0;
  callback cb;
};

resolver::~resolver() {
  for (auto& [id, r] : requests_) {
    r->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&r->req));
  }
}

std::uint64_t resolver::resolve(const std::string& host, core::ip_version family, callback cb) {
  auto* r = new request;
  r->owner = this;
  r->id = next_id_++;
  r->cb = std::move(cb);
  r->req.data = r;
  addrinfo hints{};
  hints.ai_family = family == core::ip_version::v4 ? AF_INET : family == core::ip_version::v6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;  // one entry per address, not one per socket type
  hints.ai_flags = AI_ADDRCONFIG;
  const int rc = uv_getaddrinfo(loop_, &r->req, &resolver::on_done, host.c_str(), nullptr, &hints);
  if (rc != 0) {
    auto local_cb = std::move(r->cb);
    delete r;
    local_cb(rc, uv_error_text(rc), {});
    return 0;
  }
  requests_.emplace(r->id, r);
  return r->id;
}

void resolver::cancel(std::uint64_t id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  it->second->owner = nullptr;
  uv_cancel(reinterpret_cast<uv_req_t*>(&it->second->req));
  requests_.erase(it);
}

void resolver::on_done(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* r = static_cast<request*>(req->data);
  std::vector<sockaddr_storage> out;
  if (status == 0) {
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
      sockaddr_storage s{};
      std::memcpy(&s, a->ai_addr, a->ai_addrlen);
      out.push_back(s);
    }
  }
  uv_freeaddrinfo(res);
  if (r->owner != nullptr) {
    r->owner->requests_.erase(r->id);
    std::string error;
    if (status != 0) {
      error = status == UV_EAI_NONAME ? "name does not resolve" : uv_strerror(status);
    } else if (out.empty()) {
      status = UV_EAI_NODATA;
      error = "no address of the requested family";
    }
    // The callback may start a new resolution or destroy the owner: nothing of r is used after it.
    auto cb = std::move(r->cb);
    delete r;
    cb(status, error, std::move(out));
    return;
  }
  delete r;
}

}  // namespace netstab::service

#include "service/probe/sockaddr.hpp"

#include <net/if.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <string>

namespace netstab::service {

core::result<sock_address> to_sockaddr(const core::ip_address& a) {
  sock_address out;
  const auto bytes = a.bytes();
  if (a.is_v4()) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.raw);
    v4->sin_family = AF_INET;
    std::memcpy(&v4->sin_addr, bytes.data(), bytes.size());
    return out;
  }
  sockaddr_in6& v6 = out.raw;
  v6.sin6_family = AF_INET6;
  std::memcpy(&v6.sin6_addr, bytes.data(), bytes.size());
  if (!a.zone().empty()) {
    const std::string zone(a.zone());
    const unsigned index = ::if_nametoindex(zone.c_str());
    if (index == 0) return core::error{"interface \"" + zone + "\" of " + a.text() + " does not exist"};
    v6.sin6_scope_id = index;
  }
  return out;
}

core::ip_address from_sockaddr(const sockaddr_storage& s) {
  if (s.ss_family == AF_INET) {
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in*>(&s)->sin_addr, b.size());
    return core::ip_address::v4(b);
  }
  if (s.ss_family == AF_INET6) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(&s)->sin6_addr, b.size());
    return core::ip_address::v6(b);
  }
  return {};
}

namespace {

bool same_address(const sockaddr* a, const sockaddr* b) {
  if (a->sa_family != b->sa_family) return false;
  if (a->sa_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(b)->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b)->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

}  // namespace

bool same_address(const sock_address& a, const sockaddr_storage& b) {
  return same_address(a.get(), reinterpret_cast<const sockaddr*>(&b));
}

bool same_address(const sock_address& a, const sock_address& b) { return same_address(a.get(), b.get()); }

}  // namespace netstab::service

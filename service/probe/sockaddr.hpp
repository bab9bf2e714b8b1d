#pragma once
// Conversions between core::ip_address values and the socket API's addresses. The prober converts a target's
// address once, when it learns it, and sends with the sockaddr from then on.
//
// Any thread.
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace netstab::service {

// An AF_INET or AF_INET6 address in the space of the larger of the two (28 bytes) instead of sockaddr_storage's
// 128: every target keeps one, two with a source address, and at 10,000 targets the difference is 2 MB.
struct sock_address {
  sockaddr_in6 raw{};  // an AF_INET address uses its first sizeof(sockaddr_in) bytes, family in the same place

  sa_family_t family() const { return raw.sin6_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&raw); }
  const sockaddr_in& v4() const { return *reinterpret_cast<const sockaddr_in*>(&raw); }
  socklen_t size() const { return family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6); }
};

// An IPv6 zone becomes the interface's index (sin6_scope_id): an error when no such interface exists.
core::result<sock_address> to_sockaddr(const core::ip_address& a);
// The address of an AF_INET or AF_INET6 sockaddr (a zone is not recovered); 0.0.0.0 for any other family.
core::ip_address from_sockaddr(const sockaddr_storage& s);
// The same address, by family and bytes (the port and scope are not compared).
bool same_address(const sock_address& a, const sockaddr_storage& b);
bool same_address(const sock_address& a, const sock_address& b);

}  // namespace netstab::service

#pragma once
// Conversions between core::ip_address values and the socket API's sockaddr_storage. The prober converts a
// target's address once, when it learns it, and sends with the sockaddr from then on.
//
// Any thread.
#include <sys/socket.h>

#include "core/ip_address.hpp"
#include "core/result.hpp"

namespace netstab::service {

// An IPv6 zone becomes the interface's index (sin6_scope_id): an error when no such interface exists.
core::result<sockaddr_storage> to_sockaddr(const core::ip_address& a);
// The address of an AF_INET or AF_INET6 sockaddr (a zone is not recovered); 0.0.0.0 for any other family.
core::ip_address from_sockaddr(const sockaddr_storage& s);
// The same address, by family and bytes (the port and scope are not compared).
bool same_address(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace netstab::service

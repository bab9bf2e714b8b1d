#include "service/app/privileges.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace netstab::service {
namespace {

// glibc has no wrapper for capget/capset; libcap is one more dependency for two system calls.
using cap_data = std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3>;

bool cap_get(cap_data& d) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capget, &h, d.data()) == 0;
}

bool cap_set(cap_data& d) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capset, &h, d.data()) == 0;
}

bool has(const cap_data& d, unsigned cap, __u32 __user_cap_data_struct::*set) {
  return ((d[cap / 32].*set) & (1U << (cap % 32))) != 0;
}

std::string failed(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

capability_report drop_capabilities() {
  capability_report r;
  cap_data d{};
  if (!cap_get(d)) {
    r.error = failed("capget");
    return r;
  }
  const bool raw = has(d, CAP_NET_RAW, &__user_cap_data_struct::permitted);
  const bool setpcap = has(d, CAP_SETPCAP, &__user_cap_data_struct::effective);
  for (unsigned cap = 0; cap < 32U * _LINUX_CAPABILITY_U32S_3; ++cap) {
    if (cap != CAP_NET_RAW && has(d, cap, &__user_cap_data_struct::permitted)) ++r.dropped;
  }
  // The bounding set first: dropping from it needs CAP_SETPCAP, which the capset below removes.
  if (setpcap) {
    for (unsigned long cap = 0; ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap) {
      if (cap != CAP_NET_RAW && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
        r.error = failed("PR_CAPBSET_DROP");
        return r;
      }
    }
  }
  // Clearing the ambient set needs no capability; EINVAL means a kernel without ambient capabilities.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    r.error = failed("PR_CAP_AMBIENT_CLEAR_ALL");
    return r;
  }
  cap_data keep{};
  if (raw) {
    keep[CAP_NET_RAW / 32].permitted = 1U << (CAP_NET_RAW % 32);
    keep[CAP_NET_RAW / 32].effective = 1U << (CAP_NET_RAW % 32);
  }
  if (!cap_set(keep)) {
    r.error = failed("capset");
    return r;
  }
  r.kept_net_raw = raw;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) r.error = failed("PR_SET_NO_NEW_PRIVS");
  return r;
}

}  // namespace netstab::service

// icmp_descriptor against the real kernel: a socket opened while CAP_NET_ADMIN is held keeps the receive buffer
// SO_RCVBUFFORCE gave it after the process drops its capabilities, while one opened after the drop is capped by
// net.core.rmem_max. The drop runs in a forked child, so that the test process keeps its capabilities.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "service/app/privileges.hpp"
#include "service/probe/icmp_socket.hpp"
#include "tests/support/privileges.hpp"

namespace netstab::service {
namespace {

constexpr std::uint64_t cap_net_admin = 1ULL << 12;

long long rmem_max() {
  std::ifstream in("/proc/sys/net/core/rmem_max");
  long long v = -1;
  in >> v;
  return v;
}

// What the child reports through its pipe. Plain integers: the child only makes system calls between fork and
// _exit, and writes this in one piece.
struct child_report {
  int early_open = 0;     // the socket opened before the drop is valid
  int early_before = -1;  // its SO_RCVBUF before the drop
  int early_after = -1;   // its SO_RCVBUF after the drop
  int drop_ok = 0;        // drop_capabilities reported no error
  int admin_left = 1;     // CAP_NET_ADMIN still effective after the drop (read from /proc/self/status)
  int late_open = 0;      // the socket opened after the drop is valid
  int late = -1;          // its SO_RCVBUF
};

// CapEff from /proc/self/status, read with plain system calls.
std::uint64_t effective_capabilities() {
  char buf[4096];
  const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ~0ULL;
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return ~0ULL;
  buf[n] = '\0';
  const char* p = std::strstr(buf, "CapEff:");
  if (p == nullptr) return ~0ULL;
  return std::strtoull(p + 7, nullptr, 16);
}

child_report run_in_child(int asked) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    child_report r;
    auto opened = icmp_descriptor::open(core::icmp::family::v4, asked);
    icmp_descriptor early = opened ? std::move(*opened) : icmp_descriptor{};
    r.early_open = early.valid() ? 1 : 0;
    r.early_before = early.receive_buffer();
    r.drop_ok = drop_capabilities().error.empty() ? 1 : 0;
    r.admin_left = (effective_capabilities() & cap_net_admin) != 0 ? 1 : 0;
    r.early_after = early.receive_buffer();
    auto reopened = icmp_descriptor::open(core::icmp::family::v4, asked);
    icmp_descriptor late = reopened ? std::move(*reopened) : icmp_descriptor{};
    r.late_open = late.valid() ? 1 : 0;
    r.late = late.receive_buffer();
    const bool written = ::write(fds[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    ::_exit(written ? 0 : 1);
  }
  ::close(fds[1]);
  child_report r;
  child_report got;
  const bool read_all = pid > 0 && ::read(fds[0], &got, sizeof got) == static_cast<ssize_t>(sizeof got);
  ::close(fds[0]);
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  if (read_all && WIFEXITED(status) && WEXITSTATUS(status) == 0) r = got;
  return r;
}

TEST(IcmpDescriptor, OpenedBeforeTheCapabilityDropKeepsItsForcedReceiveBuffer) {
  NETSTAB_REQUIRE_ROOT();
  // Ask for more than rmem_max lets SO_RCVBUF grant, so that only SO_RCVBUFFORCE (CAP_NET_ADMIN) can give it
  // all: then the socket opened after the drop shows what the fix avoids, whatever this host's rmem_max is.
  const long long max = rmem_max();
  ASSERT_GT(max, 0);
  ASSERT_LT(max, INT_MAX / 4) << "rmem_max is too large to ask for more than it";
  const int asked = static_cast<int>(std::max<long long>(wanted_receive_buffer, 2 * max));

  const child_report r = run_in_child(asked);
  ASSERT_EQ(r.early_open, 1) << "the child could not open an ICMP socket";
  EXPECT_EQ(r.drop_ok, 1);
  EXPECT_EQ(r.admin_left, 0) << "CAP_NET_ADMIN is still effective after drop_capabilities";
  // The kernel reports twice what it grants.
  EXPECT_GE(r.early_before, 2 * asked);
  EXPECT_GE(r.early_after, 2 * asked) << "the forced buffer must survive the drop";
  EXPECT_GE(r.early_after, 2 * wanted_receive_buffer);
  ASSERT_EQ(r.late_open, 1);
  EXPECT_LT(r.late, 2 * asked) << "a socket opened without CAP_NET_ADMIN must be capped by rmem_max (" << max
                               << "), or this test could not tell the two apart";
}

TEST(IcmpDescriptor, DefaultAskIsFourMebibytesAndAttachKeepsIt) {
  NETSTAB_REQUIRE_ROOT();
  auto opened = icmp_descriptor::open(core::icmp::family::v4);
  ASSERT_TRUE(opened) << opened.message();
  icmp_descriptor d = std::move(*opened);
  EXPECT_EQ(d.asked_receive_buffer(), 4 << 20);
  EXPECT_GE(d.receive_buffer(), 2 * (4 << 20));
  const int fd = d.fd();
  loop lp;
  auto attached = icmp_socket::open(lp.get(), std::move(d), true);
  ASSERT_TRUE(attached) << attached.message();
  auto s = std::move(*attached);
  EXPECT_FALSE(d.valid()) << "attaching takes the descriptor over";
  EXPECT_EQ(s->receive_buffer(), 2 * (4 << 20));
  EXPECT_EQ(s->asked_receive_buffer(), 4 << 20);
  // Released and attached again, it is the same socket with the same buffer.
  icmp_descriptor back = s->release();
  ASSERT_TRUE(back.valid());
  EXPECT_EQ(back.fd(), fd);
  EXPECT_GE(back.receive_buffer(), 2 * (4 << 20));
  auto again = icmp_socket::open(lp.get(), std::move(back), true);
  ASSERT_TRUE(again) << again.message();
  s = std::move(*again);
  s->close();
  s.reset();
  EXPECT_EQ(lp.close(), 0);
}

// 0.4 s of replies at the configured probe rate, between 4 MiB and 64 MiB.
TEST(IcmpDescriptor, ReceiveBufferHoldsFourTenthsOfASecondOfReplies) {
  struct row {
    double probes_per_second;
    int bytes;
  };
  for (const row r : {row{0, 4 << 20}, row{1, 4 << 20}, row{10'000, 4 << 20}, row{50'000, 16'640'000},
                      row{100'000, 33'280'000}, row{1'000'000, 64 << 20}}) {
    EXPECT_EQ(receive_buffer_for(r.probes_per_second), r.bytes) << r.probes_per_second << " probes/s";
  }
}

// Start-up opens both families with the buffer sized for its targets; with CAP_NET_ADMIN it is granted in full.
TEST(IcmpDescriptor, StartUpOpensEveryFamilyWithTheBufferAskedFor) {
  NETSTAB_REQUIRE_ROOT();
  const icmp_descriptors d = icmp_descriptors::open(receive_buffer_for(50'000));
  ASSERT_TRUE(d.v4.valid()) << d.v4_error;
  EXPECT_EQ(d.v4.asked_receive_buffer(), 16'640'000);
  EXPECT_GE(d.v4.receive_buffer(), 2 * 16'640'000);
  if (d.v6.valid()) {
    EXPECT_GE(d.v6.receive_buffer(), 2 * 16'640'000);
  }
}

TEST(IcmpDescriptor, AttachingAnInvalidDescriptorFailsWithAReason) {
  loop lp;
  const auto attached = icmp_socket::open(lp.get(), icmp_descriptor{}, true);
  EXPECT_FALSE(attached);
  EXPECT_FALSE(attached.message().empty());
  EXPECT_EQ(lp.close(), 0);
}

}  // namespace
}  // namespace netstab::service

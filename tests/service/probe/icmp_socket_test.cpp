// icmp_socket's burst send (one sendmmsg for the probes of a wake-up): every message goes out in order, a message
// the kernel refuses is named by its index and the rest still go out. Real sockets to 127.0.0.1 on a real loop;
// root for the raw socket.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "core/ip_address.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/icmp_socket.hpp"
#include "service/probe/sockaddr.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/wait.hpp"

namespace netstab::service {
namespace {

namespace icmp = core::icmp;

sock_address address(const char* text) { return to_sockaddr(core::ip_address::parse(text).value()).value(); }

TEST(IcmpSocket, BurstSendsEveryMessageInOrderAndNamesTheRefusedOne) {
  NETSTAB_REQUIRE_ROOT();
  loop lp;
  {
    auto opened = icmp_socket::open(lp.get(), icmp::family::v4, true);
    ASSERT_TRUE(opened) << opened.message();
    icmp_socket& sock = **opened;
    std::vector<std::uint32_t> replies;
    std::vector<std::uint32_t> stamped;
    ASSERT_TRUE(sock.start(
        [&](const icmp_input& in) {
          if (in.what == icmp_input::kind::reply) replies.push_back(in.pkt.seq32);
          if (in.what == icmp_input::kind::tx_timestamp) stamped.push_back(in.pkt.seq32);
        },
        [] {}));

    // Five probes to 127.0.0.1; the third to the broadcast address, which a socket without SO_BROADCAST may not
    // send to (EACCES).
    const sock_address loopback = address("127.0.0.1");
    const sock_address broadcast = address("255.255.255.255");
    const send_options opt;
    constexpr std::size_t n = 5;
    std::array<std::array<std::byte, 64>, n> packets{};
    std::vector<outgoing> burst;
    for (std::size_t i = 0; i < n; ++i) {
      icmp::echo e;
      e.id = sock.identifier();
      e.seq16 = static_cast<std::uint16_t>(i);
      e.seq32 = static_cast<std::uint32_t>(i);
      e.cookie = 42;
      const std::size_t len = icmp::encode_echo_request(icmp::family::v4, e, 56, packets[i]);
      ASSERT_GT(len, 0U);
      burst.push_back(
          outgoing{i == 2 ? &broadcast : &loopback, std::span<const std::byte>(packets[i].data(), len), &opt});
    }
    std::vector<std::pair<std::size_t, std::string>> refused;
    sock.send_burst(burst, [&](std::size_t i, const std::string& why) { refused.emplace_back(i, why); });
    ASSERT_EQ(refused.size(), 1U);
    EXPECT_EQ(refused[0].first, 2U);
    EXPECT_EQ(refused[0].second.rfind("send failed: ", 0), 0U) << refused[0].second;

    timer guard(lp.get());
    guard.start(static_cast<std::uint64_t>(std::chrono::milliseconds(test::patience).count()), [&] { lp.stop(); });
    idle check(lp.get());
    std::function<void()> poll_done = [&] {
      if (replies.size() >= n - 1 && stamped.size() >= n - 1) {
        lp.stop();
        return;
      }
      check.start_once(poll_done);
    };
    check.start_once(poll_done);
    lp.run();
    EXPECT_EQ(replies, (std::vector<std::uint32_t>{0, 1, 3, 4}));
    EXPECT_EQ(stamped, (std::vector<std::uint32_t>{0, 1, 3, 4})) << "a transmit timestamp per message sent";
    guard.close();
    check.close();
    sock.close();
  }
  EXPECT_EQ(lp.close(), 0);
}

}  // namespace
}  // namespace netstab::service

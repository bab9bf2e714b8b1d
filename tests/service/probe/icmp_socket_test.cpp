// icmp_socket's burst send (one sendmmsg for the probes of a wake-up): every message goes out in order, a message
// the kernel refuses is named by its index and the rest still go out. Real sockets to 127.0.0.1 on a real loop;
// root for the raw socket.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
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

// Echo requests with sequence 0, 1, ... from sock, the i-th to to[i]; packets holds their bytes.
struct echo_burst {
  std::vector<std::array<std::byte, 64>> packets;
  std::vector<outgoing> messages;
};

echo_burst make_burst(const icmp_socket& sock, const std::vector<const sock_address*>& to, const send_options& opt) {
  echo_burst b;
  b.packets.resize(to.size());
  for (std::size_t i = 0; i < to.size(); ++i) {
    icmp::echo e;
    e.id = sock.identifier();
    e.seq16 = static_cast<std::uint16_t>(i);
    e.seq32 = static_cast<std::uint32_t>(i);
    e.cookie = 42;
    const std::size_t len = icmp::encode_echo_request(icmp::family::v4, e, 56, b.packets[i]);
    EXPECT_GT(len, 0U);
    b.messages.push_back(outgoing{to[i], std::span<const std::byte>(b.packets[i].data(), len), &opt});
  }
  return b;
}

// Runs the loop until done() holds or the tests' patience has run out.
void run_until(loop& lp, const std::function<bool()>& done) {
  timer guard(lp.get());
  guard.start(static_cast<std::uint64_t>(std::chrono::milliseconds(test::patience).count()), [&] { lp.stop(); });
  idle check(lp.get());
  std::function<void()> poll_done = [&] {
    if (done()) {
      lp.stop();
      return;
    }
    check.start_once(poll_done);
  };
  check.start_once(poll_done);
  lp.run();
  guard.close();
  check.close();
}

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
    const echo_burst burst = make_burst(sock, {&loopback, &loopback, &broadcast, &loopback, &loopback}, opt);
    std::vector<std::pair<std::size_t, std::string>> refused;
    sock.send_burst(burst.messages, [&](std::size_t i, const std::string& why) { refused.emplace_back(i, why); });
    ASSERT_EQ(refused.size(), 1U);
    EXPECT_EQ(refused[0].first, 2U);
    EXPECT_EQ(refused[0].second.rfind("send failed: ", 0), 0U) << refused[0].second;

    run_until(lp, [&] { return replies.size() >= n - 1 && stamped.size() >= n - 1; });
    EXPECT_EQ(replies, (std::vector<std::uint32_t>{0, 1, 3, 4}));
    EXPECT_EQ(stamped, (std::vector<std::uint32_t>{0, 1, 3, 4})) << "a transmit timestamp per message sent";
    sock.close();
  }
  EXPECT_EQ(lp.close(), 0);
}

// The owner sees every item of a received batch through on_peek before on_input sees the first of them (so it can
// start fetching their targets' state), and on_input then gets the same items in the same order.
TEST(IcmpSocket, PeekSeesEveryItemOfABatchBeforeAnyIsHandedOn) {
  NETSTAB_REQUIRE_ROOT();
  loop lp;
  {
    auto opened = icmp_socket::open(lp.get(), icmp::family::v4, true);
    ASSERT_TRUE(opened) << opened.message();
    icmp_socket& sock = **opened;
    struct seen {
      bool peek;
      icmp_input::kind what;
      std::uint32_t seq;
    };
    std::vector<seen> log;
    std::size_t replies = 0;
    ASSERT_TRUE(sock.start(
        [&](const icmp_input& in) {
          log.push_back({false, in.what, in.pkt.seq32});
          if (in.what == icmp_input::kind::reply) ++replies;
        },
        [] {},
        [&](const icmp_input& in) {
          log.push_back({true, in.what, in.pkt.seq32});
        }));

    // Loopback answers within the send call, so the transmit stamps and the replies of the burst wait in the
    // socket together and are drained in one batch each.
    const sock_address loopback = address("127.0.0.1");
    const send_options opt;
    constexpr std::size_t n = 6;
    const echo_burst burst = make_burst(sock, std::vector<const sock_address*>(n, &loopback), opt);
    sock.send_burst(burst.messages, [](std::size_t, const std::string&) {});
    run_until(lp, [&] { return replies >= n; });
    ASSERT_EQ(replies, n);

    // The log is a series of groups, each some peeks and then as many inputs for the same items in the same order.
    std::size_t i = 0;
    std::size_t largest = 0;
    while (i < log.size()) {
      std::size_t peeks = 0;
      while (i + peeks < log.size() && log[i + peeks].peek) ++peeks;
      ASSERT_GT(peeks, 0U) << "an input at " << i << " that was not peeked first";
      for (std::size_t k = 0; k < peeks; ++k) {
        ASSERT_LT(i + peeks + k, log.size()) << "a peeked item that was not handed on";
        const seen& p = log[i + k];
        const seen& in = log[i + peeks + k];
        EXPECT_FALSE(in.peek);
        EXPECT_EQ(in.what, p.what);
        EXPECT_EQ(in.seq, p.seq);
      }
      largest = std::max(largest, peeks);
      i += 2 * peeks;
    }
    EXPECT_GE(largest, 2U) << "no batch held more than one item: nothing shows that a batch is peeked as a whole";
    sock.close();
  }
  EXPECT_EQ(lp.close(), 0);
}

}  // namespace
}  // namespace netstab::service

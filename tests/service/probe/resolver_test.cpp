// The resolver against the machine's own resolver (/etc/hosts and getaddrinfo); no DNS server is needed.
#include "service/probe/resolver.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>

#include "service/loop/uv.hpp"

namespace netstab::service {
namespace {

TEST(Resolver, ResolvesOffTheLoopAndAnswersOnIt) {
  loop lp;
  std::optional<resolver::answer> got;
  std::thread::id answered_on;
  {
    resolver r(lp.get());
    const auto id = r.resolve("localhost", core::ip_version::v4, [&](resolver::answer a) {
      got = std::move(a);
      answered_on = std::this_thread::get_id();
    });
    EXPECT_NE(id, 0U);
    EXPECT_EQ(r.in_flight(), 1U);
    lp.run();  // a pending lookup keeps the loop alive until its answer
    EXPECT_EQ(r.in_flight(), 0U);
    r.close();
  }
  ASSERT_TRUE(got);
  ASSERT_TRUE(*got) << got->message();
  EXPECT_EQ((*got)->front(), *core::ip_address::parse("127.0.0.1"));
  EXPECT_EQ(answered_on, std::this_thread::get_id());
  EXPECT_EQ(lp.close(), 0);
}

TEST(Resolver, ANameThatDoesNotResolveIsAnErrorSentence) {
  loop lp;
  std::optional<resolver::answer> got;
  resolver r(lp.get());
  // .invalid never resolves (RFC 6761); a label with a space is refused before any lookup leaves the host.
  r.resolve("no such host.invalid", core::ip_version::any, [&](resolver::answer a) { got = std::move(a); });
  lp.run();
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  EXPECT_FALSE(got->message().empty());
  r.close();
  EXPECT_EQ(lp.close(), 0);
}

TEST(Resolver, ACancelledLookupNeverAnswersAndLetsTheLoopEnd) {
  loop lp;
  int answers = 0;
  resolver r(lp.get());
  const auto id = r.resolve("localhost", core::ip_version::any, [&](resolver::answer) { ++answers; });
  r.cancel(id);
  EXPECT_EQ(r.in_flight(), 0U);
  lp.run();  // returns: nothing keeps the loop alive once the lookup is forgotten
  EXPECT_EQ(answers, 0);
  r.close();
  EXPECT_EQ(lp.close(), 0);
}

TEST(Resolver, ManyLookupsQueueBehindFewWorkersAndAllAnswer) {
  loop lp;
  int ok = 0;
  resolver r(lp.get());
  for (int i = 0; i < 3 * static_cast<int>(resolver::max_workers); ++i) {
    r.resolve("localhost", core::ip_version::v4, [&](resolver::answer a) { ok += a ? 1 : 0; });
  }
  lp.run();
  EXPECT_EQ(ok, 3 * static_cast<int>(resolver::max_workers));
  r.close();
  EXPECT_EQ(lp.close(), 0);
}

}  // namespace
}  // namespace netstab::service

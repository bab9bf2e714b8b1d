#include "core/verdict_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace netstab::core {
namespace {

using namespace std::chrono_literals;

// 2026-11-25T21:04:30Z
constexpr wall_time at_2104 = std::chrono::seconds(1'795'640'670);

TEST(VerdictText, TtlLists) {
  struct row {
    std::vector<unsigned> ttls;
    std::string list, clean;
  };
  const row rows[] = {
      {{}, "", ""},
      {{1}, "1", "hop 1 clean"},
      {{1, 2}, "1–2", "hops 1–2 clean"},
      {{1, 2, 3, 5}, "1–3, 5", "hops 1–3, 5 clean"},
      {{1, 3, 5}, "1, 3, 5", "hops 1, 3, 5 clean"},
      {{2, 3, 7, 8, 9}, "2–3, 7–9", "hops 2–3, 7–9 clean"},
  };
  for (const row& r : rows) {
    EXPECT_EQ(ttl_list(r.ttls), r.list);
    EXPECT_EQ(clean_phrase(r.ttls), r.clean);
  }
}

TEST(VerdictText, RateLimitedAndNoDataPhrases) {
  const std::vector<unsigned> one = {4};
  const std::vector<unsigned> two = {4, 6};
  EXPECT_EQ(rate_limited_phrase(one, fault_metric::loss), "hop 4 drops ICMP to itself (rate-limited), not blamed");
  EXPECT_EQ(rate_limited_phrase(two, fault_metric::loss),
            "hops 4, 6 drop ICMP to themselves (rate-limited), not blamed");
  EXPECT_EQ(rate_limited_phrase(one, fault_metric::latency), "hop 4 delays ICMP to itself (rate-limited), not blamed");
  EXPECT_EQ(rate_limited_phrase({}, fault_metric::loss), "");
  EXPECT_EQ(no_data_phrase(one), "no data from hop 4");
  EXPECT_EQ(no_data_phrase(std::vector<unsigned>{4, 5}), "no data from hops 4–5");
}

TEST(VerdictText, SinceIsUtcAndNamesAnotherDay) {
  EXPECT_EQ(since_phrase(at_2104, at_2104 + 2h), "since 21:04 UTC");
  EXPECT_EQ(since_phrase(at_2104, at_2104 + 3h), "since 2026-11-25 21:04 UTC");  // now is past midnight UTC
  EXPECT_EQ(text_fixed1(8.0), "8.0");
  EXPECT_EQ(text_fixed1(7.96), "8.0");
  EXPECT_EQ(text_short(100), "100");
  EXPECT_EQ(text_short(2.5), "2.5");
}

fault issue_example() {
  fault f;
  f.where = segment::isp;
  f.metric = fault_metric::loss;
  f.hop = 3;
  f.address = ip_address::parse("100.64.0.1");
  f.headline = "loss 8.0% from hop 3 (100.64.0.1, ISP) to the target";
  f.context = "hops 1–2 clean";
  f.since = at_2104;
  return f;
}

TEST(VerdictText, ComposedReason) {
  fault f = issue_example();
  EXPECT_EQ(compose_reason(f, at_2104 + 10min),
            "loss 8.0% from hop 3 (100.64.0.1, ISP) to the target since 21:04 UTC; hops 1–2 clean");
  f.since.reset();
  f.context.clear();
  EXPECT_EQ(compose_reason(f, at_2104), "loss 8.0% from hop 3 (100.64.0.1, ISP) to the target");
  std::string parts;
  append_part(parts, "");
  append_part(parts, "a");
  append_part(parts, "");
  append_part(parts, "b");
  EXPECT_EQ(parts, "a; b");
}

TEST(FaultJson, ObjectForPayloads) {
  fault f = issue_example();
  f.reason = compose_reason(f, at_2104);
  std::string out = "prefix:";
  append_fault_json(out, f);
  EXPECT_EQ(out,
            "prefix:{\"segment\":\"isp\",\"metric\":\"loss\",\"hop\":3,\"address\":\"100.64.0.1\","
            "\"since\":\"2026-11-25T21:04:30.000Z\",\"reason\":\"loss 8.0% from hop 3 (100.64.0.1, ISP) to the "
            "target since 21:04 UTC; hops 1–2 clean\"}");
  const auto j = nlohmann::json::parse(out.substr(7));
  EXPECT_EQ(j["reason"], f.reason);

  const fault ok;
  std::string ok_out;
  append_fault_json(ok_out, ok);
  EXPECT_EQ(ok_out,
            "{\"segment\":\"ok\",\"metric\":\"none\",\"hop\":null,\"address\":null,\"since\":null,\"reason\":\"ok\"}");

  fault remote;
  remote.where = segment::remote;
  remote.metric = fault_metric::latency;
  remote.address = ip_address::parse("2001:db8::7");
  remote.reason = "latency \"quoted\" <b>";
  std::string remote_out;
  append_fault_json(remote_out, remote);
  const auto r = nlohmann::json::parse(remote_out);
  EXPECT_TRUE(r["hop"].is_null());
  EXPECT_EQ(r["address"], "2001:db8::7");
  EXPECT_EQ(r["reason"], "latency \"quoted\" <b>");
}

}  // namespace
}  // namespace netstab::core

#include "core/command.hpp"

#include <gtest/gtest.h>

namespace netstab::core {
namespace {

using namespace std::chrono_literals;

TEST(ParseCommand, BareWords) {
  struct row {
    std::string_view payload;
    std::string_view name;
  };
  const row rows[] = {{"start", "start"}, {"stop", "stop"}, {" status\n", "status"}};
  for (const auto& r : rows) {
    const auto p = parse_command(r.payload);
    ASSERT_TRUE(p.ok()) << r.payload << ": " << p.error;
    EXPECT_EQ(command_name(*p.cmd), r.name);
    EXPECT_TRUE(p.id.is_null());
  }
}

TEST(ParseCommand, SimpleObjectsEchoTheIdAsGiven) {
  auto p = parse_command(R"({"cmd":"start","id":"abc"})");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(std::holds_alternative<start_command>(*p.cmd));
  EXPECT_EQ(p.id, "abc");
  p = parse_command(R"({"id":17,"cmd":"status"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.id, 17);
  EXPECT_TRUE(p.id.is_number_integer());
  p = parse_command(R"({"id":1.5,"cmd":"stop"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.id, 1.5);
}

TEST(ParseCommand, AddTargetWithAllSettings) {
  const auto p = parse_command(
      R"({"cmd":"add_target","target":"1.1.1.1","interval_ms":500,"timeout_ms":800,"size":100,"ttl":32,"tos":184,)"
      R"("ip_version":"4","publish_samples":false})");
  ASSERT_TRUE(p.ok()) << p.error;
  const auto& req = std::get<add_target_command>(*p.cmd).request;
  EXPECT_EQ(req.target, "1.1.1.1");
  EXPECT_EQ(req.interval, nanos(500ms));
  EXPECT_EQ(req.timeout, nanos(800ms));
  EXPECT_EQ(req.size, 100U);
  EXPECT_EQ(req.ttl, 32);
  EXPECT_EQ(req.tos, 184);
  EXPECT_EQ(req.family, ip_version::v4);
  EXPECT_EQ(req.publish_samples, false);

  probe_settings defaults;
  defaults.interval = 2s;
  defaults.source = ip_address::parse("10.0.0.1");
  const target_spec spec = req.apply(defaults);
  EXPECT_EQ(spec.host, "1.1.1.1");
  EXPECT_EQ(spec.probe.interval, nanos(500ms));
  EXPECT_EQ(spec.probe.ttl, 32);
  EXPECT_EQ(spec.probe.source, ip_address::parse("10.0.0.1"));
  EXPECT_EQ(spec.literal, ip_address::parse("1.1.1.1"));
  EXPECT_FALSE(spec.probe.publish_samples);
}

TEST(ParseCommand, SetTargetTakesDefaultsForMissingSettings) {
  const auto p = parse_command(R"({"cmd":"set_target","target":"8.8.8.8"})");
  ASSERT_TRUE(p.ok());
  const auto& req = std::get<set_target_command>(*p.cmd).request;
  EXPECT_FALSE(req.interval.has_value());
  probe_settings defaults;
  defaults.interval = 3s;
  EXPECT_EQ(req.apply(defaults).probe.interval, nanos(3s));
}

TEST(ParseCommand, RemoveTargetAndSetInterval) {
  auto p = parse_command(R"({"cmd":"remove_target","target":"1.1.1.1"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::get<remove_target_command>(*p.cmd).target, "1.1.1.1");
  p = parse_command(R"({"cmd":"set_interval","target":"1.1.1.1","interval_ms":2000.0})");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(std::get<set_interval_command>(*p.cmd).interval, nanos(2s));
}

TEST(ParseCommand, IgnoresUnknownFields) {
  const auto p = parse_command(R"({"cmd":"add_target","target":"h","future_option":{"x":[1,2]}})");
  EXPECT_TRUE(p.ok()) << p.error;
}

TEST(ParseCommand, RejectsBadInputWithAClearError) {
  struct row {
    std::string payload;
    std::string error;
  };
  const std::vector<row> rows = {
      {"", "empty command"},
      {"   ", "empty command"},
      {"fly", "unknown command \"fly\""},
      {R"({"cmd":"fly"})", "unknown command \"fly\""},
      {R"({"cmd":"start",})", "invalid JSON at byte 16"},
      {R"({"cmd")", "invalid JSON at byte 7"},
      {"\x01\x02garbage", "invalid JSON at byte 1"},
      {"{\"cmd\":\"st\xff\"}", "invalid JSON at byte 11"},
      {"null", "command must be a JSON object or one of start, stop, status"},
      {"[\"start\"]", "command must be a JSON object or one of start, stop, status"},
      {"true", "command must be a JSON object or one of start, stop, status"},
      {"42", "command must be a JSON object or one of start, stop, status"},
      {"\"start\"", "command must be a JSON object or one of start, stop, status"},
      {"{}", "missing field \"cmd\""},
      {R"({"cmd":null})", "missing field \"cmd\""},
      {R"({"cmd":5})", "field \"cmd\" must be a string"},
      {R"({"cmd":{"nested":"start"}})", "field \"cmd\" must be a string"},
      {R"({"cmd":["start"]})", "field \"cmd\" must be a string"},
      {R"({"cmd":"add_target"})", "missing field \"target\""},
      {R"({"cmd":"add_target","target":null})", "missing field \"target\""},
      {R"({"cmd":"add_target","target":7})", "field \"target\" must be a string"},
      {R"({"cmd":"add_target","target":["1.1.1.1"]})", "field \"target\" must be a string"},
      {R"({"cmd":"add_target","target":""})", "field \"target\" must not be empty"},
      {R"({"cmd":"add_target","target":"a b"})",
       "field \"target\" contains a character not allowed in a host name: \"a b\""},
      {R"({"cmd":"add_target","target":"a\nb"})",
       "field \"target\" contains a character not allowed in a host name: \"a\nb\""},
      {R"({"cmd":"add_target","target":"h/#"})",
       "field \"target\" contains a character not allowed in a host name: \"h/#\""},
      {R"({"cmd":"add_target","target":")" + std::string(300, 'a') + "\"}",
       "field \"target\" is longer than 255 bytes"},
      {R"({"cmd":"add_target","target":"h","interval_ms":"1000"})", "field \"interval_ms\" must be an integer"},
      {R"({"cmd":"add_target","target":"h","interval_ms":1000.5})", "field \"interval_ms\" must be an integer"},
      {R"({"cmd":"add_target","target":"h","interval_ms":true})", "field \"interval_ms\" must be an integer"},
      {R"({"cmd":"add_target","target":"h","interval_ms":5})", "interval_ms 5 is below the minimum of 100"},
      {R"({"cmd":"add_target","target":"h","interval_ms":-1})", "interval_ms -1 is below the minimum of 100"},
      {R"({"cmd":"add_target","target":"h","interval_ms":99999999999})",
       "interval_ms 99999999999 is above the maximum of 86400000"},
      // The extremes of JSON integers (found by the fuzzer: converting them to nanoseconds overflowed).
      {R"({"cmd":"add_target","target":"h","interval_ms":18446744073709551615})",
       "interval_ms 9223372036854775807 is above the maximum of 86400000"},
      {R"({"cmd":"add_target","target":"h","interval_ms":-9223372036854775808})",
       "interval_ms -9223372036854775808 is below the minimum of 100"},
      {R"({"cmd":"add_target","target":"h","interval_ms":1e300})", "field \"interval_ms\" must be an integer"},
      {R"({"cmd":"add_target","target":"h","ttl":0})", "field \"ttl\" must be between 1 and 255 (got 0)"},
      {R"({"cmd":"add_target","target":"h","ttl":256})", "field \"ttl\" must be between 1 and 255 (got 256)"},
      {R"({"cmd":"add_target","target":"h","tos":-1})", "field \"tos\" must be between 0 and 255 (got -1)"},
      {R"({"cmd":"add_target","target":"h","size":8})", "field \"size\" must be between 24 and 65000 (got 8)"},
      {R"({"cmd":"add_target","target":"h","timeout_ms":0})",
       "field \"timeout_ms\" must be between 1 and 60000 (got 0)"},
      {R"({"cmd":"add_target","target":"h","ip_version":"5"})",
       "field \"ip_version\" must be \"auto\", \"4\" or \"6\""},
      {R"({"cmd":"add_target","target":"h","publish_samples":"yes"})",
       "field \"publish_samples\" must be true or false"},
      {R"({"cmd":"set_interval","target":"h"})", "missing field \"interval_ms\""},
      {R"({"cmd":"set_interval","interval_ms":1000})", "missing field \"target\""},
      {R"({"cmd":"remove_target","target":{}})", "field \"target\" must be a string"},
      {R"({"cmd":"start","id":{"a":1}})", "field \"id\" must be a string or a number"},
      {R"({"cmd":"start","id":[1]})", "field \"id\" must be a string or a number"},
      {std::string(5000, ' '), "payload too large (5000 bytes > 4096)"},
  };
  for (const auto& r : rows) {
    const auto p = parse_command(r.payload);
    EXPECT_FALSE(p.ok()) << r.payload;
    EXPECT_EQ(p.error, r.error) << r.payload;
  }
}

TEST(ParseCommand, KeepsTheIdWhenTheRestIsInvalid) {
  auto p = parse_command(R"({"id":"x1","cmd":"add_target","interval_ms":5})");
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.id, "x1");
  EXPECT_EQ(p.name, "add_target");
  EXPECT_EQ(p.error, "missing field \"target\"");
  p = parse_command(R"({"id":9,"cmd":"dance"})");
  EXPECT_EQ(p.id, 9);
  EXPECT_EQ(p.name, "dance");
  p = parse_command(R"({"id":"y"})");
  EXPECT_EQ(p.id, "y");
  EXPECT_EQ(p.error, "missing field \"cmd\"");
}

TEST(ParseCommand, DeepNestingAndUnicodeDoNotThrow) {
  std::string deep = R"({"cmd":"start","x":)" + std::string(1500, '[') + std::string(1500, ']') + "}";
  EXPECT_TRUE(parse_command(deep).ok());
  std::string unbalanced(4000, '[');
  EXPECT_FALSE(parse_command(unbalanced).ok());
  const auto p = parse_command(R"({"cmd":"add_target","target":"bücher.example","id":"\u00e9\ud83d\ude00"})");
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(std::get<add_target_command>(*p.cmd).request.target,
            "b\xc3\xbc"
            "cher.example");
  EXPECT_EQ(p.id, "\xc3\xa9\xf0\x9f\x98\x80");
  // A lone surrogate escape is invalid JSON, not a crash.
  EXPECT_FALSE(parse_command(R"({"cmd":"start","id":"\ud800"})").ok());
}

TEST(ParseCommand, LimitsComeFromTheCaller) {
  command_limits limits;
  limits.max_payload_bytes = 32;
  limits.min_interval_ms = 10;
  EXPECT_EQ(parse_command(R"({"cmd":"set_interval","target":"h","interval_ms":10})", limits).error,
            "payload too large (52 bytes > 32)");
  limits.max_payload_bytes = 4096;
  EXPECT_TRUE(parse_command(R"({"cmd":"set_interval","target":"h","interval_ms":10})", limits).ok());
}

TEST(ParseCommand, LongUnknownNamesAreClippedInTheError) {
  const auto p = parse_command(R"({"cmd":")" + std::string(200, 'z') + "\"}");
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.error, "unknown command \"" + std::string(64, 'z') + "...\"");
}

}  // namespace
}  // namespace netstab::core

// Fuzz target for the command parser: any payload that arrives on <base>/<agent>/cmd.
//
// Invariants checked on every input, beyond "no crash, no undefined behaviour, no leak":
//   - a result is either a command or an error sentence, never both or neither;
//   - the id is null, a string or a number; the echoed name is clipped;
//   - the reply netstab publishes for the result is valid JSON whose "ok" matches;
//   - a parsed command written back as JSON parses to the same command (the fields the parser accepted are
//     the fields it reports);
//   - a request applied to the defaults never probes faster than the limits allow (commands must not turn
//     netstab into a ping flooder) and keeps every probe setting in its range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/command.hpp"
#include "core/payloads.hpp"
#include "tests/fuzz/check.hpp"

namespace netstab::fuzz {
namespace {

using core::command;
using core::target_request;
using nlohmann::json;

std::int64_t to_ms(core::nanos d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

std::string_view family_name(core::ip_version v) {
  switch (v) {
    case core::ip_version::v4:
      return "4";
    case core::ip_version::v6:
      return "6";
    case core::ip_version::any:
      break;
  }
  return "auto";
}

void write_request(const target_request& r, json& j) {
  j["target"] = r.target;
  if (r.interval) j["interval_ms"] = to_ms(*r.interval);
  if (r.timeout) j["timeout_ms"] = to_ms(*r.timeout);
  if (r.size) j["size"] = *r.size;
  if (r.ttl) j["ttl"] = *r.ttl;
  if (r.tos) j["tos"] = *r.tos;
  if (r.family) j["ip_version"] = family_name(*r.family);
  if (r.publish_samples) j["publish_samples"] = *r.publish_samples;
}

// The command as a JSON payload, the way a dashboard would send it.
std::string serialise(const command& c, const json& id) {
  json j;
  j["cmd"] = std::string(core::command_name(c));
  if (!id.is_null()) j["id"] = id;
  if (const auto* s = std::get_if<core::set_target_command>(&c)) write_request(s->request, j);
  if (const auto* a = std::get_if<core::add_target_command>(&c)) write_request(a->request, j);
  if (const auto* r = std::get_if<core::remove_target_command>(&c)) j["target"] = r->target;
  if (const auto* i = std::get_if<core::set_interval_command>(&c)) {
    j["target"] = i->target;
    j["interval_ms"] = to_ms(i->interval);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

bool same_request(const target_request& a, const target_request& b) {
  return a.target == b.target && a.interval == b.interval && a.timeout == b.timeout && a.size == b.size &&
         a.ttl == b.ttl && a.tos == b.tos && a.family == b.family && a.publish_samples == b.publish_samples;
}

bool same_command(const command& a, const command& b) {
  if (a.index() != b.index()) return false;
  if (const auto* s = std::get_if<core::set_target_command>(&a)) {
    return same_request(s->request, std::get<core::set_target_command>(b).request);
  }
  if (const auto* s = std::get_if<core::add_target_command>(&a)) {
    return same_request(s->request, std::get<core::add_target_command>(b).request);
  }
  if (const auto* r = std::get_if<core::remove_target_command>(&a)) {
    return r->target == std::get<core::remove_target_command>(b).target;
  }
  if (const auto* i = std::get_if<core::set_interval_command>(&a)) {
    const auto& other = std::get<core::set_interval_command>(b);
    return i->target == other.target && i->interval == other.interval;
  }
  return true;
}

void check_request(const target_request& r, const core::command_limits& limits) {
  FUZZ_REQUIRE(!r.target.empty() && r.target.size() <= limits.max_target_length);
  const core::probe_settings defaults;
  const core::target_spec spec = r.apply(defaults);
  FUZZ_REQUIRE(spec.host == r.target);
  if (r.interval) {
    FUZZ_REQUIRE(to_ms(spec.probe.interval) >= limits.min_interval_ms);
    FUZZ_REQUIRE(to_ms(spec.probe.interval) <= limits.max_interval_ms);
  }
  FUZZ_REQUIRE(spec.probe.interval >= core::min_interval);
  FUZZ_REQUIRE(spec.probe.timeout > core::nanos{0} && to_ms(spec.probe.timeout) <= limits.max_timeout_ms);
  FUZZ_REQUIRE(spec.probe.size >= core::min_payload_size && spec.probe.size <= core::max_payload_size);
  FUZZ_REQUIRE(spec.probe.ttl >= 1 && spec.probe.ttl <= 255);
  FUZZ_REQUIRE(spec.probe.tos >= 0 && spec.probe.tos <= 255);
}

void check(std::string_view payload) {
  const core::command_limits limits;
  const core::parsed_command parsed = core::parse_command(payload, limits);
  FUZZ_REQUIRE(parsed.ok() == parsed.error.empty());
  FUZZ_REQUIRE(parsed.id.is_null() || parsed.id.is_string() || parsed.id.is_number());
  FUZZ_REQUIRE(parsed.name.size() <= 64 + 3);  // clipped to 64 bytes plus "..."
  FUZZ_REQUIRE(parsed.error.size() <= 512);

  const std::string reply = core::reply_json(parsed.id, parsed.ok(), parsed.name, parsed.error, json());
  const json reply_doc = json::parse(reply, nullptr, false);
  FUZZ_REQUIRE(reply_doc.is_object());
  FUZZ_REQUIRE(reply_doc.contains("ok") && reply_doc["ok"] == parsed.ok());

  if (!parsed.ok()) return;
  const command& c = *parsed.cmd;
  FUZZ_REQUIRE(parsed.name == core::command_name(c));
  if (const auto* s = std::get_if<core::set_target_command>(&c)) check_request(s->request, limits);
  if (const auto* a = std::get_if<core::add_target_command>(&c)) check_request(a->request, limits);
  if (const auto* i = std::get_if<core::set_interval_command>(&c)) {
    FUZZ_REQUIRE(to_ms(i->interval) >= limits.min_interval_ms && to_ms(i->interval) <= limits.max_interval_ms);
  }

  // Targets come out of JSON strings, which may hold invalid UTF-8 (nlohmann keeps the bytes); such a command
  // cannot be written back as strict JSON, and that is not the parser's concern.
  std::string again;
  try {
    again = serialise(c, parsed.id);
  } catch (const json::type_error&) {
    return;
  }
  if (again.size() > limits.max_payload_bytes) return;
  const core::parsed_command reparsed = core::parse_command(again, limits);
  FUZZ_REQUIRE(reparsed.ok());
  FUZZ_REQUIRE(same_command(c, *reparsed.cmd));
  FUZZ_REQUIRE(reparsed.id == parsed.id);
}

}  // namespace
}  // namespace netstab::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // libFuzzer hands bytes; the parser takes text. The cast only reinterprets unsigned as plain char.
  netstab::fuzz::check(std::string_view(reinterpret_cast<const char*>(data), size));  // NOLINT
  return 0;
}

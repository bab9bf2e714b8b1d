#pragma once
// Times in netstab's payloads, for tests that compare them with times they took themselves.
#include <chrono>

#include <nlohmann/json.hpp>

namespace netstab::test {

// The `ts` of a payload (RFC 3339 UTC with milliseconds, as netstab writes it) as a time point of the system
// clock, which is netstab's wall clock too. Throws std::invalid_argument when `ts` is missing or malformed.
std::chrono::system_clock::time_point ts_of(const nlohmann::json& payload);

}  // namespace netstab::test

#pragma once
// One target as the path engine keeps it; private to the engine's two source files (path_engine.cpp: targets,
// schedule and sends; path_engine_answers.cpp: answers, timeouts and finished traces).
#include <cstdint>
#include <string>
#include <vector>

#include "core/path_engine.hpp"

namespace netstab::core {

enum class purpose : std::uint8_t { trace, hop, unknown };

// What a path probe was for, kept beside its sequence (index seq & (capacity - 1)).
struct probe_meta {
  std::uint32_t seq = 0;
  bool used = false;
  unsigned ttl = 0;
  purpose why = purpose::trace;
  std::uint64_t trace_id = 0;  // trace probes: the trace they belong to
  ip_address expected;         // hop probes: the router meant to answer
};

struct path_engine::target {
  target(std::uint32_t i, const ip_address& a, const path_engine_config& cfg);

  std::uint32_t id;
  ip_address address;
  sequence_map seqs;
  std::vector<probe_meta> meta;
  probe_meta pending;  // the probe next_probe() handed out, until on_sent()
  path_state state;
  path_trace trace;
  bool tracing = false;
  bool traced_once = false;
  std::uint64_t trace_id = 0;
  mono_time trace_started{};
  mono_time next_trace{};
  std::string retrace_reason;
  std::vector<mono_time> unknown_next;  // per TTL of the path; used where the hop is unknown
  bool deferred_trace = false;
  bool deferred_unknown = false;
};

}  // namespace netstab::core

#pragma once
// What the mqtt_sink tests share: a target_view over a real monitor, and the sink on the fake message bus with a
// fake clock. Test thread only.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "core/target_monitor.hpp"
#include "core/topics.hpp"
#include "service/publish/mqtt_sink.hpp"
#include "tests/support/fake_message_bus.hpp"

namespace netstab::service::test_sink {

using namespace std::chrono_literals;
using netstab::test::fake_message_bus;

class fake_target final : public target_view {
 public:
  // Targets of one test that exist at the same time need different slots, as the prober gives them.
  explicit fake_target(core::target_spec s, core::monitor_config mc = {}, std::uint32_t slot = 0)
      : spec_(std::move(s)), monitor_(mc), slot_(slot) {}
  const core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return address_; }
  const core::target_monitor& monitor() const override { return monitor_; }
  std::uint64_t sent() const override { return 0; }
  std::uint32_t slot() const override { return slot_; }

  core::target_spec spec_;
  std::string address_ = "127.0.0.1";
  core::target_monitor monitor_;
  std::uint32_t slot_;
};

inline core::target_spec spec_of(const std::string& host, core::nanos interval, bool samples = true) {
  core::target_spec s;
  s.host = host;
  s.probe.interval = interval;
  s.probe.publish_samples = samples;
  return s;
}

inline core::sample ok_sample(std::uint32_t seq, core::mono_time at) {
  core::sample s;
  s.seq = seq;
  s.status = core::probe_status::ok;
  s.sent_at = at - 1ms;
  s.at = at;
  s.rtt = 1ms;
  s.process = 1ms;
  s.clock = core::rtt_clock::kernel;
  return s;
}

struct sink_fixture {
  explicit sink_fixture(mqtt_sink::options o = {}) : sink(bus, topics, clock, o) {}
  fake_message_bus bus;
  core::topic_builder topics{"netstab", "a1"};
  core::fake_clock clock;
  mqtt_sink sink;
};

}  // namespace netstab::service::test_sink

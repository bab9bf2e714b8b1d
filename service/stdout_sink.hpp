#pragma once
// The engine's stdout mode: ping-style lines for people, or one JSON object per
// line (--json) for scripts. Owns only its output buffer and stream pointer.
// Loop thread only.
#include <cstdio>
#include <functional>
#include <string>

#include "core/time.hpp"
#include "core/payloads.hpp"
#include "service/prober.hpp"

namespace netstab::service {

// Turns a monitor event into the event payload value shared by stdout and MQTT.
core::event to_event(const target_view& t, const core::monitor_event& e, core::wall_time now);

class stdout_sink final : public probe_sink {
 public:
  stdout_sink(std::FILE* out, bool json, const core::clock& clk) : out_(out), json_(json), clock_(clk) {}

  void on_sample(const target_view& t, const core::sample& s) override;
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override;
  void on_target_event(const target_view& t, target_event what, std::string_view detail) override;
  void on_finished() override;

  // Prints every target's statistics (the closing summary).
  void print_summary(const prober& p);
  // Set by main: what to do when --count finished.
  void set_on_finished(std::function<void()> f) { finished_ = std::move(f); }

 private:
  void flush_line();

  std::FILE* out_;
  bool json_;
  const core::clock& clock_;
  std::string line_;
  std::function<void()> finished_;
};

}  // namespace netstab::service

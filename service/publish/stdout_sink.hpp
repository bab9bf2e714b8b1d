#pragma once
// The engine's stdout mode: ping-style lines for people, or one JSON object per
// line (--json) for scripts. Owns only its output buffer and stream pointer.
// Verdict and path changes are printed as they happen ("! host: verdict ok -> isp (...)", or event objects);
// the closing summary adds the verdict to each target's statistics and, for targets with path monitoring, an
// MTR-style table of the path (or {"type":"path",...} objects, the path payload), then the agent's verdict.
// Lines are collected and written together by flush(), which the app calls once per loop turn before the loop
// waits (one write for a turn's lines instead of one per line); a turn that collects flush_at bytes writes at
// once, and the summary and the destructor flush. Loop thread only.
#include <cstdio>
#include <functional>
#include <string>

#include "core/payloads.hpp"
#include "core/time.hpp"
#include "service/probe/prober.hpp"

namespace netstab::service {

class stdout_sink final : public probe_sink {
 public:
  static constexpr std::size_t flush_at = 64 * 1024;

  stdout_sink(std::FILE* out, bool json, const core::clock& clk) : out_(out), json_(json), clock_(clk) {}
  ~stdout_sink() override { flush(); }
  stdout_sink(const stdout_sink&) = delete;
  stdout_sink& operator=(const stdout_sink&) = delete;

  void on_sample(const target_view& t, const core::sample& s) override;
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override;
  void on_target_event(const target_view& t, core::target_event what, std::string_view detail) override;
  void on_finished() override;
  void on_fault_change(const target_view* t, const core::fault_change& c) override;
  void on_path_change(const target_view& t, const core::path_change& c) override;

  // Prints every target's statistics and path, and the agent's verdict when given (the closing summary).
  void print_summary(const std::vector<const target_view*>& targets, const core::fault* agent = nullptr);
  // Writes the lines collected since the last flush with one fwrite and one fflush.
  void flush();
  // What to do when --count finished (set by the app).
  void set_on_finished(std::function<void()> f) { finished_ = std::move(f); }

 private:
  void flush_line();
  void print_path(const target_view& t);

  std::FILE* out_;
  bool json_;
  const core::clock& clock_;
  std::string line_;     // the line being built
  std::string pending_;  // finished lines, each ending in '\n', not yet written
  std::function<void()> finished_;
};

}  // namespace netstab::service

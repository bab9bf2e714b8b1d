#pragma once
// The history sink: keeps netstab's own history. It sits in the chain of probe sinks (everything it gets goes on
// to the next sink unchanged), feeds the history recorder (core/history_recorder.hpp: per-target minutes, raw
// samples, incidents, target changes; O(1) per sample, no I/O), and every flush_interval hands the recorder's
// batch to the history writer, a thread of its own that owns the SQLite file (service/history/writer.hpp). The
// loop never touches the disk: submit() only moves the batch into the writer's bounded queue.
//
// The writer's reports (opened, paused for lack of space, resumed, a damaged file moved aside, disabled) come
// from its thread through an inbox and reach the owner's callback on the loop, which logs them and publishes
// events; counters() feeds the state message.
//
// Owns the recorder, the writer, the flush timer and the inbox; loop thread only. close() before the loop closes:
// it finishes every open minute, hands over the last batch and stops the writer (which writes what is queued and
// records the run's stop).
#include <uv.h>

#include <functional>
#include <memory>

#include "core/history_recorder.hpp"
#include "service/history/writer.hpp"
#include "service/loop/inbox.hpp"
#include "service/loop/uv.hpp"
#include "service/probe/prober.hpp"
#include "service/publish/per_target.hpp"

namespace netstab::service {

class history_sink final : public probe_sink {
 public:
  struct options {
    history::writer_options writer;
    core::recorder_options recorder;
    std::chrono::milliseconds flush_interval{10'000};
  };
  using report_fn = std::function<void(const history::history_report&)>;

  history_sink(uv_loop_t* loop, const core::clock& clk, probe_sink& next, options opt, report_fn on_report);
  ~history_sink() override;
  history_sink(const history_sink&) = delete;
  history_sink& operator=(const history_sink&) = delete;

  void on_sent(const target_view& t, core::mono_time at, core::wall_time wall) override;
  void on_sample(const target_view& t, const core::sample& s) override;
  void on_monitor_event(const target_view& t, const core::monitor_event& e) override;
  void on_target_event(const target_view& t, core::target_event what, std::string_view detail) override;
  void on_finished() override { next_.on_finished(); }
  void prefetch(std::uint32_t slot) const override {
    handles_.prefetch(slot);
    next_.prefetch(slot);
  }
  // Verdict and path changes are not part of the history (yet): they only pass through.
  void on_fault_change(const target_view* t, const core::fault_change& c) override;
  void on_path_change(const target_view& t, const core::path_change& c) override { next_.on_path_change(t, c); }

  history::history_counters counters() const { return writer_->counters(); }
  // Room for the n targets the process starts with (see mqtt_sink::reserve_targets).
  void reserve_targets(std::size_t n) {
    recorder_.reserve(n);
    handles_.reserve(n);
  }
  void close();

 private:
  void flush();

  const core::clock& clock_;
  probe_sink& next_;
  core::history_recorder recorder_;
  per_target<core::history_recorder::handle> handles_;
  inbox<history::history_report> reports_;
  std::unique_ptr<history::writer> writer_;
  timer flush_timer_;
  report_fn on_report_;
  bool closed_ = false;
};

}  // namespace netstab::service

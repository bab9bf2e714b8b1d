#include "service/publish/history_sink.hpp"

#include <nlohmann/json.hpp>

#include "core/path.hpp"

namespace netstab::service {
namespace {

// The verdict an incident row keeps: "isp: loss 8.0% from hop 3 (100.64.0.1, ISP) to the target since 21:04 UTC"
// from the fault object the prober put on the incident (its worst during the incident); empty when none.
std::string incident_verdict(const core::incident& inc) {
  if (inc.fault_json.empty()) return {};
  const auto j = nlohmann::json::parse(inc.fault_json, nullptr, false);
  if (!j.is_object()) return {};
  const std::string segment = j.value("segment", "");
  const std::string reason = j.value("reason", "");
  if (segment.empty() || segment == "ok") return {};
  return reason.empty() ? segment : segment + ": " + reason;
}

// The path when the incident began, as a person reads it: "192.168.1.1 > 100.64.0.1 > ? > 1.1.1.1".
std::string incident_path(const core::incident& inc) {
  if (!inc.path) return {};
  std::string out;
  for (const auto& hop : *inc.path) {
    if (!out.empty()) out += " > ";
    out += hop ? hop->text() : std::string("?");
  }
  return out;
}

}  // namespace

history_sink::history_sink(uv_loop_t* loop, const core::clock& clk, probe_sink& next, options opt, report_fn on_report)
    : clock_(clk),
      next_(next),
      recorder_(opt.recorder),
      reports_(loop, [this](history::history_report& r) { on_report_(r); }),
      flush_timer_(loop),
      on_report_(std::move(on_report)) {
  // The reports arrive whenever the writer has something to say; they alone must not keep the loop running.
  reports_.keep_loop_alive(false);
  writer_ = std::make_unique<history::writer>(
      std::move(opt.writer), clk,
      [poster = reports_.make_poster()](history::history_report r) { poster.post(std::move(r)); });
  const auto period = static_cast<std::uint64_t>(opt.flush_interval.count());
  flush_timer_.start_repeating(period, period, [this] { flush(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(flush_timer_.get()));
}

history_sink::~history_sink() { close(); }

void history_sink::on_sent(const target_view& t, core::mono_time at, core::wall_time wall) {
  if (const auto* h = handles_.find(t)) recorder_.on_sent(*h, wall);
  next_.on_sent(t, at, wall);
}

void history_sink::on_sample(const target_view& t, const core::sample& s) {
  if (const auto* h = handles_.find(t)) recorder_.on_sample(*h, s, t.monitor().status());
  next_.on_sample(t, s);
}

void history_sink::on_monitor_event(const target_view& t, const core::monitor_event& e) {
  const bool incident =
      e.what == core::monitor_event::kind::incident_start || e.what == core::monitor_event::kind::incident_end;
  if (const auto* h = handles_.find(t); h != nullptr && incident) {
    recorder_.on_incident(*h, e.inc, incident_verdict(e.inc), incident_path(e.inc));
  }
  next_.on_monitor_event(t, e);
}

void history_sink::on_fault_change(const target_view* t, const core::fault_change& c) {
  // Minute rows keep the segment blamed while they were open (the worst status's verdict).
  if (t != nullptr) {
    if (const auto* h = handles_.find(*t)) {
      recorder_.set_verdict(*h, c.to.where == core::segment::ok ? std::string_view() : core::to_string(c.to.where));
    }
  }
  next_.on_fault_change(t, c);
}

void history_sink::on_target_event(const target_view& t, core::target_event what, std::string_view detail) {
  if (!closed_ && what == core::target_event::added) {
    // A handle left in the slot by a removal this sink was not told of is closed, not leaked.
    if (const auto* stale = handles_.at_slot(t.slot())) recorder_.remove_target(*stale, clock_.wall_now());
    handles_.put(t, recorder_.add_target(t.spec().host, clock_.wall_now()));
  } else if (what == core::target_event::removed) {
    if (const auto* h = handles_.find(t)) {
      recorder_.remove_target(*h, clock_.wall_now());
      handles_.erase(t);
    }
  }
  next_.on_target_event(t, what, detail);
}

void history_sink::flush() {
  const core::wall_time now = clock_.wall_now();
  recorder_.close_ended(now);
  writer_->submit(recorder_.take_batch(now));
}

void history_sink::close() {
  if (closed_) return;
  closed_ = true;
  flush_timer_.close();
  recorder_.close_all();
  writer_->submit(recorder_.take_batch(clock_.wall_now()));
  writer_->stop();
  reports_.close();
}

}  // namespace netstab::service

#include "core/history_recorder.hpp"

#include <utility>

namespace netstab::core {

history_recorder::handle history_recorder::add_target(std::string name, wall_time now) {
  handle h = 0;
  if (free_.empty()) {
    h = static_cast<handle>(slots_.size());
    slots_.emplace_back();
  } else {
    h = free_.back();
    free_.pop_back();
  }
  slot& s = slots_[h];
  s.name = std::move(name);
  s.used = true;
  s.raw = raw_targets_ < opt_.raw_max_targets;
  if (s.raw) {
    ++raw_targets_;
  }
  batch_.targets.push_back({s.name, now, false});
  return h;
}

void history_recorder::remove_target(handle h, wall_time now) {
  slot& s = slots_.at(h);
  if (s.acc.close(done_)) {
    push_done(s);
  }
  batch_.targets.push_back({s.name, now, true});
  if (s.raw) {
    --raw_targets_;
  }
  s = slot{};
  free_.push_back(h);
}

void history_recorder::push_done(slot& s) {
  // At the end of a minute every target's row comes within a second: room for all of them at once, since a vector
  // grown row by row holds its old and new buffers together (megabytes at 10,000 targets).
  if (batch_.minutes.size() == batch_.minutes.capacity()) {
    batch_.minutes.reserve(batch_.minutes.size() + slots_.size() - free_.size());
  }
  // Moved, not copied: the finished minute's histogram goes with the row instead of being held twice until the
  // writer is done with the batch (see minute_accumulator::finish).
  batch_.minutes.push_back({s.name, std::move(done_)});
}

void history_recorder::on_sent(handle h, wall_time t) {
  slot& s = slots_[h];
  if (s.acc.on_sent(t, done_)) {
    push_done(s);
  }
}

void history_recorder::on_sample(handle h, const sample& smp, health status) {
  slot& s = slots_[h];
  if (s.acc.on_sample(smp, status, done_)) {
    push_done(s);
  }
  if (s.raw) {
    batch_.raw.push_back({s.name, smp.wall, smp.seq, smp.status, smp.rtt, smp.process});
  }
}

void history_recorder::set_verdict(handle h, std::string_view verdict) { slots_[h].acc.set_verdict(verdict); }

void history_recorder::on_incident(handle h, const incident& inc, std::string_view verdict, std::string_view path) {
  batch_.incidents.push_back({slots_[h].name, inc, std::string(verdict), std::string(path)});
}

void history_recorder::close_ended(wall_time now) {
  for (slot& s : slots_) {
    if (s.used && s.acc.close_if_ended(now, done_)) {
      push_done(s);
    }
  }
}

void history_recorder::close_all() {
  for (slot& s : slots_) {
    if (s.used && s.acc.close(done_)) {
      push_done(s);
    }
  }
}

history_batch history_recorder::take_batch(wall_time now) {
  history_batch out = std::move(batch_);
  out.heartbeat = now;
  batch_ = history_batch{};
  // Raw samples come all the time: keep the capacity the last batch needed so steady state does not regrow the
  // vector sample by sample. Minute rows come together once a minute (push_done).
  batch_.raw.reserve(out.raw.size());
  return out;
}

}  // namespace netstab::core

// The prober's sends and the grid they fall on: the probes that fall due in one wake-up are sent together at its
// end, one sendmmsg per socket, instead of one sendmsg each; wake-ups fall on the send grid, and a wake-up takes
// its due targets off the schedule together (take_due). Path probes are paced one by one (prober_path.cpp).
#include "service/probe/prober.hpp"
#include "service/probe/prober_target.hpp"

namespace netstab::service {

namespace icmp = core::icmp;
using core::mono_time;
using core::nanos;

void prober::rearm() {
  if (!running_ || closed_) {
    timer_.stop();
    return;
  }
  // Wake-ups fall on the send grid (multiples of send_grid in the monotonic clock): the events due within one
  // step share a wake-up, and the probes among them leave together (prober_send.cpp). An event due at d belongs
  // to the first step whose horizon (the step's start plus the slack; see horizon()) reaches d, whatever the
  // timer's lateness, so a target's probes keep one phase to the grid and their gaps stay the interval. Path
  // probes keep their own pace: the path engine judges them against the clock, and a wake-up before one is due
  // would only find it not due yet.
  auto next = sched_.next();
  if (next && gridded()) {
    const auto grid = opt_.send_grid.count();
    const auto from = (*next - opt_.slack).count();
    next = mono_time{(from + grid - 1) / grid * grid};
    // The timer counts from the loop's time, which stood still while this turn worked: bring it to now, or the
    // wake-up comes early by the turn's length.
    uv_update_time(loop_);
  }
  if (const auto path = engine_.next_wake(); path && (!next || *path < *next)) next = path;
  if (!next) {
    timer_.stop();
    return;
  }
  const nanos wait = *next - clock_.now();
  // libuv timers count whole milliseconds; round up so that we never wake early.
  const auto ms = wait.count() <= 0 ? 0 : (wait.count() + 999'999) / 1'000'000;
  timer_.start(static_cast<std::uint64_t>(ms), [this] { on_timer(); });
}

bool prober::gridded() const { return opt_.send_grid > std::chrono::milliseconds(1); }

// A timer may fire up to the slack before its step starts (the loop's millisecond time lags the clock): such a
// wake-up belongs to that step.
mono_time prober::horizon(mono_time now) const {
  if (!gridded()) return now + opt_.slack;
  const auto grid = opt_.send_grid.count();
  return mono_time{(now + opt_.slack).count() / grid * grid} + opt_.slack;
}

// The targets due by the horizon leave the schedule together, and the parts of their state that service() reads
// first are fetched before any is serviced. At thousands of targets a target's state has left the cache by the
// time it is due again; fetched one at a time, each waits for memory in turn, fetched together the waits overlap.
// A target that service() puts back within the horizon is taken in the next call.
bool prober::take_due(mono_time now) {
  due_.clear();
  const mono_time until = horizon(now);
  while (auto id = sched_.pop_due(until)) {
    due_.push_back(*id);
    if (*id < slots_.size() && slots_[*id]) {
      const target& t = *slots_[*id];
      __builtin_prefetch(&t.seqs);
      __builtin_prefetch(&t.next_send);
      sink_.prefetch(*id);
    }
  }
  return !due_.empty();
}

void prober::queue_send(target& t) {
  due_sends_.push_back(t.token);
  ++t.sent_;
  ++counters_.sent;
}

// Encodes the probe with sequence seq of t into out (at least header_size + probe size bytes).
std::size_t prober::encode_probe(const target& t, std::uint32_t seq, std::uint16_t id, std::span<std::byte> out) const {
  icmp::echo e;
  e.id = id;
  e.seq16 = static_cast<std::uint16_t>(seq & 0xffffU);
  e.cookie = cookie_;
  e.token = t.token;
  e.seq32 = seq;
  e.flow = icmp::flow_sum(t.token);
  return icmp::encode_echo_request(t.fam, e, t.spec_.probe.size, out);
}

// Records every queued probe as sent now and encodes it: the targets still there (none is removed during a
// wake-up; the check guards the invariant), their sequence numbers taken in queue order (a target may be due
// twice in one wake-up at a 1 ms interval).
void prober::prepare_burst(mono_time sent_at, core::wall_time user_tx) {
  burst_.clear();
  std::size_t bytes = 0;
  for (const std::uint32_t token : due_sends_) {
    const target* t = by_token(token);
    if (t == nullptr || !t->addr) {
      --counters_.sent;
      continue;
    }
    const std::size_t need = icmp::header_size + t->spec_.probe.size;
    burst_.push_back(burst_entry{token, t->fam, bytes, need, 0, std::nullopt, std::string()});
    bytes += need;
  }
  due_sends_.clear();
  // Sized once before any span into it is taken.
  if (burst_bytes_.size() < bytes) burst_bytes_.resize(bytes);
  for (auto& b : burst_) {
    target& t = *by_token(b.token);
    b.seq = t.seqs.on_sent(sent_at, t.spec_.probe.timeout, user_tx, &b.evicted);
    auto sock = socket_for(b.fam);
    if (!sock) {
      b.error = sock.message();
      continue;
    }
    const std::span<std::byte> space(burst_bytes_.data() + b.offset, b.size);
    const std::size_t len = encode_probe(t, b.seq, (*sock)->identifier(), space);
    auto& out = b.fam == icmp::family::v4 ? out4_ : out6_;
    auto& index = b.fam == icmp::family::v4 ? index4_ : index6_;
    index.push_back(static_cast<std::size_t>(&b - burst_.data()));
    out.push_back(outgoing{&*t.addr, space.first(len), &t.send_opt});
  }
}

void prober::flush_sends() {
  if (due_sends_.empty()) return;
  out4_.clear();
  out6_.clear();
  index4_.clear();
  index6_.clear();
  // Measurement timestamps are taken right before the send calls: between them and the calls only the packets
  // of this wake-up are encoded.
  const mono_time sent_at = clock_.now();
  const core::wall_time user_tx = clock_.wall_now();
  prepare_burst(sent_at, user_tx);
  for (const auto fam : {icmp::family::v4, icmp::family::v6}) {
    auto& out = fam == icmp::family::v4 ? out4_ : out6_;
    const auto& index = fam == icmp::family::v4 ? index4_ : index6_;
    if (out.empty()) continue;
    // The socket exists: prepare_burst queued messages only on sockets it got.
    (*socket_for(fam))->send_burst(out, [&](std::size_t i, const std::string& why) { burst_[index[i]].error = why; });
  }
  for (auto& b : burst_) {
    target* t = by_token(b.token);
    if (t == nullptr) continue;
    t->monitor_.on_sent(sent_at);
    sink_.on_sent(*t, sent_at, user_tx);
    if (b.evicted) {
      emit(*t, make_sample(*t, b.evicted->seq, core::probe_status::timeout, b.evicted->sent_at, sent_at, user_tx));
    }
    if (!b.error.empty()) {
      ++counters_.send_errors;
      t->seqs.resolve(b.seq);
      core::sample es = make_sample(*t, b.seq, core::probe_status::error, sent_at, sent_at, user_tx);
      es.error = b.error;
      emit(*t, es);
    }
    // service() scheduled the target before this probe was recorded: its deadline may come first now (a timeout
    // shorter than the interval, or the last probe of a --count run).
    reschedule(*t);
  }
}

// A --count run ends once every target sent its probes and none is outstanding; on_timer() asks after the burst
// is sent, so a probe still queued is never taken for an answered one.
void prober::check_finished() {
  if (opt_.count == 0 || finished_ || !running_) return;
  // Targets finish roughly in slot order, so the scan resumes where the last one stopped: checking every slot on
  // each final reply would cost the square of the number of targets at the end of a run.
  for (; finish_scan_ < slots_.size(); ++finish_scan_) {
    const auto& p = slots_[finish_scan_];
    if (!p) continue;
    if (p->sending || p->seqs.outstanding() != 0) return;
    if (!p->addr && p->sent_ < opt_.count) return;  // still resolving
  }
  finished_ = true;
  sink_.on_finished();
}

}  // namespace netstab::service

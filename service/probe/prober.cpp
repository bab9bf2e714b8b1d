// The prober's targets, life cycle and schedule. Sockets, sends, replies and samples are in prober_io.cpp.
#include "service/probe/prober.hpp"

#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "service/probe/prober_target.hpp"
#include "service/probe/sockaddr.hpp"

namespace netstab::service {

namespace icmp = core::icmp;
using core::mono_time;
using core::nanos;

prober::prober(uv_loop_t* loop, const core::clock& clk, prober_options opt, probe_sink& sink,
               icmp_descriptors preopened)
    : loop_(loop),
      clock_(clk),
      opt_(std::move(opt)),
      verdict_cfg_(std::make_shared<const core::target_verdict_config>(opt_.path.verdict)),
      sink_(sink),
      timer_(loop),
      resolver_(loop),
      spare4_(std::move(preopened.v4)),
      spare6_(std::move(preopened.v6)),
      engine_(opt_.path.engine, clk),
      agent_tracker_(core::tracker_config{1, 1}),
      gateway_reader_(loop, [this](const core::gateways& g) {
        if (g != gateways_)
          spdlog::debug("default gateways: {} / {}", g.v4 ? g.v4->text() : "none", g.v6 ? g.v6->text() : "none");
        gateways_ = g;
      }) {
  keep4_ = spare4_.valid();
  keep6_ = spare6_.valid();
  std::random_device rd;
  cookie_ = (static_cast<std::uint64_t>(rd()) << 32U) ^ rd();
  events_.reserve(8);
}

prober::~prober() { close(); }

std::size_t prober::target_count() const {
  return static_cast<std::size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const auto& p) { return p != nullptr; }));
}

prober::target* prober::find_mut(std::string_view host) {
  const auto it = by_host_.find(host);
  return it == by_host_.end() ? nullptr : slots_[it->second].get();
}

const target_view* prober::find(std::string_view host) const { return const_cast<prober*>(this)->find_mut(host); }

const target_view* prober::at_slot(std::uint32_t slot) const {
  return slot < slots_.size() ? slots_[slot].get() : nullptr;
}

std::vector<const target_view*> prober::targets() const {
  std::vector<const target*> list;
  for (const auto& p : slots_) {
    if (p) list.push_back(p.get());
  }
  std::sort(list.begin(), list.end(), [](const target* a, const target* b) { return a->order < b->order; });
  return {list.begin(), list.end()};
}

std::size_t prober::memory_bytes() const {
  std::size_t n = sizeof(*this) + slots_.capacity() * sizeof(void*) + packet_.capacity() +
                  due_sends_.capacity() * sizeof(std::uint32_t) + burst_.capacity() * sizeof(burst_entry) +
                  burst_bytes_.capacity() + (out4_.capacity() + out6_.capacity()) * sizeof(outgoing) +
                  (index4_.capacity() + index6_.capacity()) * sizeof(std::size_t) +
                  free_slots_.capacity() * sizeof(std::uint32_t) + by_host_.bucket_count() * sizeof(void*) +
                  by_host_.size() * (sizeof(std::string) + sizeof(std::uint32_t) + 2 * sizeof(void*));
  for (const auto& p : slots_) {
    if (p) n += sizeof(target) + p->seqs.capacity() * sizeof(core::probe_record) + p->monitor_.memory_bytes();
  }
  return n;
}

core::result<void> prober::check_target(const core::target_spec& spec) const {
  if (spec.literal) {
    const bool v4 = spec.literal->is_v4();
    if ((v4 && spec.probe.family == core::ip_version::v6) || (!v4 && spec.probe.family == core::ip_version::v4)) {
      return core::error{"target \"" + spec.host + "\" is an IPv" + (v4 ? "4" : "6") + " address but ip_version is " +
                         (v4 ? "6" : "4")};
    }
    if (auto addr = to_sockaddr(*spec.literal); !addr) {
      return core::error{"target \"" + spec.host + "\": " + addr.message()};
    }
  }
  if (spec.probe.source) {
    if (auto src = to_sockaddr(*spec.probe.source); !src) return core::error{"source: " + src.message()};
  }
  if (!spec.probe.interface.empty() && ::if_nametoindex(spec.probe.interface.c_str()) == 0) {
    return core::error{"interface \"" + spec.probe.interface + "\" does not exist"};
  }
  return core::success();
}

core::result<void> prober::add_target(const core::target_spec& spec) {
  if (closed_) return core::error{"prober is closed"};
  if (find_mut(spec.host) != nullptr) return core::error{"target \"" + spec.host + "\" is already monitored"};
  if (auto r = check_target(spec); !r) return r;
  if (spec.probe.path == core::path_mode::on && (!opt_.path.enabled || path_targets_ >= opt_.path.max_targets)) {
    return core::error{"target \"" + spec.host + "\": path monitoring is " +
                       (opt_.path.enabled ? "on for " + std::to_string(path_targets_) + " targets already, the most " +
                                                "path.max_targets allows"
                                          : std::string("off (path.enabled = false)"))};
  }
  // check_target accepted both address conversions below; an interface may still vanish meanwhile.
  auto t = std::make_unique<target>(spec, opt_.monitor, verdict_cfg_);
  if (spec.literal) {
    t->addr = *to_sockaddr(*spec.literal);
    t->fam = spec.literal->is_v4() ? icmp::family::v4 : icmp::family::v6;
    t->address_text_ = spec.literal->text();
    t->ip = spec.literal;
  }
  if (spec.probe.source) t->send_opt.source = *to_sockaddr(*spec.probe.source);
  if (!spec.probe.interface.empty()) {
    const unsigned idx = ::if_nametoindex(spec.probe.interface.c_str());
    if (idx == 0) return core::error{"interface \"" + spec.probe.interface + "\" does not exist"};
    t->send_opt.ifindex = static_cast<int>(idx);
  }
  t->send_opt.ttl = spec.probe.ttl;
  t->send_opt.tos = spec.probe.tos;
  t->seqs.resize(core::sequence_map::capacity_for(spec.probe.interval, spec.probe.timeout, opt_.late_grace));

  std::uint32_t slot = static_cast<std::uint32_t>(slots_.size());
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else if (slot > slot_mask) {
    return core::error{"too many targets"};
  } else {
    slots_.emplace_back();
    generations_.push_back(0);
  }
  generations_[slot] = (generations_[slot] + 1) & generation_mask;
  t->slot_ = slot;
  t->token = slot | (generations_[slot] << slot_bits);
  t->order = order_++;
  finish_scan_ = std::min<std::size_t>(finish_scan_, slot);
  target& ref = *t;
  by_host_.emplace(spec.host, slot);
  slots_[slot] = std::move(t);
  sink_.on_target_event(ref, core::target_event::added, "");
  if (auto chosen = choose_path(ref); !chosen) spdlog::warn("{}", chosen.message());
  if (!ref.literal()) start_resolve(ref);
  if (running_) {
    if (ref.addr) {
      if (auto s = socket_for(ref.fam); !s) spdlog::error("{}", s.message());
    }
    schedule_first_send(ref, clock_.now() + core::stagger_offset(ref.order, spec.probe.interval));
    reschedule(ref);
    rearm();
  }
  return core::success();
}

bool prober::remove_target(std::string_view host) {
  if (!detach_target(host)) return false;
  after_removal();
  return true;
}

std::size_t prober::remove_targets(std::span<const std::string> hosts) {
  std::size_t removed = 0;
  for (const std::string& host : hosts) removed += detach_target(host) ? 1U : 0U;
  if (removed > 0) after_removal();
  return removed;
}

bool prober::detach_target(std::string_view host) {
  target* t = find_mut(host);
  if (t == nullptr) return false;
  if (t->resolve_id != 0) resolver_.cancel(t->resolve_id);
  sched_.cancel(t->slot_);
  if (t->path) drop_path(*t);
  const std::uint32_t slot = t->slot_;
  // The sink sees the target one last time, then it is gone: late replies for its token no longer match because
  // the slot's generation moves on when reused.
  sink_.on_target_event(*t, core::target_event::removed, "");
  note_fault(*t, false);
  by_host_.erase(by_host_.find(host));
  slots_[slot].reset();
  free_slots_.push_back(slot);
  return true;
}

void prober::after_removal() {
  promote_paths();
  evaluate_agent();
  rearm();
  check_finished();
}

bool prober::set_interval(std::string_view host, nanos interval) {
  target* t = find_mut(host);
  if (t == nullptr) return false;
  t->spec_.probe.interval = interval;
  t->seqs.resize(core::sequence_map::capacity_for(interval, t->spec_.probe.timeout, opt_.late_grace));
  if (running_ && t->sending) {
    // The next probe keeps its phase if it comes sooner than one new interval.
    t->next_send = std::min(t->next_send, clock_.now() + interval);
    reschedule(*t);
    rearm();
  }
  return true;
}

core::result<void> prober::start() {
  if (closed_) return core::error{"prober is closed"};
  if (running_) return core::success();
  // Open the sockets the known targets need now, so that a missing permission is reported at once rather than
  // as a stream of send errors.
  for (auto& p : slots_) {
    if (!p || !p->addr) continue;
    if (auto s = socket_for(p->fam); !s) {
      detach_sockets();
      return core::error{s.message()};
    }
  }
  running_ = true;
  finished_ = false;
  finish_scan_ = 0;
  engine_.resume();
  refresh_gateways(true);
  // The targets that start together are spread evenly over their intervals in slot order, in groups of
  // neighbours (core::spread_offset): a group shares a wake-up, and its targets are neighbours in memory, in every
  // per-slot array (the prober's, the sinks') and in what was allocated for them one after another. A target added
  // later is placed by the golden-ratio stagger and moves none of them.
  const mono_time now = clock_.now();
  const std::size_t count = slots_.size() - free_slots_.size();  // every free slot is empty, and only those
  std::size_t rank = 0;
  for (auto& p : slots_) {
    if (!p) continue;
    schedule_first_send(*p, now + core::spread_offset(rank++, count, p->spec_.probe.interval));
    if (!p->literal() && !p->addr && p->resolve_id == 0) start_resolve(*p);
    reschedule(*p);
  }
  rearm();
  check_receive_buffers();
  next_buffer_check_ = now + buffer_check_period;
  return core::success();
}

void prober::schedule_first_send(target& t, mono_time first) {
  t.sending = opt_.count == 0 || t.sent_ < opt_.count;
  t.next_send = first;
}

void prober::stop() {
  if (!running_) return;
  running_ = false;
  sched_.clear();
  timer_.stop();
  engine_.pause();
  for (auto& p : slots_) {
    if (!p) continue;
    p->sending = false;
    // Probes in flight are forgotten: they were neither answered nor lost.
    p->seqs.forget_outstanding();
  }
  detach_sockets();
}

void prober::close() {
  if (closed_) return;
  stop();
  closed_ = true;
  spare4_.close();
  spare6_.close();
  for (auto& p : slots_) {
    if (p && p->resolve_id != 0) resolver_.cancel(p->resolve_id);
  }
  resolver_.close();
  gateway_reader_.close();
  timer_.close();
}

void prober::start_resolve(target& t) {
  if (t.resolve_id != 0) return;
  const std::uint32_t token = t.token;
  t.resolve_id = resolver_.resolve(t.spec_.host, t.spec_.probe.family, [this, token](resolver::answer a) {
    if (target* tp = by_token(token)) on_resolved(*tp, std::move(a));
  });
}

void prober::on_resolved(target& t, resolver::answer a) {
  t.resolve_id = 0;
  const mono_time now = clock_.now();
  if (!a) {
    t.resolve_backoff =
        t.resolve_backoff.count() == 0 ? opt_.resolve_retry : std::min(t.resolve_backoff * 2, opt_.resolve_interval);
    t.next_resolve = now + t.resolve_backoff;
    spdlog::warn("{}: resolve failed: {} (retry in {} s)", t.spec_.host, a.message(),
                 std::chrono::duration_cast<std::chrono::seconds>(t.resolve_backoff).count());
    sink_.on_target_event(t, core::target_event::resolve_failed, a.message());
    events_.clear();
    t.monitor_.set_fault("resolve failed: " + a.message(), now, clock_.wall_now(), events_);
    t.faulted = true;
    emit_events(t);
    if (opt_.count != 0) {
      t.sending = false;
      t.sent_ = opt_.count;
      check_finished();
    }
  } else {
    learn_address(t, a->front(), now);
  }
  if (running_) {
    reschedule(t);
    rearm();
  }
}

// The prober takes the first address the resolver prefers.
void prober::learn_address(target& t, const core::ip_address& a, mono_time now) {
  auto addr = to_sockaddr(a);
  if (!addr) {
    spdlog::error("{}: {}", t.spec_.host, addr.message());
    return;
  }
  const std::string text = a.text();
  const bool changed = t.addr && !same_address(*t.addr, *addr);
  const std::string old = t.address_text_;
  if (changed) {
    t.moved_from = std::make_unique<target::earlier_address>(target::earlier_address{*t.addr, t.seqs.next_seq()});
  }
  t.addr = *addr;
  t.fam = a.is_v4() ? icmp::family::v4 : icmp::family::v6;
  t.address_text_ = text;
  t.ip = a;
  if (t.path) start_path(t);
  t.resolve_backoff = nanos{0};
  t.next_resolve = now + opt_.resolve_interval;
  if (changed) {
    spdlog::info("{}: address changed {} -> {}", t.spec_.host, old, text);
    sink_.on_target_event(t, core::target_event::address_changed, old);
  } else if (old.empty()) {
    spdlog::info("{}: resolved to {}", t.spec_.host, text);
    sink_.on_target_event(t, core::target_event::resolved, text);
  }
  if (t.faulted) {
    events_.clear();
    t.monitor_.clear_fault(now, clock_.wall_now(), events_);
    t.faulted = false;
    emit_events(t);
  }
  if (running_) {
    if (auto s = socket_for(t.fam); !s) spdlog::error("{}", s.message());
  }
}

prober::target* prober::by_token(std::uint32_t token) {
  token &= ~path_bit;
  const std::uint32_t slot = token & slot_mask;
  if (slot >= slots_.size() || !slots_[slot] || slots_[slot]->token != token) return nullptr;
  return slots_[slot].get();
}

void prober::reschedule(target& t) {
  std::optional<mono_time> next;
  auto take = [&next](mono_time v) {
    if (!next || v < *next) next = v;
  };
  if (running_) {
    if (t.sending && t.addr) take(t.next_send);
    if (auto d = t.seqs.next_deadline()) take(*d);
    if (t.next_resolve && !t.literal() && t.resolve_id == 0) take(*t.next_resolve);
  }
  if (next) {
    sched_.schedule(t.slot_, *next);
  } else {
    sched_.cancel(t.slot_);
  }
}

void prober::on_timer() {
  ++counters_.wakeups;
  // The loop's time for this wake-up, read once: every due event is judged against it.
  const mono_time now = clock_.now();
  while (take_due(now)) {
    for (const std::uint32_t id : due_) {
      if (id < slots_.size() && slots_[id]) service(*slots_[id], now);
    }
  }
  flush_sends();
  if (opt_.count != 0) check_finished();
  if (const auto path = engine_.next_wake(); path && *path <= now + opt_.slack) path_tick();
  if (agent_due_) evaluate_agent();
  if (!warned_receive_buffer_ && now >= next_buffer_check_) {
    next_buffer_check_ = now + buffer_check_period;
    check_receive_buffers();
  }
  rearm();
}

void prober::service(target& t, mono_time now) {
  // Everything due before the horizon is handled in this wake-up, timeouts too: a timeout is allowed to fire up
  // to `slack` early, so that an event popped because it lies within the slack is always consumed (otherwise it
  // would be rescheduled at the same instant and popped again forever).
  const mono_time until = horizon(now);
  t.seqs.expire(until, [&](const core::probe_record& r) {
    emit(t, make_sample(t, r.seq, core::probe_status::timeout, r.sent_at, now, clock_.wall_now()));
  });
  if (t.sending && t.addr && t.next_send <= until) {
    queue_send(t);
    t.next_send += t.spec_.probe.interval;
    // A loop that fell behind (suspend, overload) skips missed slots instead of bursting; a probe up to one step
    // of the send grid late is on time, and one due again within the step goes out in this burst too.
    const nanos step = gridded() ? opt_.send_grid : nanos{0};
    if (t.next_send + opt_.slack + step < now) {
      const auto behind = (now - t.next_send) / t.spec_.probe.interval + 1;
      t.next_send += behind * t.spec_.probe.interval;
    }
    if (opt_.count != 0 && t.sent_ >= opt_.count) t.sending = false;
  }
  if (t.ip && t.verdict.due(now)) evaluate(t, now);
  if (!t.literal() && t.next_resolve && *t.next_resolve <= until && t.resolve_id == 0) {
    t.next_resolve.reset();
    start_resolve(t);
  }
  reschedule(t);
}

}  // namespace netstab::service

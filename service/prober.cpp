#include "service/prober.hpp"

#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <random>

#include <spdlog/spdlog.h>

namespace netstab::service {

namespace icmp = core::icmp;
using core::mono_time;
using core::nanos;

namespace {

constexpr std::uint32_t slot_bits = 20;
constexpr std::uint32_t slot_mask = (1U << slot_bits) - 1;

// What the kernel charges a socket's receive buffer per probe, in bytes: an echo reply of the default size on
// loopback is charged 832 bytes (its buffer's true size, measured on Linux 6.18), and its transmit timestamp on
// the error queue, which counts against the same buffer, as much again.
constexpr double charge_per_reply = 832;
// The loop may be busy elsewhere (MQTT, statistics) this long without losing replies; a buffer that holds less
// than this at the current probe rate is worth a warning.
constexpr double wanted_hold_s = 0.1;
// While a buffer is short but still enough, the rate is checked again this often (targets come and go by
// command and reload); the check walks every target, so not on every change.
constexpr nanos buffer_check_period{std::chrono::seconds(5)};

std::string icmp_error_text(const icmp_input& in, icmp::family f) {
  std::string what;
  const bool v4 = f == icmp::family::v4;
  if (in.pkt.what == icmp::kind::time_exceeded) {
    what = "time exceeded (TTL expired in transit)";
  } else if (v4) {
    switch (in.icmp_code) {
      case 0: what = "destination unreachable (network unreachable)"; break;
      case 1: what = "destination unreachable (host unreachable)"; break;
      case 2: what = "destination unreachable (protocol unreachable)"; break;
      case 3: what = "destination unreachable (port unreachable)"; break;
      case 9: case 10: case 13: what = "destination unreachable (administratively prohibited)"; break;
      default: what = "destination unreachable (code " + std::to_string(in.icmp_code) + ")"; break;
    }
  } else {
    switch (in.icmp_code) {
      case 0: what = "destination unreachable (no route)"; break;
      case 1: what = "destination unreachable (administratively prohibited)"; break;
      case 3: what = "destination unreachable (address unreachable)"; break;
      case 4: what = "destination unreachable (port unreachable)"; break;
      default: what = "destination unreachable (code " + std::to_string(in.icmp_code) + ")"; break;
    }
  }
  const std::string from = address_text(in.from);
  if (!from.empty()) what += " from " + from;
  return what;
}

}  // namespace

struct prober::target final : target_view {
  target(const core::target_spec& s, const core::monitor_config& mc) : spec_(s), seqs(2), monitor_(mc) {}
  const core::target_spec& spec() const override { return spec_; }
  const std::string& address() const override { return address_text_; }
  const core::target_monitor& monitor() const override { return monitor_; }
  std::uint64_t sent() const override { return sent_; }

  core::target_spec spec_;
  std::string address_text_;
  std::optional<sockaddr_storage> addr;
  icmp::family fam = icmp::family::v4;
  bool literal = false;
  send_options send_opt;
  std::uint32_t slot = 0;
  std::uint32_t token = 0;
  std::uint32_t order = 0;
  core::sequence_map seqs;
  core::target_monitor monitor_;
  std::uint64_t sent_ = 0;
  bool sending = false;                    // a send is scheduled (running, resolved, count not reached)
  mono_time next_send{};
  std::optional<mono_time> next_resolve;   // host names only
  std::uint64_t resolve_id = 0;            // in-flight resolution
  nanos resolve_backoff{};
  bool faulted = false;                    // monitor holds a resolve fault
};

prober::prober(uv_loop_t* loop, const core::clock& clk, prober_options opt, probe_sink& sink,
               icmp_descriptors preopened)
    : loop_(loop),
      clock_(clk),
      opt_(std::move(opt)),
      sink_(sink),
      timer_(loop),
      resolver_(loop),
      spare4_(std::move(preopened.v4)),
      spare6_(std::move(preopened.v6)) {
  keep4_ = spare4_.valid();
  keep6_ = spare6_.valid();
  std::random_device rd;
  cookie_ = (static_cast<std::uint64_t>(rd()) << 32U) ^ rd();
  events_.reserve(8);
}

prober::~prober() { close(); }

std::size_t prober::target_count() const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const auto& p) { return p != nullptr; }));
}

prober::target* prober::find_mut(std::string_view host) {
  for (auto& p : slots_) {
    if (p && p->spec_.host == host) return p.get();
  }
  return nullptr;
}

const target_view* prober::find(std::string_view host) const {
  for (const auto& p : slots_) {
    if (p && p->spec_.host == host) return p.get();
  }
  return nullptr;
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
  std::size_t n = sizeof(*this) + slots_.capacity() * sizeof(void*) + packet_.capacity();
  for (const auto& p : slots_) {
    if (p) n += sizeof(target) + p->seqs.capacity() * sizeof(core::probe_record) + p->monitor_.memory_bytes();
  }
  return n;
}

std::string prober::add_target(const core::target_spec& spec) {
  if (closed_) return "prober is closed";
  if (find_mut(spec.host) != nullptr) return "target \"" + spec.host + "\" is already monitored";
  auto t = std::make_unique<target>(spec, opt_.monitor);
  sockaddr_storage lit{};
  if (parse_ip_literal(spec.host, lit)) {
    const bool v4 = lit.ss_family == AF_INET;
    if ((v4 && spec.probe.family == core::ip_version::v6) || (!v4 && spec.probe.family == core::ip_version::v4)) {
      return "target \"" + spec.host + "\" is an IPv" + (v4 ? "4" : "6") + " address but ip_version is " +
             (v4 ? "6" : "4");
    }
    t->literal = true;
    t->addr = lit;
    t->fam = v4 ? icmp::family::v4 : icmp::family::v6;
    t->address_text_ = address_text(lit);
  }
  if (!spec.probe.source.empty()) {
    sockaddr_storage src{};
    if (!parse_ip_literal(spec.probe.source, src)) return "source \"" + spec.probe.source + "\" is not an IP address";
    t->send_opt.source = src;
  }
  if (!spec.probe.interface.empty()) {
    const unsigned idx = ::if_nametoindex(spec.probe.interface.c_str());
    if (idx == 0) return "interface \"" + spec.probe.interface + "\" does not exist";
    t->send_opt.ifindex = static_cast<int>(idx);
  }
  t->send_opt.ttl = spec.probe.ttl;
  t->send_opt.tos = spec.probe.tos;
  t->seqs.resize(core::sequence_map::capacity_for(spec.probe.interval, spec.probe.timeout, opt_.late_grace));

  std::uint32_t slot = 0;
  while (slot < slots_.size() && slots_[slot]) ++slot;
  if (slot > slot_mask) return "too many targets";
  if (slot == slots_.size()) {
    slots_.emplace_back();
    generations_.push_back(0);
  }
  generations_[slot] = (generations_[slot] + 1) & 0xfffU;
  t->slot = slot;
  t->token = slot | (generations_[slot] << slot_bits);
  t->order = order_++;
  target& ref = *t;
  slots_[slot] = std::move(t);
  sink_.on_target_event(ref, target_event::added, "");
  if (!ref.literal) start_resolve(ref);
  if (running_) {
    if (ref.addr) {
      std::string err;
      if (socket_for(ref.fam, &err) == nullptr) spdlog::error("{}", err);
    }
    schedule_first_send(ref, clock_.now());
    reschedule(ref);
    rearm();
  }
  return "";
}

bool prober::remove_target(std::string_view host) {
  target* t = find_mut(host);
  if (t == nullptr) return false;
  if (t->resolve_id != 0) resolver_.cancel(t->resolve_id);
  sched_.cancel(t->slot);
  const std::uint32_t slot = t->slot;
  // The sink sees the target one last time, then it is gone: late replies for its
  // token no longer match because the slot's generation moves on when reused.
  sink_.on_target_event(*t, target_event::removed, "");
  slots_[slot].reset();
  rearm();
  check_finished();
  return true;
}

void prober::clear_targets() {
  for (auto& p : slots_) {
    if (p) remove_target(std::string(p->spec_.host));
  }
}

bool prober::set_interval(std::string_view host, nanos interval) {
  target* t = find_mut(host);
  if (t == nullptr) return false;
  t->spec_.probe.interval = interval;
  t->seqs.resize(core::sequence_map::capacity_for(interval, t->spec_.probe.timeout, opt_.late_grace));
  if (running_ && t->sending) {
    // The next probe keeps its phase if it comes sooner than one new interval.
    const mono_time now = clock_.now();
    t->next_send = std::min(t->next_send, now + interval);
    reschedule(*t);
    rearm();
  }
  return true;
}

icmp_socket* prober::socket_for(icmp::family f, std::string* error) {
  const bool v4 = f == icmp::family::v4;
  auto& s = v4 ? sock4_ : sock6_;
  if (s) return s.get();
  auto& spare = v4 ? spare4_ : spare6_;
  bool& keep = v4 ? keep4_ : keep6_;
  std::string err;
  if (spare.valid()) {
    s = icmp_socket::open(loop_, std::move(spare), opt_.tx_timestamps, err);
    // A handed-over socket that cannot be attached is gone; the family is opened anew from now on.
    if (!s) keep = false;
  } else {
    keep = false;
    s = icmp_socket::open(loop_, f, opt_.tx_timestamps, err);
  }
  if (!s) {
    if (error != nullptr) *error = err;
    return nullptr;
  }
  spdlog::debug("{} {} {} socket (identifier {}): receive buffer {} bytes as the kernel counts it "
                "(twice the {} bytes asked when granted in full)",
                keep ? "attached the pre-opened" : "opened", v4 ? "ICMP" : "ICMPv6",
                s->kind() == socket_kind::raw ? "raw" : "datagram", s->identifier(), s->receive_buffer(),
                s->asked_receive_buffer());
  s->start([this](const icmp_input& in) { on_input(in); }, [this] { rearm(); });
  return s.get();
}

void prober::detach_sockets() {
  auto detach = [](std::unique_ptr<icmp_socket>& s, icmp_descriptor& spare, bool keep) {
    if (!s) return;
    if (keep) {
      spare = s->release();
    } else {
      s->close();
    }
    s.reset();
  };
  detach(sock4_, spare4_, keep4_);
  detach(sock6_, spare6_, keep6_);
}

void prober::check_receive_buffers() {
  if (warned_receive_buffer_ || !running_) return;
  for (const icmp_socket* s : {sock4_.get(), sock6_.get()}) {
    // The kernel reports twice what it granted; a granted request reads as twice the bytes asked.
    if (s == nullptr || s->receive_buffer() < 0 ||
        static_cast<std::int64_t>(s->receive_buffer()) >= 2 * static_cast<std::int64_t>(s->asked_receive_buffer())) {
      continue;
    }
    double rate = 0;  // probes per second through this socket
    for (const auto& p : slots_) {
      if (p && p->addr && p->fam == s->family() && p->spec_.probe.interval.count() > 0) {
        rate += 1e9 / static_cast<double>(p->spec_.probe.interval.count());
      }
    }
    const double per_probe = charge_per_reply * (s->tx_timestamps() ? 2 : 1);
    const double holds = static_cast<double>(s->receive_buffer()) / per_probe;
    if (rate * wanted_hold_s <= holds) continue;
    warned_receive_buffer_ = true;
    spdlog::warn("the {} socket's receive buffer is {} bytes, less than the {} asked: it holds the replies of "
                 "about {:.0f} probes, {:.0f} ms at the current {:.0f} probes/s, and replies that arrive while the "
                 "loop is busy for longer are lost. Start netstab with CAP_NET_ADMIN (it opens its sockets before "
                 "dropping it), or raise the limit: `sudo sysctl -w net.core.rmem_max={}`.",
                 s->family() == icmp::family::v4 ? "ICMP" : "ICMPv6", s->receive_buffer() / 2,
                 s->asked_receive_buffer(), holds, holds / rate * 1000, rate, s->asked_receive_buffer());
    return;
  }
}

std::string prober::start() {
  if (closed_) return "prober is closed";
  if (running_) return "";
  // Open the sockets the known targets need now, so that a missing permission is
  // reported at once rather than as a stream of send errors.
  for (auto& p : slots_) {
    if (p && p->addr) {
      std::string err;
      if (socket_for(p->fam, &err) == nullptr) {
        detach_sockets();
        return err;
      }
    }
  }
  running_ = true;
  finished_ = false;
  const mono_time now = clock_.now();
  for (auto& p : slots_) {
    if (!p) continue;
    schedule_first_send(*p, now);
    if (!p->literal && !p->addr && p->resolve_id == 0) start_resolve(*p);
    reschedule(*p);
  }
  rearm();
  check_receive_buffers();
  next_buffer_check_ = now + buffer_check_period;
  return "";
}

void prober::schedule_first_send(target& t, mono_time now) {
  t.sending = opt_.count == 0 || t.sent_ < opt_.count;
  t.next_send = now + core::stagger_offset(t.order, t.spec_.probe.interval);
}

void prober::stop() {
  if (!running_) return;
  running_ = false;
  sched_.clear();
  timer_.stop();
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
  timer_.close();
}

void prober::start_resolve(target& t) {
  if (t.resolve_id != 0) return;
  const std::uint32_t token = t.token;
  t.resolve_id = resolver_.resolve(
      t.spec_.host, t.spec_.probe.family,
      [this, token](int status, const std::string& error, std::vector<sockaddr_storage> addrs) {
        target* tp = by_token(token);
        if (tp == nullptr) return;
        target& tr = *tp;
        tr.resolve_id = 0;
        const mono_time now = clock_.now();
        if (status != 0) {
          tr.resolve_backoff = tr.resolve_backoff.count() == 0
                                   ? opt_.resolve_retry
                                   : std::min(tr.resolve_backoff * 2, opt_.resolve_interval);
          tr.next_resolve = now + tr.resolve_backoff;
          const std::string reason = "resolve failed: " + error;
          spdlog::warn("{}: {} (retry in {} s)", tr.spec_.host, reason,
                       std::chrono::duration_cast<std::chrono::seconds>(tr.resolve_backoff).count());
          sink_.on_target_event(tr, target_event::resolve_failed, error);
          events_.clear();
          tr.monitor_.set_fault(reason, now, clock_.wall_now(), events_);
          tr.faulted = true;
          for (const auto& e : events_) sink_.on_monitor_event(tr, e);
          if (opt_.count != 0) {
            tr.sending = false;
            tr.sent_ = opt_.count;
            check_finished();
          }
        } else {
          const sockaddr_storage& a = addrs.front();
          const std::string text = address_text(a);
          const bool changed = tr.addr && !same_address(*tr.addr, a);
          const std::string old = tr.address_text_;
          tr.addr = a;
          tr.fam = a.ss_family == AF_INET ? icmp::family::v4 : icmp::family::v6;
          tr.address_text_ = text;
          tr.resolve_backoff = nanos{0};
          tr.next_resolve = now + opt_.resolve_interval;
          if (changed) {
            spdlog::info("{}: address changed {} -> {}", tr.spec_.host, old, text);
            sink_.on_target_event(tr, target_event::address_changed, old);
          } else if (old.empty()) {
            spdlog::info("{}: resolved to {}", tr.spec_.host, text);
            sink_.on_target_event(tr, target_event::resolved, text);
          }
          if (tr.faulted) {
            events_.clear();
            tr.monitor_.clear_fault(now, clock_.wall_now(), events_);
            tr.faulted = false;
            for (const auto& e : events_) sink_.on_monitor_event(tr, e);
          }
          if (running_) {
            std::string err;
            if (socket_for(tr.fam, &err) == nullptr) spdlog::error("{}", err);
          }
        }
        if (running_) {
          reschedule(tr);
          rearm();
        }
      });
}

prober::target* prober::by_token(std::uint32_t token) {
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
    if (t.next_resolve && !t.literal && t.resolve_id == 0) take(*t.next_resolve);
  }
  if (next) {
    sched_.schedule(t.slot, *next);
  } else {
    sched_.cancel(t.slot);
  }
}

void prober::rearm() {
  if (!running_ || closed_) {
    timer_.stop();
    return;
  }
  const auto next = sched_.next();
  if (!next) {
    timer_.stop();
    return;
  }
  const nanos wait = *next - clock_.now();
  // libuv timers count whole milliseconds; round up so that we never wake early.
  const auto ms = wait.count() <= 0 ? 0 : (wait.count() + 999'999) / 1'000'000;
  timer_.start(static_cast<std::uint64_t>(ms), [this] { on_timer(); });
}

void prober::on_timer() {
  ++counters_.wakeups;
  // The loop's time for this wake-up, read once: every due event is judged against it.
  const mono_time now = clock_.now();
  while (auto id = sched_.pop_due(now + opt_.slack)) {
    if (*id < slots_.size() && slots_[*id]) service(*slots_[*id], now);
  }
  if (!warned_receive_buffer_ && now >= next_buffer_check_) {
    next_buffer_check_ = now + buffer_check_period;
    check_receive_buffers();
  }
  rearm();
}

void prober::service(target& t, mono_time now) {
  // Everything due before the horizon is handled in this wake-up, timeouts too: a
  // timeout is allowed to fire up to `slack` early, so that an event popped because
  // it lies within the slack is always consumed (otherwise it would be rescheduled
  // at the same instant and popped again forever).
  const mono_time horizon = now + opt_.slack;
  t.seqs.expire(horizon, [&](const core::probe_record& r) {
    core::sample s;
    s.seq = r.seq;
    s.status = core::probe_status::timeout;
    s.sent_at = r.sent_at;
    s.at = now;
    s.wall = clock_.wall_now();
    s.size = t.spec_.probe.size;
    emit(t, s);
  });
  if (t.sending && t.addr && t.next_send <= horizon) {
    send_probe(t, t.next_send);
    t.next_send += t.spec_.probe.interval;
    // A loop that fell behind (suspend, overload) skips missed slots instead of bursting.
    if (t.next_send + opt_.slack < now) {
      const auto behind = (now - t.next_send) / t.spec_.probe.interval + 1;
      t.next_send += behind * t.spec_.probe.interval;
    }
    if (opt_.count != 0 && t.sent_ >= opt_.count) t.sending = false;
  }
  if (!t.literal && t.next_resolve && *t.next_resolve <= horizon && t.resolve_id == 0) {
    t.next_resolve.reset();
    start_resolve(t);
  }
  reschedule(t);
  if (opt_.count != 0 && !t.sending) check_finished();
}

void prober::send_probe(target& t, mono_time /*scheduled*/) {
  std::string err;
  icmp_socket* s = socket_for(t.fam, &err);
  const std::size_t need = icmp::header_size + t.spec_.probe.size;
  if (packet_.size() < need) packet_.resize(need);
  const std::uint32_t seq = t.seqs.next_seq();
  icmp::echo e;
  e.id = s != nullptr ? s->identifier() : 0;
  e.seq16 = static_cast<std::uint16_t>(seq & 0xffffU);
  e.cookie = cookie_;
  e.token = t.token;
  e.seq32 = seq;
  const std::size_t len = icmp::encode_echo_request(t.fam, e, t.spec_.probe.size, packet_);
  // Measurement timestamps are taken right before the send call.
  const mono_time sent_at = clock_.now();
  const core::wall_time user_tx = clock_.wall_now();
  int rc = s == nullptr ? -EACCES : s->send(*t.addr, std::span<const std::byte>(packet_.data(), len), t.send_opt);
  std::optional<core::probe_record> evicted;
  t.seqs.on_sent(sent_at, t.spec_.probe.timeout, user_tx, &evicted);
  ++t.sent_;
  ++counters_.sent;
  t.monitor_.on_sent(sent_at);
  if (evicted) {
    core::sample ts;
    ts.seq = evicted->seq;
    ts.status = core::probe_status::timeout;
    ts.sent_at = evicted->sent_at;
    ts.at = sent_at;
    ts.wall = user_tx;
    ts.size = t.spec_.probe.size;
    emit(t, ts);
  }
  if (rc != 0) {
    ++counters_.send_errors;
    t.seqs.resolve(seq);
    core::sample es;
    es.seq = seq;
    es.status = core::probe_status::error;
    es.sent_at = sent_at;
    es.at = sent_at;
    es.wall = user_tx;
    es.size = t.spec_.probe.size;
    es.error = s == nullptr ? err : std::string("send failed: ") + std::strerror(-rc);
    emit(t, es);
  }
}

void prober::on_input(const icmp_input& in) {
  if (!in.pkt.has_netstab_payload || in.pkt.cookie != cookie_) {
    ++counters_.foreign;
    return;
  }
  target* tp = by_token(in.pkt.token);
  if (tp == nullptr) {
    ++counters_.foreign;
    return;
  }
  target& t = *tp;
  if (in.what == icmp_input::kind::tx_timestamp) {
    if (in.kernel_ts) t.seqs.set_kernel_tx(in.pkt.seq32, *in.kernel_ts);
    return;
  }
  if (in.what == icmp_input::kind::reply) {
    // A reply must come from the address we probed (or it is someone else's echo of our payload).
    if (!t.addr || !same_address(*t.addr, in.from) || in.pkt.seq16 != (in.pkt.seq32 & 0xffffU)) {
      ++counters_.foreign;
      return;
    }
    core::probe_record rec;
    const auto m = t.seqs.on_reply(in.pkt.seq32, &rec);
    if (m == core::match_result::stale) {
      ++counters_.foreign;
      return;
    }
    ++counters_.replies;
    core::sample s;
    s.seq = in.pkt.seq32;
    s.status = m == core::match_result::ok     ? core::probe_status::ok
               : m == core::match_result::late ? core::probe_status::late
                                               : core::probe_status::duplicate;
    s.sent_at = rec.sent_at;
    s.at = clock_.now();
    s.wall = clock_.wall_now();
    s.process = s.at - rec.sent_at;
    const auto measured = core::measure_rtt(*s.process, in.kernel_ts, rec.kernel_tx, rec.user_tx);
    s.rtt = measured.rtt;
    s.clock = measured.clock;
    s.ttl = in.ttl;
    s.size = static_cast<std::uint32_t>(in.pkt.payload_size);
    emit(t, s);
    reschedule(t);
    return;
  }
  // ICMP error quoting one of our probes (or a local error from the error queue).
  core::probe_record rec;
  if (!t.seqs.resolve(in.pkt.seq32, &rec)) return;  // already answered or timed out
  core::sample s;
  s.seq = in.pkt.seq32;
  s.status = in.what == icmp_input::kind::icmp_error ? core::probe_status::unreachable : core::probe_status::error;
  s.sent_at = rec.sent_at;
  s.at = clock_.now();
  s.wall = clock_.wall_now();
  s.process = s.at - rec.sent_at;
  s.size = t.spec_.probe.size;
  s.error = in.what == icmp_input::kind::icmp_error ? icmp_error_text(in, t.fam) : std::strerror(in.err);
  emit(t, s);
  reschedule(t);
  if (opt_.count != 0 && !t.sending) check_finished();
}

void prober::emit(target& t, const core::sample& s) {
  events_.clear();
  t.monitor_.on_sample(s, events_);
  sink_.on_sample(t, s);
  for (const auto& e : events_) sink_.on_monitor_event(t, e);
  if (opt_.count != 0 && !t.sending && (s.status == core::probe_status::ok || s.status == core::probe_status::timeout)) {
    check_finished();
  }
}

void prober::check_finished() {
  if (opt_.count == 0 || finished_ || !running_) return;
  for (const auto& p : slots_) {
    if (!p) continue;
    if (p->sending || p->seqs.outstanding() != 0) return;
    if (!p->addr && p->sent_ < opt_.count) return;  // still resolving
  }
  finished_ = true;
  sink_.on_finished();
}

}  // namespace netstab::service

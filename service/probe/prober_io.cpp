// The prober's sockets, sends, replies and samples. Targets, life cycle and schedule are in prober.cpp.
#include <cstring>

#include <spdlog/spdlog.h>

#include "service/probe/prober.hpp"
#include "service/probe/prober_target.hpp"
#include "service/probe/sockaddr.hpp"

namespace netstab::service {

namespace icmp = core::icmp;
using core::mono_time;
using core::nanos;

namespace {

// The loop may be busy elsewhere (MQTT, statistics) this long without losing replies; a buffer that holds less
// than this at the current probe rate is worth a warning.
constexpr double wanted_hold_s = 0.1;

std::string unreachable_text(int code, bool v4) {
  if (v4) {
    switch (code) {
      case 0:
        return "destination unreachable (network unreachable)";
      case 1:
        return "destination unreachable (host unreachable)";
      case 2:
        return "destination unreachable (protocol unreachable)";
      case 3:
        return "destination unreachable (port unreachable)";
      case 9:
      case 10:
      case 13:
        return "destination unreachable (administratively prohibited)";
      default:
        break;
    }
  } else {
    switch (code) {
      case 0:
        return "destination unreachable (no route)";
      case 1:
        return "destination unreachable (administratively prohibited)";
      case 3:
        return "destination unreachable (address unreachable)";
      case 4:
        return "destination unreachable (port unreachable)";
      default:
        break;
    }
  }
  return "destination unreachable (code " + std::to_string(code) + ")";
}

std::string icmp_error_text(const icmp_input& in, icmp::family f) {
  std::string what = in.pkt.what == icmp::kind::time_exceeded ? "time exceeded (TTL expired in transit)"
                                                              : unreachable_text(in.icmp_code, f == icmp::family::v4);
  if (in.from.ss_family == AF_INET || in.from.ss_family == AF_INET6) what += " from " + from_sockaddr(in.from).text();
  return what;
}

}  // namespace

core::result<icmp_socket*> prober::socket_for(icmp::family f) {
  const bool v4 = f == icmp::family::v4;
  auto& s = v4 ? sock4_ : sock6_;
  if (s) return s.get();
  auto& spare = v4 ? spare4_ : spare6_;
  bool& keep = v4 ? keep4_ : keep6_;
  const bool handed_over = spare.valid();
  auto opened = handed_over ? icmp_socket::open(loop_, std::move(spare), opt_.tx_timestamps)
                            : icmp_socket::open(loop_, f, opt_.tx_timestamps);
  // A handed-over socket that cannot be attached is gone; the family is opened anew from now on.
  if (!handed_over || !opened) keep = false;
  if (!opened) return core::error{opened.message()};
  s = std::move(*opened);
  spdlog::debug(
      "{} {} {} socket (identifier {}): receive buffer {} bytes as the kernel counts it (twice the {} bytes asked "
      "when granted in full)",
      keep ? "attached the pre-opened" : "opened", v4 ? "ICMP" : "ICMPv6",
      s->kind() == socket_kind::raw ? "raw" : "datagram", s->identifier(), s->receive_buffer(),
      s->asked_receive_buffer());
  if (auto r = s->start([this](const icmp_input& in) { on_input(in); }, [this] { rearm(); },
                        [this](const icmp_input& in) { prefetch_target(in); });
      !r) {
    s.reset();
    return core::error{r.message()};
  }
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
      if (p && p->addr && p->fam == s->family()) rate += core::per_second(p->spec_.probe.interval);
    }
    const double holds = static_cast<double>(s->receive_buffer()) / (charge_per_probe * (s->tx_timestamps() ? 2 : 1));
    if (rate * wanted_hold_s <= holds) continue;
    warned_receive_buffer_ = true;
    spdlog::warn(
        "the {} socket's receive buffer is {} bytes, less than the {} asked: it holds the replies of about {:.0f} "
        "probes, {:.0f} ms at the current {:.0f} probes/s, and replies that arrive while the loop is busy for longer "
        "are lost. Start netstab with CAP_NET_ADMIN (it opens its sockets before dropping it), or raise the limit: "
        "`sudo sysctl -w net.core.rmem_max={}`.",
        s->family() == icmp::family::v4 ? "ICMP" : "ICMPv6", s->receive_buffer() / 2, s->asked_receive_buffer(), holds,
        holds / rate * 1000, rate, s->asked_receive_buffer());
    return;
  }
}

core::sample prober::make_sample(const target& t, std::uint32_t seq, core::probe_status status, mono_time sent_at,
                                 mono_time at, core::wall_time wall) const {
  core::sample s;
  s.seq = seq;
  s.status = status;
  s.sent_at = sent_at;
  s.at = at;
  s.wall = wall;
  s.size = t.spec_.probe.size;
  return s;
}

// Starts fetching the state on_input() reads first for an item that names one of our targets. It only computes
// addresses from the slot table: an item whose slot is empty, reused or someone else's is judged by on_input().
void prober::prefetch_target(const icmp_input& in) const {
  if (!in.pkt.has_netstab_payload || in.pkt.cookie != cookie_) return;
  const std::uint32_t slot = in.pkt.token & slot_mask;
  if (slot >= slots_.size() || !slots_[slot]) return;
  const target& t = *slots_[slot];
  __builtin_prefetch(&t.token);
  __builtin_prefetch(&t.seqs);
  sink_.prefetch(slot);
}

void prober::on_input(const icmp_input& in) {
  target* t = in.pkt.has_netstab_payload && in.pkt.cookie == cookie_ ? by_token(in.pkt.token) : nullptr;
  if (t == nullptr) {
    if (!on_short_quote(in)) ++counters_.foreign;
    return;
  }
  if ((in.pkt.token & path_bit) != 0) {
    on_path_input(*t, in);
    return;
  }
  switch (in.what) {
    case icmp_input::kind::tx_timestamp:
      if (in.kernel_ts) t->seqs.set_kernel_tx(in.pkt.seq32, *in.kernel_ts);
      return;
    case icmp_input::kind::reply:
      on_reply(*t, in);
      return;
    case icmp_input::kind::icmp_error:
    case icmp_input::kind::local_error:
      on_error(*t, in);
      return;
  }
}

void prober::on_reply(target& t, const icmp_input& in) {
  // A reply must come from the address we probed (or it is someone else's echo of our payload).
  if (!t.answered_from(in.from, in.pkt.seq32) || in.pkt.seq16 != (in.pkt.seq32 & 0xffffU)) {
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
  const auto status = m == core::match_result::ok     ? core::probe_status::ok
                      : m == core::match_result::late ? core::probe_status::late
                                                      : core::probe_status::duplicate;
  core::sample s = make_sample(t, in.pkt.seq32, status, rec.sent_at, clock_.now(), clock_.wall_now());
  s.process = s.at - rec.sent_at;
  const auto measured = core::measure_rtt(*s.process, in.kernel_ts, rec.kernel_tx, rec.user_tx);
  s.rtt = measured.rtt;
  s.clock = measured.clock;
  s.ttl = in.ttl;
  s.size = static_cast<std::uint32_t>(in.pkt.payload_size);
  emit(t, s);
  reschedule(t);
}

// An ICMP error quoting one of our probes, or a local error from the error queue.
void prober::on_error(target& t, const icmp_input& in) {
  core::probe_record rec;
  if (!t.seqs.resolve(in.pkt.seq32, &rec)) return;  // already answered or timed out
  const bool remote = in.what == icmp_input::kind::icmp_error;
  core::sample s = make_sample(t, in.pkt.seq32, remote ? core::probe_status::unreachable : core::probe_status::error,
                               rec.sent_at, clock_.now(), clock_.wall_now());
  s.process = s.at - rec.sent_at;
  s.error = remote ? icmp_error_text(in, t.fam) : std::strerror(in.err);
  emit(t, s);
  reschedule(t);
  if (opt_.count != 0 && !t.sending) check_finished();
}

void prober::emit(target& t, const core::sample& s) {
  events_.clear();
  t.monitor_.on_sample(s, events_);
  sink_.on_sample(t, s);
  emit_events(t);
  if (opt_.count != 0 && !t.sending &&
      (s.status == core::probe_status::ok || s.status == core::probe_status::timeout)) {
    check_finished();
  }
}

void prober::emit_events(target& t) {
  if (!events_.empty()) annotate_incidents(t);
  for (const auto& e : events_) sink_.on_monitor_event(t, e);
}

}  // namespace netstab::service

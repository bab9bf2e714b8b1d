#include "service/service_mode.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/discovery.hpp"
#include "service/discovery_publisher.hpp"
#include "service/engine.hpp"
#include "service/icmp_socket.hpp"
#include "service/mqtt_link.hpp"
#include "service/reload.hpp"
#include "service/stdout_sink.hpp"
#include "service/system_clock.hpp"
#include "service/uv.hpp"

namespace netstab::service {

using core::nanos;

// ---------------------------------------------------------------- mqtt_sink

mqtt_sink::mqtt_sink(core::message_bus& bus, const core::topic_builder& topics, const core::clock& clk, options opt)
    : bus_(bus), topics_(topics), clock_(clk), opt_(opt), digest_topic_(topics.digest()) {
  buf_.reserve(1024);
}

mqtt_sink::cache& mqtt_sink::topics_of(const target_view& t) {
  auto it = cache_.find(&t);
  if (it != cache_.end()) return it->second;
  cache c;
  const std::string sl = core::slug(t.spec().host);
  c.sample_topic = topics_.sample(sl);
  c.stats_topic = topics_.stats(sl);
  c.incidents_topic = topics_.incidents(sl);
  // Window 0 is the primary window; the others publish under .../stats/<window>.
  for (std::size_t w = 1; w < t.monitor().window_count(); ++w) {
    c.extra_stats_topics.push_back(topics_.stats(sl, t.monitor().snapshot(clock_.now(), w).window));
  }
  cache& added = cache_.emplace(&t, std::move(c)).first->second;
  order_.push_back(&added);
  return added;
}

void mqtt_sink::on_sample(const target_view& t, const core::sample& s) {
  cache& c = topics_of(t);
  if (t.spec().probe.publish_samples) {
    buf_.clear();
    core::append_sample_json(buf_, t.spec().host, t.address(), s);
    bus_.publish(core::outgoing_message{c.sample_topic, buf_, opt_.qos_sample, false, {}});
  }
  const core::mono_time now = clock_.now();
  // Statistics follow resolved probes, at most once per interval (or the configured period).
  if (s.status != core::probe_status::duplicate && s.status != core::probe_status::late) {
    // A tenth of the period (at most half a probe interval) absorbs the loop's jitter, so a reply arriving a
    // little early does not push the publication a whole interval later.
    const nanos interval = t.spec().probe.interval;
    const nanos period = opt_.publish_interval.count() > 0 ? opt_.publish_interval : interval;
    const nanos tolerance = std::min(period / 10, interval / 2);
    if (!c.published || now - c.last_stats >= period - tolerance) publish_stats(t);
  }
  if (opt_.digest_interval.count() > 0) publish_digest_if_due(now);
}

void mqtt_sink::publish_stats(const target_view& t) {
  cache& c = topics_of(t);
  const core::mono_time now = clock_.now();
  const core::wall_time wall = clock_.wall_now();
  c.last_stats = now;
  c.published = true;
  const bool digest = opt_.digest_interval.count() > 0;
  // Without per-target topics only the primary window is needed, and only for the digest.
  const std::size_t windows = opt_.per_target ? t.monitor().window_count() : (digest ? 1 : 0);
  for (std::size_t w = 0; w < windows; ++w) {
    buf_.clear();
    core::append_stats_json(buf_, t.spec().host, t.address(), wall, t.monitor().snapshot(now, w));
    if (w == 0 && digest) c.digest_entry.assign(buf_);
    if (!opt_.per_target) continue;
    const std::string& topic = w == 0 ? c.stats_topic : c.extra_stats_topics[w - 1];
    bus_.publish(core::outgoing_message{topic, buf_, opt_.qos_stats, opt_.retain_stats, {}});
  }
}

// At a (re)connect: the statistics a target published before, again (the broker may have lost its retained
// copy). A target that has not published yet gets its first statistics with its first sample, so the first
// connect does not send one empty statistics message per target in a burst (10,000 of them at scale).
void mqtt_sink::republish_stats(const target_view& t) {
  auto it = cache_.find(&t);
  if (it != cache_.end() && it->second.published) publish_stats(t);
}

// The digest is driven by the samples, not by a timer of its own: a stopped prober produces no samples, so a
// stopped process publishes nothing and no timer fires. The first digest goes one period after the first sample,
// when every target probed at least that often has an entry. The schedule advances by whole periods (no drift);
// after a pause longer than a period it restarts from now instead of publishing the missed ones.
void mqtt_sink::publish_digest_if_due(core::mono_time now) {
  if (!digest_started_) {
    digest_started_ = true;
    next_digest_ = now + opt_.digest_interval;
    return;
  }
  if (now < next_digest_) return;
  next_digest_ += opt_.digest_interval;
  if (next_digest_ <= now) next_digest_ = now + opt_.digest_interval;
  entries_.clear();
  for (const cache* c : order_) {
    if (!c->digest_entry.empty()) entries_.push_back(&c->digest_entry);
  }
  std::string payload;
  core::append_digest_json(payload, clock_.wall_now(), opt_.digest_interval, entries_);
  bus_.publish(core::outgoing_message{digest_topic_, std::move(payload), opt_.qos_stats, opt_.retain_stats, {}});
}

void mqtt_sink::publish_incidents(const target_view& t) {
  cache& c = topics_of(t);
  const auto& d = t.monitor().incidents();
  std::vector<core::incident> list(d.begin(), d.end());
  bus_.publish(core::outgoing_message{c.incidents_topic, core::incidents_json(t.spec().host, list), opt_.qos_other,
                                      true, {}});
}

void mqtt_sink::publish_event(const core::event& e) {
  bus_.publish(core::outgoing_message{topics_.events(), core::event_json(e), opt_.qos_other, false, {}});
}

void mqtt_sink::on_monitor_event(const target_view& t, const core::monitor_event& e) {
  publish_event(to_event(t, e, clock_.wall_now()));
  if (e.what == core::monitor_event::kind::status_change) {
    publish_stats(t);  // a status change is published at once, not at the next period
  } else {
    publish_incidents(t);
  }
}

void mqtt_sink::clear_retained(const target_view& t) {
  cache& c = topics_of(t);
  bus_.publish(core::outgoing_message{c.stats_topic, "", opt_.qos_other, true, {}});
  for (const auto& topic : c.extra_stats_topics) bus_.publish(core::outgoing_message{topic, "", opt_.qos_other, true, {}});
  bus_.publish(core::outgoing_message{c.incidents_topic, "", opt_.qos_other, true, {}});
}

void mqtt_sink::on_target_event(const target_view& t, target_event what, std::string_view detail) {
  core::event e;
  e.ts = clock_.wall_now();
  e.target = t.spec().host;
  switch (what) {
    case target_event::added:
      e.type = core::event_type::target_added;
      (void)topics_of(t);  // the digest lists targets in the order they were added, not in the order they answer
      if (!announce_additions_) return;
      break;
    case target_event::removed:
      e.type = core::event_type::target_removed;
      clear_retained(t);
      if (auto it = cache_.find(&t); it != cache_.end()) {
        std::erase(order_, &it->second);
        cache_.erase(it);
      }
      break;
    case target_event::resolve_failed:
      e.type = core::event_type::resolve_failed;
      e.error = std::string(detail);
      break;
    case target_event::address_changed:
      e.type = core::event_type::address_changed;
      e.from = std::string(detail);
      e.to = t.address();
      break;
    case target_event::resolved: return;
  }
  publish_event(e);
}

// ---------------------------------------------------------------- controller

namespace {

struct cidr {
  int family = 0;
  unsigned char addr[16]{};
  int prefix = 0;
};

bool parse_cidr(const std::string& s, cidr& out) {
  const auto slash = s.find('/');
  const std::string host = s.substr(0, slash);
  if (::inet_pton(AF_INET, host.c_str(), out.addr) == 1) {
    out.family = AF_INET;
    out.prefix = 32;
  } else if (::inet_pton(AF_INET6, host.c_str(), out.addr) == 1) {
    out.family = AF_INET6;
    out.prefix = 128;
  } else {
    return false;
  }
  if (slash != std::string::npos) {
    try {
      out.prefix = std::min(out.prefix, std::stoi(s.substr(slash + 1)));
    } catch (...) {
      return false;
    }
  }
  return true;
}

bool cidr_contains(const cidr& net, const sockaddr_storage& a) {
  const unsigned char* bytes = nullptr;
  if (a.ss_family == AF_INET && net.family == AF_INET) {
    bytes = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(&a)->sin_addr);
  } else if (a.ss_family == AF_INET6 && net.family == AF_INET6) {
    bytes = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr);
  } else {
    return false;
  }
  int bits = net.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<unsigned char>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
    if ((bytes[i] & mask) != (net.addr[i] & mask)) return false;
  }
  return true;
}

bool name_matches(const std::string& pattern, const std::string& host) {
  auto lower = [](std::string v) {
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v;
  };
  const std::string p = lower(pattern), h = lower(host);
  if (p == h) return true;
  // "*.example.org" or ".example.org" match every name under the domain.
  std::string suffix = p.starts_with("*.") ? p.substr(1) : p.starts_with(".") ? p : std::string();
  return !suffix.empty() && h.size() > suffix.size() && h.ends_with(suffix);
}

bool matches(const std::vector<std::string>& list, const std::string& host, const sockaddr_storage* lit) {
  for (const auto& item : list) {
    cidr net;
    if (parse_cidr(item, net)) {
      if (lit != nullptr && cidr_contains(net, *lit)) return true;
    } else if (name_matches(item, host)) {
      return true;
    }
  }
  return false;
}

}  // namespace

controller::controller(uv_loop_t* loop, prober& p, mqtt_sink& sink, core::message_bus& bus,
                       const core::topic_builder& topics, const core::clock& clk, const config::settings& s)
    : prober_(p), sink_(sink), bus_(bus), topics_(topics), clock_(clk), settings_(s),
      started_at_(clk.wall_now()), tokens_(s.control.commands_per_minute), last_refill_(clk.now()),
      resolver_(loop), resolve_timer_(loop) {
  limits_.max_payload_bytes = s.control.max_payload_bytes;
  limits_.min_interval_ms = s.control.min_interval.count();
}

std::string controller::check_allowed(const std::string& host) const {
  const auto& c = settings_.control;
  sockaddr_storage lit{};
  const bool is_literal = parse_ip_literal(host, lit);
  const sockaddr_storage* lp = is_literal ? &lit : nullptr;
  if (matches(c.deny, host, lp)) return "target not allowed: \"" + host + "\" is on the deny list";
  if (is_literal) {
    static const char* loopback[] = {"127.0.0.0/8", "::1/128"};
    static const char* link_local[] = {"169.254.0.0/16", "fe80::/10"};
    for (const char* n : loopback) {
      cidr net;
      parse_cidr(n, net);
      if (cidr_contains(net, lit) && !c.allow_loopback && !matches(c.allow, host, lp)) {
        return "target not allowed: loopback addresses need control.allow_loopback = true";
      }
    }
    for (const char* n : link_local) {
      cidr net;
      parse_cidr(n, net);
      if (cidr_contains(net, lit) && !c.allow_link_local && !matches(c.allow, host, lp)) {
        return "target not allowed: link-local addresses need control.allow_link_local = true";
      }
    }
  } else if (host == "localhost" && !c.allow_loopback) {
    return "target not allowed: loopback addresses need control.allow_loopback = true";
  }
  if (!c.allow.empty() && !matches(c.allow, host, lp)) return "target not allowed: \"" + host + "\" is not on the allow list";
  return "";
}

std::string controller::check_allowed_address(const std::string& host, const sockaddr_storage& a) const {
  const auto& c = settings_.control;
  const std::string text = address_text(a);
  if (matches(c.deny, text, &a)) {
    return "target not allowed: \"" + host + "\" resolves to " + text + ", on the deny list";
  }
  const bool allowed = matches(c.allow, host, nullptr) || matches(c.allow, text, &a);
  for (const char* n : {"127.0.0.0/8", "::1/128"}) {
    cidr net;
    parse_cidr(n, net);
    if (cidr_contains(net, a) && !c.allow_loopback && !allowed) {
      return "target not allowed: \"" + host + "\" resolves to the loopback address " + text +
             " (needs control.allow_loopback = true)";
    }
  }
  for (const char* n : {"169.254.0.0/16", "fe80::/10"}) {
    cidr net;
    parse_cidr(n, net);
    if (cidr_contains(net, a) && !c.allow_link_local && !allowed) {
      return "target not allowed: \"" + host + "\" resolves to the link-local address " + text +
             " (needs control.allow_link_local = true)";
    }
  }
  return "";
}

void controller::reply(const core::incoming_message& m, const core::parsed_command& pc, bool ok,
                       std::string_view error, const nlohmann::json& extra) {
  core::outgoing_message out;
  out.payload = core::reply_json(pc.id, ok, pc.name, error, extra);
  out.qos = settings_.mqtt.qos_other;
  if (!m.response_topic.empty()) {
    out.topic = m.response_topic;
    out.correlation_data = m.correlation_data;
  } else {
    out.topic = topics_.command_reply();
  }
  if (!ok) spdlog::warn("command refused: {}", error);
  bus_.publish(std::move(out));
}

void controller::on_message(const core::incoming_message& m) {
  if (closed_) return;
  // Rate limit first: a flood of commands costs one token check each.
  const core::mono_time now = clock_.now();
  const double per_ns = settings_.control.commands_per_minute / 60e9;
  tokens_ = std::min<double>(settings_.control.commands_per_minute,
                             tokens_ + per_ns * static_cast<double>((now - last_refill_).count()));
  last_refill_ = now;
  core::parsed_command pc = core::parse_command(m.payload, limits_);
  if (tokens_ < 1.0) {
    reply(m, pc, false, "rate limit: more than " + std::to_string(settings_.control.commands_per_minute) +
                            " commands per minute");
    return;
  }
  tokens_ -= 1.0;
  if (!pc.ok()) {
    reply(m, pc, false, pc.error);
    return;
  }
  if (waiting() >= max_waiting_commands) {
    reply(m, pc, false, "limit reached: " + std::to_string(waiting()) +
                            " commands are already waiting for a host name to resolve; try again later");
    return;
  }
  queue_.push_back(queued_command{m, std::move(pc)});
  run_queue();
}

void controller::close() {
  if (closed_) return;
  closed_ = true;
  if (lookup_id_ != 0) resolver_.cancel(lookup_id_);
  lookup_id_ = 0;
  resolving_.reset();
  queue_.clear();
  resolve_timer_.close();
}

void controller::run_queue() {
  // A resolution that fails synchronously finishes inside execute(), which
  // calls back here: the outer loop carries on instead.
  if (draining_) return;
  draining_ = true;
  while (!queue_.empty() && !resolving_ && !closed_) {
    queued_command q = std::move(queue_.front());
    queue_.pop_front();
    execute(std::move(q));
  }
  draining_ = false;
}

std::string controller::precheck(const core::target_request& rq, bool replace) const {
  if (auto e = check_allowed(rq.target); !e.empty()) return e;
  const bool exists = prober_.find(rq.target) != nullptr;
  const std::size_t after = replace ? 1 : prober_.target_count() + (exists ? 0 : 1);
  if (after > settings_.control.max_targets) {
    return "limit reached: at most " + std::to_string(settings_.control.max_targets) + " targets";
  }
  const core::target_spec spec = rq.apply(settings_.probe);
  if (spec.probe.interval < settings_.control.min_interval) {
    return "interval_ms " + std::to_string(spec.probe.interval.count() / 1'000'000) + " is below the minimum of " +
           std::to_string(settings_.control.min_interval.count());
  }
  if (!replace && exists) return "target \"" + rq.target + "\" is already monitored";
  return "";
}

std::string controller::apply_target(const core::target_request& rq, bool replace) {
  if (replace) prober_.clear_targets();
  std::string error = prober_.add_target(rq.apply(settings_.probe));
  if (error.empty() && replace) error = prober_.start();
  return error;
}

void controller::finish(const queued_command& q, const std::string& error, nlohmann::json extra) {
  extra["running"] = prober_.running();
  reply(q.msg, q.pc, error.empty(), error, extra);
  publish_state();
}

void controller::execute(queued_command q) {
  spdlog::info("command: {}", q.msg.payload.size() > 200 ? q.msg.payload.substr(0, 200) + "..." : q.msg.payload);
  std::string error;
  nlohmann::json extra = nlohmann::json::object();
  // set_target and add_target: checked first; a host name is then resolved
  // before anything changes (below: the command waits in resolving_).
  std::string lookup_host;
  core::ip_version lookup_family = core::ip_version::any;
  auto target_command = [&](const core::target_request& rq, bool replace) {
    extra["target"] = rq.target;
    error = precheck(rq, replace);
    if (!error.empty()) return;
    sockaddr_storage lit{};
    if (parse_ip_literal(rq.target, lit)) {
      error = apply_target(rq, replace);
    } else {
      lookup_host = rq.target;
      lookup_family = rq.apply(settings_.probe).probe.family;
    }
  };
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, core::start_command>) {
          error = prober_.start();
          if (error.empty()) {
            core::event e;
            e.type = core::event_type::started;
            e.ts = clock_.wall_now();
            sink_.publish_event(e);
          }
        } else if constexpr (std::is_same_v<T, core::stop_command>) {
          if (prober_.running()) {
            prober_.stop();
            core::event e;
            e.type = core::event_type::stopped;
            e.ts = clock_.wall_now();
            sink_.publish_event(e);
          }
        } else if constexpr (std::is_same_v<T, core::status_command>) {
          publish_all();
        } else if constexpr (std::is_same_v<T, core::set_target_command>) {
          target_command(c.request, true);
        } else if constexpr (std::is_same_v<T, core::add_target_command>) {
          target_command(c.request, false);
        } else if constexpr (std::is_same_v<T, core::remove_target_command>) {
          if (!prober_.remove_target(c.target)) error = "target not found: \"" + c.target + "\"";
          extra["target"] = c.target;
        } else if constexpr (std::is_same_v<T, core::set_interval_command>) {
          if (c.interval < settings_.control.min_interval) {
            error = "interval_ms " + std::to_string(c.interval.count() / 1'000'000) + " is below the minimum of " +
                    std::to_string(settings_.control.min_interval.count());
          } else if (!prober_.set_interval(c.target, c.interval)) {
            error = "target not found: \"" + c.target + "\"";
          }
          extra["target"] = c.target;
        }
      },
      *q.pc.cmd);
  if (lookup_host.empty()) {
    finish(q, error, std::move(extra));
    return;
  }
  resolving_ = std::move(q);
  const std::uint64_t id = resolver_.resolve(
      lookup_host, lookup_family, [this](int status, const std::string& err, std::vector<sockaddr_storage> addrs) {
        lookup_id_ = 0;
        on_resolved(status, err, addrs);
      });
  if (id == 0) return;  // could not start: on_resolved has answered already
  lookup_id_ = id;
  // getaddrinfo may wait long for a DNS server that doesn't answer; the reply must not.
  resolve_timer_.start(static_cast<std::uint64_t>(std::chrono::milliseconds(resolve_timeout).count()), [this] {
    if (lookup_id_ != 0) resolver_.cancel(lookup_id_);
    lookup_id_ = 0;
    on_resolved(UV_EAI_AGAIN,
                "no answer from the name resolver within " + std::to_string(resolve_timeout.count()) + " s", {});
  });
}

void controller::on_resolved(int status, const std::string& error, const std::vector<sockaddr_storage>& addrs) {
  if (!resolving_) return;
  resolve_timer_.stop();
  const queued_command q = std::move(*resolving_);
  resolving_.reset();
  const auto& rq = std::holds_alternative<core::set_target_command>(*q.pc.cmd)
                       ? std::get<core::set_target_command>(*q.pc.cmd).request
                       : std::get<core::add_target_command>(*q.pc.cmd).request;
  const bool replace = std::holds_alternative<core::set_target_command>(*q.pc.cmd);
  nlohmann::json extra = nlohmann::json::object();
  extra["target"] = rq.target;
  std::string err;
  if (status != 0 || addrs.empty()) {
    err = "unresolvable target '" + rq.target + "': " + (error.empty() ? "no address" : error);
  } else {
    // The prober takes the first address; so does the check.
    const sockaddr_storage& a = addrs.front();
    extra["address"] = address_text(a);
    err = check_allowed_address(rq.target, a);
    if (err.empty()) err = precheck(rq, replace);  // nothing else ran meanwhile; cheap to confirm
    if (err.empty()) err = apply_target(rq, replace);
  }
  finish(q, err, std::move(extra));
  run_queue();
}

void controller::publish_state() {
  core::agent_state st;
  st.agent = settings_.mqtt.agent;
  st.version = NETSTAB_VERSION;
  st.started_at = started_at_;
  st.running = prober_.running();
  for (const target_view* t : prober_.targets()) st.targets.push_back(core::state_target{t->spec().host, t->address(), t->spec().probe});
  if (counters_) counters_(st);
  bus_.publish(core::outgoing_message{topics_.state(), core::state_json(st), settings_.mqtt.qos_other, true, {}});
}

void controller::publish_all() {
  publish_state();
  for (const target_view* t : prober_.targets()) {
    sink_.republish_stats(*t);
    sink_.publish_incidents(*t);
  }
}

// ---------------------------------------------------------------- run_service

int run_service(const config::settings& s, const config::load_request& request, icmp_descriptors icmp) {
  loop lp;
  system_clock clk;
  const core::topic_builder topics(s.mqtt.base_topic, s.mqtt.agent);

  mqtt_options mo;
  mo.broker_url = s.mqtt.broker;
  mo.client_id = s.mqtt.client_id;
  mo.mqtt_version = s.mqtt.protocol == config::mqtt_protocol::v5 ? 5 : 4;
  mo.keepalive = s.mqtt.keepalive;
  mo.username = s.mqtt.username;
  mo.password = s.mqtt.password;
  mo.ca_file = s.mqtt.tls_ca_file;
  mo.cert_file = s.mqtt.tls_cert_file;
  mo.key_file = s.mqtt.tls_key_file;
  mo.tls_verify = s.mqtt.tls_verify;
  mo.availability_topic = topics.availability();
  if (s.control.enabled) mo.subscriptions.push_back(topics.command());
  for (auto& f : discovery_publisher::subscriptions(s)) mo.subscriptions.push_back(std::move(f));
  mo.connect_timeout = s.mqtt.connect_timeout;
  mo.reconnect_min = s.mqtt.reconnect_min;
  mo.reconnect_max = s.mqtt.reconnect_max;
  mo.outbox_capacity = s.mqtt.buffer_messages;
  mo.retained_batch = s.mqtt.batch;
  mo.qos0_batch = s.mqtt.sample_batch;
  // A discovery removal is a pair of messages on one topic; HA must see both.
  if (s.discovery.enabled) mo.keep_every_retained.push_back(core::discovery_topic(s.discovery.prefix, s.mqtt.agent));
  if (!s.mqtt.tls_verify) spdlog::warn("TLS certificate and host name verification is OFF (mqtt.tls_verify = false)");

  // The link is created first but its callbacks reach the controller through pointers set below.
  controller* ctl = nullptr;
  discovery_publisher* disc = nullptr;
  mqtt_callbacks cb;
  cb.on_connected = [&] {
    spdlog::info("connected to {}", s.mqtt.broker);
    if (ctl != nullptr) ctl->publish_all();
    if (disc != nullptr) disc->on_connected();
  };
  cb.on_disconnected = [](const std::string& reason) { spdlog::warn("disconnected from the broker: {}", reason); };
  cb.on_message = [&](core::incoming_message m) {
    if (ctl != nullptr && m.topic == topics.command()) ctl->on_message(m);
    if (disc != nullptr) disc->on_message(m);
  };
  cb.on_error = [](const std::string& text) { spdlog::error("{}", text); };
  mqtt_link link(lp.get(), mo, cb);

  mqtt_sink::options so;
  so.qos_sample = s.mqtt.qos_sample;
  so.qos_other = s.mqtt.qos_other;
  so.qos_stats = s.mqtt.qos_stats;
  so.retain_stats = s.mqtt.retain_stats;
  so.publish_interval = s.stats.publish_interval;
  so.per_target = s.stats.per_target;
  so.digest_interval = s.stats.digest_interval;
  if (!s.stats.per_target && s.stats.digest_interval.count() == 0) {
    spdlog::warn("stats.per_target = false and stats.digest_interval_ms = 0: no statistics will be published");
  }
  if (!s.stats.per_target && s.discovery.enabled) {
    spdlog::warn("stats.per_target = false: the Home Assistant sensors (discovery.enabled) read the per-target "
                 "statistics topics and will stay unavailable");
  }
  mqtt_sink sink(link, topics, clk, so);
  discovery_publisher discovery(lp.get(), link, discovery_publisher::options_from(s));
  disc = &discovery;
  target_watch_sink watched(sink, discovery);
  prober pr(lp.get(), clk, prober_options_from(s), watched, std::move(icmp));
  controller c(lp.get(), pr, sink, link, topics, clk, s);
  c.set_counters_source([&link](core::agent_state& st) {
    const auto k = link.counters();
    st.mqtt_buffered = k.buffered;
    st.mqtt_dropped = k.dropped;
    st.mqtt_unconfirmed = k.unconfirmed;
  });
  ctl = &c;
  sink.announce_additions(false);
  for (const auto& t : s.targets) {
    if (auto err = pr.add_target(t); !err.empty()) {
      spdlog::critical("{}", err);
      return 2;
    }
  }
  sink.announce_additions(true);
  signal sigint(lp.get());
  signal sigterm(lp.get());
  signal sighup(lp.get());
  config::settings active = s;
  config_reloader reloader(lp.get(), request, [&](const config::settings* loaded, const std::string& error) {
    core::event e;
    e.ts = clk.wall_now();
    if (loaded == nullptr) {
      spdlog::error("configuration reload refused, the running configuration stays: {}", error);
      e.type = core::event_type::reload_failed;
      e.error = error;
    } else {
      const auto o = apply_reload(pr, active, *loaded);
      if (o.ok) {
        spdlog::info("{}", o.summary);
      } else {
        spdlog::error("{}", o.summary);
      }
      e.type = core::event_type::config_reloaded;
      e.reason = o.summary;
      c.publish_state();
    }
    sink.publish_event(e);
  });
  bool stopping = false;
  auto shutdown = [&](int sig) {
    if (stopping) return;
    stopping = true;
    spdlog::info("signal {}: stopping", sig);
    pr.close();
    c.close();
    discovery.close();
    sigint.close();
    sigterm.close();
    sighup.close();
    reloader.close();
    link.stop([] {});
  };
  sigint.start(SIGINT, shutdown);
  sigterm.start(SIGTERM, shutdown);
  sighup.start(SIGHUP, [&](int) {
    spdlog::info("SIGHUP: reloading the configuration");
    reloader.request_reload();
  });
  link.start();
  if (!s.targets.empty()) {
    if (auto err = pr.start(); !err.empty()) {
      spdlog::critical("{}", err);
      shutdown(0);
      lp.run();
      return 1;
    }
  }
  spdlog::info("netstab {} agent \"{}\": {} target(s), broker {}; watch with: mosquitto_sub -t '{}/#' -v", NETSTAB_VERSION,
               s.mqtt.agent, s.targets.size(), s.mqtt.broker, topics.prefix());
  lp.run();
  return 0;
}

}  // namespace netstab::service

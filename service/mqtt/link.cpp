#include "service/mqtt/link.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace netstab::service {

namespace {

std::string ms_text(std::chrono::milliseconds d) {
  if (d < std::chrono::seconds(1)) return fmt::format("{} ms", d.count());
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

std::string version_text(int v) { return v == 5 ? "5" : "3.1.1"; }

}  // namespace

mqtt_link::mqtt_link(uv_loop_t* loop, mqtt_options options, mqtt_callbacks callbacks)
    : opts_(std::move(options)),
      cbs_(std::move(callbacks)),
      events_(
          loop, [this](link_event& e) { on_event(e); }, max_pending_incoming),
      listeners_(make_paho_listeners(events_.make_poster())),
      delivery_(loop, opts_,
                [this](core::outgoing_message& m, std::uint64_t id, std::string* why) {
                  return client_ ? client_->publish(m, id, why) : publish_outcome::retry_later;
                }),
      retry_timer_(loop),
      stop_timer_(loop),
      backoff_(opts_.reconnect_min) {
  if (paho_uri(opts_.broker).empty()) {
    throw std::invalid_argument("unsupported MQTT broker address: \"" + opts_.broker.scheme + "://" +
                                opts_.broker.authority() + "\"");
  }
  if (opts_.mqtt_version != 5 && opts_.mqtt_version != 4) {
    throw std::invalid_argument("MQTT version must be 5 or 4 (3.1.1), not " + std::to_string(opts_.mqtt_version));
  }
  if (opts_.max_inflight == 0) opts_.max_inflight = 1;
}

mqtt_link::~mqtt_link() {
  if (phase_ != phase::stopped) finish(false);
}

void mqtt_link::start() {
  if (phase_ == phase::idle) connect();
}

void mqtt_link::publish(core::outgoing_message m) {
  if (phase_ == phase::stopped) return;
  delivery_.publish(std::move(m));
}

void mqtt_link::connect() {
  if (!client_) {
    auto created = paho_client::create(opts_, listeners_);
    if (!created) {
      report_error(created.message());
      phase_ = phase::waiting;
      schedule_retry();
      return;
    }
    client_ = std::move(*created);
  }
  phase_ = phase::connecting;
  if (auto r = client_->connect(); !r) {
    spdlog::warn("mqtt: {} {}", opts_.broker.authority(), r.message());
    phase_ = phase::waiting;
    schedule_retry();
  }
}

void mqtt_link::schedule_retry() {
  const auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.reconnect_max);
  spdlog::info("mqtt: retrying {} in {}", opts_.broker.authority(), ms_text(delay));
  retry_timer_.start(static_cast<std::uint64_t>(delay.count()), [this] {
    if (phase_ == phase::waiting) connect();
  });
}

// Replaces the client with a fresh one and destroys the old one on a worker (Paho's destroy can take a while).
// The replacement is created first: when Paho C's client count drops to zero it stops its shared threads, and a
// client connected while they are stopping never sends anything.
void mqtt_link::retire_client() {
  if (!client_) return;
  client_->disable_callbacks();
  std::shared_ptr<paho_client> old = std::move(client_);
  if (auto created = paho_client::create(opts_, listeners_)) client_ = std::move(*created);  // else connect() retries
  if (!reaper_.submit([old = std::move(old)]() mutable { old.reset(); })) {
    spdlog::warn("mqtt: no worker to destroy the previous client; it is kept until exit");
  }
}

void mqtt_link::on_event(link_event& e) {
  std::visit([this](auto& ev) { handle(ev); }, e);
}

void mqtt_link::handle(ev_connect_ok& ev) {
  if (phase_ != phase::connecting) return;
  phase_ = phase::connected;
  backoff_ = opts_.reconnect_min;
  last_reported_.clear();
  last_diagnosis_.clear();
  last_error_.clear();
  ++connects_;
  spdlog::info("mqtt: connected to {} as \"{}\" (MQTT {}); {} buffered messages to send", opts_.broker.authority(),
               opts_.client_id, version_text(opts_.mqtt_version), delivery_.buffered());
  for (const auto& topic : opts_.subscriptions) {
    if (auto r = client_->subscribe(topic); !r) report_error(r.message());
  }
  // "online" first; the owner's retained state (on_connected) queues behind it.
  std::optional<core::outgoing_message> online;
  if (!opts_.availability_topic.empty())
    online = core::outgoing_message{opts_.availability_topic, "online", 1, true, {}};
  delivery_.go_online(ev.receive_maximum, std::move(online));
  if (cbs_.on_connected) cbs_.on_connected();
}

void mqtt_link::handle(ev_connect_failed& ev) {
  if (phase_ != phase::connecting) return;
  std::string text = connack_text(opts_.mqtt_version, ev.rc, ev.reason_code);
  if (text.rfind("broker refused", 0) != 0) {
    // Paho says only "TCP/TLS connect failure": find out which step failed (off the loop). Until the answer
    // comes, the last one found is the best guess.
    start_diagnosis();
    if (!last_diagnosis_.empty()) text = last_diagnosis_;
  }
  spdlog::warn("mqtt: connect to {} failed: {}", opts_.broker.authority(), text);
  last_error_ = text;
  if (is_auth_failure(opts_.mqtt_version, ev.rc, ev.reason_code) && text != last_reported_) {
    last_reported_ = text;
    report_error(text);
  }
  phase_ = phase::waiting;
  schedule_retry();
}

void mqtt_link::start_diagnosis() {
  if (diagnosing_) return;
  tls_settings tls{opts_.ca_file, opts_.cert_file, opts_.key_file, opts_.tls_verify};
  const auto timeout = std::min<std::chrono::milliseconds>(opts_.connect_timeout, std::chrono::seconds(3));
  auto job = [events = events_.make_poster(), broker = opts_.broker, tls, timeout] {
    events.post(ev_diagnosis{diagnose_connect(broker, tls, timeout)});
  };
  diagnosing_ = diagnosis_.submit(std::move(job)).ok();
}

void mqtt_link::handle(ev_diagnosis& ev) {
  diagnosing_ = false;
  if (phase_ == phase::connected || phase_ == phase::stopping) return;
  const connect_diagnosis& d = ev.result;
  const std::string what = opts_.broker.tls() ? "TCP and TLS work" : "TCP works";
  const std::string text = !d.text.empty() ? d.text
                                           : "cannot connect: " + what +
                                                 " when tried alone, but the broker closed the connection or did not "
                                                 "answer the MQTT CONNECT";
  if (text == last_diagnosis_) return;
  last_diagnosis_ = text;
  last_error_ = text;
  spdlog::warn("mqtt: connect to {} failed: {}", opts_.broker.authority(), text);
  // Certificate and configuration problems don't go away by retrying.
  if (d.config_problem && text != last_reported_) {
    last_reported_ = text;
    report_error(text);
  }
}

void mqtt_link::handle(ev_connection_lost& ev) {
  if (phase_ != phase::connected) return;
  phase_ = phase::waiting;
  last_error_ = ev.cause;
  delivery_.go_offline(clock_.now());
  retire_client();
  spdlog::warn("mqtt: disconnected from {}: {}; {} messages buffered", opts_.broker.authority(), ev.cause,
               delivery_.buffered());
  if (cbs_.on_disconnected) cbs_.on_disconnected(ev.cause);
  if (phase_ == phase::waiting) schedule_retry();
}

void mqtt_link::handle(ev_message& ev) {
  if (phase_ == phase::connected && cbs_.on_message) cbs_.on_message(std::move(ev.msg));
}

void mqtt_link::handle(ev_delivered& ev) { delivery_.on_completed(ev.id, clock_.now()); }

void mqtt_link::handle(ev_delivery_failed& ev) { delivery_.on_failed(ev.id, ev.rc, ev.reason_code); }

void mqtt_link::handle(ev_disconnect_done&) {
  if (phase_ == phase::stopping) finish(true);
}

void mqtt_link::stop(std::function<void()> on_stopped) {
  if (phase_ == phase::stopped) {
    if (on_stopped) on_stopped();
    return;
  }
  on_stopped_ = std::move(on_stopped);
  if (phase_ == phase::stopping) return;
  retry_timer_.stop();
  if (phase_ != phase::connected) {
    spdlog::info("mqtt: stopping while not connected; {} buffered messages discarded", delivery_.buffered());
    finish(true);
    return;
  }
  phase_ = phase::stopping;
  // Everything waiting goes out through the window as before, then "offline", queued last.
  std::optional<core::outgoing_message> offline;
  if (!opts_.availability_topic.empty()) {
    offline = core::outgoing_message{opts_.availability_topic, "offline", 1, true, {}};
  }
  delivery_.drain(std::move(offline));
  // The flush is ours: the loop polls every 20 ms until every in-flight message completed (or stop_timeout
  // passed), then asks Paho for an immediate disconnect and waits (bounded) until the client reports it is no
  // longer connected. (Paho's own disconnect timeout holds the connection for the whole timeout in some cases,
  // and its MQTT 5 disconnect token doesn't always complete.)
  flush_deadline_ = std::chrono::steady_clock::now() + opts_.stop_timeout;
  stop_deadline_ = flush_deadline_ + std::chrono::milliseconds(500);
  stop_timer_.start_repeating(0, 20, [this] { poll_stop(); });
}

void mqtt_link::poll_stop() {
  const auto now = std::chrono::steady_clock::now();
  if (!client_ || !client_->is_connected()) {
    finish(true);
    return;
  }
  if (!disconnect_requested_) {
    if (!delivery_.flushed() && now < flush_deadline_) return;
    if (delivery_.pending() > 0) spdlog::warn("mqtt: {} messages not acknowledged at stop", delivery_.pending());
    disconnect_requested_ = true;
    if (auto r = client_->disconnect(); !r) {
      spdlog::warn("mqtt: {}", r.message());
      finish(true);
    }
    return;
  }
  if (now >= stop_deadline_) {
    spdlog::warn("mqtt: disconnect did not complete in time; closing anyway");
    finish(true);
  }
}

mqtt_link_counters mqtt_link::counters() const {
  mqtt_link_counters c;
  delivery_.fill(c);
  c.connects = connects_;
  c.incoming_dropped = events_.refused();
  c.last_error = last_error_;
  return c;
}

void mqtt_link::report_error(const std::string& text) {
  if (cbs_.on_error) cbs_.on_error(text);
}

// Tears down: Paho's callbacks off, client destroyed, handles closed. `notify` runs on_stopped (not from the
// destructor). A diagnosis still connecting does not hold up the stop: it only posts to the (closed) inbox.
void mqtt_link::finish(bool notify) {
  if (phase_ == phase::stopped) return;
  const bool was_started = phase_ != phase::idle;
  phase_ = phase::stopped;
  if (client_) client_->disable_callbacks();
  events_.close();
  client_.reset();
  reaper_.close();
  diagnosis_.close();
  delivery_.close();
  retry_timer_.close();
  stop_timer_.close();
  if (was_started) spdlog::info("mqtt: stopped");
  if (notify && on_stopped_) {
    auto cb = std::move(on_stopped_);
    cb();
  }
}

}  // namespace netstab::service

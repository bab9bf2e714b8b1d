// MQTT mode: the MQTT link, the MQTT sink, Home Assistant discovery and the controller.
#include <spdlog/spdlog.h>

#include "config/cli.hpp"
#include "service/app/fronts.hpp"
#include "service/app/options.hpp"
#include "service/control/controller.hpp"
#include "service/history/reader.hpp"
#include "service/mqtt/link.hpp"
#include "service/publish/discovery_publisher.hpp"
#include "service/publish/history_sink.hpp"
#include "service/publish/mqtt_sink.hpp"

namespace netstab::service {

namespace {

void warn_about(const config::settings& s) {
  if (!s.mqtt.tls_verify) spdlog::warn("TLS certificate and host name verification is OFF (mqtt.tls_verify = false)");
  if (!s.stats.per_target && s.stats.digest_interval.count() == 0) {
    spdlog::warn("stats.per_target = false and stats.digest_interval_ms = 0: no statistics will be published");
  }
  if (!s.stats.per_target && s.discovery.enabled) {
    spdlog::warn(
        "stats.per_target = false: the Home Assistant sensors (discovery.enabled) read the per-target statistics "
        "topics and will stay unavailable");
  }
}

class mqtt_front final : public front_end {
 public:
  mqtt_front(uv_loop_t* loop, const core::clock& clk, const config::settings& s)
      : loop_(loop),
        clock_(clk),
        s_(s),
        topics_(s.mqtt.base_topic, s.mqtt.agent),
        link_(loop, mqtt_options_from(s, topics_), callbacks()),
        sink_(link_, topics_, clk, sink_options_from(s)),
        discovery_(loop, link_, discovery_options_from(s)),
        watched_(sink_, discovery_) {
    warn_about(s);
    sink_.reserve_targets(s.targets.size());
    if (s.history.enabled) {
      history_ = std::make_unique<history_sink>(loop, clk, watched_, history_options_from(s),
                                                [this](const history::history_report& r) { on_history(r); });
      history_->reserve_targets(s.targets.size());
      reader_ = std::make_unique<history::reader>(s.history.effective_path);
      spdlog::info("history: {}", s.history.effective_path);
    }
    // The process starts with the configuration's targets and the retained state message lists them: 10,000
    // targets would otherwise put 10,000 QoS 1 target_added events in the outbox before the first probe.
    sink_.announce_additions(false);
  }

  probe_sink& sink() override {
    if (history_) return *history_;
    return watched_;
  }

  void attach(prober& p) override {
    sink_.announce_additions(true);
    sink_.set_target_lookup([&p](std::uint32_t slot) { return p.at_slot(slot); });
    controller_ = std::make_unique<controller>(loop_, p, sink_, link_, topics_, clock_, controller_options_from(s_));
    controller_->set_counters_source([this](core::agent_state& st) { fill_counters(st); });
    controller_->set_history(reader_.get());
    link_.start();
  }

  void fail(const std::string& message) override { spdlog::critical("{}", message); }

  void running() override {
    spdlog::info("netstab {} agent \"{}\": {} target(s), broker {}; watch with: mosquitto_sub -t '{}/#' -v",
                 config::version(), s_.mqtt.agent, s_.targets.size(), s_.mqtt.broker, topics_.prefix());
  }

  void reloaded(const core::result<std::string>& summary, bool file_loaded) override {
    core::event e;
    e.ts = clock_.wall_now();
    if (!file_loaded) {
      e.type = core::event_type::reload_failed;
      e.error = summary.message();
    } else {
      e.type = core::event_type::config_reloaded;
      e.reason = summary ? *summary : summary.message();
      if (controller_) controller_->publish_state();
    }
    sink_.publish_event(e);
  }

  // The history's last batch goes before "offline": the writer writes what is queued and records the stop.
  void stop(prober&, std::function<void()> done) override {
    if (controller_) controller_->close();
    if (history_) history_->close();
    reader_.reset();
    discovery_.close();
    link_.stop(std::move(done));
  }

  int exit_code(const prober&) const override { return 0; }

 private:
  void fill_counters(core::agent_state& st) const {
    const auto k = link_.counters();
    st.mqtt_buffered = k.buffered;
    st.mqtt_dropped = k.dropped;
    st.mqtt_unconfirmed = k.unconfirmed;
    if (!history_) return;
    const auto h = history_->counters();
    st.history =
        core::history_state{h.enabled, h.paused, h.path, h.error, h.rows_written, h.rows_dropped, h.queued_rows};
  }

  // A report of the history writer (which logs it): an event, and the state (its history counters changed).
  void on_history(const history::history_report& r) {
    core::event e;
    e.type = core::event_type::history;
    e.ts = clock_.wall_now();
    e.to = std::string(history::to_string(r.what));
    e.reason = r.message;
    sink_.publish_event(e);
    if (controller_) controller_->publish_state();
  }

  // The link is created before the controller, so its callbacks reach the controller through controller_.
  mqtt_callbacks callbacks() {
    mqtt_callbacks cb;
    cb.on_connected = [this] {
      spdlog::info("connected to {}", s_.mqtt.broker);
      if (controller_) controller_->publish_all();
      discovery_.on_connected();
    };
    cb.on_disconnected = [](const std::string& reason) { spdlog::warn("disconnected from the broker: {}", reason); };
    cb.on_message = [this](core::incoming_message m) {
      if (controller_ && m.topic == topics_.command()) controller_->on_message(m);
      discovery_.on_message(m);
    };
    cb.on_error = [](const std::string& text) { spdlog::error("{}", text); };
    return cb;
  }

  uv_loop_t* loop_;
  const core::clock& clock_;
  const config::settings& s_;
  core::topic_builder topics_;
  mqtt_link link_;
  mqtt_sink sink_;
  discovery_publisher discovery_;
  target_watch_sink watched_;
  std::unique_ptr<history_sink> history_;    // absent with history.enabled = false
  std::unique_ptr<history::reader> reader_;  // reads for the history commands
  std::unique_ptr<controller> controller_;
};

}  // namespace

std::unique_ptr<front_end> make_mqtt_front(uv_loop_t* loop, const core::clock& clk, const config::settings& s) {
  return std::make_unique<mqtt_front>(loop, clk, s);
}

}  // namespace netstab::service

#include "service/app/options.hpp"

#include "config/cli.hpp"
#include "core/discovery.hpp"

namespace netstab::service {

core::monitor_config monitor_config_from(const config::settings& s) {
  core::monitor_config m;
  m.window = s.stats.window;
  for (auto w : s.stats.extra_windows) m.extra_windows.push_back(w);
  m.buckets = s.stats.buckets;
  m.max_incidents = s.stats.max_incidents;
  auto& t = m.thresholds;
  const auto& st = s.status;
  t.loss_warn_pct = st.loss_warn_pct;
  t.loss_bad_pct = st.loss_bad_pct;
  t.rtt_p95_warn_ms = st.rtt_p95_warn_ms;
  t.rtt_p95_bad_ms = st.rtt_p95_bad_ms;
  t.jitter_warn_ms = st.jitter_warn_ms;
  t.jitter_bad_ms = st.jitter_bad_ms;
  t.rto_streak_warn = st.rto_streak_warn;
  t.rto_streak_bad = st.rto_streak_bad;
  t.hysteresis_pct = st.hysteresis_pct;
  t.recover_after = st.recover_after;
  t.min_samples = st.min_samples;
  return m;
}

path_options path_options_from(const config::settings& s) {
  path_options o;
  const auto& p = s.path;
  o.enabled = p.enabled;
  o.max_targets = p.max_targets;
  o.auto_path = !s.stdout_mode();
  auto& e = o.engine;
  e.trace.max_ttl = p.max_ttl;
  e.trace.rounds = p.trace_rounds;
  e.retrace = p.retrace;
  e.retrace_min = p.retrace_min;
  e.unknown_interval = p.unknown_interval;
  e.timeout = s.probe.timeout;
  e.max_pps = p.max_pps;
  e.hops.window = s.stats.window;
  e.hops.buckets = s.stats.buckets;
  e.hops.interval = p.hop_interval;
  auto& v = o.verdict;
  const auto& st = monitor_config_from(s).thresholds;
  v.judge = core::verdict_config_from(st);
  v.judge.excess_ms = s.verdict.excess_ms;
  v.judge.excess_pct = s.verdict.excess_pct;
  v.judge.carry_share = s.verdict.carry_share;
  v.judge.carry_noise_sd = s.verdict.carry_noise_sd;
  v.judge.host_gap_ms = s.verdict.host_gap_ms;
  v.tracker.confirm_after = s.verdict.confirm_after;
  v.tracker.clear_after = s.verdict.clear_after;
  if (p.lan_hops >= 0) v.segments.lan_hops = static_cast<unsigned>(p.lan_hops);
  if (p.isp_hops >= 0) v.segments.isp_hops = static_cast<unsigned>(p.isp_hops);
  v.segments.isp_public_hops = p.isp_public_hops;
  return o;
}

prober_options prober_options_from(const config::settings& s) {
  prober_options o;
  o.monitor = monitor_config_from(s);
  o.path = path_options_from(s);
  o.resolve_interval = s.resolve_interval;
  o.send_grid = s.send_grid;
  o.count = s.output.count;
  return o;
}

mqtt_options mqtt_options_from(const config::settings& s, const core::topic_builder& topics) {
  mqtt_options o;
  o.broker = *s.mqtt.address;
  o.client_id = s.mqtt.client_id;
  o.mqtt_version = s.mqtt.protocol == config::mqtt_protocol::v5 ? 5 : 4;
  o.keepalive = s.mqtt.keepalive;
  o.username = s.mqtt.username;
  o.password = s.mqtt.password;
  o.ca_file = s.mqtt.tls_ca_file;
  o.cert_file = s.mqtt.tls_cert_file;
  o.key_file = s.mqtt.tls_key_file;
  o.tls_verify = s.mqtt.tls_verify;
  o.availability_topic = topics.availability();
  if (s.control.enabled) o.subscriptions.push_back(topics.command());
  for (auto& f : discovery_publisher::subscriptions(discovery_options_from(s))) o.subscriptions.push_back(std::move(f));
  o.connect_timeout = s.mqtt.connect_timeout;
  o.reconnect_min = s.mqtt.reconnect_min;
  o.reconnect_max = s.mqtt.reconnect_max;
  o.outbox_capacity = s.mqtt.buffer_messages;
  o.retained_batch = s.mqtt.batch;
  o.qos0_batch = s.mqtt.sample_batch;
  // A discovery removal is a pair of messages on one topic; Home Assistant must see both.
  if (s.discovery.enabled) o.keep_every_retained.push_back(core::discovery_topic(s.discovery.prefix, s.mqtt.agent));
  return o;
}

mqtt_sink::options sink_options_from(const config::settings& s) {
  mqtt_sink::options o;
  o.qos_sample = s.mqtt.qos_sample;
  o.qos_other = s.mqtt.qos_other;
  o.qos_stats = s.mqtt.qos_stats;
  o.retain_stats = s.mqtt.retain_stats;
  o.publish_interval = s.stats.publish_interval;
  o.max_publish_rate = s.stats.max_publish_rate;
  o.per_target = s.stats.per_target;
  o.digest_interval = s.stats.digest_interval;
  o.digest_part_size = s.stats.digest_part_size;
  return o;
}

discovery_publisher::options discovery_options_from(const config::settings& s) {
  discovery_publisher::options o;
  o.enabled = s.discovery.enabled;
  o.prefix = s.discovery.prefix;
  o.base_topic = s.mqtt.base_topic;
  o.agent = s.mqtt.agent;
  o.version = std::string(config::version());
  o.commands = s.control.enabled;
  o.min_interval_ms = s.control.min_interval.count();
  o.qos = s.mqtt.qos_other;
  o.max_targets = s.discovery.max_targets;
  return o;
}

controller_options controller_options_from(const config::settings& s) {
  controller_options o;
  o.limits.max_payload_bytes = s.control.max_payload_bytes;
  o.limits.min_interval_ms = s.control.min_interval.count();
  o.defaults = s.probe;
  o.access = core::access_config{s.control.allow, s.control.deny, s.control.allow_loopback, s.control.allow_link_local};
  o.max_targets = s.control.max_targets;
  o.commands_per_minute = s.control.commands_per_minute;
  o.qos = s.mqtt.qos_other;
  o.agent = s.mqtt.agent;
  o.version = std::string(config::version());
  return o;
}

history_sink::options history_options_from(const config::settings& s) {
  history_sink::options o;
  o.writer.store.path = s.history.effective_path;
  o.writer.store.keep.minutes = s.history.keep_minutes;
  o.writer.store.keep.hours = s.history.keep_hours;
  o.writer.store.keep.days = s.history.keep_days;
  o.writer.store.keep.raw = s.history.keep_raw;
  o.writer.store.version = std::string(config::version());
  o.recorder.raw_max_targets = s.history.raw_max_targets;
  o.flush_interval = s.history.flush_interval;
  return o;
}

int receive_buffer_from(const config::settings& s) {
  double probes_per_second = 0;
  for (const core::target_spec& t : s.targets) probes_per_second += core::per_second(t.probe.interval);
  return receive_buffer_for(probes_per_second);
}

}  // namespace netstab::service

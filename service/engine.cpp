#include "service/engine.hpp"

#include <csignal>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "service/reload.hpp"
#include "service/stdout_sink.hpp"
#include "service/system_clock.hpp"
#include "service/uv.hpp"

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

prober_options prober_options_from(const config::settings& s) {
  prober_options o;
  o.monitor = monitor_config_from(s);
  o.resolve_interval = s.resolve_interval;
  o.count = s.output.count;
  return o;
}

void setup_logging(const config::log_settings& l) {
  // Logs go to stderr: stdout carries samples in engine mode.
  auto logger = spdlog::stderr_color_mt("netstab");
  spdlog::set_default_logger(logger);
  switch (l.level) {
    case config::log_level::trace: spdlog::set_level(spdlog::level::trace); break;
    case config::log_level::debug: spdlog::set_level(spdlog::level::debug); break;
    case config::log_level::info: spdlog::set_level(spdlog::level::info); break;
    case config::log_level::warn: spdlog::set_level(spdlog::level::warn); break;
    case config::log_level::error: spdlog::set_level(spdlog::level::err); break;
    case config::log_level::off: spdlog::set_level(spdlog::level::off); break;
  }
  if (l.format == config::log_format::json) {
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
}

int run_engine(const config::settings& s, const config::load_request& request, icmp_descriptors icmp) {
  if (s.targets.empty()) {
    std::fputs("netstab: no target: use --target HOST (see --help)\n", stderr);
    return 2;
  }
  loop lp;
  system_clock clk;
  stdout_sink sink(stdout, s.output.json, clk);
  prober pr(lp.get(), clk, prober_options_from(s), sink, std::move(icmp));
  for (const auto& t : s.targets) {
    if (auto err = pr.add_target(t); !err.empty()) {
      std::fprintf(stderr, "netstab: %s\n", err.c_str());
      return 2;
    }
  }
  signal sigint(lp.get());
  signal sigterm(lp.get());
  signal sighup(lp.get());
  config::settings active = s;
  config_reloader reloader(lp.get(), request, [&](const config::settings* loaded, const std::string& error) {
    if (loaded == nullptr) {
      spdlog::error("configuration reload refused, the running configuration stays: {}", error);
      return;
    }
    const auto o = apply_reload(pr, active, *loaded);
    if (o.ok) {
      spdlog::info("{}", o.summary);
    } else {
      spdlog::error("{}", o.summary);
    }
  });
  int exit_code = 0;
  bool done = false;
  auto finish = [&] {
    if (done) return;
    done = true;
    pr.stop();
    sink.print_summary(pr);
    pr.close();
    sigint.close();
    sigterm.close();
    sighup.close();
    reloader.close();
  };
  sink.set_on_finished(finish);
  sigint.start(SIGINT, [&](int) { finish(); });
  sigterm.start(SIGTERM, [&](int) { finish(); });
  sighup.start(SIGHUP, [&](int) {
    spdlog::info("SIGHUP: reloading the configuration");
    reloader.request_reload();
  });
  if (auto err = pr.start(); !err.empty()) {
    std::fprintf(stderr, "netstab: %s\n", err.c_str());
    return 1;
  }
  lp.run();
  finish();
  if (pr.counters().sent != 0 && pr.counters().send_errors == pr.counters().sent) exit_code = 1;
  return exit_code;
}

}  // namespace netstab::service

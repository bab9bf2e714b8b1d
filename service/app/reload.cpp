#include "service/app/reload.hpp"

#include <set>

namespace netstab::service {

reconcile_result reconcile_targets(prober& p, const std::vector<core::target_spec>& wanted) {
  reconcile_result r;
  std::set<std::string> keep;
  for (const auto& w : wanted) keep.insert(w.host);
  std::vector<std::string> gone;
  for (const target_view* t : p.targets()) {
    if (keep.count(t->spec().host) == 0) gone.push_back(t->spec().host);
  }
  for (const auto& host : gone) {
    if (p.remove_target(host)) ++r.removed;
  }
  for (const auto& w : wanted) {
    const target_view* have = p.find(w.host);
    if (have != nullptr && have->spec().probe == w.probe) continue;
    if (have != nullptr) p.remove_target(w.host);
    if (auto added = p.add_target(w); !added) {
      r.errors.push_back(w.host + ": " + added.message());
    } else if (have != nullptr) {
      ++r.changed;
    } else {
      ++r.added;
    }
  }
  return r;
}

std::vector<std::string> restart_only_changes(const config::settings& before, const config::settings& after) {
  std::vector<std::string> changed;
  auto check = [&](const char* name, bool same) {
    if (!same) changed.emplace_back(name);
  };
  check("stats", before.stats == after.stats);
  check("status", before.status == after.status);
  check("output", before.output == after.output);
  check("mqtt", before.mqtt == after.mqtt);
  check("control", before.control == after.control);
  check("discovery", before.discovery == after.discovery);
  check("history", before.history == after.history);
  check("log", before.log == after.log);
  // [probe] holds the defaults of targets (applied through the target list) and resolve_interval_s, which the
  // prober took at start.
  check("probe.resolve_interval_s", before.resolve_interval == after.resolve_interval);
  check("probe.send_grid_ms", before.send_grid == after.send_grid);
  return changed;
}

core::result<std::string> apply_reload(prober& p, const config::settings& active, const config::settings& loaded) {
  const auto r = reconcile_targets(p, loaded.targets);
  const auto later = restart_only_changes(active, loaded);
  std::string summary = "configuration reloaded: " + std::to_string(r.added) + " target(s) added, " +
                        std::to_string(r.removed) + " removed, " + std::to_string(r.changed) + " changed";
  if (!later.empty()) {
    summary += "; needs a restart to take effect:";
    for (const auto& name : later) summary += " " + name;
  }
  for (const auto& e : r.errors) summary += "; not added: " + e;
  if (!r.errors.empty()) return core::error{summary};
  return summary;
}

config_reloader::config_reloader(uv_loop_t* loop, config::load_request request, done_fn done)
    : request_(std::move(request)),
      done_(std::move(done)),
      results_(loop, [this](core::result<config::settings>& r) { on_loaded(r); }) {
  results_.keep_loop_alive(false);
}

void config_reloader::request_reload() {
  if (closed_) return;
  if (busy_) {
    again_ = true;
    return;
  }
  start();
}

void config_reloader::start() {
  busy_ = true;
  again_ = false;
  results_.keep_loop_alive(true);
  auto job = worker_.submit([request = request_, poster = results_.make_poster()] {
    try {
      poster.post(config::reload(request));
    } catch (const std::exception& e) {
      poster.post(core::error{e.what()});
    }
  });
  if (!job) {
    busy_ = false;
    results_.keep_loop_alive(false);
    done_(core::error{"could not start the configuration read: " + job.message()});
  }
}

void config_reloader::on_loaded(core::result<config::settings>& r) {
  busy_ = false;
  results_.keep_loop_alive(false);
  if (closed_) return;
  done_(std::move(r));
  if (again_ && !closed_) start();
}

void config_reloader::close() {
  closed_ = true;
  again_ = false;
  worker_.close();
  results_.close();
}

}  // namespace netstab::service

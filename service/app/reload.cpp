#include "service/app/reload.hpp"

#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace netstab::service {

// The targets no longer listed and those listed with other settings go in one batch (prober::remove_targets), so
// a reload that drops or changes thousands of targets hands path monitoring on once, not once per target. The
// changed ones are then added again, at the end of the targets' order as before.
reconcile_result reconcile_targets(prober& p, const std::vector<core::target_spec>& wanted) {
  reconcile_result r;
  std::unordered_map<std::string_view, const core::probe_settings*> want;
  for (const auto& w : wanted) want.emplace(w.host, &w.probe);
  std::vector<std::string> gone;
  std::unordered_set<std::string> changed;
  for (const target_view* t : p.targets()) {
    const auto it = want.find(t->spec().host);
    if (it != want.end() && *it->second == t->spec().probe) continue;
    gone.push_back(t->spec().host);
    if (it != want.end()) changed.insert(t->spec().host);
  }
  p.remove_targets(gone);
  r.removed = static_cast<int>(gone.size() - changed.size());
  for (const auto& w : wanted) {
    if (p.find(w.host) != nullptr) continue;  // kept as it was (or listed twice)
    if (auto added = p.add_target(w); !added) {
      r.errors.push_back(w.host + ": " + added.message());
    } else if (changed.count(w.host) != 0) {
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

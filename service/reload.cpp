#include "service/reload.hpp"

#include <map>
#include <set>
#include <sstream>

#include "config/print.hpp"

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
    if (have != nullptr) {
      p.remove_target(w.host);
      ++r.changed;
    } else {
      ++r.added;
    }
    if (auto err = p.add_target(w); !err.empty()) {
      r.errors.push_back(w.host + ": " + err);
      if (have != nullptr) {
        --r.changed;
      } else {
        --r.added;
      }
    }
  }
  return r;
}

namespace {

// Splits to_toml's output into its [section] bodies; [[target]] tables and the top-level target list are the
// target list, which reload applies, so they are left out.
std::map<std::string, std::string> sections_of(const config::settings& s) {
  std::map<std::string, std::string> out;
  std::istringstream in(config::to_toml(s));
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    if (line.rfind("[[", 0) == 0) {
      current.clear();
    } else if (line.rfind('[', 0) == 0) {
      current = line.substr(1, line.find(']') - 1);
    } else if (!current.empty() && !line.empty()) {
      out[current] += line + '\n';
    }
  }
  out.erase("probe");
  return out;
}

}  // namespace

std::vector<std::string> restart_only_changes(const config::settings& before, const config::settings& after) {
  const auto a = sections_of(before);
  const auto b = sections_of(after);
  std::vector<std::string> changed;
  for (const auto& [name, body] : b) {
    const auto it = a.find(name);
    if (it == a.end() || it->second != body) changed.push_back(name);
  }
  for (const auto& [name, body] : a) {
    if (b.count(name) == 0) changed.push_back(name);
  }
  // [probe] holds the defaults of targets (applied through the target list) and resolve_interval_s, which the
  // prober took at start.
  if (before.resolve_interval != after.resolve_interval) changed.emplace_back("probe.resolve_interval_s");
  return changed;
}

config_reloader::config_reloader(uv_loop_t* loop, config::load_request request, done_fn done)
    : loop_(loop), request_(std::move(request)), done_(std::move(done)) {
  req_.data = this;
}

config_reloader::~config_reloader() = default;

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
  if (uv_queue_work(loop_, &req_, &config_reloader::work, &config_reloader::after) != 0) {
    busy_ = false;
    if (done_) done_(nullptr, "could not queue the configuration read");
  }
}

void config_reloader::close() {
  closed_ = true;
  again_ = false;
  // A queued read that has not started is cancelled; one that runs finishes, and after() sees closed_.
  if (busy_) uv_cancel(reinterpret_cast<uv_req_t*>(&req_));
}

void config_reloader::work(uv_work_t* w) {
  auto* self = static_cast<config_reloader*>(w->data);
  self->error_.clear();
  try {
    self->result_ = config::reload(self->request_);
  } catch (const std::exception& e) {
    self->error_ = e.what();
  }
}

void config_reloader::after(uv_work_t* w, int status) {
  auto* self = static_cast<config_reloader*>(w->data);
  self->busy_ = false;
  if (self->closed_ || status == UV_ECANCELED) return;
  if (self->error_.empty()) {
    self->done_(&self->result_, "");
  } else {
    self->done_(nullptr, self->error_);
  }
  if (self->again_ && !self->closed_) self->start();
}

}  // namespace netstab::service

namespace netstab::service {

reload_outcome apply_reload(prober& p, config::settings& active, const config::settings& loaded) {
  reload_outcome o;
  const auto r = reconcile_targets(p, loaded.targets);
  const auto later = restart_only_changes(active, loaded);
  active.targets = loaded.targets;
  o.summary = "configuration reloaded: " + std::to_string(r.added) + " target(s) added, " +
              std::to_string(r.removed) + " removed, " + std::to_string(r.changed) + " changed";
  if (!later.empty()) {
    o.summary += "; needs a restart to take effect:";
    for (const auto& name : later) o.summary += " " + name;
  }
  for (const auto& e : r.errors) {
    o.ok = false;
    o.summary += "; not added: " + e;
  }
  return o;
}

}  // namespace netstab::service

#pragma once
// SIGHUP: re-read the configuration the process started from and apply what can change while running.
//
// The file is read and validated on a worker (file I/O stays off the loop); the result comes back through an
// inbox and is applied on the loop thread. A file that does not load is refused with its error and the running
// configuration stays. What a reload applies: the target list (targets no longer listed are removed, new ones
// added, ones whose probe settings changed are replaced, which restarts their statistics). Everything else
// (broker, topics, statistics windows, limits, logging) takes effect at the next start; a reload that changes it
// says so by name instead of silently ignoring it. Targets added or removed by MQTT commands since the start
// are overridden by the file: after a reload, the file is the truth.
#include <uv.h>

#include <functional>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "config/settings.hpp"
#include "core/result.hpp"
#include "service/loop/inbox.hpp"
#include "service/loop/worker_pool.hpp"
#include "service/probe/prober.hpp"

namespace netstab::service {

struct reconcile_result {
  int added = 0;
  int removed = 0;
  int changed = 0;
  std::vector<std::string> errors;  // targets that could not be added, with the reason
};

// Makes the prober's targets those of `wanted` (matched by host as configured). Loop thread.
reconcile_result reconcile_targets(prober& p, const std::vector<core::target_spec>& wanted);

// The [section]s of the configuration, other than the targets and [probe], that differ between two values:
// they need a restart to take effect. Pure.
std::vector<std::string> restart_only_changes(const config::settings& before, const config::settings& after);

// Applies a loaded configuration to the running prober (reconcile_targets) and returns one line for the log and
// the events topic saying what changed and what waits for a restart (compared with `active`, the settings the
// process started with); an error (with that line) when some target could not be added.
core::result<std::string> apply_reload(prober& p, const config::settings& active, const config::settings& loaded);

// Runs config::reload(request) on a worker and calls `done` on the loop with the new settings or the error. A
// SIGHUP arriving while a reload runs is folded into one more reload after it. Not copyable or movable; close()
// before the loop ends (a read in progress finishes on its own and is forgotten).
class config_reloader {
 public:
  using done_fn = std::function<void(core::result<config::settings>)>;
  config_reloader(uv_loop_t* loop, config::load_request request, done_fn done);
  config_reloader(const config_reloader&) = delete;
  config_reloader& operator=(const config_reloader&) = delete;

  void request_reload();
  void close();  // no more callbacks after this

 private:
  void start();
  void on_loaded(core::result<config::settings>& r);

  config::load_request request_;
  done_fn done_;
  worker_pool worker_{1};
  inbox<core::result<config::settings>> results_;
  bool busy_ = false;
  bool again_ = false;
  bool closed_ = false;
};

}  // namespace netstab::service

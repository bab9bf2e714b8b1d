#pragma once
// SIGHUP: re-read the configuration the process started from and apply what can change while running.
//
// The file is read and validated on libuv's thread pool (file I/O stays off the loop); the result is applied
// on the loop thread. A file that does not load is refused with its error and the running configuration
// stays. What a reload applies: the target list (targets no longer listed are removed, new ones added, ones
// whose probe settings changed are replaced, which restarts their statistics). Everything else (broker,
// topics, statistics windows, limits, logging) takes effect at the next start; a reload that changes it says
// so by name instead of silently ignoring it. Targets added or removed by MQTT commands since the start are
// overridden by the file: after a reload, the file is the truth.
#include <uv.h>

#include <functional>
#include <string>
#include <vector>

#include "config/loader.hpp"
#include "config/settings.hpp"
#include "service/prober.hpp"

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

// Runs config::reload(request) off the loop and calls `done` on the loop with the new settings, or with an
// error text. A SIGHUP arriving while a reload runs is folded into one more reload after it. Owns its work
// request; not copyable or movable; close() before the loop ends (a running read finishes first).
class config_reloader {
 public:
  using done_fn = std::function<void(const config::settings* loaded, const std::string& error)>;
  config_reloader(uv_loop_t* loop, config::load_request request, done_fn done);
  config_reloader(const config_reloader&) = delete;
  config_reloader& operator=(const config_reloader&) = delete;
  ~config_reloader();

  void request_reload();
  void close();  // no more callbacks after this

 private:
  static void work(uv_work_t* w);
  static void after(uv_work_t* w, int status);
  void start();

  uv_loop_t* loop_;
  config::load_request request_;
  done_fn done_;
  uv_work_t req_{};
  bool busy_ = false;
  bool again_ = false;
  bool closed_ = false;
  // Written by the worker thread, read on the loop thread after uv's after-work callback (which orders them).
  config::settings result_;
  std::string error_;
};

}  // namespace netstab::service

namespace netstab::service {

// Applies a loaded configuration to the running prober (reconcile_targets), remembers its targets in `active`,
// and returns one line for the log and the events topic saying what changed and what waits for a restart.
// `ok` is false when some target could not be added.
struct reload_outcome {
  bool ok = true;
  std::string summary;
};
reload_outcome apply_reload(prober& p, config::settings& active, const config::settings& loaded);

}  // namespace netstab::service

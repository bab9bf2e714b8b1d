#pragma once
// Running netstab: one run() for both modes.
//
// run() owns the loop, the clock, the prober, the signals (SIGINT and SIGTERM stop, SIGHUP reloads) and the
// configuration reloader; a front end owns what differs between the modes:
// - stdout mode (no broker): ping-like lines or JSON lines (publish/stdout_sink.hpp), the summary at the end,
//   and an exit when --count is reached;
// - MQTT mode: the MQTT link, the MQTT sink, Home Assistant discovery and the controller.
// Shutdown, in order: stop probing, the front end's own stop (MQTT: publish "offline", flush, disconnect), close
// the handles, then the loop ends by itself. Loop thread only.
#include <functional>
#include <string>

#include "config/loader.hpp"
#include "config/settings.hpp"
#include "core/result.hpp"
#include "service/probe/icmp_descriptor.hpp"
#include "service/probe/prober.hpp"

namespace netstab::service {

class front_end {
 public:
  virtual ~front_end() = default;
  // The sink the prober reports to. Called once, before the prober exists.
  virtual probe_sink& sink() = 0;
  // The prober exists and has the configuration's targets; the front end may start its own parts.
  virtual void attach(prober& p) = 0;
  // A problem at start-up (a target that can't be added, probing that can't start): how to tell the user.
  virtual void fail(const std::string& message) = 0;
  // Probing started; a line for the log.
  virtual void running() {}
  // The outcome of a SIGHUP: the summary of what changed, or why the file was refused.
  virtual void reloaded(const core::result<std::string>& summary, bool file_loaded) = 0;
  // Stops the front end's parts; `done` runs when that finished (maybe later, on the loop).
  virtual void stop(prober& p, std::function<void()> done) = 0;
  // The process's exit code once the loop has ended.
  virtual int exit_code(const prober& p) const = 0;
  // What --count finishing calls (stdout mode); set by run().
  std::function<void()> on_finished;
};

// Runs until stopped (a signal, --count) and returns the exit code: 0; 1 when probing could not start, or (stdout
// mode) when no probe could be sent at all; 2 for a usage error (no target in stdout mode, a target that can't be
// added).
int run(config::settings s, const config::load_request& request, icmp_descriptors icmp);

}  // namespace netstab::service

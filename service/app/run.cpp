#include "service/app/run.hpp"

#include <csignal>
#include <memory>

#include <spdlog/spdlog.h>

#include "service/app/fronts.hpp"
#include "service/app/options.hpp"
#include "service/app/reload.hpp"
#include "service/loop/system_clock.hpp"
#include "service/loop/uv.hpp"

namespace netstab::service {

namespace {

// The handles every mode has: signals and the reloader. Closing them (and the front end and the prober) leaves
// the loop with nothing to do, so it ends.
struct process_handles {
  explicit process_handles(uv_loop_t* l, config::load_request request, config_reloader::done_fn done)
      : sigint(l), sigterm(l), sighup(l), reloader(l, std::move(request), std::move(done)) {}
  signal sigint, sigterm, sighup;
  config_reloader reloader;

  void close() {
    sigint.close();
    sigterm.close();
    sighup.close();
    reloader.close();
  }
};

std::unique_ptr<front_end> make_front_end(uv_loop_t* loop, const core::clock& clk, const config::settings& s) {
  if (s.stdout_mode()) return make_stdout_front(loop, clk, s);
  return make_mqtt_front(loop, clk, s);
}

// One run of netstab: everything run() owns, on the loop thread, and the order things start and stop in.
class session {
 public:
  session(config::settings s, const config::load_request& request, icmp_descriptors icmp)
      : s_(std::move(s)),
        fe_(make_front_end(lp_.get(), clk_, s_)),
        pr_(lp_.get(), clk_, prober_options_from(s_), fe_->sink(), std::move(icmp)),
        handles_(lp_.get(), request, [this](core::result<config::settings> loaded) { on_reload(std::move(loaded)); }) {
    fe_->on_finished = [this] { shutdown(); };
  }

  int run() {
    for (const auto& t : s_.targets) {
      if (auto added = pr_.add_target(t); !added) {
        fe_->fail(added.message());
        return 2;
      }
    }
    fe_->attach(pr_);
    core::result<void> probing = watch_signals();
    if (probing && !s_.targets.empty()) probing = pr_.start();
    if (!probing) {
      fe_->fail(probing.message());
      shutdown();
      lp_.run();
      return 1;
    }
    fe_->running();
    // From here on the prober holds the targets (reloads reconcile against it): the list is not kept twice, 3 MB
    // at 10,000 targets. Swapped with an empty vector, since assigning an empty list keeps the capacity.
    std::vector<core::target_spec>().swap(s_.targets);
    lp_.run();
    shutdown();
    return fe_->exit_code(pr_);
  }

 private:
  core::result<void> watch_signals() {
    auto on_signal = [this](int sig) {
      spdlog::info("signal {}: stopping", sig);
      shutdown();
    };
    const bool watched = handles_.sigint.start(SIGINT, on_signal) && handles_.sigterm.start(SIGTERM, on_signal) &&
                         handles_.sighup.start(SIGHUP, [this](int) {
                           spdlog::info("SIGHUP: reloading the configuration");
                           handles_.reloader.request_reload();
                         });
    if (!watched) return core::error{"cannot watch signals"};
    return core::success();
  }

  void on_reload(core::result<config::settings> loaded) {
    if (!loaded) {
      spdlog::error("configuration reload refused, the running configuration stays: {}", loaded.message());
      fe_->reloaded(core::error{loaded.message()}, false);
      return;
    }
    const auto outcome = apply_reload(pr_, s_, *loaded);
    if (outcome) {
      spdlog::info("{}", *outcome);
    } else {
      spdlog::error("{}", outcome.message());
    }
    fe_->reloaded(outcome, true);
  }

  // Stop probing, then the front end (MQTT: "offline", flush, disconnect), then close every handle: the loop
  // ends by itself once nothing is left.
  void shutdown() {
    if (stopping_) return;
    stopping_ = true;
    pr_.stop();
    fe_->stop(pr_, [this] {
      pr_.close();
      handles_.close();
    });
  }

  // The settings the process started with; the fronts keep a reference. The target list is emptied once the
  // prober has the targets, and reloads change nothing else (what needs a restart is only reported).
  config::settings s_;
  loop lp_;
  system_clock clk_;
  std::unique_ptr<front_end> fe_;
  prober pr_;
  process_handles handles_;
  bool stopping_ = false;
};

}  // namespace

int run(config::settings s, const config::load_request& request, icmp_descriptors icmp) {
  if (s.stdout_mode() && s.targets.empty()) {
    std::fputs("netstab: no target: use --target HOST (see --help)\n", stderr);
    return 2;
  }
  session one(std::move(s), request, std::move(icmp));
  return one.run();
}

}  // namespace netstab::service

#pragma once
// The engine's stdout mode (no broker): probe, print samples, print the summary.
#include "config/loader.hpp"
#include "config/settings.hpp"
#include "core/target_monitor.hpp"
#include "service/prober.hpp"

namespace netstab::service {

// Settings -> the values the core and prober take.
core::monitor_config monitor_config_from(const config::settings& s);
prober_options prober_options_from(const config::settings& s);
void setup_logging(const config::log_settings& l);

// Runs until --count is reached or SIGINT/SIGTERM; SIGHUP reloads the configuration (see reload.hpp).
// Returns the exit code (0, or 1 when a probe could not be sent at all, 2 for usage errors).
int run_engine(const config::settings& s, const config::load_request& request, icmp_descriptors icmp = {});

}  // namespace netstab::service

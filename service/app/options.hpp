#pragma once
// The one place where the settings become the options of each part. Every part takes a plain options value of
// its own (so that it depends on core, not on config, and a test can build one field by field); these functions
// build them from the one validated settings value. Pure.
#include "config/settings.hpp"
#include "core/target_monitor.hpp"
#include "core/topics.hpp"
#include "service/control/controller.hpp"
#include "service/mqtt/options.hpp"
#include "service/probe/prober.hpp"
#include "service/publish/discovery_publisher.hpp"
#include "service/publish/history_sink.hpp"
#include "service/publish/mqtt_sink.hpp"

namespace netstab::service {

core::monitor_config monitor_config_from(const config::settings& s);
path_options path_options_from(const config::settings& s);
prober_options prober_options_from(const config::settings& s);
mqtt_options mqtt_options_from(const config::settings& s, const core::topic_builder& topics);
mqtt_sink::options sink_options_from(const config::settings& s);
discovery_publisher::options discovery_options_from(const config::settings& s);
controller_options controller_options_from(const config::settings& s);
history_sink::options history_options_from(const config::settings& s);
// The ICMP sockets' receive buffer in bytes, sized for the configured targets' probe rate (receive_buffer_for).
int receive_buffer_from(const config::settings& s);

}  // namespace netstab::service

#pragma once
// The two front ends of run() (run.hpp): stdout mode and MQTT mode.
#include <memory>

#include "config/settings.hpp"
#include "core/time.hpp"
#include "service/app/run.hpp"

namespace netstab::service {

std::unique_ptr<front_end> make_stdout_front(uv_loop_t* loop, const core::clock& clk, const config::settings& s);
// Throws std::invalid_argument when the MQTT link can't use its options (start-up).
std::unique_ptr<front_end> make_mqtt_front(uv_loop_t* loop, const core::clock& clk, const config::settings& s);

}  // namespace netstab::service

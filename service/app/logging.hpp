#pragma once
// Logging set-up: spdlog to stderr (stdout carries samples in stdout mode), at the configured level, as text or
// one JSON object per line. Called once by main before anything logs.
#include "config/settings.hpp"

namespace netstab::service {

void setup_logging(const config::log_settings& l);

}  // namespace netstab::service

#pragma once
// The effective configuration as TOML (--print-config). Secrets are masked as "********"; a password read
// from mqtt.password_file is not printed at all (the file is). Loading the output again gives the same
// settings, except that a masked password reads back as the mask. Pure function, any thread.
#include <string>

#include "config/settings.hpp"

namespace netstab::config {

inline constexpr const char* secret_mask = "********";

std::string to_toml(const settings& s);

}  // namespace netstab::config

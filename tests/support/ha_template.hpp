#pragma once
// Home Assistant's templates rendered by Jinja2, the engine Home Assistant uses, with the variables its MQTT
// entities give them (tests/support/ha_render.py runs under Debian's python3 with python3-jinja2). A rendering
// fails where Home Assistant would raise or log: reading a field of an undefined value_json, printing an undefined
// value. Test thread only; each call starts one python process.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace netstab::test {

struct ha_template_job {
  std::string tmpl;
  // A state or attribute template renders against a received payload (`value`, and `value_json` when the payload
  // is JSON); a command template against the value the entity sends (`value`).
  bool command = false;
  std::string payload;
  nlohmann::json command_value;
};

struct ha_rendering {
  bool ok = false;
  std::string result;  // stripped, as Home Assistant strips it
  std::string error;   // when !ok: the Jinja error, or why the renderer did not run
};

std::vector<ha_rendering> render_ha_templates(const std::vector<ha_template_job>& jobs);
ha_rendering render_state_template(const std::string& tmpl, const std::string& payload);
ha_rendering render_command_template(const std::string& tmpl, const nlohmann::json& value);

}  // namespace netstab::test

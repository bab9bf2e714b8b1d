#include "tests/support/ha_template.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/child_process.hpp"
#include "tests/support/service_agent.hpp"

namespace netstab::test {

std::vector<ha_rendering> render_ha_templates(const std::vector<ha_template_job>& jobs) {
  nlohmann::json in = nlohmann::json::array();
  for (const auto& j : jobs) {
    nlohmann::json job{{"template", j.tmpl}};
    if (j.command) {
      job["command_value"] = j.command_value;
    } else {
      job["payload"] = j.payload;
    }
    in.push_back(std::move(job));
  }
  const std::string dir = make_temp_dir("netstab-ha-render");
  std::ofstream(dir + "/in.json") << in.dump();
  std::vector<ha_rendering> out(jobs.size());
  int status = -1;
  {
    child_process py({"/usr/bin/python3", std::string(NETSTAB_SOURCE_DIR) + "/tests/support/ha_render.py",
                      dir + "/in.json", dir + "/out.json"},
                     {}, dir + "/log");
    status = py.wait(std::chrono::seconds(30));
    if (status != 0) {
      for (auto& r : out) r.error = "ha_render.py exited with " + std::to_string(status) + ": " + py.log();
    }
  }
  if (status == 0) {
    std::ifstream f(dir + "/out.json");
    std::stringstream text;
    text << f.rdbuf();
    const auto results = nlohmann::json::parse(text.str(), nullptr, false);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!results.is_array() || i >= results.size()) {
        out[i].error = "ha_render.py gave no result";
        continue;
      }
      out[i].ok = results[i].value("ok", false);
      out[i].result = results[i].value("result", "");
      out[i].error = results[i].value("error", "");
    }
  }
  std::filesystem::remove_all(dir);
  return out;
}

ha_rendering render_state_template(const std::string& tmpl, const std::string& payload) {
  return render_ha_templates({ha_template_job{tmpl, false, payload, nullptr}}).at(0);
}

ha_rendering render_command_template(const std::string& tmpl, const nlohmann::json& value) {
  return render_ha_templates({ha_template_job{tmpl, true, "", value}}).at(0);
}

}  // namespace netstab::test

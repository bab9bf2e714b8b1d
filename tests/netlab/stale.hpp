#pragma once
// Recognising what killed test runs left behind. The chain's namespaces and scratch directories and the CPU
// limit's groups are named nsch-<pid>-...; a name whose pid is gone (or a zombie, which no longer runs any
// destructor) belongs to a run that cannot clean up after itself any more, so the next run may.
#include <fstream>
#include <string>
#include <string_view>

namespace netstab::netlab {

inline constexpr std::string_view stale_prefix = "nsch-";

// True when `name` is nsch-<pid>-... and process <pid> no longer runs.
inline bool owner_is_gone(const std::string& name) {
  if (!name.starts_with(stale_prefix)) {
    return false;
  }
  const std::size_t start = stale_prefix.size();
  const std::string pid = name.substr(start, name.find('-', start) - start);
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses, so read after the last ')'.
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) {
    return true;
  }
  const std::size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

}  // namespace netstab::netlab

#include "tests/support/privileges.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace netstab::test {

bool have_root() { return ::geteuid() == 0; }

bool privileged_required() {
  const char* v = std::getenv("REQUIRE_PRIVILEGED_TESTS");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace netstab::test

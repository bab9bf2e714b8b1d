#include "tests/support/privileges.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace netstab::test {

bool have_root() { return ::geteuid() == 0; }

bool privileged_required() {
  const char* v = std::getenv("NETSTAB_TEST_REQUIRE_PRIVILEGED");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace netstab::test

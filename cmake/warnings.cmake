# netstab_warnings: an interface target every first-party target links, so that
# the warning set is stated once. Third-party headers come in as SYSTEM includes
# through their imported targets and do not trip these flags.
add_library(netstab_warnings INTERFACE)
target_compile_options(netstab_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(NETSTAB_WERROR)
  target_compile_options(netstab_warnings INTERFACE -Werror)
endif()

#pragma once
// `netstab history`: reads a history file directly (read-only, no lock, so also while the service writes it)
// and prints one target's rows, its raw samples, or the list of targets, as CSV or JSON.
//
//   netstab history --db FILE --target T [--from TIME] [--to TIME] [--step STEP] [--format csv|json]
//   netstab history --db FILE --list-targets [--format csv|json]
//
// main dispatches here when argv[1] is "history", passing argc - 1 and argv + 1 (so argv[0] is "history").
// Exit status: 0 done, 1 the query failed (the reason on stderr), 2 bad usage. Main thread.
#include <iosfwd>

#include "core/time.hpp"

namespace netstab::service::history {

int history_main(int argc, char** argv);
// The same with the streams and the time "now" given (tests).
int history_main(int argc, char** argv, std::ostream& out, std::ostream& err, core::wall_time now);

}  // namespace netstab::service::history

#pragma once
// The history reader: a thread of its own that answers queries (the MQTT `history` and `history_targets`
// commands) from the file, each on a fresh read-only connection.
//
// Why a reader thread and not the writer's: in WAL mode a reader never blocks the writer nor waits for it, so a
// query (tens of milliseconds for a long range) never delays a batch and can never make the writer's queue
// overflow; queries still work while the writer is paused on a full disk; and a fresh connection per query
// follows the file when the writer has moved a damaged one aside. Opening a connection costs far less than
// the queries themselves (docs/history.md).
//
// Threads: query() and targets() may be called from any thread (the loop); they only queue the work. The done
// callbacks run on the reader thread (the loop's side forwards them into its inbox). At most max_pending
// requests wait; more are refused at once (the call returns false and done is not called). When the reader
// is destroyed, requests still waiting get an error ("history is shutting down").
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/history_query.hpp"
#include "core/result.hpp"

namespace netstab::service::history {

class reader {
 public:
  explicit reader(std::string path, std::size_t max_pending = 8);
  ~reader();
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  bool query(core::history_request req, std::function<void(core::result<core::history_reply>)> done);
  bool targets(std::function<void(core::result<std::vector<core::history_target>>)> done);

 private:
  using job = std::function<void(bool cancelled)>;
  bool push(job j);
  void run();

  std::string path_;
  std::size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace netstab::service::history

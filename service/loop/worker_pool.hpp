#pragma once
// Blocking work off the loop: a few threads of the pool's own run jobs (a name lookup, a configuration read, a
// connect diagnosis, destroying a Paho client) so that the loop never waits for them. A job hands its result to
// the loop through an inbox poster it captured (inbox.hpp); the pool itself returns nothing to the loop.
//
// Threads are started on demand, at most max_threads at once; further jobs wait in the pool's queue, in order.
// A thread with nothing to do for idle_exit ends. cancel() drops a job that has not started.
//
// At close (or destruction) the queued jobs are dropped. Running ones either finish on their own, detached
// (on_close::detach: for jobs that may hang, such as getaddrinfo waiting for a DNS server that never answers,
// which must not hold up the process's exit), or are waited for (on_close::join: for short jobs that must be
// done before the process exits, such as destroying a Paho client).
//
// Threads: submit(), cancel() and close() on the owner's thread (the loop); jobs run on the pool's threads.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/result.hpp"

namespace netstab::service {

class worker_pool {
 public:
  enum class on_close : std::uint8_t { detach, join };
  using job_id = std::uint64_t;

  explicit worker_pool(std::size_t max_threads, on_close mode = on_close::detach,
                       std::chrono::milliseconds idle_exit = std::chrono::seconds(10));
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Queues a job; its id (never 0), or an error when no thread could be started for it.
  core::result<job_id> submit(std::function<void()> job);
  // Drops a job that has not started; false when it runs or ran already.
  bool cancel(job_id id);
  void close();
  // Threads alive now (for tests).
  std::size_t threads() const;

  struct shared;

 private:
  std::shared_ptr<shared> shared_;
  std::size_t max_threads_;
  on_close mode_;
  job_id next_id_ = 1;
};

}  // namespace netstab::service

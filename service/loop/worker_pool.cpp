#include "service/loop/worker_pool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace netstab::service {

// What the threads share with the owner. Every thread holds a reference, so a thread that finishes after the
// pool is gone still finds it; once `open` is false, threads take no more jobs.
struct worker_pool::shared {
  struct queued {
    job_id id = 0;
    std::function<void()> job;
  };
  std::mutex mu;
  std::condition_variable cv;    // a job was queued, or the pool closed
  std::condition_variable idle;  // a thread ended (close() with on_close::join waits on it)
  std::deque<queued> jobs;
  std::chrono::milliseconds idle_exit{};
  std::size_t threads = 0;  // alive
  std::size_t waiting = 0;  // of those, waiting for a job
  bool open = true;

  static void run(const std::shared_ptr<shared>& s) {
    std::unique_lock lock(s->mu);
    while (s->open) {
      if (s->jobs.empty()) {
        ++s->waiting;
        s->cv.wait_for(lock, s->idle_exit, [&] { return !s->open || !s->jobs.empty(); });
        --s->waiting;
        if (s->jobs.empty()) break;
        continue;
      }
      std::function<void()> job = std::move(s->jobs.front().job);
      s->jobs.pop_front();
      lock.unlock();
      job();
      job = nullptr;  // the job's captures go before the pool can be reported idle
      lock.lock();
    }
    --s->threads;
    s->idle.notify_all();
  }
};

worker_pool::worker_pool(std::size_t max_threads, on_close mode, std::chrono::milliseconds idle_exit)
    : shared_(std::make_shared<shared>()), max_threads_(max_threads == 0 ? 1 : max_threads), mode_(mode) {
  shared_->idle_exit = idle_exit;
}

worker_pool::~worker_pool() { close(); }

core::result<worker_pool::job_id> worker_pool::submit(std::function<void()> job) {
  const job_id id = next_id_++;
  bool spawn = false;
  {
    std::lock_guard lock(shared_->mu);
    if (!shared_->open) return core::error{"the worker pool is closed"};
    shared_->jobs.push_back(shared::queued{id, std::move(job)});
    if (shared_->waiting == 0 && shared_->threads < max_threads_) {
      ++shared_->threads;
      spawn = true;
    }
  }
  if (!spawn) {
    shared_->cv.notify_one();
    return id;
  }
  try {
    std::thread([s = shared_] { shared::run(s); }).detach();
  } catch (const std::system_error& e) {
    std::lock_guard lock(shared_->mu);
    --shared_->threads;
    if (shared_->threads == 0) {
      // No thread will ever take it: fail now.
      std::erase_if(shared_->jobs, [id](const shared::queued& q) { return q.id == id; });
      return core::error{std::string("cannot start a worker thread: ") + e.what()};
    }
  }
  return id;
}

bool worker_pool::cancel(job_id id) {
  std::lock_guard lock(shared_->mu);
  return std::erase_if(shared_->jobs, [id](const shared::queued& q) { return q.id == id; }) > 0;
}

void worker_pool::close() {
  std::unique_lock lock(shared_->mu);
  if (!shared_->open) return;
  shared_->open = false;
  shared_->jobs.clear();
  shared_->cv.notify_all();
  if (mode_ == on_close::join) shared_->idle.wait(lock, [&] { return shared_->threads == 0; });
}

std::size_t worker_pool::threads() const {
  std::lock_guard lock(shared_->mu);
  return shared_->threads;
}

}  // namespace netstab::service

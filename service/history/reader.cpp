#include "service/history/reader.hpp"

#include <utility>

#include "service/history/query.hpp"

namespace netstab::service::history {

reader::reader(std::string path, std::size_t max_pending) : path_(std::move(path)), max_pending_(max_pending) {
  thread_ = std::thread([this] { run(); });
}

reader::~reader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

bool reader::push(job j) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= max_pending_) return false;
    jobs_.push_back(std::move(j));
  }
  cv_.notify_one();
  return true;
}

namespace {

// One job's answer: `ask` on a fresh read-only connection, or why there is none (shutting down, or the file
// cannot be opened).
template <typename T, typename Ask>
void answer(const std::string& path, bool cancelled, const std::function<void(core::result<T>)>& done, Ask&& ask) {
  if (cancelled) {
    done(core::error{"history is shutting down"});
    return;
  }
  auto db = open_for_reading(path);
  if (!db) {
    done(core::error{db.message()});
    return;
  }
  done(ask(**db));
}

}  // namespace

bool reader::query(core::history_request req, std::function<void(core::result<core::history_reply>)> done) {
  return push([this, req = std::move(req), done = std::move(done)](bool cancelled) {
    answer(path_, cancelled, done, [&](auto& db) { return run_query(db, req); });
  });
}

bool reader::targets(std::function<void(core::result<std::vector<core::history_target>>)> done) {
  return push([this, done = std::move(done)](bool cancelled) {
    answer(path_, cancelled, done, [](auto& db) { return list_targets(db); });
  });
}

void reader::run() {
  for (;;) {
    job j;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) break;
      j = std::move(jobs_.front());
      jobs_.pop_front();
    }
    j(false);
  }
  std::deque<job> left;
  {
    std::lock_guard lock(mu_);
    left.swap(jobs_);
  }
  for (auto& j : left) j(true);
}

}  // namespace netstab::service::history

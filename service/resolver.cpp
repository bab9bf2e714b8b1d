#include "service/resolver.hpp"

#include <netdb.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace netstab::service {

namespace {

struct job {
  std::uint64_t id = 0;
  std::string host;
  int family = AF_UNSPEC;
};

struct result {
  std::uint64_t id = 0;
  int status = 0;
  std::string error;
  std::vector<sockaddr_storage> addrs;
};

// getaddrinfo's answer as the libuv-style status and text the callback gets.
result lookup(const job& j) {
  result r;
  r.id = j.id;
  addrinfo hints{};
  hints.ai_family = j.family;
  hints.ai_socktype = SOCK_DGRAM;  // one entry per address, not one per socket type
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(j.host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    switch (rc) {
      case EAI_NONAME: r.status = UV_EAI_NONAME; r.error = "name does not resolve"; break;
      case EAI_AGAIN: r.status = UV_EAI_AGAIN; r.error = ::gai_strerror(rc); break;
      case EAI_SYSTEM: r.status = -errno; r.error = std::strerror(errno); break;
      default: r.status = UV_EAI_FAIL; r.error = ::gai_strerror(rc); break;
    }
    if (r.status == 0) r.status = UV_EAI_FAIL;
    return r;
  }
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
    sockaddr_storage s{};
    std::memcpy(&s, a->ai_addr, a->ai_addrlen);
    r.addrs.push_back(s);
  }
  ::freeaddrinfo(res);
  if (r.addrs.empty()) {
    r.status = UV_EAI_NODATA;
    r.error = "no address of the requested family";
  }
  return r;
}

}  // namespace

// What the workers share with the loop. Owned through shared_ptr by the
// resolver and by every worker, so a worker finishing after the resolver is
// gone still finds it; once `open` is false, results are discarded.
struct resolver::shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<job> jobs;
  std::vector<result> results;
  std::size_t workers = 0;  // threads alive
  std::size_t idle = 0;     // of those, waiting for a job
  async* wake = nullptr;    // valid while open
  bool open = true;

  // A worker: takes jobs until none has come for a while or the resolver closed.
  static void run(const std::shared_ptr<shared>& s) {
    std::unique_lock lock(s->mu);
    while (s->open) {
      if (s->jobs.empty()) {
        ++s->idle;
        s->cv.wait_for(lock, std::chrono::seconds(10), [&] { return !s->open || !s->jobs.empty(); });
        --s->idle;
        if (s->jobs.empty()) break;
        continue;
      }
      job j = std::move(s->jobs.front());
      s->jobs.pop_front();
      lock.unlock();
      result r = lookup(j);
      lock.lock();
      if (!s->open) break;
      const bool was_empty = s->results.empty();
      s->results.push_back(std::move(r));
      if (was_empty && s->wake != nullptr) s->wake->send();
    }
    --s->workers;
  }
};

resolver::resolver(uv_loop_t* loop) : shared_(std::make_shared<shared>()), wake_(loop, [this] { drain(); }) {
  shared_->wake = &wake_;
  update_ref();
}

resolver::~resolver() {
  *alive_ = false;
  {
    std::lock_guard lock(shared_->mu);
    shared_->open = false;
    shared_->wake = nullptr;
    shared_->jobs.clear();
    shared_->results.clear();
  }
  shared_->cv.notify_all();
}

std::uint64_t resolver::resolve(const std::string& host, core::ip_version family, callback cb) {
  const std::uint64_t id = next_id_++;
  const int fam = family == core::ip_version::v4 ? AF_INET : family == core::ip_version::v6 ? AF_INET6 : AF_UNSPEC;
  bool spawn = false;
  {
    std::lock_guard lock(shared_->mu);
    shared_->jobs.push_back(job{id, host, fam});
    if (shared_->idle == 0 && shared_->workers < max_workers) {
      ++shared_->workers;
      spawn = true;
    }
  }
  if (spawn) {
    try {
      std::thread([s = shared_] { shared::run(s); }).detach();
    } catch (const std::system_error& e) {
      std::lock_guard lock(shared_->mu);
      --shared_->workers;
      if (shared_->workers == 0) {
        // No thread will ever take it: fail now.
        for (auto it = shared_->jobs.begin(); it != shared_->jobs.end(); ++it) {
          if (it->id == id) {
            shared_->jobs.erase(it);
            break;
          }
        }
        cb(UV_EAGAIN, std::string("cannot start a resolver thread: ") + e.what(), {});
        return 0;
      }
    }
  } else {
    shared_->cv.notify_one();
  }
  callbacks_.emplace(id, std::move(cb));
  update_ref();
  return id;
}

void resolver::cancel(std::uint64_t id) {
  if (callbacks_.erase(id) == 0) return;
  {
    std::lock_guard lock(shared_->mu);
    for (auto it = shared_->jobs.begin(); it != shared_->jobs.end(); ++it) {
      if (it->id == id) {
        shared_->jobs.erase(it);
        break;
      }
    }
  }
  update_ref();
}

void resolver::drain() {
  std::vector<result> batch;
  {
    std::lock_guard lock(shared_->mu);
    batch.swap(shared_->results);
  }
  // A callback may start or cancel lookups, or destroy the resolver: stop touching it then.
  const std::shared_ptr<bool> alive = alive_;
  for (auto& r : batch) {
    auto it = callbacks_.find(r.id);
    if (it == callbacks_.end()) continue;  // cancelled
    callback cb = std::move(it->second);
    callbacks_.erase(it);
    cb(r.status, r.error, std::move(r.addrs));
    if (!*alive) return;
  }
  update_ref();
}

void resolver::update_ref() {
  auto* h = reinterpret_cast<uv_handle_t*>(wake_.get());
  if (h == nullptr) return;
  if (callbacks_.empty()) {
    uv_unref(h);
  } else {
    uv_ref(h);
  }
}

}  // namespace netstab::service

#pragma once
// The one way another thread talks to the loop.
//
// A thread that is not the loop's (Paho's callbacks, a resolver or configuration worker, the history writer)
// posts values of type T through a poster; the loop runs the inbox's handler for each value, in the order they
// were posted, on the loop thread. A post takes a mutex and wakes the loop with uv_async_send only when the
// queue was empty; libuv coalesces wake-ups, and the loop takes the whole queue at once.
//
// Lifetime: the queue lives in a state that the inbox and every poster share, so a thread that posts after the
// inbox was closed or destroyed finds a closed queue, not freed memory: such a post is dropped and returns
// false. close() (also run by the destructor) drops what is waiting and closes the async handle through libuv.
//
// Bounds: post() always queues (use it for what must not be lost: completions, results); try_post() refuses a
// value while `capacity` values wait, and counts it (for what a flood could grow without bound: incoming MQTT
// messages). The handler may close or destroy the inbox: the drain stops at once then.
//
// Threads: construct, close(), keep_loop_alive() and refused() on the loop thread; poster::post and
// poster::try_post from any thread. Not copyable or movable (libuv points at the handle).
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "service/loop/uv.hpp"

namespace netstab::service {

template <class T>
class inbox {
  struct state {
    std::mutex mu;
    std::vector<T> items;
    async* wake = nullptr;  // set while the inbox is open
    std::size_t capacity = 0;
    std::uint64_t refused = 0;

    bool put(T&& item, bool bounded) {
      std::lock_guard lock(mu);
      if (wake == nullptr) return false;
      if (bounded && capacity != 0 && items.size() >= capacity) {
        ++refused;
        return false;
      }
      items.push_back(std::move(item));
      if (items.size() == 1) wake->send();
      return true;
    }
  };

 public:
  using handler = std::function<void(T&)>;

  // A handle for the producing thread; cheap to copy.
  class poster {
   public:
    poster() = default;
    // Queues the value; false when the inbox is closed.
    bool post(T item) const { return s_ && s_->put(std::move(item), false); }
    // Queues the value unless `capacity` values already wait; false when refused or closed.
    bool try_post(T item) const { return s_ && s_->put(std::move(item), true); }

   private:
    friend class inbox;
    explicit poster(std::shared_ptr<state> s) : s_(std::move(s)) {}
    std::shared_ptr<state> s_;
  };

  inbox(uv_loop_t* loop, handler on_item, std::size_t capacity = 0)
      : state_(std::make_shared<state>()), on_item_(std::move(on_item)), wake_(loop, [this] { drain(); }) {
    state_->capacity = capacity;
    state_->wake = &wake_;
  }
  ~inbox() { close(); }
  inbox(const inbox&) = delete;
  inbox& operator=(const inbox&) = delete;
  inbox(inbox&&) = delete;
  inbox& operator=(inbox&&) = delete;

  poster make_poster() const { return poster(state_); }
  bool is_open() const { return wake_.is_open(); }

  void close() {
    if (!wake_.is_open()) return;
    {
      std::lock_guard lock(state_->mu);
      state_->wake = nullptr;
      state_->items.clear();
    }
    *alive_ = false;
    wake_.close();
  }

  // Whether waiting for posts keeps the loop running (a referenced handle). On by default; an inbox that only
  // matters while requests are pending turns it off in between.
  void keep_loop_alive(bool on) {
    auto* h = reinterpret_cast<uv_handle_t*>(wake_.get());
    if (h == nullptr) return;
    if (on) {
      uv_ref(h);
    } else {
      uv_unref(h);
    }
  }

  std::uint64_t refused() const {
    std::lock_guard lock(state_->mu);
    return state_->refused;
  }

 private:
  void drain() {
    std::vector<T> batch;
    {
      std::lock_guard lock(state_->mu);
      batch.swap(state_->items);
    }
    const std::shared_ptr<bool> alive = alive_;
    for (auto& item : batch) {
      on_item_(item);
      if (!*alive) return;
    }
  }

  std::shared_ptr<state> state_;
  handler on_item_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  async wake_;
};

}  // namespace netstab::service

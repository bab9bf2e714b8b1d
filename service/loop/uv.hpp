#pragma once
// RAII wrappers for the libuv handles netstab uses.
//
// Each wrapper owns one heap-allocated uv handle. Wrappers are neither copyable
// nor movable (libuv keeps pointers to the handle, and the handle points back to
// the wrapper through `data`). close() is explicit and idempotent: it detaches the
// wrapper (data = nullptr, so a late callback does nothing) and hands the handle to
// uv_close, whose callback frees it. The destructor closes if the owner forgot.
// A loop therefore closes with no handles left once its owners are gone and the
// loop has run once more to deliver the close callbacks (see loop::close()).
// All of them: loop thread only, except async::send() (see there). Failures at start-up (a loop or poll handle
// that cannot be created) throw std::runtime_error; everything else returns core::result.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.hpp"

namespace netstab::service {

// Owns a uv_loop_t.
class loop {
 public:
  loop();
  ~loop();
  loop(const loop&) = delete;
  loop& operator=(const loop&) = delete;

  uv_loop_t* get() { return &loop_; }
  int run(uv_run_mode mode = UV_RUN_DEFAULT) { return uv_run(&loop_, mode); }
  void stop() { uv_stop(&loop_); }
  // Runs the loop until pending close callbacks are delivered, then closes it.
  // Returns 0, or UV_EBUSY when handles are still open (a leak the tests catch).
  int close();
  // Number of handles still known to the loop (open or closing).
  int handle_count();

 private:
  uv_loop_t loop_{};
  bool closed_ = false;
};

template <class H>
class handle {
 public:
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
  handle(handle&&) = delete;
  handle& operator=(handle&&) = delete;

  void close() {
    if (h_ == nullptr) return;
    h_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(h_), [](uv_handle_t* raw) { delete reinterpret_cast<H*>(raw); });
    h_ = nullptr;
  }
  bool is_open() const { return h_ != nullptr; }
  H* get() { return h_; }

 protected:
  handle() : h_(new H{}) { h_->data = this; }
  ~handle() { close(); }
  template <class W>
  static W* owner(H* raw) {
    return static_cast<W*>(raw->data);
  }

  H* h_;
};

class timer final : public handle<uv_timer_t> {
 public:
  explicit timer(uv_loop_t* l);
  ~timer() = default;
  // Fires cb once after delay_ms; re-arming replaces the previous arm.
  void start(std::uint64_t delay_ms, std::function<void()> cb);
  // Fires cb after delay_ms and then every period_ms until stopped (period_ms > 0).
  void start_repeating(std::uint64_t delay_ms, std::uint64_t period_ms, std::function<void()> cb);
  void stop();
  bool active() const;

 private:
  void arm(std::uint64_t delay_ms, std::uint64_t repeat_ms, std::function<void()> cb);
  std::function<void()> cb_;
};

// Watches a file descriptor the caller owns.
class poll final : public handle<uv_poll_t> {
 public:
  poll(uv_loop_t* l, int fd);
  ~poll() = default;
  // cb(status, events): status < 0 is a libuv error for the descriptor.
  core::result<void> start(int events, std::function<void(int, int)> cb);
  void stop();

 private:
  std::function<void(int, int)> cb_;
};

// Runs a callback once, in the loop's idle phase: after the timers that are due, and in the next turn when started
// from I/O or from the callback itself. While one is pending the loop polls for I/O without waiting. So a chain of
// them lets the loop read I/O and run due timers between two links; a chain of zero-delay timers does not: libuv
// runs a timer re-armed from its own callback again in the same pass, before any I/O.
class idle final : public handle<uv_idle_t> {
 public:
  explicit idle(uv_loop_t* l);
  ~idle() = default;
  // Replaces a pending callback.
  void start_once(std::function<void()> cb);
  void stop();
  bool active() const;

 private:
  std::function<void()> cb_;
};

// Runs a callback in the prepare phase of every loop turn: after the turn's due timers and idle callbacks and after
// the I/O callbacks of the turn before, right before the loop waits for I/O. So whatever the turn produced is
// handled before the process sleeps. Unreferenced: it never keeps the loop alive on its own.
class prepare final : public handle<uv_prepare_t> {
 public:
  explicit prepare(uv_loop_t* l);
  ~prepare() = default;
  void start(std::function<void()> cb);
  void stop();

 private:
  std::function<void()> cb_;
};

// Wakes the loop from another thread; wake-ups coalesce, so the callback drains whatever queue the sender
// filled. Only inbox (inbox.hpp) uses it: everything that crosses threads goes through an inbox.
class async final : public handle<uv_async_t> {
 public:
  async(uv_loop_t* l, std::function<void()> cb);
  ~async() = default;
  void send();  // any thread, while the handle is open (the inbox guards that with its mutex)

 private:
  std::function<void()> cb_;
};

class signal final : public handle<uv_signal_t> {
 public:
  explicit signal(uv_loop_t* l);
  ~signal() = default;
  core::result<void> start(int signum, std::function<void(int)> cb);
  // The handle does not keep the loop alive (a service waiting only for signals still exits when done).
  void unref();

 private:
  std::function<void(int)> cb_;
};

std::string uv_error_text(int code);

}  // namespace netstab::service

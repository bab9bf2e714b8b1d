#include "service/loop/uv.hpp"

#include <stdexcept>

namespace netstab::service {

loop::loop() {
  if (const int rc = uv_loop_init(&loop_); rc != 0) throw std::runtime_error("uv_loop_init: " + uv_error_text(rc));
}

loop::~loop() { close(); }

int loop::close() {
  if (closed_) return 0;
  // Deliver pending close callbacks so their handles are freed.
  uv_run(&loop_, UV_RUN_NOWAIT);
  const int rc = uv_loop_close(&loop_);
  if (rc == 0) closed_ = true;
  return rc;
}

int loop::handle_count() {
  int n = 0;
  uv_walk(
      &loop_, [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); }, &n);
  return n;
}

timer::timer(uv_loop_t* l) { uv_timer_init(l, h_); }

void timer::start(std::uint64_t delay_ms, std::function<void()> cb) { arm(delay_ms, 0, std::move(cb)); }

void timer::start_repeating(std::uint64_t delay_ms, std::uint64_t period_ms, std::function<void()> cb) {
  arm(delay_ms, period_ms == 0 ? 1 : period_ms, std::move(cb));
}

void timer::arm(std::uint64_t delay_ms, std::uint64_t repeat_ms, std::function<void()> cb) {
  if (h_ == nullptr) return;
  cb_ = std::move(cb);
  uv_timer_start(
      h_,
      [](uv_timer_t* raw) {
        if (auto* self = owner<timer>(raw)) self->cb_();
      },
      delay_ms, repeat_ms);
}

void timer::stop() {
  if (h_ != nullptr) uv_timer_stop(h_);
}

bool timer::active() const { return h_ != nullptr && uv_is_active(reinterpret_cast<const uv_handle_t*>(h_)) != 0; }

idle::idle(uv_loop_t* l) { uv_idle_init(l, h_); }

void idle::start_once(std::function<void()> cb) {
  if (h_ == nullptr) return;
  cb_ = std::move(cb);
  uv_idle_start(h_, [](uv_idle_t* raw) {
    auto* self = owner<idle>(raw);
    if (self == nullptr) return;
    uv_idle_stop(raw);
    auto run = std::move(self->cb_);
    run();
  });
}

void idle::stop() {
  if (h_ != nullptr) uv_idle_stop(h_);
}

bool idle::active() const { return h_ != nullptr && uv_is_active(reinterpret_cast<const uv_handle_t*>(h_)) != 0; }

prepare::prepare(uv_loop_t* l) {
  uv_prepare_init(l, h_);
  uv_unref(reinterpret_cast<uv_handle_t*>(h_));
}

void prepare::start(std::function<void()> cb) {
  if (h_ == nullptr) return;
  cb_ = std::move(cb);
  uv_prepare_start(h_, [](uv_prepare_t* raw) {
    if (auto* self = owner<prepare>(raw)) self->cb_();
  });
}

void prepare::stop() {
  if (h_ != nullptr) uv_prepare_stop(h_);
}

poll::poll(uv_loop_t* l, int fd) {
  if (const int rc = uv_poll_init(l, h_, fd); rc != 0) {
    delete h_;
    h_ = nullptr;
    throw std::runtime_error("uv_poll_init: " + uv_error_text(rc));
  }
}

core::result<void> poll::start(int events, std::function<void(int, int)> cb) {
  if (h_ == nullptr) return core::error{"uv_poll_start: the handle is closed"};
  cb_ = std::move(cb);
  const int rc = uv_poll_start(h_, events, [](uv_poll_t* raw, int status, int ev) {
    if (auto* self = owner<poll>(raw)) self->cb_(status, ev);
  });
  if (rc != 0) return core::error{"uv_poll_start: " + uv_error_text(rc)};
  return core::success();
}

void poll::stop() {
  if (h_ != nullptr) uv_poll_stop(h_);
}

async::async(uv_loop_t* l, std::function<void()> cb) : cb_(std::move(cb)) {
  uv_async_init(l, h_, [](uv_async_t* raw) {
    if (auto* self = owner<async>(raw)) self->cb_();
  });
}

void async::send() {
  if (h_ != nullptr) uv_async_send(h_);
}

signal::signal(uv_loop_t* l) { uv_signal_init(l, h_); }

core::result<void> signal::start(int signum, std::function<void(int)> cb) {
  if (h_ == nullptr) return core::error{"uv_signal_start: the handle is closed"};
  cb_ = std::move(cb);
  const int rc = uv_signal_start(
      h_,
      [](uv_signal_t* raw, int sig) {
        if (auto* self = owner<signal>(raw)) self->cb_(sig);
      },
      signum);
  if (rc != 0) return core::error{"uv_signal_start: " + uv_error_text(rc)};
  return core::success();
}

void signal::unref() {
  if (h_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(h_));
}

std::string uv_error_text(int code) { return std::string(uv_err_name(code)) + ": " + uv_strerror(code); }

}  // namespace netstab::service

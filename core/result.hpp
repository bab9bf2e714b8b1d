#pragma once
// The one error convention of netstab's code on the loop thread.
//
// A function that can fail returns result<T> (a value, or an error) or result<void> (nothing, or an error). An
// error is a sentence for a person, complete enough to log or to put in a command reply as it is ("interface
// \"eth9\" does not exist"). Errors are values: nothing that runs on the loop throws, and a C callback never
// lets an exception out. Exceptions are for start-up only (a settings value that cannot be used, a loop that
// cannot be created): main catches them and exits with the message.
//
// [[nodiscard]] on both, so an ignored failure is a compiler warning (an error under the dev preset).
// Pure values; any thread.
#include <string>
#include <utility>
#include <variant>

namespace netstab::core {

struct error {
  std::string message;
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor): a value is a success
  result(error e) : v_(std::move(e)) {}      // NOLINT(google-explicit-constructor): so is an error a failure

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The error's sentence; empty when ok().
  const std::string& message() const {
    static const std::string none;
    return ok() ? none : std::get<1>(v_).message;
  }

 private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error e) : message_(std::move(e.message)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
  bool ok_ = true;
};

// Spelled out where a success is returned from a function returning result<void>.
inline result<void> success() { return {}; }

}  // namespace netstab::core

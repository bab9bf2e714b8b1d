#pragma once
// A token bucket: at most `per_minute` events a minute on average, with bursts of up to `per_minute` (a full
// bucket). The controller uses it for control.commands_per_minute. It starts full. Time is passed in.
//
// Pure value; one owner.
#include <algorithm>
#include <cstdint>

#include "core/time.hpp"

namespace netstab::core {

class token_bucket {
 public:
  token_bucket(std::uint32_t per_minute, mono_time now)
      : capacity_(per_minute), tokens_(per_minute), per_ns_(per_minute / 60e9), last_(now) {}

  // Takes one token if there is one; false (and nothing taken) when the bucket is empty.
  bool take(mono_time now) {
    if (now > last_) {
      tokens_ = std::min<double>(capacity_, tokens_ + per_ns_ * static_cast<double>((now - last_).count()));
      last_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  std::uint32_t per_minute() const { return capacity_; }

 private:
  std::uint32_t capacity_;
  double tokens_;
  double per_ns_;
  mono_time last_;
};

}  // namespace netstab::core

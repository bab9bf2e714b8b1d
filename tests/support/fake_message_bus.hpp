#pragma once
// A message_bus for unit tests: records what was published and lets the test
// switch "connected" on and off. Single-threaded, like the loop it stands for.
#include <string_view>
#include <vector>

#include "core/message_bus.hpp"

namespace netstab::test {

class fake_message_bus final : public core::message_bus {
 public:
  void publish(core::outgoing_message m) override { published.push_back(std::move(m)); }
  bool connected() const override { return connected_; }
  void set_connected(bool c) { connected_ = c; }

  // Messages published on `topic`, in order.
  std::vector<core::outgoing_message> on_topic(std::string_view topic) const {
    std::vector<core::outgoing_message> out;
    for (const auto& m : published) {
      if (m.topic == topic) out.push_back(m);
    }
    return out;
  }
  void clear() { published.clear(); }

  std::vector<core::outgoing_message> published;

 private:
  bool connected_ = true;
};

}  // namespace netstab::test

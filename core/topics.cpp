#include "core/topics.hpp"

namespace netstab::core {

namespace {

bool slug_safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

std::string slug(std::string_view target) {
  if (target.empty()) {
    return "_";
  }
  std::string out(target);
  for (char& c : out) {
    if (!slug_safe(c)) {
      c = '_';
    }
  }
  return out;
}

std::string window_name(nanos window) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(window).count();
  if (secs > 0 && secs % 3600 == 0) {
    return std::to_string(secs / 3600) + "h";
  }
  if (secs > 0 && secs % 60 == 0) {
    return std::to_string(secs / 60) + "m";
  }
  return std::to_string(secs < 0 ? 0 : secs) + "s";
}

topic_builder::topic_builder(std::string_view base, std::string_view agent) {
  prefix_.reserve(base.size() + agent.size() + 1);
  prefix_.append(base);
  prefix_.push_back('/');
  prefix_.append(agent);
}

std::string topic_builder::availability() const { return prefix_ + "/availability"; }
std::string topic_builder::state() const { return prefix_ + "/state"; }
std::string topic_builder::events() const { return prefix_ + "/events"; }
std::string topic_builder::digest() const { return prefix_ + "/digest"; }
std::string topic_builder::digest(std::size_t part) const { return prefix_ + "/digest/" + std::to_string(part); }
std::string topic_builder::command() const { return prefix_ + "/cmd"; }
std::string topic_builder::command_reply() const { return prefix_ + "/cmd/reply"; }

std::string topic_builder::target_base(std::string_view target_slug) const {
  std::string out;
  out.reserve(prefix_.size() + 9 + target_slug.size());
  out.append(prefix_).append("/targets/").append(target_slug);
  return out;
}

std::string topic_builder::sample(std::string_view target_slug) const { return target_base(target_slug) + "/sample"; }
std::string topic_builder::stats(std::string_view target_slug) const { return target_base(target_slug) + "/stats"; }
std::string topic_builder::stats(std::string_view target_slug, nanos window) const {
  return target_base(target_slug) + "/stats/" + window_name(window);
}
std::string topic_builder::incidents(std::string_view target_slug) const {
  return target_base(target_slug) + "/incidents";
}

std::string topic_builder::path(std::string_view target_slug) const { return target_base(target_slug) + "/path"; }

}  // namespace netstab::core

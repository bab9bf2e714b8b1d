#include "core/incidents.hpp"

#include <algorithm>

namespace netstab::core {

incident incident_log::open(wall_time start, std::string reason, std::uint64_t probes_lost_so_far) {
  if (!log_) {
    log_ = std::make_unique<std::deque<incident>>();
  }
  const std::size_t keep = std::max<std::size_t>(max_, 1);
  while (log_->size() >= keep) {
    log_->pop_front();
  }
  incident& inc = log_->emplace_back();
  inc.id = next_id_++;
  inc.start = start;
  inc.probes_lost = probes_lost_so_far;
  inc.worst = health::bad;
  inc.reason = std::move(reason);
  open_ = true;
  return inc;
}

void incident_log::on_lost() {
  if (open_) {
    ++log_->back().probes_lost;
  }
}

void incident_log::touch(wall_time now) {
  if (open_) {
    incident& inc = log_->back();
    inc.duration = std::max(nanos{0}, now - inc.start);
  }
}

incident incident_log::close(wall_time end) {
  incident& inc = log_->back();
  inc.end = end;
  inc.duration = std::max(nanos{0}, end - inc.start);
  open_ = false;
  incident closed = inc;
  if (max_ == 0) {
    log_->pop_back();
  }
  return closed;
}

const std::deque<incident>& incident_log::incidents() const {
  // Immutable and shared by every log that has not had an incident yet.
  static const std::deque<incident> none;
  return log_ ? *log_ : none;
}

std::size_t incident_log::heap_bytes() const {
  if (!log_) {
    return 0;
  }
  // libstdc++'s deque: a map of at least 8 node pointers and 512-byte nodes,
  // one node even when empty.
  constexpr std::size_t per_node = sizeof(incident) < 512 ? 512 / sizeof(incident) : 1;
  const std::size_t nodes = log_->size() / per_node + 1;
  std::size_t n = sizeof(std::deque<incident>) + std::max<std::size_t>(8, nodes + 2) * sizeof(void*) +
                  nodes * per_node * sizeof(incident);
  for (const incident& inc : *log_) {
    n += inc.reason.capacity() > 15 ? inc.reason.capacity() + 1 : 0;
  }
  return n;
}

}  // namespace netstab::core

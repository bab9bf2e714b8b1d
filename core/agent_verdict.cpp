#include "core/agent_verdict.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "core/verdict_text.hpp"

namespace netstab::core {
namespace {

constexpr std::size_t max_names = 5;  // targets named in a context before "and N more"

bool is_ok(const fault& f) { return f.where == segment::ok; }

// What a fault can share with another; nullopt: nothing (remote, unknown).
struct share_key {
  segment where = segment::ok;
  std::optional<ip_address> address;
  friend bool operator==(const share_key&, const share_key&) = default;
};

std::optional<share_key> key_of(const fault& f) {
  switch (f.where) {
    case segment::host:
    case segment::upstream:
      return share_key{f.where, std::nullopt};
    case segment::lan:
    case segment::isp:
      return share_key{f.where, f.address};
    default:
      return std::nullopt;
  }
}

struct group {
  share_key key;
  std::vector<const target_fault*> members;
};

std::vector<group> group_faults(std::span<const target_fault* const> degraded) {
  std::vector<group> groups;
  for (const target_fault* t : degraded) {
    const std::optional<share_key> k = key_of(*t->f);
    if (!k) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const group& g) { return g.key == *k; });
    if (it == groups.end()) it = groups.insert(groups.end(), group{*k, {}});
    it->members.push_back(t);
  }
  return groups;
}

// The largest group; a tie goes to the segment nearer the agent.
const group* best_group(const std::vector<group>& groups) {
  const group* best = nullptr;
  for (const group& g : groups) {
    if (!best || g.members.size() > best->members.size() ||
        (g.members.size() == best->members.size() && g.key.where < best->key.where)) {
      best = &g;
    }
  }
  return best;
}

std::string count_of(std::size_t k, std::size_t n) {
  return std::to_string(k) + " of " + std::to_string(n) + (n == 1 ? " target" : " targets");
}

std::string names(std::span<const target_fault* const> members) {
  std::string out;
  for (std::size_t i = 0; i < members.size() && i < max_names; ++i) {
    if (i > 0) out.append(", ");
    out.append(members[i]->target);
  }
  if (members.size() > max_names) out.append(" and " + std::to_string(members.size() - max_names) + " more");
  return out;
}

// Fields the whole group agrees on; level, value and since at the group's worst and earliest.
fault merge(const group& g) {
  const fault& first = *g.members.front()->f;
  fault f;
  f.where = g.key.where;
  f.metric = first.metric;
  f.hop = first.hop;
  f.address = first.address;
  for (const target_fault* t : g.members) {
    const fault& m = *t->f;
    if (m.metric != f.metric) f.metric = std::max(f.metric, m.metric);
    if (m.hop != f.hop) f.hop.reset();
    if (m.address != f.address) f.address.reset();
    f.level = std::max(f.level, m.level);
    f.value = std::max(f.value, m.value);
    if (m.since && (!f.since || *m.since < *f.since)) f.since = m.since;
  }
  return f;
}

std::string_view verb(const group& g) {
  const bool mixed = std::any_of(g.members.begin(), g.members.end(),
                                 [&](const target_fault* t) { return t->f->metric != g.members.front()->f->metric; });
  if (mixed) return "degrade";
  switch (g.members.front()->f->metric) {
    case fault_metric::loss:
      return "lose packets";
    case fault_metric::latency:
      return "gain latency";
    default:
      return "degrade";
  }
}

std::string location(const fault& f) {
  const std::string label(segment_label(f.where));
  if (f.hop && f.address) return " from hop " + std::to_string(*f.hop) + " (" + f.address->text() + ", " + label + ")";
  if (f.address) return " from " + f.address->text() + " (" + label + ")";
  return " in the " + label + " segment";
}

fault shared_fault(const group& g, std::size_t total) {
  fault f = merge(g);
  const std::string who = count_of(g.members.size(), total);
  if (f.where == segment::host) {
    f.headline = who + ": host slow, process latency above rtt by up to " + text_fixed1(f.value) + " ms";
  } else {
    f.headline = who + " " + std::string(verb(g)) + location(f);
  }
  f.context = names(g.members);
  return f;
}

std::string place_of(const fault& f) {
  std::string out(segment_label(f.where));
  if (f.hop) out += " hop " + std::to_string(*f.hop);
  return out;
}

fault scattered_fault(std::span<const target_fault* const> degraded, std::size_t total) {
  fault f;
  f.where = segment::unknown;
  f.metric = fault_metric::none;
  for (const target_fault* t : degraded) {
    f.metric = std::max(f.metric, t->f->metric);
    f.level = std::max(f.level, t->f->level);
    if (t->f->since && (!f.since || *t->f->since < *f.since)) f.since = t->f->since;
  }
  f.headline = count_of(degraded.size(), total) + " degraded in different places";
  for (std::size_t i = 0; i < degraded.size() && i < max_names; ++i) {
    if (i > 0) f.context.append(", ");
    f.context.append(std::string(degraded[i]->target) + " (" + place_of(*degraded[i]->f) + ")");
  }
  if (degraded.size() > max_names) f.context.append(" and " + std::to_string(degraded.size() - max_names) + " more");
  return f;
}

fault lone_fault(const target_fault& t, std::size_t total) {
  fault f;
  f.headline = "ok";
  f.context =
      count_of(1, total) + " degraded: " + std::string(t.target) + " (" + t.f->headline + "); the others are fine";
  return f;
}

}  // namespace

fault agent_verdict(std::span<const target_fault> targets) {
  if (targets.size() == 1) return *targets.front().f;
  return agent_verdict(targets, targets.size());
}

fault agent_verdict(std::span<const target_fault> some, std::size_t total) {
  if (total == 1 && some.size() == 1) return *some.front().f;
  std::vector<const target_fault*> degraded;
  for (const target_fault& t : some) {
    if (!is_ok(*t.f)) degraded.push_back(&t);
  }
  fault f;
  if (degraded.empty()) {
    f.headline = "ok";
  } else if (degraded.size() == 1) {
    f = lone_fault(*degraded.front(), total);
  } else {
    const std::vector<group> groups = group_faults(degraded);
    const group* g = best_group(groups);
    f = g && g->members.size() >= 2 ? shared_fault(*g, total) : scattered_fault(degraded, total);
  }
  f.reason = f.headline;
  append_part(f.reason, f.context);
  return f;
}

}  // namespace netstab::core

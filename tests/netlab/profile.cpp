#include "tests/netlab/profile.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace netstab::netlab {

namespace {

double parse_number(std::string_view text, std::string_view what) {
  double v = 0.0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc{} || ptr != end || !std::isfinite(v) || v < 0.0) {
    throw std::invalid_argument(std::string(what) + ": not a non-negative number: '" + std::string(text) + "'");
  }
  return v;
}

std::uint64_t parse_count(std::string_view text, std::string_view what) {
  std::uint64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc{} || ptr != end) {
    throw std::invalid_argument(std::string(what) + ": not a count: '" + std::string(text) + "'");
  }
  return v;
}

nanos from_ms(double ms) { return nanos(static_cast<std::int64_t>(std::llround(ms * 1e6))); }

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) {
      return parts;
    }
    start = pos + 1;
  }
}

action parse_action(std::string_view item) {
  if (item == "ok") {
    return {action_kind::reply, {}};
  }
  if (item == "loss") {
    return {action_kind::loss, {}};
  }
  if (item == "dup") {
    return {action_kind::duplicate, {}};
  }
  if (item == "unreach") {
    return {action_kind::unreachable, {}};
  }
  if (item.starts_with("late:")) {
    return {action_kind::late, from_ms(parse_number(item.substr(5), "late"))};
  }
  throw std::invalid_argument("unknown action '" + std::string(item) + "' (ok, loss, dup, late:MS, unreach)");
}

// Splits "I=X,J=Y" into (index, text) pairs.
std::vector<std::pair<std::uint64_t, std::string_view>> parse_indexed(std::string_view text, std::string_view what) {
  std::vector<std::pair<std::uint64_t, std::string_view>> out;
  for (const std::string_view item : split(text, ',')) {
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument(std::string(what) + ": expected INDEX=VALUE, got '" + std::string(item) + "'");
    }
    out.emplace_back(parse_count(item.substr(0, eq), what), item.substr(eq + 1));
  }
  return out;
}

}  // namespace

std::vector<action> parse_pattern(std::string_view text) {
  std::vector<action> out;
  for (const std::string_view item : split(text, ',')) {
    if (item == "ok") {
      out.push_back({action_kind::reply, {}});
    } else if (item == "loss") {
      out.push_back({action_kind::loss, {}});
    } else if (item == "dup") {
      out.push_back({action_kind::duplicate, {}});
    } else if (item == "unreach") {
      out.push_back({action_kind::unreachable, {}});
    } else if (item.starts_with("late:")) {
      out.push_back({action_kind::late, from_ms(parse_number(item.substr(5), "--pattern late"))});
    } else {
      throw std::invalid_argument("--pattern: unknown entry '" + std::string(item) +
                                  "' (ok, loss, dup, late:MS, unreach)");
    }
  }
  return out;
}

delay_spec parse_delay(std::string_view text) {
  const auto parts = split(text, ':');
  delay_spec d;
  if (parts[0] == "fixed" && parts.size() == 2) {
    d.shape = delay_shape::fixed;
    d.a_ms = parse_number(parts[1], "--delay fixed");
  } else if (parts[0] == "uniform" && parts.size() == 3) {
    d.shape = delay_shape::uniform;
    d.a_ms = parse_number(parts[1], "--delay uniform");
    d.b_ms = parse_number(parts[2], "--delay uniform");
    if (d.b_ms < d.a_ms) {
      throw std::invalid_argument("--delay uniform:A:B needs A <= B");
    }
  } else if (parts[0] == "normal" && parts.size() == 3) {
    d.shape = delay_shape::normal;
    d.a_ms = parse_number(parts[1], "--delay normal");
    d.b_ms = parse_number(parts[2], "--delay normal");
  } else if (parts[0] == "cycle" && parts.size() >= 2) {
    d.shape = delay_shape::cycle;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      d.cycle_ms.push_back(parse_number(parts[i], "--delay cycle"));
    }
  } else {
    throw std::invalid_argument("--delay: expected fixed:MS, uniform:A:B, normal:MEAN:SD or cycle:MS:MS..., got '" +
                                std::string(text) + "'");
  }
  return d;
}

profile parse_profile(std::span<const std::string_view> args) {
  profile p;
  auto value = [&](std::size_t& i) -> std::string_view {
    if (i + 1 >= args.size()) {
      throw std::invalid_argument(std::string(args[i]) + ": missing value");
    }
    return args[++i];
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--tun") {
      p.tun = std::string(value(i));
    } else if (a == "--host") {
      const std::string text(value(i));
      const auto parsed = parse_address(text);
      if (!parsed) {
        throw std::invalid_argument("--host: not an IPv4 or IPv6 address: '" + text + "'");
      }
      p.hosts.push_back(*parsed);
    } else if (a == "--delay") {
      p.delay = parse_delay(value(i));
    } else if (a == "--seed") {
      p.seed = parse_count(value(i), "--seed");
    } else if (a == "--pattern") {
      p.pattern = parse_pattern(value(i));
    } else if (a == "--loss-every") {
      p.loss_every = static_cast<std::uint32_t>(parse_count(value(i), "--loss-every"));
    } else if (a == "--dup-gap") {
      p.dup_gap = from_ms(parse_number(value(i), "--dup-gap"));
    } else if (a == "--index") {
      const std::string_view v = value(i);
      if (v != "arrival" && v != "seq") {
        throw std::invalid_argument("--index: expected arrival or seq");
      }
      p.index_by_seq = v == "seq";
    } else if (a == "--spin-us") {
      p.spin = std::chrono::microseconds(parse_count(value(i), "--spin-us"));
    } else if (a == "--timing") {
      const std::string_view v = value(i);
      if (v != "tap" && v != "read") {
        throw std::invalid_argument("--timing: expected tap or read");
      }
      p.tap_timestamps = v == "tap";
    } else if (a == "--flood") {
      p.flood = static_cast<std::uint32_t>(parse_count(value(i), "--flood"));
    } else if (a == "--realtime") {
      p.realtime = true;
    } else if (a == "--summary") {
      const std::string_view v = value(i);
      if (v != "full" && v != "counts") {
        throw std::invalid_argument("--summary: expected full or counts");
      }
      p.summary_per_request = v == "full";
    } else if (a == "--at") {
      for (const auto& [index, text] : parse_indexed(value(i), "--at")) {
        try {
          p.at[index] = parse_action(text);
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument(std::string("--at: ") + e.what());
        }
      }
    } else if (a == "--replay") {
      for (const auto& [index, text] : parse_indexed(value(i), "--replay")) {
        const std::uint64_t lag = parse_count(text, "--replay");
        if (lag == 0 || lag > index) {
          throw std::invalid_argument("--replay: the lag must be 1 .. INDEX, got " + std::to_string(index) + "=" +
                                      std::string(text));
        }
        p.replay[index] = index - lag;
      }
    } else {
      throw std::invalid_argument("unknown argument '" + std::string(a) + "'");
    }
  }
  if (p.hosts.empty()) {
    p.hosts.push_back(*parse_address("198.18.0.2"));
    p.hosts.push_back(*parse_address("2001:2::2"));
  }
  if (p.tun.empty() || p.tun.size() > 15) {
    throw std::invalid_argument("--tun: the name must have 1 to 15 characters");
  }
  return p;
}

action action_for(const profile& p, std::uint64_t index) {
  if (const auto it = p.at.find(index); it != p.at.end()) {
    return it->second;
  }
  if (p.loss_every > 0 && index % p.loss_every == p.loss_every - 1) {
    return {action_kind::loss, {}};
  }
  if (p.pattern.empty()) {
    return {action_kind::reply, {}};
  }
  return p.pattern[index % p.pattern.size()];
}

nanos delay_source::next() {
  switch (spec_.shape) {
    case delay_shape::fixed:
      return from_ms(spec_.a_ms);
    case delay_shape::uniform: {
      std::uniform_real_distribution<double> dist(spec_.a_ms, spec_.b_ms);
      return from_ms(dist(engine_));
    }
    case delay_shape::normal: {
      std::normal_distribution<double> dist(spec_.a_ms, spec_.b_ms);
      const double v = dist(engine_);
      return from_ms(v < 0.0 ? 0.0 : v);
    }
    case delay_shape::cycle: {
      const double v = spec_.cycle_ms[next_in_cycle_];
      next_in_cycle_ = (next_in_cycle_ + 1) % spec_.cycle_ms.size();
      return from_ms(v);
    }
  }
  return nanos{0};
}

}  // namespace netstab::netlab

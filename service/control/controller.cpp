#include "service/control/controller.hpp"

#include <spdlog/spdlog.h>

#include <type_traits>
#include <vector>

namespace netstab::service {

controller::controller(uv_loop_t* loop, prober& p, mqtt_sink& sink, core::message_bus& bus,
                       const core::topic_builder& topics, const core::clock& clk, controller_options opt)
    : prober_(p),
      sink_(sink),
      bus_(bus),
      topics_(topics),
      clock_(clk),
      opt_(std::move(opt)),
      policy_(opt_.access),
      rate_(opt_.commands_per_minute, clk.now()),
      started_at_(clk.wall_now()),
      later_(loop, [](std::function<void()>& f) { f(); }),
      resolver_(loop),
      resolve_timer_(loop) {
  // Replies waiting for the history reader must not alone keep a stopping process alive.
  later_.keep_loop_alive(false);
}

void controller::reply(const core::incoming_message& m, const core::parsed_command& pc, bool ok, std::string_view error,
                       const nlohmann::json& extra) {
  core::outgoing_message out;
  out.payload = core::reply_json(pc.id, ok, pc.name, error, extra);
  out.qos = opt_.qos;
  if (!m.response_topic.empty()) {
    out.topic = m.response_topic;
    out.correlation_data = m.correlation_data;
  } else {
    out.topic = topics_.command_reply();
  }
  if (!ok) spdlog::warn("command refused: {}", error);
  bus_.publish(std::move(out));
}

void controller::on_message(const core::incoming_message& m) {
  if (closed_) return;
  // Rate limit first: a flood of commands costs one token check each.
  const bool allowed = rate_.take(clock_.now());
  core::parsed_command pc = core::parse_command(m.payload, opt_.limits);
  if (!allowed) {
    reply(m, pc, false, "rate limit: more than " + std::to_string(rate_.per_minute()) + " commands per minute");
    return;
  }
  if (!pc.ok()) {
    reply(m, pc, false, pc.error);
    return;
  }
  if (waiting() >= max_waiting_commands) {
    reply(m, pc, false,
          "limit reached: " + std::to_string(waiting()) +
              " commands are already waiting for a host name to resolve; try again later");
    return;
  }
  queue_.push_back(queued_command{m, std::move(pc)});
  run_queue();
}

void controller::close() {
  if (closed_) return;
  closed_ = true;
  if (lookup_id_ != 0) resolver_.cancel(lookup_id_);
  lookup_id_ = 0;
  resolving_.reset();
  queue_.clear();
  resolver_.close();
  resolve_timer_.close();
  later_.close();
}

void controller::run_queue() {
  // A resolution that fails at once finishes inside execute(), which calls back here: the outer loop carries on.
  if (draining_) return;
  draining_ = true;
  while (!queue_.empty() && !resolving_ && !closed_) {
    queued_command q = std::move(queue_.front());
    queue_.pop_front();
    execute(std::move(q));
  }
  draining_ = false;
}

core::result<void> controller::precheck(const core::target_request& rq, bool replace) const {
  const core::target_spec spec = rq.apply(opt_.defaults);
  if (auto r = policy_.check_host(rq.target, spec.literal); !r) return r;
  const bool exists = prober_.find(rq.target) != nullptr;
  const std::size_t after = replace ? 1 : prober_.target_count() + (exists ? 0 : 1);
  if (after > opt_.max_targets) {
    return core::error{"limit reached: at most " + std::to_string(opt_.max_targets) + " targets"};
  }
  if (auto e = core::below_min_interval(spec.probe.interval, opt_.limits.min_interval_ms)) return core::error{*e};
  if (!replace && exists) return core::error{"target \"" + rq.target + "\" is already monitored"};
  return prober_.check_target(spec);
}

core::result<void> controller::apply_target(const core::target_request& rq, bool replace) {
  const core::target_spec spec = rq.apply(opt_.defaults);
  if (!replace) return prober_.add_target(spec);
  if (auto r = replace_targets(spec); !r) return r;
  return prober_.start();
}

// A set_target removes every other target, whose retained topics are cleared. The target it names stays when it
// is monitored already: with the same settings as it is (its statistics and incidents go on); with other settings
// it is removed and added again, and its retained topics are not cleared (they would flash empty in between): the
// new instance's statistics replace them at its first probe, and its incidents (none yet) are published at once so
// that the old instance's do not linger. precheck() has run, so adding cannot fail but for a vanished interface.
core::result<void> controller::replace_targets(const core::target_spec& spec) {
  std::vector<std::string> others;
  for (const target_view* t : prober_.targets()) {
    if (t->spec().host != spec.host) others.push_back(t->spec().host);
  }
  prober_.remove_targets(others);
  const target_view* same = prober_.find(spec.host);
  if (same != nullptr && same->spec().probe == spec.probe) return core::success();
  const bool replacing = same != nullptr;
  if (replacing) {
    sink_.keep_retained_of(spec.host);
    prober_.remove_target(spec.host);
    sink_.keep_retained_of("");
  }
  if (auto r = prober_.add_target(spec); !r) return r;
  if (replacing) sink_.publish_incidents(*prober_.find(spec.host));
  return core::success();
}

void controller::publish_event(core::event_type type) {
  core::event e;
  e.type = type;
  e.ts = clock_.wall_now();
  sink_.publish_event(e);
}

controller::outcome controller::run_target(const core::target_request& rq, bool replace) {
  outcome o;
  o.extra["target"] = rq.target;
  o.replace = replace;
  if (auto r = precheck(rq, replace); !r) {
    o.error = r.message();
  } else if (rq.apply(opt_.defaults).literal) {
    o.error = apply_target(rq, replace).message();
  } else {
    o.lookup = rq;
  }
  return o;
}

controller::outcome controller::run(const core::command& c) {
  return std::visit(
      [this](const auto& cmd) -> outcome {
        using T = std::decay_t<decltype(cmd)>;
        outcome o;
        if constexpr (std::is_same_v<T, core::start_command>) {
          o.error = prober_.start().message();
          if (o.error.empty()) publish_event(core::event_type::started);
        } else if constexpr (std::is_same_v<T, core::stop_command>) {
          if (prober_.running()) {
            prober_.stop();
            publish_event(core::event_type::stopped);
          }
        } else if constexpr (std::is_same_v<T, core::status_command>) {
          publish_all();
        } else if constexpr (std::is_same_v<T, core::set_target_command>) {
          o = run_target(cmd.request, true);
        } else if constexpr (std::is_same_v<T, core::add_target_command>) {
          o = run_target(cmd.request, false);
        } else if constexpr (std::is_same_v<T, core::remove_target_command>) {
          if (!prober_.remove_target(cmd.target)) o.error = "target not found: \"" + cmd.target + "\"";
          o.extra["target"] = cmd.target;
        } else if constexpr (std::is_same_v<T, core::set_interval_command>) {
          // parse_command held the interval to the floor already.
          if (!prober_.set_interval(cmd.target, cmd.interval)) o.error = "target not found: \"" + cmd.target + "\"";
          o.extra["target"] = cmd.target;
        }
        return o;
      },
      c);
}

void controller::execute(queued_command q) {
  spdlog::info("command: {}", q.msg.payload.size() > 200 ? q.msg.payload.substr(0, 200) + "..." : q.msg.payload);
  if (std::holds_alternative<core::history_command>(*q.pc.cmd) ||
      std::holds_alternative<core::history_targets_command>(*q.pc.cmd)) {
    run_history(q);
    return;
  }
  outcome o = run(*q.pc.cmd);
  if (!o.lookup) {
    finish(q, o.error, std::move(o.extra));
    return;
  }
  start_lookup(std::move(q), *o.lookup);
}

// A host name is resolved before anything changes; the command waits in resolving_ meanwhile.
void controller::start_lookup(queued_command q, const core::target_request& rq) {
  resolving_ = std::move(q);
  const std::uint64_t id =
      resolver_.resolve(rq.target, rq.apply(opt_.defaults).probe.family, [this](resolver::answer a) {
        lookup_id_ = 0;
        on_resolved(std::move(a));
      });
  if (id == 0) return;  // could not start: on_resolved has answered already
  lookup_id_ = id;
  // getaddrinfo may wait long for a DNS server that doesn't answer; the reply must not.
  resolve_timer_.start(static_cast<std::uint64_t>(std::chrono::milliseconds(resolve_timeout).count()), [this] {
    if (lookup_id_ != 0) resolver_.cancel(lookup_id_);
    lookup_id_ = 0;
    on_resolved(
        core::error{"no answer from the name resolver within " + std::to_string(resolve_timeout.count()) + " s"});
  });
}

void controller::on_resolved(resolver::answer a) {
  if (!resolving_) return;
  resolve_timer_.stop();
  const queued_command q = std::move(*resolving_);
  resolving_.reset();
  const bool replace = std::holds_alternative<core::set_target_command>(*q.pc.cmd);
  const auto& rq = replace ? std::get<core::set_target_command>(*q.pc.cmd).request
                           : std::get<core::add_target_command>(*q.pc.cmd).request;
  nlohmann::json extra = nlohmann::json::object();
  extra["target"] = rq.target;
  std::string err;
  if (!a) {
    err = "unresolvable target '" + rq.target + "': " + (a.message().empty() ? "no address" : a.message());
  } else {
    // The prober takes the first address; so does the check.
    const core::ip_address& address = a->front();
    extra["address"] = address.text();
    auto r = policy_.check_resolved(rq.target, address);
    if (r) r = precheck(rq, replace);  // nothing else ran meanwhile; cheap to confirm
    if (r) r = apply_target(rq, replace);
    err = r.message();
  }
  finish(q, err, std::move(extra));
  run_queue();
}

void controller::finish(const queued_command& q, const std::string& error, nlohmann::json extra) {
  extra["running"] = prober_.running();
  reply(q.msg, q.pc, error.empty(), error, extra);
  publish_state();
}

void controller::run_history(const queued_command& q) {
  if (history_ == nullptr) {
    reply(q.msg, q.pc, false, "history is off (history.enabled = false, or stdout mode)");
    return;
  }
  // The reader answers on its own thread; the answer comes back to the loop through later_.
  auto answer = [this, q, poster = later_.make_poster()](core::result<nlohmann::json> body) {
    poster.post([this, q, body = std::move(body)] {
      if (body) {
        reply(q.msg, q.pc, true, {}, *body);
      } else {
        reply(q.msg, q.pc, false, body.message());
      }
    });
  };
  bool queued = false;
  if (const auto* h = std::get_if<core::history_command>(&*q.pc.cmd)) {
    auto req = core::make_history_request(h->target, h->from, h->to, h->step, clock_.wall_now());
    if (!req) {
      reply(q.msg, q.pc, false, req.message());
      return;
    }
    queued = history_->query(std::move(*req), [answer](core::result<core::history_reply> r) {
      answer(r ? core::result<nlohmann::json>(core::to_json(*r))
               : core::result<nlohmann::json>(core::error{r.message()}));
    });
  } else {
    queued = history_->targets([answer](core::result<std::vector<core::history_target>> r) {
      answer(r ? core::result<nlohmann::json>(core::to_json(*r))
               : core::result<nlohmann::json>(core::error{r.message()}));
    });
  }
  if (!queued) reply(q.msg, q.pc, false, "busy: too many history requests are waiting; try again later");
}

void controller::publish_state() {
  core::agent_state st;
  st.agent = opt_.agent;
  st.version = opt_.version;
  st.started_at = started_at_;
  st.running = prober_.running();
  for (const target_view* t : prober_.targets()) {
    st.targets.push_back(core::state_target{t->spec().host, t->address(), t->spec().probe, t->path_on()});
  }
  st.agent_fault = prober_.agent_fault();
  st.path = prober_.path_summary();
  if (counters_) counters_(st);
  bus_.publish(core::outgoing_message{topics_.state(), core::state_json(st), opt_.qos, true, {}});
}

void controller::publish_all() {
  publish_state();
  for (const target_view* t : prober_.targets()) {
    sink_.republish_stats(*t);
    sink_.republish_incidents(*t);
  }
}

}  // namespace netstab::service

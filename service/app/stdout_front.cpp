// Stdout mode: the prober reports to the stdout sink; the summary is printed at the end. The lines of a loop
// turn are written together in the turn's prepare phase, right before the loop waits.
#include <cstdio>

#include "service/app/fronts.hpp"
#include "service/loop/uv.hpp"
#include "service/publish/stdout_sink.hpp"

namespace netstab::service {

namespace {

class stdout_front final : public front_end {
 public:
  stdout_front(uv_loop_t* loop, const core::clock& clk, const config::settings& s)
      : sink_(stdout, s.output.json, clk), turn_end_(loop) {
    sink_.set_on_finished([this] {
      if (on_finished) on_finished();
    });
    turn_end_.start([this] { sink_.flush(); });
  }

  probe_sink& sink() override { return sink_; }
  void attach(prober&) override {}
  void fail(const std::string& message) override {
    failed_ = true;
    sink_.flush();  // what was printed before the error comes first
    std::fprintf(stderr, "netstab: %s\n", message.c_str());
  }
  void reloaded(const core::result<std::string>&, bool) override {}
  void stop(prober& p, std::function<void()> done) override {
    if (!failed_) sink_.print_summary(p.targets(), p.targets().size() > 1 ? &p.agent_fault() : nullptr);
    sink_.flush();
    turn_end_.close();
    done();
  }
  // 1 when no probe could be sent at all (every send failed).
  int exit_code(const prober& p) const override {
    if (failed_) return 1;
    return p.counters().sent != 0 && p.counters().send_errors == p.counters().sent ? 1 : 0;
  }

 private:
  stdout_sink sink_;
  prepare turn_end_;  // flushes the sink once per loop turn
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<front_end> make_stdout_front(uv_loop_t* loop, const core::clock& clk, const config::settings& s) {
  return std::make_unique<stdout_front>(loop, clk, s);
}

}  // namespace netstab::service

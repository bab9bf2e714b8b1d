// Stdout mode: the prober reports to the stdout sink; the summary is printed at the end.
#include <cstdio>

#include "service/app/fronts.hpp"
#include "service/publish/stdout_sink.hpp"

namespace netstab::service {

namespace {

class stdout_front final : public front_end {
 public:
  stdout_front(const core::clock& clk, const config::settings& s) : sink_(stdout, s.output.json, clk) {
    sink_.set_on_finished([this] {
      if (on_finished) on_finished();
    });
  }

  probe_sink& sink() override { return sink_; }
  void attach(prober&) override {}
  void fail(const std::string& message) override {
    failed_ = true;
    std::fprintf(stderr, "netstab: %s\n", message.c_str());
  }
  void reloaded(const core::result<std::string>&, bool) override {}
  void stop(prober& p, std::function<void()> done) override {
    if (!failed_) sink_.print_summary(p.targets(), p.targets().size() > 1 ? &p.agent_fault() : nullptr);
    done();
  }
  // 1 when no probe could be sent at all (every send failed).
  int exit_code(const prober& p) const override {
    if (failed_) return 1;
    return p.counters().sent != 0 && p.counters().send_errors == p.counters().sent ? 1 : 0;
  }

 private:
  stdout_sink sink_;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<front_end> make_stdout_front(const core::clock& clk, const config::settings& s) {
  return std::make_unique<stdout_front>(clk, s);
}

}  // namespace netstab::service

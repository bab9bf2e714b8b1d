#include "service/history/writer.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "service/history/files.hpp"

namespace netstab::service::history {

std::string_view to_string(history_report::kind k) {
  switch (k) {
    case history_report::kind::opened:
      return "opened";
    case history_report::kind::disabled:
      return "disabled";
    case history_report::kind::recovered:
      return "recovered";
    case history_report::kind::paused:
      return "paused";
    case history_report::kind::resumed:
      return "resumed";
    case history_report::kind::write_failed:
      return "write_failed";
    case history_report::kind::stopped:
      return "stopped";
  }
  return "?";
}

writer::writer(writer_options opt, const core::clock& clock, std::function<void(history_report)> report)
    : opt_(std::move(opt)), clock_(clock), report_(std::move(report)) {
  counters_.path = opt_.store.path;
  thread_ = std::thread([this] { run(); });
}

writer::~writer() { stop(); }

bool writer::submit(core::history_batch&& b) {
  {
    std::lock_guard lock(mu_);
    const std::size_t rows = b.rows();
    if (stopping_ || counters_.queued_rows + rows > opt_.max_queued_rows) {
      ++counters_.batches_dropped;
      counters_.rows_dropped += rows;
      return false;
    }
    counters_.queued_rows += rows;
    queue_.push_back(std::move(b));
  }
  cv_.notify_one();
  return true;
}

void writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

history_counters writer::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void writer::report(history_report::kind k, std::string message) {
  if (report_) report_(history_report{k, std::move(message)});
}

void writer::drop(std::size_t rows) {
  std::lock_guard lock(mu_);
  ++counters_.batches_dropped;
  counters_.rows_dropped += rows;
}

void writer::open_store() {
  open_notes notes;
  auto s = store::open(opt_.store, clock_.wall_now(), notes);
  if (!notes.moved_aside.empty()) {
    const std::string msg = "history: " + opt_.store.path + " was damaged (" + notes.damage + "); moved it to " +
                            notes.moved_aside + " and started a new file";
    spdlog::warn("{}", msg);
    report(history_report::kind::recovered, msg);
  }
  if (!s) {
    spdlog::error("{}", s.message());
    {
      std::lock_guard lock(mu_);
      counters_.enabled = false;
      counters_.error = s.message();
    }
    report(history_report::kind::disabled, s.message());
    return;
  }
  store_ = std::move(*s);
  {
    std::lock_guard lock(mu_);
    counters_.enabled = true;
    counters_.error.clear();
  }
  const std::string msg = "history: " + std::string(notes.created ? "created " : "opened ") + opt_.store.path;
  spdlog::info("{}", msg);
  report(history_report::kind::opened, msg);
}

void writer::run() {
  open_store();
  next_retention_ = std::chrono::steady_clock::now() + opt_.retention_interval;
  for (;;) {
    // Retention runs when due even under a steady stream of batches.
    if (std::chrono::steady_clock::now() >= next_retention_) maintain();
    core::history_batch batch;
    bool have = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_retention_, [this] { return stopping_ || !queue_.empty(); });
      if (!queue_.empty()) {
        batch = std::move(queue_.front());
        queue_.pop_front();
        counters_.queued_rows -= batch.rows();
        have = true;
      } else if (stopping_) {
        break;
      }
    }
    if (have) handle(batch);
  }
  if (store_) {
    const auto st = store_->stop(clock_.wall_now());
    store_.reset();
    report(history_report::kind::stopped,
           st.ok() ? "history: closed " + opt_.store.path
                   : "history: closing " + opt_.store.path + " failed to record the stop: " + st.message);
  }
}

void writer::handle(core::history_batch& b) {
  const std::size_t rows = b.rows();
  if (!store_) {
    drop(rows);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  bool paused = false;
  {
    std::lock_guard lock(mu_);
    paused = counters_.paused;
  }
  if (paused && now < next_retry_) {
    drop(rows);
    return;
  }
  write_status st = store_->write(b);
  if (st.kind == failure::corrupt) {
    recover(st.message);
    st = store_ ? store_->write(b) : write_status{failure::other, "history is disabled"};
  }
  if (st.ok()) {
    on_written(rows, paused);
  } else {
    on_failed(st, now, paused);
    drop(rows);
  }
}

void writer::on_written(std::size_t rows, bool was_paused) {
  std::uint64_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    ++counters_.batches_written;
    counters_.rows_written += rows;
    if (was_paused) {
      counters_.paused = false;
      counters_.error.clear();
      dropped = counters_.rows_dropped - dropped_at_pause_;
    }
  }
  if (was_paused) {
    const std::string msg = "history: writing to " + opt_.store.path + " again; " + std::to_string(dropped) +
                            " rows were dropped while the disk was full";
    spdlog::info("{}", msg);
    report(history_report::kind::resumed, msg);
  }
  failing_ = false;
}

void writer::on_failed(const write_status& st, std::chrono::steady_clock::time_point now, bool was_paused) {
  if (st.kind != failure::disk_full) {
    if (!failing_) {
      failing_ = true;
      const std::string msg = "history: writing to " + opt_.store.path + " failed: " + st.message;
      spdlog::error("{}", msg);
      report(history_report::kind::write_failed, msg);
    }
    return;
  }
  next_retry_ = now + opt_.retry_interval;
  if (was_paused) return;
  const auto every = opt_.retry_interval.count();
  const std::string msg = "history: the disk holding " + opt_.store.path + " is full (" + st.message +
                          "); history is paused and tries again every " +
                          (every % 1000 == 0 ? std::to_string(every / 1000) + " s" : std::to_string(every) + " ms") +
                          " (free some space); probing goes on";
  {
    std::lock_guard lock(mu_);
    counters_.paused = true;
    counters_.error = msg;
    dropped_at_pause_ = counters_.rows_dropped;
  }
  spdlog::warn("{}", msg);
  report(history_report::kind::paused, msg);
}

void writer::recover(const std::string& why) {
  store_.reset();
  auto moved = move_aside(opt_.store.path, clock_.wall_now());
  if (moved) {
    const std::string msg =
        "history: " + opt_.store.path + " is damaged (" + why + "); moved it to " + *moved + " and started a new file";
    spdlog::warn("{}", msg);
    report(history_report::kind::recovered, msg);
  } else {
    spdlog::error("{}", moved.message());
  }
  open_store();
}

void writer::maintain() {
  const auto now = std::chrono::steady_clock::now();
  next_retention_ = now + opt_.retention_interval;
  if (!store_) return;
  {
    std::lock_guard lock(mu_);
    if (counters_.paused) return;
  }
  std::uint64_t deleted = 0;
  const write_status st = store_->retention_step(clock_.wall_now(), deleted);
  if (st.kind == failure::corrupt) {
    recover(st.message);
    return;
  }
  {
    std::lock_guard lock(mu_);
    counters_.retention_deleted += deleted;
  }
  // A full step means more has expired: take the next one soon, still between batches.
  if (deleted >= opt_.store.retention_batch) next_retention_ = now + std::chrono::milliseconds(50);
}

}  // namespace netstab::service::history

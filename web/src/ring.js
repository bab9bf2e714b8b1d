// Per-target chart history: a fixed-capacity ring of samples in typed arrays.
//
// Invariants: `start_` is the index of the oldest kept sample, `size_` how many are kept
// (0 <= size_ <= capacity); times are in epoch seconds and never decrease from oldest to newest
// (a sample older than the newest is dropped, so uPlot always gets an ascending x axis).
// RTT and process latency are NaN where the probe got no reply; `lost_` marks the probes counted
// lost (timeout, unreachable, error), drawn as marks on the time axis.
// Memory is fixed at construction: 8 * 3 + 1 bytes per slot.

export const DEFAULT_CAPACITY = 3000; // 5 minutes at 10 samples/s

const LOST = new Set(['timeout', 'unreachable', 'error']);

export class SampleRing {
  constructor(capacity = DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
    this.t_ = new Float64Array(capacity);
    this.rtt_ = new Float64Array(capacity);
    this.proc_ = new Float64Array(capacity);
    this.lost_ = new Uint8Array(capacity);
    this.start_ = 0;
    this.size_ = 0;
    this.version = 0; // bumped on every change, so views know when to redraw
  }

  get size() {
    return this.size_;
  }

  newestTime() {
    return this.size_ ? this.t_[(this.start_ + this.size_ - 1) % this.capacity] : null;
  }

  oldestTime() {
    return this.size_ ? this.t_[this.start_] : null;
  }

  // Adds a parsed sample. Late and duplicate replies are not plotted (their probe is already
  // accounted for). Returns true when the sample was kept.
  push(sample) {
    if (sample.status === 'late' || sample.status === 'duplicate') return false;
    const t = sample.ts / 1000;
    const newest = this.newestTime();
    if (!Number.isFinite(t) || (newest !== null && t < newest)) return false;
    const i = this.size_ < this.capacity ? (this.start_ + this.size_) % this.capacity : this.start_;
    if (this.size_ < this.capacity) this.size_++;
    else this.start_ = (this.start_ + 1) % this.capacity;
    const ok = sample.status === 'ok';
    this.t_[i] = t;
    this.rtt_[i] = ok && sample.rtt !== null ? sample.rtt : NaN;
    this.proc_[i] = ok && sample.process !== null ? sample.process : NaN;
    this.lost_[i] = LOST.has(sample.status) ? 1 : 0;
    this.version++;
    return true;
  }

  clear() {
    this.start_ = 0;
    this.size_ = 0;
    this.version++;
  }

  // uPlot data: [times, rtt, process] oldest first, with null where there is no value.
  toSeries() {
    const n = this.size_;
    const xs = new Array(n);
    const rtt = new Array(n);
    const proc = new Array(n);
    for (let k = 0; k < n; k++) {
      const i = (this.start_ + k) % this.capacity;
      xs[k] = this.t_[i];
      rtt[k] = Number.isNaN(this.rtt_[i]) ? null : this.rtt_[i];
      proc[k] = Number.isNaN(this.proc_[i]) ? null : this.proc_[i];
    }
    return [xs, rtt, proc];
  }

  // Times (epoch seconds) of the probes counted lost, oldest first.
  lostTimes() {
    const out = [];
    for (let k = 0; k < this.size_; k++) {
      const i = (this.start_ + k) % this.capacity;
      if (this.lost_[i]) out.push(this.t_[i]);
    }
    return out;
  }
}

// The realtime chart: ICMP RTT and process latency of the selected target, the gap between them
// filled, lost probes marked on the time axis. Follows "now" (live) until the person zooms or pans;
// LIVE or a double-click returns to following.
import uPlot from 'uplot';

const RTT = '#4fc3f7';
const PROC = '#ff9f43';
const LOST = '#ff4d4f';

export class Chart {
  // onLiveChange(live): called when following starts or stops.
  constructor(container, { spanSeconds = 180, onLiveChange = () => {} } = {}) {
    this.container_ = container;
    this.span_ = spanSeconds;
    this.live_ = true;
    this.onLiveChange_ = onLiveChange;
    this.lost_ = [];
    this.want_ = null; // the x range last set while following "now"
    this.plot_ = new uPlot(this.options_(), [[], [], []], container);
    this.installInteractions_();
    new ResizeObserver(() => this.resize_()).observe(container);
  }

  get live() {
    return this.live_;
  }

  // Number of points currently in the chart's data (for tests and the title).
  get points() {
    return this.plot_.data[0].length;
  }

  // The x range shown, in seconds since the epoch (for tests: zoom and pan are read through it).
  get xRange() {
    const { min, max } = this.plot_.scales.x;
    return { min, max };
  }

  setSpan(seconds) {
    this.span_ = seconds;
    this.setLive(true);
  }

  setLive(live) {
    if (this.live_ !== live) {
      this.live_ = live;
      this.onLiveChange_(live);
    }
    if (live) this.followNow_();
  }

  // series: [xs, rtt, process] from SampleRing.toSeries(); lost: times of lost probes.
  setData(series, lost, nowSeconds) {
    this.lost_ = lost;
    this.now_ = nowSeconds;
    // setData re-ranges both scales (y must follow the new values); the x range is then put back
    // to "now" when live, or to the person's zoom otherwise. uPlot commits both in one redraw.
    const { min, max } = this.plot_.scales.x;
    this.plot_.setData(series, true);
    if (this.live_) this.followNow_();
    else if (min != null && max != null) this.plot_.setScale('x', { min, max });
  }

  followNow_() {
    const max = this.now_ ?? Date.now() / 1000;
    this.want_ = { min: max - this.span_, max };
    this.plot_.setScale('x', { ...this.want_ });
  }

  options_() {
    const { width, height } = this.size_();
    const axis = { stroke: '#7d8797', grid: { stroke: '#1d2430', width: 1 }, ticks: { stroke: '#232b38', width: 1 } };
    return {
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 5 } },
      scales: {
        x: { time: true },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] },
      },
      series: [
        {},
        { label: 'ICMP RTT', stroke: RTT, width: 1.5, spanGaps: false, points: { show: false } },
        { label: 'process', stroke: PROC, width: 1.5, spanGaps: false, points: { show: false } },
      ],
      // The band between the two lines makes the process-over-RTT gap visible at a glance.
      bands: [{ series: [2, 1], fill: 'rgba(255,159,67,0.18)' }],
      axes: [{ ...axis }, { ...axis, label: 'ms', size: 50, labelSize: 14 }],
      hooks: {
        draw: [(u) => this.drawLost_(u)],
        setScale: [
          (u, key) => {
            // uPlot applies scales later (batched), so a person's zoom or pan is told apart from ours by
            // comparing the applied range with the one last asked for.
            const x = u.scales.x;
            const ours = this.want_ && Math.abs(x.min - this.want_.min) < 1e-6 && Math.abs(x.max - this.want_.max) < 1e-6;
            if (key === 'x' && this.live_ && !ours) {
              this.live_ = false;
              this.onLiveChange_(false);
            }
          },
        ],
      },
    };
  }

  // Red ticks on the time axis where probes were lost.
  drawLost_(u) {
    if (!this.lost_.length) return;
    const { ctx } = u;
    const { top, height } = u.bbox;
    const min = u.scales.x.min;
    const max = u.scales.x.max;
    const px = devicePixelRatio || 1;
    ctx.save();
    ctx.fillStyle = LOST;
    for (const t of this.lost_) {
      if (t < min || t > max) continue;
      const x = Math.round(u.valToPos(t, 'x', true));
      ctx.fillRect(x - px, top + height - 10 * px, 2 * px, 10 * px);
      ctx.globalAlpha = 0.15;
      ctx.fillRect(x - px, top, 2 * px, height);
      ctx.globalAlpha = 1;
    }
    ctx.restore();
  }

  installInteractions_() {
    const over = this.plot_.over;
    // Wheel: zoom the time axis around the cursor.
    over.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const u = this.plot_;
        const { min, max } = u.scales.x;
        if (min == null || max == null) return;
        const at = u.posToVal(e.offsetX, 'x');
        const f = e.deltaY < 0 ? 0.8 : 1.25;
        this.plot_.setScale('x', { min: at - (at - min) * f, max: at + (max - at) * f });
      },
      { passive: false },
    );
    // Shift+drag: pan the time axis. uPlot's own drag-select listens on the same element, so
    // stopPropagation would not keep it out; this capture listener runs first and stops it outright.
    over.addEventListener('mousedown', (e) => {
      if (!e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      const u = this.plot_;
      const x0 = e.clientX;
      const { min, max } = u.scales.x;
      const perPx = (max - min) / u.bbox.width * (devicePixelRatio || 1);
      const move = (m) => {
        const d = (m.clientX - x0) * perPx;
        u.setScale('x', { min: min - d, max: max - d });
      };
      const up = () => {
        removeEventListener('mousemove', move);
        removeEventListener('mouseup', up);
      };
      addEventListener('mousemove', move);
      addEventListener('mouseup', up);
    }, true);
    over.addEventListener('dblclick', () => this.setLive(true));
  }

  size_() {
    const r = this.container_.getBoundingClientRect();
    return { width: Math.max(200, Math.floor(r.width)), height: Math.max(150, Math.floor(r.height) - 10) };
  }

  resize_() {
    this.plot_.setSize(this.size_());
  }
}

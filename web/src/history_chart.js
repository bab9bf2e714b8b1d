// The history chart, SmokePing style: the median RTT as a line inside two smoke bands (p10–p90 and p25–p75),
// each bucket's loss as a coloured mark on the median and a bar along the time axis, incidents as shaded spans
// labelled with their reason and verdict, and the times netstab was not running (outside every run) hatched
// grey with the line broken there: a time without netstab is a gap, never loss.
import uPlot from 'uplot';

const MEDIAN = '#e6edf3';
const OUTER = 'rgba(79,195,247,0.18)';
const INNER = 'rgba(79,195,247,0.38)';
const INCIDENT = 'rgba(255,77,79,0.16)';
const NOT_RUNNING = 'rgba(125,135,151,0.22)';

// SmokePing's loss colours: none, a little, some, much, most.
export function lossColour(pct) {
  if (pct === null || pct <= 0) return '#2ecc71';
  if (pct < 1) return '#4fc3f7';
  if (pct < 5) return '#a55eea';
  if (pct < 20) return '#ff9f43';
  return '#ff4d4f';
}

// uPlot's columns from the rows: a null point after a bucket followed by a hole, so the line and bands break.
export function seriesOf(rows, step) {
  const cols = [[], [], [], [], [], []];
  const keys = ['rtt_p10', 'rtt_p25', 'rtt_p50', 'rtt_p75', 'rtt_p90'];
  rows.forEach((r, i) => {
    cols[0].push(r.ts + step / 2);
    keys.forEach((k, j) => cols[j + 1].push(r[k]));
    const next = rows[i + 1];
    if (next && next.ts > r.ts + step) {
      cols[0].push(r.ts + step);
      keys.forEach((_, j) => cols[j + 1].push(null));
    }
  });
  return cols;
}

// The parts of [from, to) outside every run: [[start, end], ...].
export function notRunning(runs, from, to) {
  const out = [];
  let edge = from;
  for (const r of runs) {
    if (r.start > edge) out.push([edge, Math.min(r.start, to)]);
    edge = Math.max(edge, r.end);
    if (edge >= to) break;
  }
  if (edge < to) out.push([edge, to]);
  return out.filter(([a, b]) => b > a);
}

// The bucket and the incident at time t (Unix seconds), for the readout under the chart.
export function pointAt(h, t) {
  if (!h || t === null || !Number.isFinite(t)) return null;
  let lo = 0;
  let hi = h.rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (h.rows[mid].ts + h.step_s <= t) lo = mid + 1;
    else hi = mid - 1;
  }
  const row = h.rows[lo] && h.rows[lo].ts <= t ? h.rows[lo] : null;
  const incident = h.incidents.find((i) => i.start <= t && t < (i.end ?? h.to)) ?? null;
  const running = h.runs.some((r) => r.start <= t && t < r.end);
  return { row, incident, running };
}

export class HistoryChart {
  // onHover(point): called with pointAt's value as the cursor moves, null when it leaves. onZoom(from, to): a span
  // was dragged out (Unix seconds); onReset(): a double-click. The chart itself keeps its scale: the view asks
  // the agent for the span at a finer step and shows the reply.
  constructor(container, { onHover = () => {}, onZoom = () => {}, onReset = () => {} } = {}) {
    this.container_ = container;
    this.onHover_ = onHover;
    this.onZoom_ = onZoom;
    this.h_ = null;
    this.plot_ = new uPlot(this.options_(), [[], [], [], [], [], []], container);
    new ResizeObserver(() => this.plot_.setSize(this.size_())).observe(container);
    this.plot_.over.addEventListener('dblclick', () => onReset());
  }

  get points() {
    return this.plot_.data[0].length;
  }

  // The canvas as a PNG data URL (for the printed report).
  snapshot() {
    return this.plot_.ctx.canvas.toDataURL('image/png');
  }

  // h: a parsed history reply (rollup steps), or null to clear.
  show(h) {
    this.h_ = h;
    this.plot_.setData(h ? seriesOf(h.rows, h.step_s) : [[], [], [], [], [], []], true);
    if (h) this.plot_.setScale('x', { min: h.from, max: h.to });
  }

  options_() {
    const axis = { stroke: '#7d8797', grid: { stroke: '#1d2430', width: 1 }, ticks: { stroke: '#232b38', width: 1 } };
    const band = (label) => ({ label, stroke: 'transparent', width: 0, points: { show: false }, spanGaps: false });
    return {
      ...this.size_(),
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      series: [
        {},
        band('p10'),
        band('p25'),
        { label: 'median', stroke: MEDIAN, width: 1.5, spanGaps: false, points: { show: false } },
        band('p75'),
        band('p90'),
      ],
      bands: [{ series: [5, 1], fill: OUTER }, { series: [4, 2], fill: INNER }],
      axes: [{ ...axis }, { ...axis, label: 'ms', size: 50, labelSize: 14 }],
      hooks: {
        drawClear: [(u) => this.drawSpans_(u)],
        draw: [(u) => this.drawLoss_(u)],
        setSelect: [(u) => this.selected_(u)],
        setCursor: [(u) => this.onHover_(u.cursor.left >= 0 ? pointAt(this.h_, u.posToVal(u.cursor.left, 'x')) : null)],
      },
    };
  }

  // A dragged-out span (wider than a few pixels) is handed on and the selection cleared.
  selected_(u) {
    const { left, width } = u.select;
    if (width > 4 && this.h_) this.onZoom_(u.posToVal(left, 'x'), u.posToVal(left + width, 'x'));
    if (width > 0) u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
  }

  // Behind the series: not-running spans hatched grey, incidents shaded red with their reason on top.
  drawSpans_(u) {
    const h = this.h_;
    if (!h) return;
    const { ctx } = u;
    const { top, height } = u.bbox;
    const px = devicePixelRatio || 1;
    const xs = (t) => u.valToPos(t, 'x', true);
    ctx.save();
    ctx.fillStyle = NOT_RUNNING;
    for (const [a, b] of notRunning(h.runs, h.from, h.to)) ctx.fillRect(xs(a), top, Math.max(px, xs(b) - xs(a)), height);
    ctx.font = `${11 * px}px sans-serif`;
    for (const i of h.incidents) {
      const a = xs(Math.max(i.start, h.from));
      const b = xs(Math.min(i.end ?? h.to, h.to));
      ctx.fillStyle = INCIDENT;
      ctx.fillRect(a, top, Math.max(2 * px, b - a), height);
      ctx.fillStyle = '#ff8a8c';
      const label = i.verdict ? `${i.reason} (${i.verdict})` : i.reason;
      if (b - a > 40 * px) ctx.fillText(label, a + 3 * px, top + 12 * px, b - a - 6 * px);
    }
    ctx.restore();
  }

  // On top: each bucket's loss colour as a dot on the median and a bar along the time axis.
  drawLoss_(u) {
    const h = this.h_;
    if (!h) return;
    const { ctx } = u;
    const { top, height } = u.bbox;
    const px = devicePixelRatio || 1;
    ctx.save();
    for (const r of h.rows) {
      const a = u.valToPos(r.ts, 'x', true);
      const b = u.valToPos(r.ts + h.step_s, 'x', true);
      ctx.fillStyle = lossColour(r.loss_pct);
      ctx.fillRect(a, top + height - 4 * px, Math.max(px, b - a), 4 * px);
      if (r.loss_pct > 0 && r.rtt_p50 !== null) {
        ctx.fillRect((a + b) / 2 - 1.5 * px, u.valToPos(r.rtt_p50, 'y', true) - 1.5 * px, 3 * px, 3 * px);
      }
    }
    ctx.restore();
  }

  size_() {
    const r = this.container_.getBoundingClientRect();
    return { width: Math.max(200, Math.floor(r.width)), height: Math.max(150, Math.floor(r.height) - 10) };
  }
}

// The figures of the "Report for your ISP" and the CSV download, from a parsed history reply
// (history.parseHistoryReply). Pure: no DOM. Every figure is defined here once, so the page, its printed report
// and the tests read the same definitions:
// - loss: lost / (received + lost) over the rows, as the agent counts a period's loss;
// - availability: the share of the time with data (buckets holding a row) whose worst status was not BAD, by
//   bucket of the reply's step (a bucket with one BAD moment counts whole, so coarser steps read lower);
// - median and p95 RTT: quantiles of the rows' distributions merged, each row weighted by its replies and read as
//   piecewise linear through its min, p10, p25, p50, p75, p90, p99 and max (the rows carry no finer detail);
// - jitter: the mean of the rows' jitter weighted by their replies;
// - time in WARN / BAD: the time of the buckets whose worst status was WARN / BAD;
// - not running: the part of the range outside every run of netstab.
import { isoSeconds } from './history.js';

const KNOTS = [['rtt_min', 0], ['rtt_p10', 0.1], ['rtt_p25', 0.25], ['rtt_p50', 0.5], ['rtt_p75', 0.75],
  ['rtt_p90', 0.9], ['rtt_p99', 0.99], ['rtt_max', 1]];

// The knots (value, probability) of a row's distribution, or null when it has no replies or no percentiles.
function knots(row) {
  if (!row.received) return null;
  const k = [];
  for (const [name, p] of KNOTS) {
    const v = row[name];
    if (v === null) return null;
    k.push([Math.max(v, k.length ? k[k.length - 1][0] : v), p]);
  }
  return k;
}

// The share of a row's distribution at or below x.
function cdf(k, x) {
  if (x < k[0][0]) return 0;
  for (let i = 1; i < k.length; ++i) {
    const [x1, p1] = k[i];
    if (x < x1) {
      const [x0, p0] = k[i - 1];
      return p0 + (p1 - p0) * (x - x0) / (x1 - x0);
    }
  }
  return 1;
}

// The q-quantile (0..1) of the rows' merged distributions, in ms to 3 decimals; null without replies.
export function mergedQuantile(rows, q) {
  const parts = rows.map((r) => ({ k: knots(r), w: r.received })).filter((p) => p.k !== null);
  const total = parts.reduce((s, p) => s + p.w, 0);
  if (!total) return null;
  let lo = Math.min(...parts.map((p) => p.k[0][0]));
  let hi = Math.max(...parts.map((p) => p.k[p.k.length - 1][0]));
  for (let i = 0; i < 60 && hi - lo > 1e-7; ++i) {
    const mid = (lo + hi) / 2;
    const f = parts.reduce((s, p) => s + p.w * cdf(p.k, mid), 0) / total;
    if (f < q) lo = mid;
    else hi = mid;
  }
  return Math.round(hi * 1000) / 1000;
}

// The length in seconds of [from, to) covered by the runs.
function covered(runs, from, to) {
  let s = 0;
  let edge = from;
  for (const r of runs) {
    const a = Math.max(r.start, edge);
    const b = Math.min(r.end, to);
    if (b > a) {
      s += b - a;
      edge = b;
    }
  }
  return s;
}

// The figures of a set of rows (all, or one hour of day). step: the rows' step in seconds.
export function figures(rows, step) {
  const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
  const sent = sum('sent');
  const received = sum('received');
  const lost = sum('lost');
  const timeAt = (h) => rows.filter((r) => r.worst === h).length * step;
  const withJitter = rows.filter((r) => r.jitter !== null && r.received > 0);
  const jw = withJitter.reduce((s, r) => s + r.received, 0);
  return {
    buckets: rows.length,
    sent,
    received,
    lost,
    loss_pct: received + lost ? (100 * lost) / (received + lost) : null,
    availability_pct: rows.length ? (100 * rows.filter((r) => r.worst !== 'BAD').length) / rows.length : null,
    rtt_median: mergedQuantile(rows, 0.5),
    rtt_p95: mergedQuantile(rows, 0.95),
    jitter: jw ? withJitter.reduce((s, r) => s + r.jitter * r.received, 0) / jw : null,
    warn_s: timeAt('WARN'),
    bad_s: timeAt('BAD'),
  };
}

// The whole report of a parsed reply: {period, step_s, all, not_running_s, hours (24 figures by UTC hour of
// day, or null when the step is longer than an hour), incidents}.
export function buildReport(h) {
  const hours = h.step_s > 0 && h.step_s <= 3600
    ? Array.from({ length: 24 }, (_, hour) => figures(h.rows.filter((r) => Math.floor(r.ts / 3600) % 24 === hour), h.step_s))
    : null;
  return {
    target: h.target,
    from: h.from,
    to: h.to,
    step_s: h.step_s,
    all: figures(h.rows, h.step_s),
    not_running_s: h.to - h.from - covered(h.runs, h.from, h.to),
    hours,
    incidents: h.incidents,
  };
}

// Fixed-width texts of the figures, as the report shows them (and the tests compare them).
export function figureTexts(f) {
  const n = (v, d) => (v === null ? '—' : v.toFixed(d));
  return {
    sent: String(f.sent),
    lost: String(f.lost),
    loss: `${n(f.loss_pct, 3)} %`,
    availability: `${n(f.availability_pct, 3)} %`,
    median: `${n(f.rtt_median, 3)} ms`,
    p95: `${n(f.rtt_p95, 3)} ms`,
    jitter: `${n(f.jitter, 3)} ms`,
    warn: durationText(f.warn_s),
    bad: durationText(f.bad_s),
  };
}

// Seconds as "2 d 03 h 04 m 05 s", leading zero units left out; "0 s" for none.
export function durationText(s) {
  if (s === null || !Number.isFinite(s)) return '—';
  let t = Math.round(s);
  const parts = [];
  for (const [unit, len] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]]) {
    const v = Math.floor(t / len);
    t -= v * len;
    if (v || parts.length) parts.push(`${parts.length ? String(v).padStart(2, '0') : v} ${unit}`);
  }
  return parts.length ? parts.join(' ') : '0 s';
}

const FLOAT_COLUMNS = new Set(['loss_pct', 'rtt_min', 'rtt_p10', 'rtt_p25', 'rtt_p50', 'rtt_p75', 'rtt_p90', 'rtt_p99',
  'rtt_max', 'rtt_mean', 'jitter', 'mos', 'process_mean', 'process_p95', 'rtt', 'process']);

function csvQuote(s) {
  return /[,"\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csvCell(column, v) {
  if (v === null || v === undefined) return '';
  if (column === 'ts') return typeof v === 'number' ? isoSeconds(v) : String(v);
  if (typeof v === 'number') return FLOAT_COLUMNS.has(column) && Number.isInteger(v) ? `${v}.0` : String(v);
  return csvQuote(String(v));
}

// The CSV of a reply's rows with the reply's columns, in the form `netstab history --format csv` prints
// (times as RFC 3339 UTC, decimals as the agent sent them, empty for null). Rollup steps only.
export function toCsv(columns, cells) {
  const lines = [columns.join(',')];
  for (const row of cells) lines.push(row.map((v, i) => csvCell(columns[i], v)).join(','));
  return `${lines.join('\n')}\n`;
}

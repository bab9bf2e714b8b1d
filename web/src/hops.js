// The hop table of one target (issue 13): its rows from the latest path message and the current verdict, and
// each hop's recent loss and RTT kept in the page from successive path messages (the agent publishes only the
// current window). Pure: parsed payloads in, plain rows out; the view draws them.
import { NONE, fmtMs } from './format.js';
import { segmentShort } from './verdict.js';

export const HOP_HISTORY_MS = 10 * 60 * 1000; // what the sparklines span
export const HOP_HISTORY_POINTS = 120; // per hop, whatever the publishing rate

// Per-hop history of one target. Invariants: per TTL, points are in ascending time, at most maxPoints, none
// older than spanMs before the newest message; a TTL whose address changes starts afresh (another router);
// TTLs no longer on the path are dropped, so memory is bounded by the path's length.
export class HopHistory {
  constructor({ spanMs = HOP_HISTORY_MS, maxPoints = HOP_HISTORY_POINTS } = {}) {
    this.spanMs = spanMs;
    this.maxPoints = maxPoints;
    this.byTtl_ = new Map();
    this.lastT_ = null;
  }

  // Adds one parsed path message at time t (epoch ms; its ts). Returns false for a message not newer than the
  // last one (a retained copy seen again on reconnect).
  push(path, t = path.ts) {
    if (typeof t !== 'number' || !Number.isFinite(t) || (this.lastT_ !== null && t <= this.lastT_)) return false;
    this.lastT_ = t;
    const seen = new Set();
    for (const h of path.hops) {
      seen.add(h.ttl);
      let e = this.byTtl_.get(h.ttl);
      if (!e || e.address !== h.address) {
        e = { address: h.address, points: [] };
        this.byTtl_.set(h.ttl, e);
      }
      e.points.push({ t, loss: h.loss_pct, p50: h.p50 });
      const from = t - this.spanMs;
      let drop = 0;
      while (drop < e.points.length && e.points[drop].t < from) drop++;
      drop = Math.max(drop, e.points.length - this.maxPoints);
      if (drop > 0) e.points.splice(0, drop);
    }
    for (const ttl of [...this.byTtl_.keys()]) if (!seen.has(ttl)) this.byTtl_.delete(ttl);
    return true;
  }

  series(ttl) {
    return this.byTtl_.get(ttl)?.points ?? [];
  }

  get size() {
    return this.byTtl_.size;
  }

  // The time of the oldest point kept (epoch ms), or null.
  oldest() {
    let t = null;
    for (const e of this.byTtl_.values()) if (e.points.length && (t === null || e.points[0].t < t)) t = e.points[0].t;
    return t;
  }
}

// The verdict that goes with the hop table: the newer of the stats' and the path's (each carries one).
export function currentFault(stats, path) {
  const a = stats?.fault ?? null;
  const b = path?.fault ?? null;
  if (a && b) return (path.ts ?? -Infinity) > (stats.ts ?? -Infinity) ? b : a;
  return a ?? b;
}

const pct = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(1)}%` : NONE);

// Why a rate-limited hop is greyed: its loss or delay is only in its own answers.
export function rateLimitedNote(hop) {
  const drops = (hop.lost ?? 0) > 0 || (hop.loss_pct ?? 0) > 0;
  return `${drops ? 'drops' : 'delays'} ICMP to itself; the target is unaffected`;
}

// The index of the hop that is the target itself: the last one whose address is the path's address; -1 if none.
export function targetIndex(path) {
  if (!path?.address) return -1;
  for (let i = path.hops.length - 1; i >= 0; i--) if (path.hops[i].address === path.address) return i;
  return -1;
}

// Is this hop the one the verdict blames? A rate-limited hop never is.
function isBlamed(hop, isTarget, fault) {
  if (!fault || hop.rate_limited || ['ok', 'host', 'unknown'].includes(fault.segment)) return false;
  if (fault.hop !== null) return fault.hop === hop.ttl;
  return fault.segment === 'remote' && isTarget;
}

// The table's rows. path: a parsed path message (or null); fault: the verdict (currentFault); history: the
// target's HopHistory (or null). Each row: {ttl, address, noAnswer, isTarget, segment, segmentLabel, loss,
// lossTitle, p50, p95, rateLimited, blamed, note, spark (history points)}.
export function hopRows(path, fault, history = null) {
  if (!path) return [];
  const ti = targetIndex(path);
  return path.hops.map((h, i) => {
    const isTarget = i === ti;
    const blamed = isBlamed(h, isTarget, fault);
    let note = '';
    if (h.rate_limited) note = `rate-limited: ${rateLimitedNote(h)}`;
    else if (blamed && isTarget) {
      note = fault.metric === 'latency' ? 'the target itself is slow' : 'the target itself loses packets';
    }
    else if (blamed) note = fault.metric === 'latency' ? 'delay starts here' : 'loss starts here';
    else if (isTarget) note = 'the target';
    else if (h.address === null) note = 'no answer';
    return {
      ttl: h.ttl,
      address: h.address ?? '???',
      noAnswer: h.address === null,
      isTarget,
      segment: h.segment,
      segmentLabel: h.segment ? segmentShort(h.segment) : NONE,
      loss: pct(h.loss_pct),
      lossTitle: h.sent !== null ? `${h.lost ?? NONE} lost / ${h.sent} sent` : '',
      p50: fmtMs(h.p50),
      p95: fmtMs(h.p95),
      rateLimited: h.rate_limited,
      blamed,
      note,
      // A hop that never answers loses every probe by definition: no trend to draw.
      spark: history && h.address !== null ? history.series(h.ttl) : [],
    };
  });
}

// "1 192.168.1.1 → 2 ??? → 3 100.64.0.1": hop addresses in TTL order (null: no answer), as incidents and
// path_change events carry them.
export function pathText(addresses) {
  if (!Array.isArray(addresses) || addresses.length === 0) return '';
  return addresses.map((a, i) => `${i + 1} ${a ?? '???'}`).join(' → ');
}

// The geometry of one hop's sparkline in a width × height box: RTT p50 as polylines (broken where a reading has
// no RTT), scaled to the largest p50 shown, and loss as bars from the bottom (100% fills the height).
// points: HopHistory.series(ttl); now: the right edge (epoch ms); spanMs: the time the width spans.
// Returns {lines: [[[x, y], ...], ...], bars: [{x, y, w, h}], maxP50}, coordinates rounded to 0.1 px; a run of
// one reading becomes a 2 px tick, so a lone point still shows.
export function sparkline(points, { width = 64, height = 16, now, spanMs = HOP_HISTORY_MS } = {}) {
  const r = (v) => Math.round(v * 10) / 10;
  const from = now - spanMs;
  const shown = points.filter((p) => p.t >= from && p.t <= now);
  const p50s = shown.map((p) => p.p50).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const maxP50 = p50s.length ? Math.max(...p50s) : null;
  const x = (t) => r(((t - from) / spanMs) * width);
  const barW = 2;
  const lines = [];
  const bars = [];
  let run = [];
  const close = () => {
    if (run.length === 1) run.unshift([r(Math.max(0, run[0][0] - 2)), run[0][1]]);
    if (run.length) lines.push(run);
    run = [];
  };
  for (const p of shown) {
    if (typeof p.p50 === 'number' && Number.isFinite(p.p50) && maxP50 > 0) {
      run.push([x(p.t), r(height - 1 - (p.p50 / maxP50) * (height - 2))]);
    } else {
      close();
    }
    if (typeof p.loss === 'number' && p.loss > 0) {
      const h = Math.max(1, r((Math.min(p.loss, 100) / 100) * height));
      bars.push({ x: r(Math.min(width - barW, Math.max(0, x(p.t) - barW / 2))), y: r(height - h), w: barW, h });
    }
  }
  close();
  return { lines, bars, maxP50 };
}

// The time a target's sparklines span: what the page has seen of it, from one minute up to HOP_HISTORY_MS, so
// the first minutes after the page opens are not squeezed into the right edge.
export function sparkSpan(history, now) {
  const oldest = history?.oldest() ?? null;
  const seen = oldest === null ? 0 : now - oldest;
  return Math.min(HOP_HISTORY_MS, Math.max(60 * 1000, seen));
}

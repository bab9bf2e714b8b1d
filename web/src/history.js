// The agent's history over MQTT (the history and history_targets commands, docs/history.md): the ranges the
// dashboard offers, the commands it sends for them, and the parsing of the replies into plain values.
// Pure: no DOM, no MQTT. Nothing from the reply is trusted: numbers must be finite, texts stay texts.

// Times in this module are Unix seconds, as in the reply, unless a name says ms.

// The ranges of the chart's history view, shortest first. seconds: the span shown, ending now.
export const RANGES = Object.freeze([
  { key: '1h', seconds: 3600, label: '1 h' },
  { key: '6h', seconds: 6 * 3600, label: '6 h' },
  { key: '24h', seconds: 86400, label: '24 h' },
  { key: '7d', seconds: 7 * 86400, label: '7 d' },
  { key: '30d', seconds: 30 * 86400, label: '30 d' },
  { key: '1y', seconds: 365 * 86400, label: '1 y' },
]);
// The live spans of the realtime chart (samples of the page's own ring, no history).
export const LIVE_SPANS = Object.freeze([60, 180, 300]);

export const rangeByKey = (key) => RANGES.find((r) => r.key === key) ?? null;

// The columns of a history reply at a rollup step, in the agent's order (core/history_query.cpp). A reply with
// other columns is refused, since every figure is read by name from this list.
export const HISTORY_COLUMNS = Object.freeze(['ts', 'sent', 'received', 'lost', 'late', 'duplicates', 'loss_pct',
  'rtt_min', 'rtt_p10', 'rtt_p25', 'rtt_p50', 'rtt_p75', 'rtt_p90', 'rtt_p99', 'rtt_max', 'rtt_mean', 'jitter', 'mos',
  'process_mean', 'process_p95', 'worst', 'verdict']);
export const RAW_COLUMNS = Object.freeze(['ts', 'seq', 'status', 'rtt', 'process']);

const HEALTH = ['OK', 'WARN', 'BAD'];
const ENDINGS = ['stopped', 'crashed', 'running'];
const MAX_ROWS = 20000; // above the agent's own caps (10,000 for an explicit step)
const MAX_LIST = 1000; // runs and incidents: the agent lists at most 1,000 of each

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const count = (v) => (Number.isInteger(v) && v >= 0 ? v : null);
const str = (v) => (typeof v === 'string' ? v : null);

// RFC 3339 text (with Z or an offset) to Unix seconds; null when malformed.
export function parseTime(v) {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

// Unix seconds to RFC 3339 UTC without a fraction (the form `netstab history` prints), e.g. 2026-12-01T00:00:00Z.
export function isoSeconds(s) {
  return new Date(Math.floor(s) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The fields of the history command for a range ending now ({from: "-24h", to: "now", step: "auto"}): relative
// times are read against the agent's clock, so a page whose clock is off still gets the agent's last 24 hours.
export function rangeCommand(range) {
  const r = typeof range === 'string' ? rangeByKey(range) : range;
  if (!r) throw new RangeError(`unknown range ${range}`);
  return { from: `-${r.seconds}s`, to: 'now', step: 'auto' };
}

// The fields of the history command for an absolute span in Unix seconds (a zoom), whole seconds outwards.
export function spanCommand(fromS, toS, step = 'auto') {
  const from = Math.floor(fromS);
  const to = Math.max(Math.ceil(toS), from + 1);
  return { from: String(from), to: String(to), step };
}

function parseRow(cells, index) {
  if (!Array.isArray(cells) || cells.length !== HISTORY_COLUMNS.length) return null;
  const ts = count(cells[index.ts]);
  if (ts === null) return null;
  const row = { ts };
  for (const k of ['sent', 'received', 'lost', 'late', 'duplicates']) {
    row[k] = count(cells[index[k]]);
    if (row[k] === null) return null;
  }
  for (const k of ['loss_pct', 'rtt_min', 'rtt_p10', 'rtt_p25', 'rtt_p50', 'rtt_p75', 'rtt_p90', 'rtt_p99', 'rtt_max',
    'rtt_mean', 'jitter', 'mos', 'process_mean', 'process_p95']) {
    row[k] = num(cells[index[k]]);
  }
  row.worst = HEALTH.includes(cells[index.worst]) ? cells[index.worst] : null;
  row.verdict = str(cells[index.verdict]);
  return row;
}

function parseRawRow(cells) {
  if (!Array.isArray(cells) || cells.length !== RAW_COLUMNS.length) return null;
  const ts = num(cells[0]);
  const status = str(cells[2]);
  if (ts === null || status === null) return null;
  return { ts, seq: count(cells[1]), status, rtt: num(cells[3]), process: num(cells[4]) };
}

function parseRun(v) {
  if (!isObj(v)) return null;
  const start = num(v.start);
  const end = num(v.end);
  if (start === null || end === null || end < start) return null;
  return { start, end, ending: ENDINGS.includes(v.ending) ? v.ending : 'stopped' };
}

function parseIncident(v) {
  if (!isObj(v)) return null;
  const start = num(v.start);
  if (start === null) return null;
  const end = v.end === null ? null : num(v.end);
  if (end !== null && end < start) return null;
  return {
    start,
    end,
    duration_s: num(v.duration_s),
    probes_lost: count(v.probes_lost),
    worst: HEALTH.includes(v.worst) ? v.worst : null,
    reason: str(v.reason) ?? '',
    verdict: str(v.verdict),
    path: str(v.path),
  };
}

// A history reply (the parsed JSON object). Returns null when it is not one; else
// {target, step_s, raw, from, to, rows, samples, runs, incidents, cells}: rows (rollup steps) are objects named
// like the columns, oldest first, one per bucket; samples (step raw) are {ts, seq, status, rtt, process}; cells
// are the rows' values as the agent sent them (for the CSV download); from and to are the range served.
export function parseHistoryReply(o) {
  if (!isObj(o) || o.ok !== true || !Array.isArray(o.columns) || !Array.isArray(o.rows)) return null;
  const from = parseTime(o.from);
  const to = parseTime(o.to);
  const step = count(o.step_s);
  if (from === null || to === null || step === null || to <= from || o.rows.length > MAX_ROWS) return null;
  const raw = step === 0;
  const expected = raw ? RAW_COLUMNS : HISTORY_COLUMNS;
  if (o.columns.length !== expected.length || o.columns.some((c, i) => c !== expected[i])) return null;
  const index = Object.fromEntries(HISTORY_COLUMNS.map((c, i) => [c, i]));
  const rows = [];
  const samples = [];
  const cells = [];
  for (const r of o.rows) {
    const p = raw ? parseRawRow(r) : parseRow(r, index);
    if (!p) continue;
    const list = raw ? samples : rows;
    // Ascending and one per bucket, as the agent sends them; anything else is dropped rather than drawn wrong.
    if (list.length && p.ts <= list[list.length - 1].ts) continue;
    list.push(p);
    cells.push(r);
  }
  const runs = (Array.isArray(o.runs) ? o.runs.slice(0, MAX_LIST) : []).map(parseRun).filter((r) => r !== null);
  runs.sort((a, b) => a.start - b.start);
  const incidents = (Array.isArray(o.incidents) ? o.incidents.slice(0, MAX_LIST) : []).map(parseIncident)
    .filter((i) => i !== null);
  incidents.sort((a, b) => a.start - b.start);
  return { target: str(o.target) ?? '', step_s: step, raw, from, to, rows, samples, runs, incidents, cells };
}

// A history_targets reply: [{target, added, removed, first, last}] sorted by name; null when it is not one.
export function parseHistoryTargets(o) {
  if (!isObj(o) || o.ok !== true || !Array.isArray(o.targets)) return null;
  return o.targets.slice(0, 10000).filter((t) => isObj(t) && typeof t.target === 'string').map((t) => ({
    target: t.target,
    added: parseTime(t.added),
    removed: parseTime(t.removed),
    first: count(t.first),
    last: count(t.last),
  })).sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

// A sentence for a refused history command: the agent's own error, or why there is no history at all.
export function historyErrorText(error) {
  const e = String(error ?? 'no reply');
  if (/unknown command/i.test(e)) return 'this agent keeps no history (a netstab older than the history store)';
  if (/history is off/i.test(e)) return `no history: ${e}`;
  return `history: ${e}`;
}

// Parsing and validation of the contract's JSON payloads.
// Every parser takes the raw payload text and returns a normalised plain object, or null when the
// payload is not what the contract describes. Nothing here trusts the input: strings stay strings
// (they are rendered later with textContent only) and numbers must be finite.

export const SAMPLE_STATUSES = ['ok', 'timeout', 'late', 'duplicate', 'unreachable', 'error'];
export const HEALTH = ['OK', 'WARN', 'BAD'];
export const SEGMENTS = ['ok', 'host', 'lan', 'isp', 'upstream', 'remote', 'unknown'];
export const METRICS = ['none', 'host', 'latency', 'loss'];
export const MAX_HOPS = 64;
const RTT_CLOCKS = ['kernel', 'kernel_rx', 'user', 'none'];
const LATENCY_KEYS = ['last', 'min', 'avg', 'max', 'stddev', 'p50', 'p95', 'p99'];
const MAX_PAYLOAD = 1 << 20;

// JSON.parse that returns null instead of throwing, and only accepts objects.
export function parseObject(text) {
  if (typeof text !== 'string' || text.length > MAX_PAYLOAD) return null;
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v) => (typeof v === 'string' ? v : null);
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const count = (v) => (Number.isInteger(v) && v >= 0 ? v : null);
const oneOf = (v, list) => (list.includes(v) ? v : null);

// RFC 3339 timestamp to epoch milliseconds; null when malformed.
export function parseTs(v) {
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

export function parseLatency(v) {
  const out = {};
  for (const k of LATENCY_KEYS) out[k] = isObj(v) ? num(v[k]) : null;
  return out;
}

export function parseSample(text) {
  const o = parseObject(text);
  if (!o) return null;
  const target = str(o.target);
  const status = oneOf(o.status, SAMPLE_STATUSES);
  const ts = parseTs(o.ts);
  if (target === null || status === null || ts === null) return null;
  return {
    target,
    address: str(o.address),
    seq: count(o.seq),
    ts,
    status,
    rtt: num(o.rtt_ms),
    process: num(o.process_ms),
    clock: oneOf(o.rtt_clock, RTT_CLOCKS),
    ttl: count(o.ttl),
    size: count(o.size),
    error: str(o.error),
  };
}

export function parseStats(text) {
  const o = parseObject(text);
  if (!o) return null;
  const target = str(o.target);
  if (target === null) return null;
  return {
    target,
    address: str(o.address),
    ts: parseTs(o.ts),
    window_s: num(o.window_s),
    sent: count(o.sent),
    received: count(o.received),
    lost: count(o.lost),
    loss_pct: num(o.loss_pct),
    duplicates: count(o.duplicates),
    late: count(o.late),
    rto: count(o.rto),
    rto_streak: count(o.rto_streak),
    rtt: parseLatency(o.rtt_ms),
    process: parseLatency(o.process_ms),
    jitter: num(o.jitter_ms),
    jitter_rfc3550: num(o.jitter_rfc3550_ms),
    mos: num(o.mos),
    status: oneOf(o.status, HEALTH),
    reason: str(o.reason),
    fault: parseFault(o.fault),
  };
}

// The verdict object of stats, state, path and incidents (issue 13). null when absent (an agent older than
// path monitoring) or malformed: a fault needs a known segment; the rest is optional. An unknown metric
// becomes null rather than dropping the fault, so a later agent's new metric still shows its segment.
export function parseFault(v) {
  if (!isObj(v)) return null;
  const segment = oneOf(v.segment, SEGMENTS);
  if (segment === null) return null;
  const hop = count(v.hop);
  return {
    segment,
    metric: oneOf(v.metric, METRICS),
    hop: hop !== null && hop > 0 ? hop : null,
    address: str(v.address),
    since: parseTs(v.since),
    reason: str(v.reason),
  };
}

function parseHop(v) {
  if (!isObj(v)) return null;
  const ttl = count(v.ttl);
  if (ttl === null || ttl < 1 || ttl > 255) return null;
  const rtt = isObj(v.rtt_ms) ? v.rtt_ms : {};
  return {
    ttl,
    address: str(v.address),
    segment: oneOf(v.segment, SEGMENTS),
    sent: count(v.sent),
    lost: count(v.lost),
    loss_pct: num(v.loss_pct),
    p50: num(rtt.p50),
    p95: num(rtt.p95),
    rate_limited: v.rate_limited === true,
  };
}

// .../targets/<slug>/path: hops in TTL order (sorted and deduplicated here, at most MAX_HOPS), the last one
// whose address is the target's being the target itself.
export function parsePath(text) {
  const o = parseObject(text);
  if (!o || str(o.target) === null || !Array.isArray(o.hops)) return null;
  const byTtl = new Map();
  for (const h of o.hops.slice(0, 4 * MAX_HOPS).map(parseHop)) {
    if (h && !byTtl.has(h.ttl)) byTtl.set(h.ttl, h);
  }
  const hops = [...byTtl.values()].sort((a, b) => a.ttl - b.ttl).slice(0, MAX_HOPS);
  return {
    target: o.target,
    address: str(o.address),
    ts: parseTs(o.ts),
    traced_at: parseTs(o.traced_at),
    hops,
    fault: parseFault(o.fault),
  };
}

// A list of hop addresses in TTL order (null: no answer), as incidents and path_change events carry it.
function parseAddressList(v) {
  if (!Array.isArray(v)) return null;
  return v.slice(0, MAX_HOPS).map((a) => str(a));
}

function parseIncident(v) {
  if (!isObj(v)) return null;
  const start = parseTs(v.start);
  if (start === null) return null;
  return {
    id: count(v.id),
    start,
    end: parseTs(v.end),
    duration_s: num(v.duration_s),
    probes_lost: count(v.probes_lost),
    worst_status: oneOf(v.worst_status, HEALTH),
    reason: str(v.reason),
    fault: parseFault(v.fault),
    path: parseAddressList(v.path),
  };
}

export function parseIncidents(text) {
  const o = parseObject(text);
  if (!o || str(o.target) === null || !Array.isArray(o.incidents)) return null;
  return { target: o.target, incidents: o.incidents.map(parseIncident).filter((i) => i !== null) };
}

export function parseEvent(text) {
  const o = parseObject(text);
  if (!o || str(o.type) === null) return null;
  return {
    ts: parseTs(o.ts),
    type: o.type,
    target: str(o.target),
    from: str(o.from),
    to: str(o.to),
    reason: str(o.reason),
    error: str(o.error),
    hops: parseAddressList(o.hops),
  };
}

function parseStateTarget(v) {
  if (!isObj(v) || str(v.target) === null) return null;
  return {
    target: v.target,
    slug: str(v.slug),
    address: str(v.address),
    interval_ms: num(v.interval_ms),
    timeout_ms: num(v.timeout_ms),
    size: count(v.size),
    ttl: count(v.ttl),
    tos: count(v.tos),
    ip_version: str(v.ip_version),
    publish_samples: typeof v.publish_samples === 'boolean' ? v.publish_samples : null,
  };
}

export function parseState(text) {
  const o = parseObject(text);
  if (!o || typeof o.running !== 'boolean') return null;
  const targets = Array.isArray(o.targets) ? o.targets.map(parseStateTarget).filter((t) => t !== null) : [];
  return {
    agent: str(o.agent),
    version: str(o.version),
    started_at: parseTs(o.started_at),
    running: o.running,
    targets,
    mqtt: isObj(o.mqtt) ? { buffered: count(o.mqtt.buffered), dropped: count(o.mqtt.dropped) } : null,
    fault: parseFault(o.fault),
  };
}

// A command reply. The id is echoed as sent (string or number); it is kept as a string for matching.
export function parseReply(text) {
  const o = parseObject(text);
  if (!o || typeof o.ok !== 'boolean') return null;
  const id = typeof o.id === 'string' || (typeof o.id === 'number' && Number.isFinite(o.id)) ? String(o.id) : null;
  return {
    id,
    ok: o.ok,
    cmd: str(o.cmd),
    error: str(o.error),
    running: typeof o.running === 'boolean' ? o.running : null,
    body: o, // the whole reply, for commands whose answer is data (history)
  };
}

// Availability is a bare word; anything else is treated as unknown (null).
export function parseAvailability(text) {
  const t = typeof text === 'string' ? text.trim() : '';
  return t === 'online' ? true : t === 'offline' ? false : null;
}

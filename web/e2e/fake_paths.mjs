// Path and verdict payloads for the fake agent (issue 13): scripted scenarios, each a path of seven hops with
// per-hop loss and RTT, and the verdict netstab gives for it (docs/verdict.md, whose worked examples these
// follow). The values are synthetic and jitter a little between messages so that the page's sparklines move;
// the verdicts are fixed per scenario, as the agent's fault tracker holds them.
//
// The path: 1 192.168.1.1 (LAN), 2 100.64.0.1 (ISP, CGNAT), 3 203.0.113.1 (ISP), 4 198.51.100.1 (ISP), 5 a hop
// that never answers, 6 192.0.2.1 (upstream), 7 the target. The isp scenario moves hop 3 to 203.0.113.6, so
// switching to it or from it is a path change.

export const SCENARIOS = ['ok', 'lan', 'isp', 'host', 'remote'];

const HOPS = ['192.168.1.1', '100.64.0.1', '203.0.113.1', '198.51.100.1', null, '192.0.2.1'];
const SEGMENTS = ['lan', 'isp', 'isp', 'isp', 'upstream', 'upstream'];
const P50 = [1.2, 7.5, 8.4, 9.1, null, 12.6, 14.2];
const SEG_WORD = { lan: 'LAN', isp: 'ISP', upstream: 'upstream' };

// Per scenario: loss % per hop (the silent hop 5 loses everything, as it never answers; the last entry is the
// target), the rate-limited TTLs, and what is blamed.
const TABLE = {
  ok: { loss: [0, 30, 0, 0, 100, 0, 0], limited: [2], fault: null },
  lan: { loss: [8, 8, 8, 8, 100, 8, 8], limited: [], fault: { segment: 'lan', hop: 1, clean: [], limitedNote: [] } },
  isp: { loss: [0, 35, 0, 8, 100, 8, 8], limited: [2], fault: { segment: 'isp', hop: 4, clean: [1, 3], limitedNote: [2] } },
  host: { loss: [0, 0, 0, 0, 100, 0, 0], limited: [], fault: { segment: 'host' } },
  remote: { loss: [0, 0, 0, 0, 100, 0, 8], limited: [], fault: { segment: 'remote', clean: [1, 2, 3, 4, 6] } },
};

// Does the target itself lose probes in this scenario (the fake agent then drops some of its samples)?
export const targetLoses = (scenario) => TABLE[scenario].loss[6] > 0;
// Extra process latency of the host scenario, ms.
export const hostDelay = (scenario) => (scenario === 'host' ? 40 : 0);

const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);
const ttls = (list) => {
  // "1–2, 4": runs as ranges with an en dash, as the agent writes them.
  const parts = [];
  for (let i = 0; i < list.length; ) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j] + 1) j++;
    parts.push(j > i ? `${list[i]}–${list[j]}` : `${list[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
};
const hopsWord = (list) => (list.length === 1 ? 'hop' : 'hops');

// The hop addresses of a scenario's path, the target's last.
export function pathAddresses(scenario, address) {
  const hops = [...HOPS, address];
  if (scenario === 'isp') hops[2] = '203.0.113.6';
  return hops;
}

// The verdict object ({segment, metric, hop, address, since, reason}) of a scenario for one target.
export function scenarioFault(scenario, address, since) {
  const row = TABLE[scenario];
  const f = row.fault;
  if (!f) {
    const note = row.limited.length
      ? `; ${hopsWord(row.limited)} ${ttls(row.limited)} drops ICMP to itself (rate-limited), not blamed` : '';
    return { segment: 'ok', metric: 'none', hop: null, address: null, since: null, reason: `ok${note}` };
  }
  const at = ` since ${hhmm(since)} UTC`;
  const ctx = (clean, limited) => [
    clean.length ? `${hopsWord(clean)} ${ttls(clean)} clean` : '',
    limited.length ? `hop ${ttls(limited)} drops ICMP to itself (rate-limited), not blamed` : '',
  ].filter(Boolean).map((p) => `; ${p}`).join('');
  const sinceIso = new Date(since).toISOString();
  if (f.segment === 'host') {
    return { segment: 'host', metric: 'host', hop: null, address: null, since: sinceIso,
      reason: `host slow: process p95 45.0 ms vs rtt p95 14.5 ms (+30.5 ms)${at}` };
  }
  if (f.segment === 'remote') {
    return { segment: 'remote', metric: 'loss', hop: null, address, since: sinceIso,
      reason: `loss 8.0% at the target (${address})${at}${ctx(f.clean, [])}` };
  }
  const hopAddress = pathAddresses(scenario, address)[f.hop - 1];
  return { segment: f.segment, metric: 'loss', hop: f.hop, address: hopAddress, since: sinceIso,
    reason: `loss 8.0% from hop ${f.hop} (${hopAddress}, ${SEG_WORD[f.segment]}) to the target${at}${ctx(f.clean, f.limitedNote)}` };
}

const round1 = (v) => Math.round(v * 10) / 10;
const round3 = (v) => Math.round(v * 1000) / 1000;

// The .../path payload of one target: the scenario's hops with a 60-probe window each, jittered.
export function pathPayload({ scenario, target, address, now, tracedAt, fault }) {
  const row = TABLE[scenario];
  const addresses = pathAddresses(scenario, address);
  const hops = addresses.map((a, i) => {
    const ttl = i + 1;
    const sent = 60;
    const base = row.loss[i];
    const noise = base > 0 ? Math.random() * 2 - 1 : 0;
    const lost = a === null ? sent : Math.min(sent, Math.max(base > 0 ? 1 : 0, Math.round((sent * base) / 100 + noise)));
    const p50 = P50[i] === null || lost === sent ? null : round3(P50[i] * (0.9 + Math.random() * 0.25));
    return {
      ttl, address: a, segment: i === addresses.length - 1 ? 'remote' : SEGMENTS[i], sent, lost,
      loss_pct: round1((lost / sent) * 100), rtt_ms: { p50, p95: p50 === null ? null : round3(p50 * 1.4) },
      rate_limited: row.limited.includes(ttl),
    };
  });
  return { target, address, ts: new Date(now).toISOString(), traced_at: new Date(tracedAt).toISOString(), hops, fault };
}

// "hop 3 changed 203.0.113.1 -> 203.0.113.6" for the first TTL whose address differs, or null.
export function pathChange(before, after) {
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    if (before[i] !== after[i]) return `hop ${i + 1} changed ${before[i] ?? '???'} -> ${after[i] ?? '???'}`;
  }
  return null;
}

const label = (f) => (f.hop !== null && SEG_WORD[f.segment] ? `${SEG_WORD[f.segment]} hop ${f.hop}`
  : f.segment === 'remote' ? 'target' : f.segment);

// The agent's verdict over its targets' verdicts ([{name, fault}]), following core/agent_verdict.hpp: one
// target: its verdict; one degraded of several: ok; two or more sharing a segment (host; lan and isp at the same
// hop address; upstream): that segment; otherwise unknown.
export function agentFault(list) {
  const n = list.length;
  const bad = list.filter((x) => x.fault.segment !== 'ok');
  const ok = { segment: 'ok', metric: 'none', hop: null, address: null, since: null, reason: 'ok' };
  if (bad.length === 0) return ok;
  if (n === 1) return bad[0].fault;
  if (bad.length === 1) {
    return { ...ok, reason: `1 of ${n} targets degraded: ${bad[0].name} (${label(bad[0].fault)}); the others are fine` };
  }
  const key = (f) => (f.segment === 'host' || f.segment === 'upstream' ? f.segment
    : f.segment === 'lan' || f.segment === 'isp' ? `${f.segment} ${f.address}` : null);
  const groups = new Map();
  for (const x of bad) {
    const k = key(x.fault);
    if (k !== null) groups.set(k, [...(groups.get(k) ?? []), x]);
  }
  const best = [...groups.values()].sort((a, b) => b.length - a.length)[0];
  if (best && best.length >= 2) {
    const f = best[0].fault;
    const since = best.map((x) => x.fault.since).sort()[0];
    const where = f.segment === 'host' ? 'are slowed by the host'
      : f.hop !== null ? `lose packets from hop ${f.hop} (${f.address}, ${SEG_WORD[f.segment]})` : `lose packets ${f.segment}`;
    return { ...f, since, reason: `${best.length} of ${n} targets ${where}; ${best.map((x) => x.name).join(', ')}` };
  }
  return { segment: 'unknown', metric: bad[0].fault.metric, hop: null, address: null, since: bad[0].fault.since,
    reason: `${bad.length} of ${n} targets degraded in different places; ` +
      bad.map((x) => `${x.name} (${label(x.fault)})`).join(', ') };
}

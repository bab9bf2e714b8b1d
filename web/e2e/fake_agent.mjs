#!/usr/bin/env node
// A stand-in for netstab's service mode that speaks the MQTT contract (v1): availability with a last
// will, retained state/stats/incidents, samples, and the commands with replies. For developing the
// dashboard and for the e2e suite that runs before (or without) a real netstab. Latencies are synthetic.
// It counts as netstab does (core/target_monitor.hpp): `lost` holds timeouts, unreachable and errors, `rto`
// only the timeouts, `rto_streak` the probes lost in a row; an incident opens when the status goes BAD
// (published then with duration_s 0) and is published again when it closes.
// Usage: node fake_agent.mjs --broker mqtt://127.0.0.1:1883 --agent NAME [--target T] [--interval MS]
//        [--base netstab] [--stopped] [--unreachable] [--scenario ok|lan|isp|host|remote]
// --unreachable: every probe is answered by "destination unreachable" (an outage without timeouts).
// --scenario: path monitoring as issue 13 adds it (e2e/fake_paths.mjs): a retained path per target with its
//   stats, the verdict (`fault`) in stats, path, incidents and (the agent's own) in state, and fault_change /
//   path_change events when the fake-only command {"cmd":"fake_scenario","scenario":S[,"target":T]} switches
//   the scenario of one target or of all. Without it, the agent is one older than path monitoring: no path, no
//   fault fields. In a scenario where the target loses probes, the first 5 probes of every 60 are lost, so the
//   status goes BAD at once and an incident opens.
import mqtt from 'mqtt';
import { parseArgs } from 'node:util';
import { SCENARIOS, agentFault, hostDelay, pathAddresses, pathChange, pathPayload, scenarioFault, targetLoses }
  from './fake_paths.mjs';

const { values: o } = parseArgs({
  options: {
    broker: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    agent: { type: 'string', default: 'fake' },
    target: { type: 'string', multiple: true, default: ['127.0.0.1'] },
    interval: { type: 'string', default: '1000' },
    base: { type: 'string', default: 'netstab' },
    stopped: { type: 'boolean', default: false },
    unreachable: { type: 'boolean', default: false },
    scenario: { type: 'string' },
  },
});
if (o.scenario !== undefined && !SCENARIOS.includes(o.scenario)) {
  console.error(`fake agent: --scenario must be one of ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
let defaultScenario = o.scenario ?? null; // null: an agent without path monitoring
let lastAgentFault = null;
const MAX_INCIDENTS = 20;
const pre = `${o.base}/${o.agent}`;
const slug = (t) => t.replace(/[^A-Za-z0-9._-]/g, '_');
const iso = (ms) => new Date(ms).toISOString();
const round3 = (v) => Math.round(v * 1000) / 1000;
const VALID = /^[A-Za-z0-9][A-Za-z0-9.:-]*$/;
const startedAt = Date.now();
let running = !o.stopped;
const targets = new Map(); // name -> {interval_ms, seq, history: [{t, rtt, proc, lost, rto}], timer, incidents}

const client = mqtt.connect(o.broker, {
  clientId: `fake-agent-${o.agent}-${process.pid}`,
  will: { topic: `${pre}/availability`, payload: 'offline', qos: 1, retain: true },
});
const pub = (topic, payload, retain = false, qos = 0) =>
  client.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { retain, qos });

function stateJson() {
  return {
    agent: o.agent, version: '0.0.0-fake', started_at: iso(startedAt), running,
    targets: [...targets].map(([name, t]) => ({
      target: name, slug: slug(name), address: name, interval_ms: t.interval_ms, timeout_ms: 1000, size: 56, ttl: 64,
      tos: 0, ip_version: 'auto', publish_samples: true,
    })),
    mqtt: { buffered: 0, dropped: 0 },
    ...(defaultScenario !== null ? { fault: currentAgentFault() } : {}),
  };
}

function currentAgentFault() {
  return agentFault([...targets].filter(([, t]) => t.scenario !== null).map(([name, t]) => ({ name, fault: t.fault })));
}

function latency(xs) {
  if (!xs.length) return { last: null, min: null, avg: null, max: null, stddev: null, p50: null, p95: null, p99: null };
  const s = [...xs].sort((a, b) => a - b);
  const avg = xs.reduce((a, b) => a + b, 0) / xs.length;
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - avg) ** 2, 0) / xs.length);
  return { last: round3(xs[xs.length - 1]), min: round3(s[0]), avg: round3(avg), max: round3(s[s.length - 1]),
    stddev: round3(sd), p50: round3(q(0.5)), p95: round3(q(0.95)), p99: round3(q(0.99)) };
}

function publishStats(name, t) {
  const now = Date.now();
  t.history = t.history.filter((h) => now - h.t < 60000);
  const got = t.history.filter((h) => !h.lost);
  const lost = t.history.length - got.length;
  const rto = t.history.filter((h) => h.rto).length;
  const streak = t.streak;
  const rtts = got.map((h) => h.rtt);
  const jit = rtts.length > 1 ? rtts.slice(1).reduce((a, v, i) => a + Math.abs(v - rtts[i]), 0) / (rtts.length - 1) : null;
  const loss = t.history.length ? (lost / t.history.length) * 100 : 0;
  const status = loss >= 5 || streak >= 4 ? 'BAD' : loss >= 2 || streak >= 2 ? 'WARN' : 'OK';
  const reason = status === 'OK' ? 'ok' : streak >= 2 ? `${streak} probes lost in a row` : `loss ${loss.toFixed(1)}% > ${status === 'BAD' ? 5 : 2}%`;
  pub(`${pre}/targets/${slug(name)}/stats`, {
    target: name, address: name, ts: iso(now), window_s: 60, sent: t.history.length, received: got.length, lost,
    loss_pct: round3(loss), duplicates: 0, late: 0, rto, rto_streak: streak, rtt_ms: latency(rtts),
    process_ms: latency(got.map((h) => h.proc)), jitter_ms: jit === null ? null : round3(jit),
    jitter_rfc3550_ms: jit === null ? null : round3(jit * 0.9), mos: rtts.length ? 4.38 : null, status, reason,
    ...(t.scenario !== null ? { fault: t.fault } : {}),
  }, true, 1);
  if (t.scenario !== null) {
    pub(`${pre}/targets/${slug(name)}/path`, pathPayload({ scenario: t.scenario, target: name, address: name, now,
      tracedAt: t.tracedAt, fault: t.fault }), true, 1);
  }
  trackIncident(name, t, status, reason, now);
}

// Switches one target to a scenario: its verdict and path change, with the events the agent would publish.
function setScenario(name, t, scenario, now) {
  const before = pathAddresses(t.scenario ?? scenario, name);
  const after = pathAddresses(scenario, name);
  const from = t.fault?.segment ?? 'ok';
  t.scenario = scenario;
  t.scenarioSeq = t.seq;
  t.fault = scenarioFault(scenario, name, now);
  const change = pathChange(before, after);
  if (change) {
    t.tracedAt = now;
    pub(`${pre}/events`, { type: 'path_change', ts: iso(now), target: name, reason: change, hops: after }, false, 1);
  }
  if (from !== t.fault.segment) {
    pub(`${pre}/events`, { type: 'fault_change', ts: iso(now), target: name, from, to: t.fault.segment,
      reason: t.fault.reason }, false, 1);
  }
  publishStats(name, t);
}

// After targets changed scenario: the agent's own verdict, with its event when its segment changed.
function publishAgentVerdict(now) {
  const f = currentAgentFault();
  const from = lastAgentFault?.segment ?? 'ok';
  lastAgentFault = f;
  if (from !== f.segment) {
    pub(`${pre}/events`, { type: 'fault_change', ts: iso(now), from, to: f.segment, reason: f.reason }, false, 1);
  }
  pub(`${pre}/state`, stateJson(), true, 1);
}

// Opens an incident when the status goes BAD, closes it when it is no longer BAD and a probe was answered.
function trackIncident(name, t, status, reason, now) {
  const open = t.incidents.at(-1)?.end === null ? t.incidents.at(-1) : null;
  if (!open && status === 'BAD') {
    t.incidents.push({ id: (t.incidents.at(-1)?.id ?? 0) + 1, start: iso(now), end: null, duration_s: 0,
      probes_lost: t.streak, worst_status: 'BAD', reason,
      ...(t.scenario !== null ? { fault: t.fault, path: pathAddresses(t.scenario, name) } : {}) });
    if (t.incidents.length > MAX_INCIDENTS) t.incidents.shift();
  } else if (open && status !== 'BAD' && t.streak === 0) {
    open.end = iso(now);
    open.duration_s = round3((now - Date.parse(open.start)) / 1000);
  } else {
    return;
  }
  pub(`${pre}/targets/${slug(name)}/incidents`, { target: name, incidents: t.incidents }, true, 1);
}

function probe(name, t) {
  if (!running) return;
  const now = Date.now();
  t.seq++;
  const scripted = t.scenario !== null && targetLoses(t.scenario) ? (t.seq - t.scenarioSeq) % 60 < 5 : false;
  const timeout = t.scenario !== null ? scripted : t.seq % 40 === 0;
  const status = o.unreachable ? 'unreachable' : timeout ? 'timeout' : 'ok';
  const lost = status !== 'ok';
  const rtt = 0.05 + Math.random() * 0.05 + (t.seq % 20 === 0 ? 2 : 0);
  const proc = rtt + 0.03 + Math.random() * 0.04 + (t.scenario !== null ? hostDelay(t.scenario) : 0);
  t.history.push({ t: now, rtt, proc, lost, rto: status === 'timeout' });
  t.streak = lost ? t.streak + 1 : 0;
  if (lost) t.incidents.forEach((i) => i.end === null && i.probes_lost++);
  pub(`${pre}/targets/${slug(name)}/sample`, {
    target: name, address: name, seq: t.seq, ts: iso(now), status,
    rtt_ms: lost ? null : round3(rtt), process_ms: status === 'timeout' ? null : round3(proc),
    rtt_clock: lost ? 'none' : 'kernel', ttl: lost ? null : 64, size: 56,
    error: status === 'unreachable' ? `destination unreachable (host unreachable) from ${name}` : null,
  });
  // Once a second, and at once when the streak turns the status BAD (netstab publishes on a status change).
  if (now - (t.statsAt ?? 0) >= 1000 || t.streak === 4) {
    t.statsAt = now;
    publishStats(name, t);
  }
}

function addTarget(name, interval_ms = Number(o.interval)) {
  const now = Date.now();
  const t = { interval_ms, seq: 0, history: [], timer: null, streak: 0, incidents: [], scenario: defaultScenario,
    scenarioSeq: 0, tracedAt: now, fault: defaultScenario === null ? null : scenarioFault(defaultScenario, name, now) };
  t.timer = setInterval(() => probe(name, t), interval_ms);
  targets.set(name, t);
  pub(`${pre}/targets/${slug(name)}/incidents`, { target: name, incidents: [] }, true, 1);
}

function removeTarget(name) {
  const t = targets.get(name);
  clearInterval(t.timer);
  targets.delete(name);
  if (t.scenario !== null) pub(`${pre}/targets/${slug(name)}/path`, '', true, 1);
}

function handle(text) {
  let c;
  const word = text.trim();
  if (['start', 'stop', 'status'].includes(word)) c = { cmd: word };
  else {
    try {
      c = JSON.parse(text);
    } catch {
      return { ok: false, error: 'invalid JSON' };
    }
  }
  const r = (x) => ({ ...(c.id !== undefined ? { id: c.id } : {}), cmd: c.cmd, ...x });
  const needTarget = () => (typeof c.target !== 'string' ? 'missing field "target"' : !VALID.test(c.target) ? `unresolvable target "${c.target}"` : null);
  switch (c.cmd) {
    case 'start': running = true; return r({ ok: true, running });
    case 'stop': running = false; return r({ ok: true, running });
    case 'status': return r({ ok: true, running });
    case 'set_target': {
      const e = needTarget();
      if (e) return r({ ok: false, error: e });
      [...targets.keys()].forEach(removeTarget);
      addTarget(c.target, c.interval_ms ?? Number(o.interval));
      return r({ ok: true, running });
    }
    case 'add_target': {
      const e = needTarget();
      if (e) return r({ ok: false, error: e });
      if (!targets.has(c.target)) addTarget(c.target, c.interval_ms ?? Number(o.interval));
      return r({ ok: true, running });
    }
    case 'fake_scenario': {
      if (!SCENARIOS.includes(c.scenario)) return r({ ok: false, error: `scenario must be one of ${SCENARIOS.join(', ')}` });
      if (c.target !== undefined && !targets.has(c.target)) return r({ ok: false, error: `target not found "${c.target}"` });
      const now = Date.now();
      if (c.target === undefined) defaultScenario = c.scenario;
      else defaultScenario ??= c.scenario;
      for (const [name, t] of targets) if (c.target === undefined || c.target === name) setScenario(name, t, c.scenario, now);
      publishAgentVerdict(now);
      return r({ ok: true, running });
    }
    case 'remove_target':
      if (!targets.has(c.target)) return r({ ok: false, error: `target not found "${c.target}"` });
      removeTarget(c.target);
      return r({ ok: true, running });
    default:
      return r({ ok: false, error: `unknown command "${c.cmd}"` });
  }
}

client.on('connect', () => {
  pub(`${pre}/availability`, 'online', true, 1);
  pub(`${pre}/state`, stateJson(), true, 1);
  client.subscribe(`${pre}/cmd`, { qos: 1 });
  console.log(`fake agent ${o.agent} connected to ${o.broker}`);
});
client.on('message', (_topic, payload) => {
  const reply = handle(payload.toString());
  pub(`${pre}/cmd/reply`, reply, false, 1);
  pub(`${pre}/state`, stateJson(), true, 1);
});
client.on('error', (e) => console.error(`fake agent: ${e.message}`));
o.target.forEach((t) => addTarget(t));
if (defaultScenario !== null) lastAgentFault = currentAgentFault();

const shutdown = () => {
  pub(`${pre}/availability`, 'offline', true, 1);
  client.end(false, () => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

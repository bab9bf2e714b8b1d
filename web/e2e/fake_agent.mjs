#!/usr/bin/env node
// A stand-in for netstab's service mode that speaks the MQTT contract (v1): availability with a last
// will, retained state/stats/incidents, samples, and the commands with replies. For developing the
// dashboard and for the e2e suite that runs before (or without) a real netstab. Latencies are synthetic.
// Usage: node fake_agent.mjs --broker mqtt://127.0.0.1:1883 --agent NAME [--target T] [--interval MS]
//        [--base netstab] [--stopped]
import mqtt from 'mqtt';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    broker: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    agent: { type: 'string', default: 'fake' },
    target: { type: 'string', multiple: true, default: ['127.0.0.1'] },
    interval: { type: 'string', default: '1000' },
    base: { type: 'string', default: 'netstab' },
    stopped: { type: 'boolean', default: false },
  },
});
const pre = `${o.base}/${o.agent}`;
const slug = (t) => t.replace(/[^A-Za-z0-9._-]/g, '_');
const iso = (ms) => new Date(ms).toISOString();
const round3 = (v) => Math.round(v * 1000) / 1000;
const VALID = /^[A-Za-z0-9][A-Za-z0-9.:-]*$/;
const startedAt = Date.now();
let running = !o.stopped;
const targets = new Map(); // name -> {interval_ms, seq, history: [{t, rtt, proc, lost}], timer}

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
  };
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
  let streak = 0;
  for (let i = t.history.length - 1; i >= 0 && t.history[i].lost; i--) streak++;
  const rtts = got.map((h) => h.rtt);
  const jit = rtts.length > 1 ? rtts.slice(1).reduce((a, v, i) => a + Math.abs(v - rtts[i]), 0) / (rtts.length - 1) : null;
  const loss = t.history.length ? (lost / t.history.length) * 100 : 0;
  const status = loss >= 5 || streak >= 4 ? 'BAD' : loss >= 2 || streak >= 2 ? 'WARN' : 'OK';
  const reason = status === 'OK' ? 'ok' : streak >= 2 ? `${streak} consecutive timeouts` : `loss ${loss.toFixed(1)}% > ${status === 'BAD' ? 5 : 2}%`;
  pub(`${pre}/targets/${slug(name)}/stats`, {
    target: name, address: name, ts: iso(now), window_s: 60, sent: t.history.length, received: got.length, lost,
    loss_pct: round3(loss), duplicates: 0, late: 0, rto: lost, rto_streak: streak, rtt_ms: latency(rtts),
    process_ms: latency(got.map((h) => h.proc)), jitter_ms: jit === null ? null : round3(jit),
    jitter_rfc3550_ms: jit === null ? null : round3(jit * 0.9), mos: rtts.length ? 4.38 : null, status, reason,
  }, true, 1);
}

function probe(name, t) {
  if (!running) return;
  const now = Date.now();
  t.seq++;
  const lost = t.seq % 40 === 0;
  const rtt = 0.05 + Math.random() * 0.05 + (t.seq % 20 === 0 ? 2 : 0);
  const proc = rtt + 0.03 + Math.random() * 0.04;
  t.history.push({ t: now, rtt, proc, lost });
  pub(`${pre}/targets/${slug(name)}/sample`, {
    target: name, address: name, seq: t.seq, ts: iso(now), status: lost ? 'timeout' : 'ok',
    rtt_ms: lost ? null : round3(rtt), process_ms: lost ? null : round3(proc), rtt_clock: lost ? 'none' : 'kernel',
    ttl: lost ? null : 64, size: 56, error: null,
  });
  if (now - (t.statsAt ?? 0) >= 1000) {
    t.statsAt = now;
    publishStats(name, t);
  }
}

function addTarget(name, interval_ms = Number(o.interval)) {
  const t = { interval_ms, seq: 0, history: [], timer: null };
  t.timer = setInterval(() => probe(name, t), interval_ms);
  targets.set(name, t);
  pub(`${pre}/targets/${slug(name)}/incidents`, { target: name, incidents: [] }, true, 1);
}

function removeTarget(name) {
  clearInterval(targets.get(name).timer);
  targets.delete(name);
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

const shutdown = () => {
  pub(`${pre}/availability`, 'offline', true, 1);
  client.end(false, () => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TARGETS, Store, pickAgent } from '../src/store.js';

const ts = (sec) => new Date(Date.UTC(2026, 10, 25, 17, 0, sec)).toISOString();
const sample = (target, sec, extra = {}) => JSON.stringify({ target, address: target, seq: sec, ts: ts(sec), status: 'ok',
  rtt_ms: 1, process_ms: 1.2, rtt_clock: 'kernel', ttl: 64, size: 56, error: null, ...extra });
const state = (running, targets) => JSON.stringify({ agent: 'a', running,
  targets: targets.map((t) => ({ target: t, slug: t.replace(/[^A-Za-z0-9._-]/g, '_'), address: t })) });

test('agents are discovered from availability, online or offline', () => {
  const st = new Store();
  assert.deepEqual(st.handle('netstab/h1/availability', 'online', 1000), { agent: 'h1', kind: 'availability', value: true });
  st.handle('netstab/h2/availability', 'offline', 2000, true);
  st.handle('netstab/h0/availability', 'garbage', 3000);
  assert.deepEqual(st.agentList(), [
    { id: 'h1', online: true, since: 1000 },
    { id: 'h2', online: false, since: null }, // retained: the time it went offline is unknown
  ]);
});

test('an agent going offline records when', () => {
  const st = new Store();
  st.handle('netstab/h1/availability', 'online', 1000);
  st.handle('netstab/h1/availability', 'offline', 5000);
  assert.deepEqual(st.agentList()[0], { id: 'h1', online: false, since: 5000 });
  st.handle('netstab/h1/availability', 'offline', 9000); // repeated: since stays
  assert.equal(st.agent('h1').since, 5000);
});

test('pickAgent prefers the remembered agent, then the first online', () => {
  const list = [{ id: 'a', online: false }, { id: 'b', online: true }, { id: 'c', online: true }];
  assert.equal(pickAgent(list, 'c'), 'c');
  assert.equal(pickAgent(list, 'gone'), 'b');
  assert.equal(pickAgent([{ id: 'a', online: false }], null), 'a');
  assert.equal(pickAgent([], 'x'), null);
});

test('samples feed the target history and the latest sample', () => {
  const st = new Store();
  for (let i = 0; i < 5; i++) st.handle('netstab/h1/targets/1.1.1.1/sample', sample('1.1.1.1', i));
  const t = st.agent('h1').targets.get('1.1.1.1');
  assert.equal(t.ring.size, 5);
  assert.equal(t.last.seq, 4);
  assert.equal(t.target, '1.1.1.1');
});

test('history of each target is kept apart and survives selection changes', () => {
  const st = new Store();
  st.handle('netstab/h1/targets/a/sample', sample('a', 1));
  st.handle('netstab/h1/targets/b/sample', sample('b', 1));
  st.handle('netstab/h1/targets/a/sample', sample('a', 2));
  assert.equal(st.agent('h1').targets.get('a').ring.size, 2);
  assert.equal(st.agent('h1').targets.get('b').ring.size, 1);
});

test('primary stats and extra windows are stored apart', () => {
  const st = new Store();
  const ch = st.handle('netstab/h1/targets/a/stats/5m', '{"target":"a","status":"WARN"}');
  assert.equal(ch.window, '5m');
  st.handle('netstab/h1/targets/a/stats', '{"target":"a","status":"OK"}');
  const t = st.agent('h1').targets.get('a');
  assert.equal(t.stats.status, 'OK');
  assert.equal(t.windows.get('5m').status, 'WARN');
});

test('target list follows the agent state when there is one', () => {
  const st = new Store();
  st.handle('netstab/h1/targets/old/stats', '{"target":"old","status":"OK"}');
  assert.deepEqual(st.targetList('h1').map((t) => t.target), ['old']);
  st.handle('netstab/h1/state', state(true, ['8.8.8.8', '<img src=x onerror=alert(1)>']));
  assert.deepEqual(st.targetList('h1').map((t) => t.target), ['8.8.8.8', '<img src=x onerror=alert(1)>']);
  assert.equal(st.targetList('h1')[1].slug, '_img_src_x_onerror_alert_1__');
  assert.equal(st.agent('h1').state.running, true);
});

test('invalid payloads and foreign topics change nothing', () => {
  const st = new Store();
  assert.equal(st.handle('netstab/h1/targets/a/sample', '{"target":"a"'), null);
  assert.equal(st.handle('elsewhere/h1/state', state(true, [])), null);
  assert.equal(st.handle('netstab/h1/cmd', '{"cmd":"start"}'), null);
  assert.equal(st.agent('h1')?.targets.size ?? 0, 0);
});

test('replies and events are reported', () => {
  const st = new Store();
  assert.equal(st.handle('netstab/h1/cmd/reply', '{"id":"x-1","ok":false,"cmd":"add_target","error":"limit reached"}').value.error,
    'limit reached');
  st.handle('netstab/h1/events', '{"type":"started","ts":"2026-11-25T17:00:00.000Z"}');
  assert.equal(st.agent('h1').events.length, 1);
});

test('the number of targets per agent is bounded', () => {
  const st = new Store({ ringCapacity: 2 });
  for (let i = 0; i < MAX_TARGETS + 10; i++) st.handle(`netstab/h1/targets/t${i}/sample`, sample(`t${i}`, 1));
  assert.equal(st.agent('h1').targets.size, MAX_TARGETS);
});

test('a custom base topic is honoured', () => {
  const st = new Store({ base: 'lab/ns' });
  assert.equal(st.handle('netstab/h1/availability', 'online'), null);
  assert.equal(st.handle('lab/ns/h1/availability', 'online').agent, 'h1');
});

test('an incident list records when it arrived, for the open incident\'s running duration', () => {
  const st = new Store();
  const incidents = JSON.stringify({ target: 'h', incidents: [{ id: 1, start: ts(0), end: null, duration_s: 0,
    probes_lost: 4, worst_status: 'BAD', reason: '4 probes lost in a row' }] });
  st.handle('netstab/a/targets/h/incidents', incidents, 7000, true);
  const t = st.agent('a').targets.get('h');
  assert.equal(t.incidentsAt, 7000);
  assert.equal(t.incidents[0].end, null);
});

const pathPayload = (sec, hops) => JSON.stringify({ target: 'example.org', address: '192.0.2.2', ts: ts(sec),
  traced_at: ts(0), hops: hops.map((a, i) => ({ ttl: i + 1, address: a, segment: 'isp', sent: 60, lost: 0, loss_pct: 0,
    rtt_ms: { p50: 1 + i, p95: 2 + i }, rate_limited: false })) });

test('a path message is kept per target with the hops\' history; an empty one clears it', () => {
  const st = new Store();
  const ch = st.handle('netstab/h1/targets/example.org/path', pathPayload(1, ['192.168.1.1', null, '192.0.2.2']));
  assert.equal(ch.kind, 'path');
  assert.equal(ch.slug, 'example.org');
  const t = st.agent('h1').targets.get('example.org');
  assert.equal(t.target, 'example.org');
  assert.equal(t.address, '192.0.2.2');
  assert.equal(t.path.hops.length, 3);
  st.handle('netstab/h1/targets/example.org/path', pathPayload(2, ['192.168.1.1', null, '192.0.2.2']));
  assert.equal(t.hops.series(1).length, 2);
  // The same retained message again (a reconnect) adds no point.
  st.handle('netstab/h1/targets/example.org/path', pathPayload(2, ['192.168.1.1', null, '192.0.2.2']));
  assert.equal(t.hops.series(1).length, 2);
  assert.deepEqual(st.handle('netstab/h1/targets/example.org/path', ''), { agent: 'h1', kind: 'path', slug: 'example.org',
    value: null });
  assert.equal(t.path, null);
  assert.equal(st.handle('netstab/h1/targets/example.org/path', ''), null, 'already cleared');
  assert.equal(st.handle('netstab/h1/targets/nope/path', ''), null, 'an unknown target is not created');
  assert.equal(st.agent('h1').targets.has('nope'), false);
  assert.equal(st.handle('netstab/h1/targets/example.org/path', '{"target":"example.org"}'), null, 'no hops: not a path');
});

test('the verdict is read from stats, state and incidents, and is null from an older agent', () => {
  const st = new Store();
  const fault = { segment: 'isp', metric: 'loss', hop: 3, address: '100.64.0.1', since: ts(0), reason: 'r' };
  st.handle('netstab/h1/targets/a/stats', JSON.stringify({ target: 'a', status: 'BAD', fault }));
  st.handle('netstab/h1/targets/b/stats', JSON.stringify({ target: 'b', status: 'OK' }));
  st.handle('netstab/h1/state', JSON.stringify({ agent: 'h1', running: true, targets: [], fault }));
  const a = st.agent('h1');
  assert.equal(a.targets.get('a').stats.fault.hop, 3);
  assert.equal(a.targets.get('b').stats.fault, null);
  assert.equal(a.state.fault.segment, 'isp');
});

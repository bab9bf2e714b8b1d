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

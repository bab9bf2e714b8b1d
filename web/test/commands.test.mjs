import test from 'node:test';
import assert from 'node:assert/strict';
import { Commander, describeReply } from '../src/commands.js';

test('commands carry a unique id and their fields', () => {
  const c = new Commander('p');
  const a = c.build('add_target', { target: '1.1.1.1', interval_ms: 500 }, 0);
  const b = c.build('start', {}, 0);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(JSON.parse(a.payload), { id: a.id, cmd: 'add_target', target: '1.1.1.1', interval_ms: 500 });
  assert.deepEqual(JSON.parse(b.payload), { id: b.id, cmd: 'start' });
});

test('a reply matches its command once; others are ignored', () => {
  const c = new Commander('p');
  const { id } = c.build('start', {}, 0);
  assert.equal(c.match({ id: 'someone-else-1', ok: true }), null);
  assert.equal(c.match({ id: null, ok: false }), null);
  assert.equal(c.match({ id, ok: true }).cmd, 'start');
  assert.equal(c.match({ id, ok: true }), null);
});

test('commands without a reply expire', () => {
  const c = new Commander('p');
  c.build('start', {}, 0);
  c.build('stop', {}, 4000);
  assert.deepEqual(c.expire(5000, 5000).map((e) => e.cmd), ['start']);
  assert.equal(c.pendingCount, 1);
});

test('pending commands are bounded', () => {
  const c = new Commander('p');
  for (let i = 0; i < 200; i++) c.build('status', {}, 0);
  assert.ok(c.pendingCount <= 64);
});

test('describeReply shows the error next to the command', () => {
  const entry = { cmd: 'set_target', fields: { target: 'bad host' } };
  assert.equal(describeReply({ ok: false, error: 'unresolvable target' }, entry), 'set_target bad host: unresolvable target');
  assert.equal(describeReply({ ok: true }, { cmd: 'start', fields: {} }), 'start: ok');
});

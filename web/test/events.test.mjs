import test from 'node:test';
import assert from 'node:assert/strict';
import { LOG_LINES, eventLog, formatEvent } from '../src/events.js';
import { fmtClock } from '../src/format.js';

const T0 = Date.UTC(2026, 11, 5, 21, 4, 0);
const ev = (o) => ({ ts: T0, type: 'fault_change', target: null, from: null, to: null, reason: null, error: null, hops: null, ...o });

test('a target\'s fault_change: old and new segment, and the reason', () => {
  const l = formatEvent(ev({ target: 'example.org', from: 'ok', to: 'isp', reason: 'loss 8.0% from hop 3 (100.64.0.1, ISP)' }));
  assert.deepEqual(l, {
    time: fmtClock(T0), who: 'example.org', text: 'verdict ok → ISP', detail: 'loss 8.0% from hop 3 (100.64.0.1, ISP)',
    title: 'example.org: verdict ok → ISP\nloss 8.0% from hop 3 (100.64.0.1, ISP)', kind: 'fault', segment: 'isp',
  });
});

test('the agent\'s own fault_change has no target', () => {
  const l = formatEvent(ev({ from: 'isp', to: 'remote', reason: null }));
  assert.equal(l.who, 'all targets');
  assert.equal(l.text, 'verdict ISP → target');
  assert.equal(l.detail, '');
  assert.equal(l.title, 'all targets: verdict ISP → target');
  assert.equal(formatEvent(ev({ from: null, to: 'mars' })).text, 'verdict ? → mars', 'a later segment is shown as sent');
});

test('path_change: the reason, and the new hops in the tooltip', () => {
  const l = formatEvent(ev({ type: 'path_change', target: 't', reason: 'hop 3 changed 203.0.113.2 -> 203.0.113.6',
    hops: ['192.168.1.1', null, '203.0.113.6'] }));
  assert.equal(l.text, 'path changed');
  assert.equal(l.detail, 'hop 3 changed 203.0.113.2 -> 203.0.113.6');
  assert.equal(l.title, 't: path changed\nhop 3 changed 203.0.113.2 -> 203.0.113.6\nnow: 1 192.168.1.1 → 2 ??? → 3 203.0.113.6');
  assert.equal(l.kind, 'path');
  assert.equal(formatEvent(ev({ type: 'path_change', target: 't' })).title, 't: path changed');
});

test('an event without a time shows a dash', () => {
  assert.equal(formatEvent(ev({ ts: null, to: 'ok' })).time, '—');
});

test('the log: only verdict and path changes, newest first, bounded', () => {
  const events = [
    ev({ to: 'isp', target: 'a' }),
    ev({ type: 'status_change', target: 'a', from: 'OK', to: 'BAD' }),
    ev({ type: 'path_change', target: 'a', reason: 'hop 2 changed' }),
    ev({ type: 'started' }),
  ];
  const log = eventLog(events);
  assert.deepEqual(log.map((l) => l.text), ['path changed', 'verdict ? → ISP']);
  const many = Array.from({ length: LOG_LINES + 5 }, (_, i) => ev({ to: 'ok', target: `t${i}` }));
  const bounded = eventLog(many);
  assert.equal(bounded.length, LOG_LINES);
  assert.equal(bounded[0].who, `t${LOG_LINES + 4}`);
  assert.equal(eventLog(many, 2).length, 2);
  assert.deepEqual(eventLog([]), []);
});

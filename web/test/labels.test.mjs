import test from 'node:test';
import assert from 'node:assert/strict';
import { incidentCells, incidentVerdict, lossLines, rtoLines } from '../src/labels.js';

const stats = (o) => ({ sent: 11, received: 0, lost: 11, window_s: 60, late: 0, duplicates: 0, rto: 0, rto_streak: 11,
  ...o });

test('every probe answered by "unreachable": no RTO, 11 lost in a row, 11 unreachable', () => {
  assert.deepEqual(rtoLines(stats({})), { value: '0', sub: '11 lost in a row', sub2: 'unreach/err 11' });
  assert.deepEqual(lossLines(stats({})), { sub: '11 lost / 11 sent · 60s', sub2: 'late 0 · dup 0' });
});

test('the RTO tile separates timeouts from the other losses', () => {
  const rows = [
    // [what, stats, expected]
    ['healthy', { sent: 60, received: 60, lost: 0, rto: 0, rto_streak: 0 }, { value: '0', sub: '0 lost in a row', sub2: 'unreach/err 0' }],
    ['timeouts only', { lost: 3, rto: 3, rto_streak: 2 }, { value: '3', sub: '2 lost in a row', sub2: 'unreach/err 0' }],
    ['a mix', { lost: 5, rto: 2, rto_streak: 4 }, { value: '2', sub: '4 lost in a row', sub2: 'unreach/err 3' }],
    ['absent counts', { lost: null, rto: null, rto_streak: null }, { value: '—', sub: '— lost in a row', sub2: 'unreach/err —' }],
    ['inconsistent counts never go negative', { lost: 1, rto: 2 }, { value: '2', sub: '11 lost in a row', sub2: 'unreach/err 0' }],
  ];
  for (const [what, o, expected] of rows) assert.deepEqual(rtoLines(stats(o)), expected, what);
  assert.deepEqual(rtoLines(null), { value: '—', sub: '', sub2: '' });
  assert.deepEqual(lossLines(null), { sub: '', sub2: '' });
  assert.equal(lossLines(stats({ late: 2, duplicates: 1 })).sub2, 'late 2 · dup 1');
});

const T0 = Date.UTC(2026, 10, 25, 17, 0, 0);
const incident = (o) => ({ id: 1, start: T0, end: null, duration_s: 0, probes_lost: 4, worst_status: 'BAD', reason: 'r', ...o });

test('an open incident grows with the clock, though the agent published duration 0 when it opened', () => {
  const at = (s) => incidentCells(incident({}), { now: T0 + s * 1000, receivedAt: T0 + 100 });
  assert.deepEqual(at(0.5), { duration: '0.5 s', lost: '≥ 4', ticking: true, seconds: 0.5 });
  assert.equal(at(3).duration, '3.0 s');
  assert.equal(at(42).duration, '42 s');
  assert.equal(at(125).duration, '2 m 05 s');
  assert.ok(at(7).seconds > at(6).seconds);
});

test('an open incident still grows when the browser clock is behind the agent\'s', () => {
  // The agent's start is 30 s in the browser's future; the list arrived at browser time T0 - 30 s with 2 s so far.
  const inc = incident({ start: T0, duration_s: 2 });
  const c = (now) => incidentCells(inc, { now, receivedAt: T0 - 30000 });
  assert.equal(c(T0 - 30000).seconds, 2);
  assert.equal(c(T0 - 25000).seconds, 7);
  // A list seen only as retained long after it was published: the start time is the better bound.
  assert.equal(incidentCells(incident({}), { now: T0 + 3600e3, receivedAt: T0 + 3599e3 }).duration, '1 h 00 m');
});

test('an open incident of an offline agent stops where the agent was last seen, as a lower bound', () => {
  const inc = incident({ duration_s: 1 });
  assert.deepEqual(incidentCells(inc, { now: T0 + 99000, receivedAt: T0 + 1000, agentOffline: true, offlineSince: T0 + 20000 }),
    { duration: '≥ 20 s', lost: '≥ 4', ticking: false, seconds: 20 });
  // Offline already when the page came: only the published figure is known.
  assert.equal(incidentCells(inc, { now: T0 + 99000, receivedAt: T0 + 98000, agentOffline: true }).duration, '≥ 1.0 s');
});

test('a closed incident shows the agent\'s figures', () => {
  const closed = incident({ end: T0 + 71000, duration_s: 71, probes_lost: 12 });
  assert.deepEqual(incidentCells(closed, { now: T0 + 500000 }), { duration: '1 m 11 s', lost: '12', ticking: false, seconds: 71 });
  // Without a published duration, end - start.
  assert.equal(incidentCells(incident({ end: T0 + 5000, duration_s: null }), { now: T0 }).duration, '5.0 s');
  assert.equal(incidentCells(incident({ end: T0, probes_lost: null }), { now: T0 }).lost, '');
});

test('an incident\'s verdict cell: the verdict at its worst, its reason and the path when it started', () => {
  const fault = { segment: 'isp', metric: 'loss', hop: 3, address: '100.64.0.1', since: T0,
    reason: 'loss 8.0% from hop 3 (100.64.0.1, ISP) to the target since 17:00 UTC' };
  assert.deepEqual(incidentVerdict(incident({ fault, path: ['192.168.1.1', null, '100.64.0.1'] })), {
    label: 'ISP · hop 3', segment: 'isp', reason: fault.reason, path: '1 192.168.1.1 → 2 ??? → 3 100.64.0.1',
    title: `${fault.reason}\npath at the start: 1 192.168.1.1 → 2 ??? → 3 100.64.0.1`,
  });
  const noPath = incidentVerdict(incident({ fault: { ...fault, segment: 'host', hop: null, reason: 'host slow' }, path: null }));
  assert.deepEqual([noPath.label, noPath.path, noPath.title], ['host', '', 'host slow']);
  // An incident from an agent without path monitoring.
  assert.deepEqual(incidentVerdict(incident({})), { label: '', segment: null, reason: '', path: '', title: '' });
});

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  HOP_HISTORY_MS, HopHistory, currentFault, hopRows, pathText, rateLimitedNote, sparkSpan, sparkline, targetIndex,
} from '../src/hops.js';

const T0 = Date.UTC(2026, 11, 5, 21, 0, 0);
const hop = (ttl, address, o = {}) => ({ ttl, address, segment: 'isp', sent: 60, lost: 0, loss_pct: 0, p50: 10, p95: 12,
  rate_limited: false, ...o });
// The contract's kind of path: LAN, a silent hop, a rate-limited CGNAT hop, the blamed hop, upstream, the target.
const path = (o = {}) => ({
  target: 'example.org', address: '192.0.2.2', ts: T0, traced_at: T0 - 60000, fault: null,
  hops: [
    hop(1, '192.168.1.1', { segment: 'lan', p50: 1.2, p95: 2.3 }),
    hop(2, null, { lost: 60, loss_pct: 100, p50: null, p95: null }),
    hop(3, '100.64.0.1', { lost: 21, loss_pct: 35, rate_limited: true }),
    hop(4, '198.51.100.1', { lost: 5, loss_pct: 8.333 }),
    hop(5, '192.0.2.1', { segment: 'upstream', lost: 5, loss_pct: 8.3 }),
    hop(6, '192.0.2.2', { segment: 'remote', lost: 5, loss_pct: 8.3, p50: 14.25, p95: 123.456 }),
  ],
  ...o,
});
const fault = (o) => ({ segment: 'isp', metric: 'loss', hop: 4, address: '198.51.100.1', since: T0, reason: 'r', ...o });

test('the hop table rows: address or ???, segment, loss, p50, p95, notes', () => {
  const rows = hopRows(path(), fault({}));
  assert.deepEqual(rows.map((r) => [r.ttl, r.address, r.segmentLabel, r.loss, r.p50, r.p95]), [
    [1, '192.168.1.1', 'LAN', '0.0%', '1.20', '2.30'],
    [2, '???', 'ISP', '100.0%', '—', '—'],
    [3, '100.64.0.1', 'ISP', '35.0%', '10.0', '12.0'],
    [4, '198.51.100.1', 'ISP', '8.3%', '10.0', '12.0'],
    [5, '192.0.2.1', 'upstream', '8.3%', '10.0', '12.0'],
    [6, '192.0.2.2', 'target', '8.3%', '14.3', '123'],
  ]);
  assert.deepEqual(rows.map((r) => r.note), ['', 'no answer', 'rate-limited: drops ICMP to itself; the target is unaffected',
    'loss starts here', '', 'the target']);
  assert.deepEqual(rows.map((r) => r.blamed), [false, false, false, true, false, false]);
  assert.deepEqual(rows.map((r) => r.rateLimited), [false, false, true, false, false, false]);
  assert.equal(rows[1].noAnswer, true);
  assert.equal(rows[5].isTarget, true);
  assert.equal(rows[3].lossTitle, '5 lost / 60 sent');
});

test('which hop is blamed', () => {
  const blamed = (f, p = path()) => hopRows(p, f).filter((r) => r.blamed).map((r) => [r.ttl, r.note]);
  const rows = [
    // [what, fault, expected]
    ['no verdict', null, []],
    ['ok', fault({ segment: 'ok', metric: 'none', hop: null, address: null }), []],
    ['host', fault({ segment: 'host', metric: 'host', hop: null, address: null }), []],
    ['unknown', fault({ segment: 'unknown', hop: null, address: null }), []],
    ['LAN hop 1', fault({ segment: 'lan', hop: 1 }), [[1, 'loss starts here']]],
    ['latency', fault({ metric: 'latency' }), [[4, 'delay starts here']]],
    ['the target itself, without a hop', fault({ segment: 'remote', hop: null, address: '192.0.2.2' }),
      [[6, 'the target itself loses packets']]],
    ['the target itself, by its TTL', fault({ segment: 'remote', metric: 'latency', hop: 6, address: '192.0.2.2' }),
      [[6, 'the target itself is slow']]],
    ['a rate-limited hop is never blamed', fault({ hop: 3 }), []],
    ['a hop not on the path', fault({ hop: 9 }), []],
  ];
  for (const [what, f, expected] of rows) assert.deepEqual(blamed(f), expected, what);
});

test('a rate-limited hop says whether it drops or delays', () => {
  assert.equal(rateLimitedNote(hop(3, 'x', { lost: 4, loss_pct: 6.7 })), 'drops ICMP to itself; the target is unaffected');
  assert.equal(rateLimitedNote(hop(3, 'x', { lost: 0, loss_pct: 0, p50: 80 })), 'delays ICMP to itself; the target is unaffected');
});

test('the target is the last hop with the path\'s address', () => {
  assert.equal(targetIndex(path()), 5);
  const twice = path({ hops: [hop(1, '192.0.2.2'), hop(2, '192.0.2.2'), hop(3, null)] });
  assert.equal(targetIndex(twice), 1);
  assert.equal(targetIndex(path({ address: null })), -1);
  assert.equal(targetIndex(path({ address: '203.0.113.9' })), -1, 'target not reached');
  assert.equal(targetIndex(null), -1);
  assert.deepEqual(hopRows(null, null), []);
});

test('the verdict for the table is the newer of the stats\' and the path\'s', () => {
  const a = fault({ hop: 4 });
  const b = fault({ hop: 5 });
  assert.equal(currentFault({ ts: T0 + 1, fault: a }, { ts: T0, fault: b }), a);
  assert.equal(currentFault({ ts: T0, fault: a }, { ts: T0 + 1, fault: b }), b);
  assert.equal(currentFault({ ts: T0, fault: null }, { ts: T0 - 1, fault: b }), b, 'stats from an older agent');
  assert.equal(currentFault(null, { ts: T0, fault: b }), b);
  assert.equal(currentFault({ ts: T0, fault: a }, null), a);
  assert.equal(currentFault(null, null), null);
});

test('the hop history keeps successive path messages per hop, bounded', () => {
  const h = new HopHistory({ spanMs: 60000, maxPoints: 3 });
  assert.equal(h.push(path()), true);
  assert.equal(h.push(path()), false, 'the same message again');
  assert.equal(h.push(path({ ts: T0 - 1 })), false, 'an older one');
  assert.equal(h.push({ ...path(), ts: null }), false, 'no time');
  for (let i = 1; i <= 4; i++) h.push(path({ ts: T0 + i * 1000 }));
  assert.deepEqual(h.series(4).map((p) => p.t), [T0 + 2000, T0 + 3000, T0 + 4000], 'at most maxPoints');
  assert.deepEqual(h.series(4)[0], { t: T0 + 2000, loss: 8.333, p50: 10 });
  assert.equal(h.oldest(), T0 + 2000);
  h.push(path({ ts: T0 + 64000 }));
  assert.deepEqual(h.series(4).map((p) => p.t), [T0 + 4000, T0 + 64000], 'nothing older than the span');
  assert.deepEqual(h.series(99), []);
});

test('a hop answering from a new address starts afresh; hops gone from the path are dropped', () => {
  const h = new HopHistory();
  h.push(path());
  h.push(path({ ts: T0 + 1000 }));
  const moved = path({ ts: T0 + 2000 });
  moved.hops[3] = hop(4, '203.0.113.6');
  moved.hops = moved.hops.slice(0, 5);
  h.push(moved);
  assert.equal(h.series(1).length, 3);
  assert.equal(h.series(4).length, 1, 'another router at TTL 4');
  assert.equal(h.series(6).length, 0);
  assert.equal(h.size, 5);
  assert.equal(hopRows(path(), null, h)[0].spark.length, 3, 'rows carry their history');
  assert.deepEqual(hopRows(path(), null, h)[1].spark, [], 'a hop that never answers has no trend');
});

test('the sparkline: loss bars and an RTT line in a small box', () => {
  const now = T0 + 60000;
  const points = [
    { t: T0 - 1000, loss: 50, p50: 99 }, // before the span: not drawn
    { t: T0, loss: 0, p50: 10 },
    { t: T0 + 30000, loss: 50, p50: 20 },
    { t: T0 + 45000, loss: 100, p50: null },
    { t: T0 + 60000, loss: 0, p50: 5 },
  ];
  const g = sparkline(points, { width: 60, height: 16, now, spanMs: 60000 });
  assert.equal(g.maxP50, 20);
  assert.deepEqual(g.lines, [[[0, 8], [30, 1]], [[58, 11.5], [60, 11.5]]], 'broken where there is no RTT; a lone point is a tick');
  assert.deepEqual(g.bars, [{ x: 29, y: 8, w: 2, h: 8 }, { x: 44, y: 0, w: 2, h: 16 }]);
  assert.deepEqual(sparkline([], { now }), { lines: [], bars: [], maxP50: null });
  const lossOnly = sparkline([{ t: now, loss: 0.5, p50: null }], { width: 60, height: 16, now, spanMs: 60000 });
  assert.deepEqual(lossOnly.bars, [{ x: 58, y: 15, w: 2, h: 1 }], 'any loss shows at least one pixel');
});

test('the sparklines span what the page has seen, one minute to ten', () => {
  const h = new HopHistory();
  assert.equal(sparkSpan(h, T0), 60000);
  assert.equal(sparkSpan(null, T0), 60000);
  h.push(path({ ts: T0 }));
  assert.equal(sparkSpan(h, T0 + 5000), 60000);
  assert.equal(sparkSpan(h, T0 + 300000), 300000);
  assert.equal(sparkSpan(h, T0 + 3600000), HOP_HISTORY_MS);
});

test('a path as text', () => {
  assert.equal(pathText(['192.168.1.1', null, '100.64.0.1']), '1 192.168.1.1 → 2 ??? → 3 100.64.0.1');
  assert.equal(pathText([]), '');
  assert.equal(pathText(null), '');
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_COLUMNS, isoSeconds, parseHistoryReply, parseHistoryTargets, parseTime, rangeCommand, historyErrorText } from '../src/history.js';

const row = (ts, over = {}) => {
  const r = { ts, sent: 60, received: 58, lost: 2, late: 0, duplicates: 0, loss_pct: 3.333, rtt_min: 12.0, rtt_p10: 12.011,
    rtt_p25: 12.341, rtt_p50: 12.64, rtt_p75: 12.96, rtt_p90: 13.286, rtt_p99: 13.35, rtt_max: 13.35, rtt_mean: 12.654,
    jitter: 0.255, mos: 4.18, process_mean: 12.854, process_p95: 13.504, worst: 'OK', verdict: null, ...over };
  return HISTORY_COLUMNS.map((c) => r[c]);
};
const reply = (over = {}) => ({ ok: true, cmd: 'history', target: '1.1.1.1', step_s: 60, from: '2026-12-01T00:00:00Z',
  to: '2026-12-01T00:05:00Z', columns: [...HISTORY_COLUMNS], rows: [row(1796083200), row(1796083260, { worst: 'WARN', verdict: 'isp' })],
  runs: [{ start: 1796083200.0, end: 1796083500.0, ending: 'stopped' }],
  incidents: [{ start: 1796083270.0, end: 1796083300.0, duration_s: 30.0, probes_lost: 2, worst: 'BAD', reason: '2 consecutive timeouts', verdict: 'isp', path: null }],
  ...over });

test('parseHistoryReply reads the example of docs/history.md', () => {
  const h = parseHistoryReply(reply());
  assert.equal(h.target, '1.1.1.1');
  assert.equal(h.step_s, 60);
  assert.equal(h.from, 1796083200);
  assert.equal(h.rows.length, 2);
  assert.equal(h.rows[1].worst, 'WARN');
  assert.equal(h.rows[1].verdict, 'isp');
  assert.equal(h.incidents[0].reason, '2 consecutive timeouts');
  assert.deepEqual(h.runs, [{ start: 1796083200, end: 1796083500, ending: 'stopped' }]);
});

test('parseHistoryReply refuses other columns and drops rows out of order', () => {
  assert.equal(parseHistoryReply(reply({ columns: ['ts'] })), null);
  assert.equal(parseHistoryReply(reply({ ok: false })), null);
  assert.equal(parseHistoryReply(reply({ from: 'yesterday' })), null);
  const h = parseHistoryReply(reply({ rows: [row(1796083260), row(1796083200), ['x']] }));
  assert.equal(h.rows.length, 1);
  assert.equal(h.cells.length, 1);
});

test('times and commands', () => {
  assert.equal(parseTime('2026-12-01T00:00:00Z'), 1796083200);
  assert.equal(parseTime('2026-12-01'), null);
  assert.equal(isoSeconds(1796083200.7), '2026-12-01T00:00:00Z');
  assert.deepEqual(rangeCommand('7d'), { from: '-604800s', to: 'now', step: 'auto' });
  assert.throws(() => rangeCommand('2d'));
  assert.match(historyErrorText('unknown command "history"'), /keeps no history/);
});

test('parseHistoryTargets sorts by name', () => {
  const t = parseHistoryTargets({ ok: true, targets: [{ target: 'b', added: '2026-12-01T00:00:00Z', removed: null, first: 1, last: 2 },
    { target: 'a', added: '2026-12-01T00:00:00Z', removed: null, first: null, last: null }, { nope: 1 }] });
  assert.deepEqual(t.map((x) => x.target), ['a', 'b']);
  assert.equal(parseHistoryTargets({ ok: true }), null);
});

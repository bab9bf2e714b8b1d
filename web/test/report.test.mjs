import test from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, durationText, figures, figureTexts, mergedQuantile, toCsv } from '../src/report.js';
import { notRunning, seriesOf, lossColour } from '../src/history_chart.js';

const r = (ts, o = {}) => ({ ts, sent: 60, received: 60, lost: 0, late: 0, duplicates: 0, loss_pct: 0, rtt_min: 10, rtt_p10: 10,
  rtt_p25: 10, rtt_p50: 10, rtt_p75: 10, rtt_p90: 10, rtt_p99: 10, rtt_max: 10, rtt_mean: 10, jitter: 1, mos: 4.4,
  process_mean: 10, process_p95: 10, worst: 'OK', verdict: null, ...o });
const flat = (v) => ({ rtt_min: v, rtt_p10: v, rtt_p25: v, rtt_p50: v, rtt_p75: v, rtt_p90: v, rtt_p99: v, rtt_max: v });

test('merged quantiles weigh rows by their replies', () => {
  const rows = [r(0, { ...flat(10), received: 90 }), r(60, { ...flat(100), received: 10 })];
  assert.equal(mergedQuantile(rows, 0.5), 10);
  assert.equal(mergedQuantile(rows, 0.95), 100);
  assert.equal(mergedQuantile([r(0, { received: 0 })], 0.5), null);
  // One uniform-ish row: the median is its p50.
  assert.equal(mergedQuantile([r(0, { rtt_min: 0, rtt_p10: 1, rtt_p25: 2.5, rtt_p50: 5, rtt_p75: 7.5, rtt_p90: 9, rtt_p99: 9.9, rtt_max: 10 })], 0.5), 5);
});

test('figures: loss over received + lost, availability and WARN/BAD time by bucket', () => {
  const f = figures([r(0), r(60, { received: 50, lost: 10, worst: 'BAD' }), r(120, { worst: 'WARN' })], 60);
  assert.equal(f.sent, 180);
  assert.equal(f.lost, 10);
  assert.equal(f.loss_pct, 100 * 10 / 180);
  assert.equal(f.availability_pct, 200 / 3);
  assert.equal(f.warn_s, 60);
  assert.equal(f.bad_s, 60);
  const t = figureTexts(f);
  assert.equal(t.loss, '5.556 %');
  assert.equal(t.availability, '66.667 %');
  assert.equal(t.bad, '1 m 00 s');
});

test('the report counts time outside every run and splits by UTC hour', () => {
  const h = { target: 't', from: 0, to: 7200, step_s: 60, rows: [r(0), r(3600)], incidents: [],
    runs: [{ start: 0, end: 1800, ending: 'stopped' }, { start: 3600, end: 7200, ending: 'running' }] };
  const rep = buildReport(h);
  assert.equal(rep.not_running_s, 1800);
  assert.equal(rep.hours[0].buckets, 1);
  assert.equal(rep.hours[1].buckets, 1);
  assert.equal(buildReport({ ...h, step_s: 86400 }).hours, null);
  assert.deepEqual(notRunning(h.runs, 0, 7200), [[1800, 3600]]);
});

test('gaps break the series; loss colours rise with loss', () => {
  const s = seriesOf([r(0), r(60), r(300)], 60);
  assert.deepEqual(s[0], [30, 90, 120, 330]);
  assert.equal(s[3][2], null);
  assert.notEqual(lossColour(0), lossColour(50));
});

test('CSV in the form of netstab history --format csv', () => {
  const cols = ['ts', 'sent', 'loss_pct', 'rtt_p50', 'worst', 'verdict'];
  assert.equal(toCsv(cols, [[1796083200, 60, 0, 12.64, 'OK', null], [1796083260, 60, 3.333, 13, 'WARN', 'a,"b"']]),
    'ts,sent,loss_pct,rtt_p50,worst,verdict\n2026-12-01T00:00:00Z,60,0.0,12.64,OK,\n2026-12-01T00:01:00Z,60,3.333,13.0,WARN,"a,""b"""\n');
  assert.equal(durationText(0), '0 s');
  assert.equal(durationText(90061), '1 d 01 h 01 m 01 s');
});

test('the readout names the bucket, the incident and the gaps', async () => {
  const { pointAt } = await import('../src/history_chart.js');
  const h = { from: 0, to: 600, step_s: 60, rows: [r(0), r(120, { loss_pct: 50, lost: 30, worst: 'BAD', verdict: 'isp' })],
    runs: [{ start: 0, end: 300, ending: 'stopped' }],
    incidents: [{ start: 130, end: 170, reason: '3 consecutive timeouts', verdict: 'isp' }] };
  assert.equal(pointAt(h, 30).row.ts, 0);
  assert.equal(pointAt(h, 90).row, null);
  assert.equal(pointAt(h, 90).running, true);
  assert.equal(pointAt(h, 150).incident.reason, '3 consecutive timeouts');
  assert.equal(pointAt(h, 400).running, false);
});

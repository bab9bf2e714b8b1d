import test from 'node:test';
import assert from 'node:assert/strict';
import { READING_THRESHOLDS, readGap, typical } from '../src/reading.js';

// A stats value with the fields readGap uses.
const stats = ({ rtt, proc, loss = 0, jitter = 0.2, received = 60, lost = 0 }) => ({
  received, lost, loss_pct: loss, jitter,
  rtt: { p50: rtt, avg: rtt, last: rtt }, process: { p50: proc, avg: proc, last: proc },
});

const table = [
  // name, stats, level, kinds
  ['healthy link', stats({ rtt: 12, proc: 12.1 }), 'ok', []],
  ['host/OS delay: process high, RTT low', stats({ rtt: 2, proc: 40 }), 'warn', ['host']],
  ['small gap is not a host delay', stats({ rtt: 2, proc: 8 }), 'ok', []],
  ['gap below the ratio of a larger RTT', stats({ rtt: 60, proc: 75 }), 'ok', []],
  ['network/ISP: both high', stats({ rtt: 180, proc: 182 }), 'warn', ['network']],
  ['network/ISP very high is bad', stats({ rtt: 300, proc: 301 }), 'bad', ['network']],
  ['RTT high, process higher: network, not host', stats({ rtt: 150, proc: 200 }), 'warn', ['network']],
  ['unstable link at the loss threshold', stats({ rtt: 12, proc: 12, loss: 2 }), 'warn', ['unstable']],
  ['unstable link above the bad threshold', stats({ rtt: 12, proc: 12, loss: 7.5, lost: 5 }), 'bad', ['unstable']],
  ['loss just under the threshold', stats({ rtt: 12, proc: 12, loss: 1.99 }), 'ok', []],
  ['micro-stutter: jitter high', stats({ rtt: 30, proc: 30, jitter: 25 }), 'warn', ['stutter']],
  ['micro-stutter: jitter large against a small RTT', stats({ rtt: 8, proc: 8, jitter: 6 }), 'warn', ['stutter']],
  ['jitter small against a small RTT is fine', stats({ rtt: 8, proc: 8, jitter: 3 }), 'ok', []],
  ['several findings, worst first', stats({ rtt: 200, proc: 210, loss: 10, jitter: 40 }), 'bad', ['unstable', 'network', 'stutter']],
  ['everything lost', { received: 0, lost: 60, loss_pct: 100, jitter: null, rtt: {}, process: {} }, 'bad', ['unstable']],
];
for (const [name, st, level, kinds] of table) {
  test(`readGap: ${name}`, () => {
    const r = readGap(st);
    assert.equal(r.level, level, r.text);
    assert.deepEqual(r.kinds, kinds, r.text);
  });
}

test('readGap without data says so', () => {
  assert.equal(readGap(null).level, 'none');
  assert.equal(readGap({ received: 0, lost: 0 }).text, 'no data yet');
});

test('readGap text names the finding and the numbers', () => {
  const r = readGap(stats({ rtt: 2, proc: 40 }));
  assert.match(r.text, /^host\/OS delay \(process \+38\.0 ms over RTT\) — RTT 2\.00 ms · process 40\.0 ms · gap \+38\.0 ms/);
  assert.match(readGap(stats({ rtt: 12, proc: 12.1 })).text, /^stable — /);
});

test('readGap thresholds can be changed', () => {
  const r = readGap(stats({ rtt: 50, proc: 50 }), { ...READING_THRESHOLDS, rtt_high_ms: 40 });
  assert.deepEqual(r.kinds, ['network']);
});

test('typical prefers the median, then the average, then the last value', () => {
  assert.equal(typical({ p50: 1, avg: 2, last: 3 }), 1);
  assert.equal(typical({ p50: null, avg: 2, last: 3 }), 2);
  assert.equal(typical({ last: 3 }), 3);
  assert.equal(typical(null), null);
});

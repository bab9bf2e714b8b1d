import test from 'node:test';
import assert from 'node:assert/strict';
import { fmtClock, fmtDuration, fmtMs, fmtPct, fmtSignedMs } from '../src/format.js';

test('fmtMs keeps three significant-ish digits and shows absent values as a dash', () => {
  assert.equal(fmtMs(0.0712), '0.07');
  assert.equal(fmtMs(12.345), '12.3');
  assert.equal(fmtMs(123.6), '124');
  assert.equal(fmtMs(null), '—');
  assert.equal(fmtMs(NaN), '—');
  assert.equal(fmtSignedMs(-1.5), '−1.50');
});

test('fmtPct, fmtClock and fmtDuration', () => {
  assert.equal(fmtPct(0), '0');
  assert.equal(fmtPct(1.667), '1.67');
  assert.equal(fmtPct(12.5), '12.5');
  assert.equal(fmtClock(new Date(2026, 0, 1, 7, 5, 9)), '07:05:09');
  assert.equal(fmtDuration(12), '12 s');
  assert.equal(fmtDuration(125), '2 m 05 s');
  assert.equal(fmtDuration(3700), '1 h 01 m');
});

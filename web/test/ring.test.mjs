import test from 'node:test';
import assert from 'node:assert/strict';
import { SampleRing } from '../src/ring.js';

const s = (sec, status = 'ok', rtt = sec, process = sec + 0.5) => ({ ts: sec * 1000, status, rtt, process });

test('SampleRing keeps samples oldest first', () => {
  const r = new SampleRing(4);
  [s(1), s(2), s(3)].forEach((x) => r.push(x));
  assert.deepEqual(r.toSeries(), [[1, 2, 3], [1, 2, 3], [1.5, 2.5, 3.5]]);
  assert.equal(r.oldestTime(), 1);
  assert.equal(r.newestTime(), 3);
});

test('SampleRing drops the oldest when full and stays bounded', () => {
  const r = new SampleRing(3);
  for (let i = 1; i <= 10; i++) r.push(s(i));
  assert.equal(r.size, 3);
  assert.deepEqual(r.toSeries()[0], [8, 9, 10]);
});

test('SampleRing leaves gaps and marks lost probes', () => {
  const r = new SampleRing(8);
  r.push(s(1));
  r.push(s(2, 'timeout', null, null));
  r.push(s(3, 'unreachable', null, null));
  r.push(s(4, 'error', null, null));
  r.push(s(5));
  const [xs, rtt, proc] = r.toSeries();
  assert.deepEqual(xs, [1, 2, 3, 4, 5]);
  assert.deepEqual(rtt, [1, null, null, null, 5]);
  assert.deepEqual(proc, [1.5, null, null, null, 5.5]);
  assert.deepEqual(r.lostTimes(), [2, 3, 4]);
});

test('SampleRing ignores late and duplicate replies and samples older than the newest', () => {
  const r = new SampleRing(8);
  r.push(s(5));
  assert.equal(r.push(s(6, 'late')), false);
  assert.equal(r.push(s(6, 'duplicate')), false);
  assert.equal(r.push(s(4)), false);
  assert.equal(r.push(s(5)), true); // equal times are kept
  assert.equal(r.size, 2);
});

test('SampleRing lost marks wrap with the ring', () => {
  const r = new SampleRing(2);
  r.push(s(1, 'timeout', null, null));
  r.push(s(2));
  r.push(s(3, 'timeout', null, null));
  assert.deepEqual(r.lostTimes(), [3]);
});

test('SampleRing version changes on every kept sample and on clear', () => {
  const r = new SampleRing(2);
  const v0 = r.version;
  r.push(s(1));
  assert.notEqual(r.version, v0);
  const v1 = r.version;
  r.push(s(1, 'late'));
  assert.equal(r.version, v1);
  r.clear();
  assert.equal(r.size, 0);
  assert.notEqual(r.version, v1);
});

test('SampleRing rejects a bad capacity', () => {
  assert.throws(() => new SampleRing(0), RangeError);
});

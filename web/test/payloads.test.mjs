import test from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_HOPS, parseAvailability, parseEvent, parseFault, parseIncidents, parseObject, parsePath, parseReply, parseSample,
  parseState, parseStats, parseTs,
} from '../src/payloads.js';

const SAMPLE = '{"target":"1.1.1.1","address":"1.1.1.1","seq":42,"ts":"2026-11-25T17:00:00.123Z","status":"ok",' +
  '"rtt_ms":12.345,"process_ms":12.412,"rtt_clock":"kernel","ttl":57,"size":56,"error":null}';
const STATS = '{"target":"1.1.1.1","address":"1.1.1.1","ts":"2026-11-25T17:00:00.123Z","window_s":60,"sent":60,' +
  '"received":59,"lost":1,"loss_pct":1.667,"duplicates":0,"late":0,"rto":1,"rto_streak":0,' +
  '"rtt_ms":{"last":12.3,"min":11.9,"avg":12.4,"max":15.0,"stddev":0.5,"p50":12.3,"p95":13.9,"p99":14.8},' +
  '"process_ms":{"last":12.4,"min":12.0,"avg":12.5,"max":15.2,"stddev":0.5,"p50":12.4,"p95":14.0,"p99":15.0},' +
  '"jitter_ms":0.41,"jitter_rfc3550_ms":0.38,"mos":4.38,"status":"OK","reason":"ok"}';

test('parseTs reads RFC 3339 UTC with milliseconds and rejects other text', () => {
  assert.equal(parseTs('2026-11-25T17:00:00.123Z'), Date.UTC(2026, 10, 25, 17, 0, 0, 123));
  assert.equal(parseTs('2026-11-25T18:00:00+01:00'), Date.UTC(2026, 10, 25, 17, 0, 0));
  for (const bad of ['', 'yesterday', '2026-11-25', '2026-13-45T99:00:00Z', 1700000000, null]) assert.equal(parseTs(bad), null);
});

test('parseObject accepts only JSON objects and never throws', () => {
  assert.deepEqual(parseObject('{"a":1}'), { a: 1 });
  for (const bad of ['', '{', '[1]', 'null', '"x"', '42', undefined, 'x'.repeat(2 << 20)]) assert.equal(parseObject(bad), null);
});

test('parseSample reads the contract example', () => {
  const s = parseSample(SAMPLE);
  assert.equal(s.target, '1.1.1.1');
  assert.equal(s.seq, 42);
  assert.equal(s.status, 'ok');
  assert.equal(s.rtt, 12.345);
  assert.equal(s.process, 12.412);
  assert.equal(s.clock, 'kernel');
  assert.equal(s.ttl, 57);
  assert.equal(s.ts, Date.UTC(2026, 10, 25, 17, 0, 0, 123));
});

test('parseSample of a timeout has no latencies', () => {
  const s = parseSample('{"target":"t","seq":1,"ts":"2026-11-25T17:00:00.000Z","status":"timeout","rtt_ms":null,' +
    '"process_ms":null,"rtt_clock":"none","ttl":null,"size":56,"error":null}');
  assert.equal(s.status, 'timeout');
  assert.equal(s.rtt, null);
  assert.equal(s.process, null);
});

const badSamples = [
  ['not JSON', 'nope'],
  ['array', '[]'],
  ['missing target', SAMPLE.replace('"target":"1.1.1.1",', '')],
  ['target not a string', SAMPLE.replace('"target":"1.1.1.1"', '"target":7')],
  ['unknown status', SAMPLE.replace('"status":"ok"', '"status":"fine"')],
  ['bad ts', SAMPLE.replace('2026-11-25T17:00:00.123Z', 'now')],
];
for (const [name, text] of badSamples) {
  test(`parseSample rejects ${name}`, () => assert.equal(parseSample(text), null));
}

test('parseSample turns wrongly typed numbers into null', () => {
  const s = parseSample(SAMPLE.replace('"rtt_ms":12.345', '"rtt_ms":"12"').replace('"ttl":57', '"ttl":-1'));
  assert.equal(s.rtt, null);
  assert.equal(s.ttl, null);
});

test('parseStats reads the contract example', () => {
  const s = parseStats(STATS);
  assert.equal(s.loss_pct, 1.667);
  assert.equal(s.rto, 1);
  assert.equal(s.rtt.p95, 13.9);
  assert.equal(s.process.p50, 12.4);
  assert.equal(s.jitter, 0.41);
  assert.equal(s.status, 'OK');
  assert.equal(s.reason, 'ok');
});

test('parseStats keeps unknown status as null and missing summaries as nulls', () => {
  const s = parseStats('{"target":"t","status":"PURPLE","rtt_ms":null}');
  assert.equal(s.status, null);
  assert.equal(s.rtt.p50, null);
  assert.equal(parseStats('{"status":"OK"}'), null);
});

test('parseIncidents keeps valid incidents, an open one has end null', () => {
  const r = parseIncidents(JSON.stringify({
    target: 't',
    incidents: [
      { id: 3, start: '2026-11-25T17:00:00.000Z', end: '2026-11-25T17:00:12.000Z', duration_s: 12, probes_lost: 12,
        worst_status: 'BAD', reason: '4 consecutive timeouts' },
      { id: 4, start: '2026-11-25T17:01:00.000Z', end: null, duration_s: 3, probes_lost: 3, worst_status: 'WARN', reason: 'x' },
      { id: 5, start: 'garbage' },
      'not an object',
    ],
  }));
  assert.equal(r.incidents.length, 2);
  assert.equal(r.incidents[0].end, Date.UTC(2026, 10, 25, 17, 0, 12));
  assert.equal(r.incidents[1].end, null);
  assert.equal(parseIncidents('{"target":"t","incidents":{}}'), null);
});

test('parseState reads running and targets', () => {
  const s = parseState('{"agent":"host1","version":"0.1.0","started_at":"2026-11-25T17:00:00.000Z","running":true,' +
    '"targets":[{"target":"1.1.1.1","slug":"1.1.1.1","address":"1.1.1.1","interval_ms":1000},{"nope":1}],' +
    '"mqtt":{"buffered":0,"dropped":2}}');
  assert.equal(s.running, true);
  assert.equal(s.targets.length, 1);
  assert.equal(s.targets[0].interval_ms, 1000);
  assert.equal(s.mqtt.dropped, 2);
  assert.equal(parseState('{"running":"yes"}'), null);
});

test('parseReply keeps the echoed id as a string', () => {
  assert.deepEqual(parseReply('{"id":"abc","ok":true,"cmd":"start","running":true}'),
    { id: 'abc', ok: true, cmd: 'start', error: null, running: true,
      body: { id: 'abc', ok: true, cmd: 'start', running: true } });
  assert.equal(parseReply('{"id":7,"ok":false,"cmd":"add_target","error":"missing field \\"target\\""}').id, '7');
  assert.equal(parseReply('{"ok":false,"error":"invalid JSON"}').id, null);
  assert.equal(parseReply('{"id":"x"}'), null);
});

test('parseEvent needs a type', () => {
  const e = parseEvent('{"ts":"2026-11-25T17:00:00.000Z","type":"status_change","target":"t","from":"OK","to":"BAD","reason":"r"}');
  assert.equal(e.to, 'BAD');
  assert.equal(parseEvent('{"target":"t"}'), null);
});

test('parseAvailability is online, offline or unknown', () => {
  assert.equal(parseAvailability('online'), true);
  assert.equal(parseAvailability('offline\n'), false);
  assert.equal(parseAvailability('maybe'), null);
});

// Issue 13: the verdict and the path.
const FAULT = {
  segment: 'isp', metric: 'loss', hop: 3, address: '100.64.0.1', since: '2026-12-05T21:04:00.000Z',
  reason: 'loss 8.0% from hop 3 (100.64.0.1, ISP) to the target since 21:04 UTC; hops 1–2 clean',
};
const PATH = {
  target: 'example.org', address: '192.0.2.2', ts: '2026-12-05T21:04:00.000Z', traced_at: '2026-12-05T21:00:00.000Z',
  hops: [
    { ttl: 1, address: '192.168.1.1', segment: 'lan', sent: 60, lost: 0, loss_pct: 0.0, rtt_ms: { p50: 1.2, p95: 2.3 },
      rate_limited: false },
    { ttl: 2, address: null, segment: 'isp', sent: 60, lost: 60, loss_pct: 100.0, rtt_ms: { p50: null, p95: null },
      rate_limited: false },
    { ttl: 3, address: '100.64.0.1', segment: 'isp', sent: 60, lost: 5, loss_pct: 8.3, rtt_ms: { p50: 9.1, p95: 12 },
      rate_limited: true },
    { ttl: 5, address: '192.0.2.2', segment: 'remote', sent: 60, lost: 5, loss_pct: 8.3, rtt_ms: { p50: 14, p95: 20 },
      rate_limited: false },
  ],
  fault: FAULT,
};

test('parseFault reads the contract object', () => {
  assert.deepEqual(parseFault(FAULT), { segment: 'isp', metric: 'loss', hop: 3, address: '100.64.0.1',
    since: Date.UTC(2026, 11, 5, 21, 4), reason: FAULT.reason });
  assert.deepEqual(parseFault({ segment: 'ok', metric: 'none', hop: null, address: null, since: null, reason: 'ok' }),
    { segment: 'ok', metric: 'none', hop: null, address: null, since: null, reason: 'ok' });
});

test('parseFault: absent or malformed is null, odd fields become null', () => {
  for (const bad of [undefined, null, 'isp', [], {}, { segment: 'moon' }, { segment: 7 }]) assert.equal(parseFault(bad), null);
  const f = parseFault({ segment: 'lan', metric: 'vibes', hop: -1, address: 5, since: 'yesterday', reason: ['x'] });
  assert.deepEqual(f, { segment: 'lan', metric: null, hop: null, address: null, since: null, reason: null });
  assert.equal(parseFault({ segment: 'lan', hop: 0 }).hop, null, 'TTLs start at 1');
});

test('stats, state and incidents carry the fault when present, null from an older agent', () => {
  assert.equal(parseStats(STATS).fault, null);
  assert.equal(parseStats(STATS.replace(/}$/, `,"fault":${JSON.stringify(FAULT)}}`)).fault.hop, 3);
  assert.equal(parseState('{"running":true}').fault, null);
  assert.equal(parseState(`{"running":true,"fault":${JSON.stringify(FAULT)}}`).fault.segment, 'isp');
  const inc = (extra) => parseIncidents(JSON.stringify({ target: 't', incidents: [{ id: 1, start: '2026-12-05T21:04:00.000Z',
    end: null, ...extra }] })).incidents[0];
  assert.equal(inc({}).fault, null);
  assert.equal(inc({}).path, null);
  const full = inc({ fault: FAULT, path: ['192.168.1.1', null, '100.64.0.1', 7] });
  assert.equal(full.fault.segment, 'isp');
  assert.deepEqual(full.path, ['192.168.1.1', null, '100.64.0.1', null]);
});

test('parsePath reads the contract example', () => {
  const p = parsePath(JSON.stringify(PATH));
  assert.equal(p.target, 'example.org');
  assert.equal(p.address, '192.0.2.2');
  assert.equal(p.ts, Date.UTC(2026, 11, 5, 21, 4));
  assert.equal(p.traced_at, Date.UTC(2026, 11, 5, 21, 0));
  assert.equal(p.fault.hop, 3);
  assert.deepEqual(p.hops.map((h) => h.ttl), [1, 2, 3, 5]);
  assert.deepEqual(p.hops[0], { ttl: 1, address: '192.168.1.1', segment: 'lan', sent: 60, lost: 0, loss_pct: 0, p50: 1.2,
    p95: 2.3, rate_limited: false });
  assert.equal(p.hops[1].address, null);
  assert.equal(p.hops[1].p50, null);
  assert.equal(p.hops[2].rate_limited, true);
});

test('parsePath sorts hops by TTL, drops bad and repeated ones, bounds the count', () => {
  const hops = [{ ttl: 3, address: 'c' }, { ttl: 1, address: 'a' }, { ttl: 1, address: 'dup' }, { ttl: 0 }, { ttl: 'x' },
    'nope', { ttl: 2, address: 'b', rate_limited: 'yes', loss_pct: 'lots', segment: 'space' }];
  const p = parsePath(JSON.stringify({ target: 't', hops }));
  assert.deepEqual(p.hops.map((h) => [h.ttl, h.address]), [[1, 'a'], [2, 'b'], [3, 'c']]);
  assert.equal(p.hops[1].rate_limited, false, 'only true is rate-limited');
  assert.equal(p.hops[1].loss_pct, null);
  assert.equal(p.hops[1].segment, null);
  assert.equal(p.fault, null);
  const many = Array.from({ length: 300 }, (_, i) => ({ ttl: i + 1, address: `10.0.0.${i}` }));
  assert.equal(parsePath(JSON.stringify({ target: 't', hops: many })).hops.length, MAX_HOPS);
  for (const bad of ['', '{}', '{"target":"t"}', '{"target":"t","hops":{}}', '{"hops":[]}']) assert.equal(parsePath(bad), null);
});

test('parseEvent reads fault_change and path_change', () => {
  const f = parseEvent('{"type":"fault_change","ts":"2026-12-05T21:04:00.000Z","target":"t","from":"ok","to":"isp",' +
    '"reason":"loss 8.0% from hop 3"}');
  assert.deepEqual([f.type, f.target, f.from, f.to, f.hops], ['fault_change', 't', 'ok', 'isp', null]);
  const agent = parseEvent('{"type":"fault_change","ts":"2026-12-05T21:04:00.000Z","from":"isp","to":"ok","reason":"ok"}');
  assert.equal(agent.target, null);
  const p = parseEvent('{"type":"path_change","ts":"2026-12-05T21:04:00.000Z","target":"t",' +
    '"reason":"hop 3 changed 203.0.113.2 -> 203.0.113.6","hops":["192.168.1.1",null,"203.0.113.6"]}');
  assert.deepEqual(p.hops, ['192.168.1.1', null, '203.0.113.6']);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { agentSubscriptions, isValidAgentId, normaliseBase, parseTopic, slugOf } from '../src/topics.js';

test('slugOf replaces every character outside [A-Za-z0-9._-]', () => {
  assert.equal(slugOf('1.1.1.1'), '1.1.1.1');
  assert.equal(slugOf('2606:4700::1111'), '2606_4700__1111');
  assert.equal(slugOf('<img src=x onerror=alert(1)>'), '_img_src_x_onerror_alert_1__');
  assert.equal(slugOf('a-b_c.d/e+f#g'), 'a-b_c.d_e_f_g');
});

test('normaliseBase trims slashes and defaults to netstab', () => {
  assert.equal(normaliseBase(' /home/netstab/ '), 'home/netstab');
  assert.equal(normaliseBase(''), 'netstab');
  assert.equal(normaliseBase(undefined), 'netstab');
});

const cases = [
  ['netstab/h1/availability', { agent: 'h1', kind: 'availability' }],
  ['netstab/h1/state', { agent: 'h1', kind: 'state' }],
  ['netstab/h1/events', { agent: 'h1', kind: 'events' }],
  ['netstab/h1/cmd', { agent: 'h1', kind: 'cmd' }],
  ['netstab/h1/cmd/reply', { agent: 'h1', kind: 'reply' }],
  ['netstab/h1/targets/1.1.1.1/sample', { agent: 'h1', kind: 'sample', slug: '1.1.1.1' }],
  ['netstab/h1/targets/1.1.1.1/stats', { agent: 'h1', kind: 'stats', slug: '1.1.1.1' }],
  ['netstab/h1/targets/1.1.1.1/stats/5m', { agent: 'h1', kind: 'stats', slug: '1.1.1.1', window: '5m' }],
  ['netstab/h1/targets/x/incidents', { agent: 'h1', kind: 'incidents', slug: 'x' }],
  ['netstab/h1/targets/example.org/path', { agent: 'h1', kind: 'path', slug: 'example.org' }],
  ['netstab/h1/targets/x/path/5m', null],
  ['netstab/h1/targets/x/stats/five', null],
  ['netstab/h1/targets//sample', null],
  ['netstab/h1/targets/x/other', null],
  ['netstab/h1/unknown', null],
  ['netstab/h1', null],
  ['netstab//state', null],
  ['other/h1/state', null],
  ['netstabx/h1/state', null],
  ['netstab/h1/cmd/reply/extra', null],
];
for (const [topic, want] of cases) {
  test(`parseTopic ${topic}`, () => assert.deepEqual(parseTopic('netstab', topic), want));
}

test('parseTopic works under a base with slashes', () => {
  assert.deepEqual(parseTopic('home/net', 'home/net/a/state'), { agent: 'a', kind: 'state' });
  assert.equal(parseTopic('home/net', 'home/a/state'), null);
});

test('agentSubscriptions follow one agent without its command topic', () => {
  assert.deepEqual(agentSubscriptions('netstab', 'h1'), [
    'netstab/h1/state', 'netstab/h1/targets/#', 'netstab/h1/events', 'netstab/h1/cmd/reply',
  ]);
});

test('isValidAgentId rejects wildcards and separators', () => {
  for (const bad of ['', 'a/b', 'a+', '#', 'x'.repeat(257), 42]) assert.equal(isValidAgentId(bad), false, String(bad));
  assert.equal(isValidAgentId('host-1.lan'), true);
});

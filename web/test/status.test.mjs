import test from 'node:test';
import assert from 'node:assert/strict';
import { STATUS_COLOURS, statusClass, statusColour, statusLabel } from '../src/status.js';

const table = [
  // status, online, class, label
  ['OK', true, 'ok', 'OK'],
  ['WARN', true, 'warn', 'WARN'],
  ['BAD', true, 'bad', 'BAD'],
  [null, true, 'unknown', '—'],
  ['weird', true, 'unknown', '—'],
  ['OK', false, 'offline', 'OFFLINE'],
  ['BAD', false, 'offline', 'OFFLINE'],
];
for (const [status, online, cls, label] of table) {
  test(`status ${status} online=${online} -> ${cls}`, () => {
    assert.equal(statusClass(status, online), cls);
    assert.equal(statusLabel(status, online), label);
    assert.equal(statusColour(status, online), STATUS_COLOURS[cls]);
  });
}

test('OK, WARN, BAD are green, amber, red and offline is grey', () => {
  assert.equal(statusColour('OK'), '#3ddc84');
  assert.equal(statusColour('WARN'), '#ffb300');
  assert.equal(statusColour('BAD'), '#ff4d4f');
  assert.equal(statusColour('OK', false), '#6b7280');
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { describeError, unreachableText } from '../src/conn_errors.js';

const table = [
  // error, text, fatal
  [{ code: 5, message: 'Connection refused: Not authorized' }, 'broker refused the connection: not authorized', true],
  [{ code: 4, message: 'x' }, 'broker refused the connection: bad username or password', true],
  [{ code: 134, message: 'x' }, 'broker refused the connection: bad username or password', true],
  [{ code: 135, message: 'x' }, 'broker refused the connection: not authorized', true],
  [{ code: 137, message: 'x' }, 'broker refused the connection: server busy', false],
  [new Error('Connection refused: Not authorized'), 'broker refused the connection: not authorized', true],
  [new Error('socket hang up'), 'connection error: socket hang up (ws://h/mqtt)', false],
];
for (const [err, text, fatal] of table) {
  test(`describeError ${err.code ?? err.message}`, () => assert.deepEqual(describeError(err, 'ws://h/mqtt'), { text, fatal }));
}

test('unreachableText names the URL', () => {
  assert.match(unreachableText('ws://127.0.0.1:1/mqtt'), /cannot reach the broker at ws:\/\/127\.0\.0\.1:1\/mqtt/);
});

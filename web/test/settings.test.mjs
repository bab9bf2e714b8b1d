import test from 'node:test';
import assert from 'node:assert/strict';
import { defaultBrokerUrl, loadSettings, saveSettings, validateBrokerUrl } from '../src/settings.js';

class MemoryStorage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
}

test('the default broker is the page own host and port', () => {
  assert.equal(defaultBrokerUrl({ protocol: 'http:', host: '127.0.0.1:9001' }), 'ws://127.0.0.1:9001/mqtt');
  assert.equal(defaultBrokerUrl({ protocol: 'https:', host: 'nas.lan' }), 'wss://nas.lan/mqtt');
  assert.equal(defaultBrokerUrl({ protocol: 'file:', host: '' }), 'ws://localhost:9001/mqtt');
});

test('settings round-trip; the password only when remembered', () => {
  const store = new MemoryStorage();
  const loc = { protocol: 'http:', host: 'h:1' };
  saveSettings(store, { url: 'ws://x:1/mqtt', username: 'u', password: 'secret', remember: false, base: 'b', agent: 'a' });
  assert.deepEqual(loadSettings(store, loc), { url: 'ws://x:1/mqtt', username: 'u', password: '', remember: false, base: 'b', agent: 'a' });
  saveSettings(store, { url: 'ws://x:1/mqtt', username: 'u', password: 'secret', remember: true, base: 'b', agent: 'a' });
  assert.equal(loadSettings(store, loc).password, 'secret');
});

test('corrupt or missing storage falls back to defaults', () => {
  const store = new MemoryStorage();
  store.setItem('netstab.dashboard.v1', '{not json');
  assert.equal(loadSettings(store, { protocol: 'http:', host: 'h:1' }).url, 'ws://h:1/mqtt');
  store.setItem('netstab.dashboard.v1', '{"url":42,"username":"u"}');
  const s = loadSettings(store, { protocol: 'http:', host: 'h:1' });
  assert.equal(s.url, 'ws://h:1/mqtt');
  assert.equal(s.username, 'u');
  assert.equal(loadSettings(null, null).url, 'ws://localhost:9001/mqtt');
});

test('validateBrokerUrl wants ws or wss with a host', () => {
  assert.equal(validateBrokerUrl('ws://127.0.0.1:9001/mqtt'), null);
  assert.equal(validateBrokerUrl('wss://broker.example/mqtt'), null);
  assert.match(validateBrokerUrl('mqtt://127.0.0.1:1883'), /ws:\/\/ or wss:\/\//);
  assert.match(validateBrokerUrl('not a url'), /not a valid URL/);
});

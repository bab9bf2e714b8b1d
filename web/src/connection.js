// The broker connection: mqtt.js over WebSocket, with a status the header shows.
// Owns one mqtt.js client at a time; all callbacks run on the page's main thread.
import mqtt from 'mqtt';
import { describeError, unreachableText } from './conn_errors.js';

export const RECONNECT_MS = 2000;

export class Connection {
  // onStatus({state, text}); state: idle | connecting | connected | reconnecting | refused | closed.
  // onMessage(topic, text, retained).
  constructor({ onStatus, onMessage, onConnect }) {
    this.onStatus_ = onStatus;
    this.onMessage_ = onMessage;
    this.onConnect_ = onConnect;
    this.client_ = null;
    this.decoder_ = new TextDecoder();
    this.subscriptions_ = new Set();
  }

  get connected() {
    return this.client_ !== null && this.client_.connected;
  }

  connect({ url, username, password }) {
    this.disconnect();
    const clientId = `netstab-web-${Math.random().toString(16).slice(2, 10)}`;
    const client = mqtt.connect(url, {
      clientId,
      protocolVersion: 5,
      clean: true,
      keepalive: 30,
      connectTimeout: 5000,
      reconnectPeriod: RECONNECT_MS,
      resubscribe: false,
      username: username || undefined,
      password: password || undefined,
    });
    this.client_ = client;
    let everConnected = false;
    let lastError = null;
    let attempts = 0;
    this.status_('connecting', `connecting to ${url}…`);

    client.on('connect', () => {
      if (this.client_ !== client) return;
      everConnected = true;
      lastError = null;
      attempts = 0;
      this.status_('connected', `connected to ${url}`);
      // Subscriptions are re-made on every connect: the session is clean.
      if (this.subscriptions_.size) client.subscribe([...this.subscriptions_], { qos: 1 });
      this.onConnect_?.();
    });
    client.on('message', (topic, payload, packet) => {
      if (this.client_ !== client) return;
      this.onMessage_(topic, this.decoder_.decode(payload), packet.retain === true);
    });
    client.on('error', (err) => {
      if (this.client_ !== client) return;
      const d = describeError(err, url);
      lastError = d.text;
      if (d.fatal) {
        client.end(true);
        this.status_('refused', `${d.text} — check username and password, then connect again`);
      } else {
        this.status_('reconnecting', d.text);
      }
    });
    client.on('close', () => {
      if (this.client_ !== client || client.disconnecting || client.disconnected) return;
      if (this.lastState_ === 'refused') return;
      this.status_('reconnecting', lastError ?? (everConnected ? `connection to ${url} lost` : unreachableText(url)));
    });
    client.on('reconnect', () => {
      if (this.client_ !== client) return;
      attempts++;
      const why = lastError ?? (everConnected ? `connection to ${url} lost` : unreachableText(url));
      this.status_('reconnecting', `${why} — retrying (attempt ${attempts})`);
    });
  }

  disconnect() {
    if (this.client_) {
      const c = this.client_;
      this.client_ = null;
      c.end(true);
      this.status_('closed', 'disconnected');
    }
  }

  // Adds and removes subscriptions; they are kept and re-made after reconnecting.
  subscribe(filters) {
    const add = filters.filter((f) => !this.subscriptions_.has(f));
    add.forEach((f) => this.subscriptions_.add(f));
    if (add.length && this.connected) this.client_.subscribe(add, { qos: 1 });
  }

  unsubscribe(filters) {
    const drop = filters.filter((f) => this.subscriptions_.has(f));
    drop.forEach((f) => this.subscriptions_.delete(f));
    if (drop.length && this.connected) this.client_.unsubscribe(drop);
  }

  clearSubscriptions() {
    this.unsubscribe([...this.subscriptions_]);
  }

  // Returns false when not connected (the command is not queued: a stale command is worse than none).
  publish(topic, payload, qos = 1) {
    if (!this.connected) return false;
    this.client_.publish(topic, payload, { qos, retain: false });
    return true;
  }

  status_(state, text) {
    this.lastState_ = state;
    this.onStatus_({ state, text });
  }
}

// Human-readable connection problems, from mqtt.js errors and the connection's history.

// MQTT 3.1.1 CONNACK return codes and MQTT 5 reason codes that mean "the broker said no".
const REFUSALS = new Map([
  [1, 'unacceptable protocol version'],
  [2, 'client id rejected'],
  [3, 'server unavailable'],
  [4, 'bad username or password'],
  [5, 'not authorized'],
  [128, 'unspecified error'],
  [131, 'implementation specific error'],
  [132, 'unsupported protocol version'],
  [133, 'client id not valid'],
  [134, 'bad username or password'],
  [135, 'not authorized'],
  [136, 'server unavailable'],
  [137, 'server busy'],
  [138, 'banned'],
  [140, 'bad authentication method'],
  [149, 'packet too large'],
  [151, 'quota exceeded'],
  [153, 'payload format invalid'],
  [159, 'connection rate exceeded'],
]);

// Codes after which retrying with the same credentials is pointless.
const AUTH_CODES = new Set([4, 5, 134, 135, 138, 140]);

// err: an Error from mqtt.js (its `code` is the CONNACK code when the broker refused).
// Returns {text, fatal}: fatal means stop reconnecting until the person changes something.
export function describeError(err, url) {
  const code = err && typeof err.code === 'number' ? err.code : null;
  if (code !== null && REFUSALS.has(code)) {
    return { text: `broker refused the connection: ${REFUSALS.get(code)}`, fatal: AUTH_CODES.has(code) };
  }
  const msg = err && typeof err.message === 'string' && err.message ? err.message : String(err ?? 'error');
  if (/not authori[sz]ed/i.test(msg)) return { text: 'broker refused the connection: not authorized', fatal: true };
  if (/bad user ?name or password/i.test(msg)) {
    return { text: 'broker refused the connection: bad username or password', fatal: true };
  }
  return { text: `connection error: ${msg}${url ? ` (${url})` : ''}`, fatal: false };
}

// The message when the socket closed before the broker ever answered.
export function unreachableText(url) {
  return `cannot reach the broker at ${url}: no WebSocket connection (is the broker running, and is the URL right?)`;
}

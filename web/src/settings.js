// Connection settings: defaults from the page's own location, remembered in localStorage.
// The password is stored only when "remember password" is ticked.

const KEY = 'netstab.dashboard.v1';

// mosquitto's websockets listener serves the page and MQTT on one port, so the page's own host and
// port are the default broker; a page opened from a file falls back to localhost:9001.
export function defaultBrokerUrl(loc) {
  if (!loc || !loc.host || (loc.protocol !== 'http:' && loc.protocol !== 'https:')) return 'ws://localhost:9001/mqtt';
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/mqtt`;
}

export function defaultSettings(loc) {
  return { url: defaultBrokerUrl(loc), username: '', password: '', remember: true, base: 'netstab', agent: '' };
}

// A broker URL the page can use: ws:// or wss:// with a host.
export function validateBrokerUrl(url) {
  let u;
  try {
    u = new URL(String(url).trim());
  } catch {
    return 'broker URL is not a valid URL';
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return 'broker URL must start with ws:// or wss://';
  if (!u.hostname) return 'broker URL has no host';
  return null;
}

export function loadSettings(storage, loc) {
  const d = defaultSettings(loc);
  let saved = null;
  try {
    saved = JSON.parse(storage?.getItem(KEY) ?? 'null');
  } catch {
    saved = null;
  }
  if (!saved || typeof saved !== 'object') return d;
  const pick = (k) => (typeof saved[k] === typeof d[k] ? saved[k] : d[k]);
  return { url: pick('url'), username: pick('username'), password: pick('password'), remember: pick('remember'),
    base: pick('base'), agent: pick('agent') };
}

export function saveSettings(storage, s) {
  const out = { ...s, password: s.remember ? s.password : '' };
  try {
    storage?.setItem(KEY, JSON.stringify(out));
  } catch {
    // Storage full or disabled (private mode): the settings just are not remembered.
  }
}

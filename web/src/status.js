// Status colours: one mapping from an agent's health word (and its reachability) to the class and
// colour the HUD uses, so the HUD, the target list and the incident list agree.

export const STATUS_COLOURS = Object.freeze({
  ok: '#3ddc84', // green
  warn: '#ffb300', // amber
  bad: '#ff4d4f', // red
  offline: '#6b7280', // grey: the agent or the broker is gone, values are stale
  unknown: '#9ca3af', // no stats yet
});

// status: "OK" | "WARN" | "BAD" | anything else; online: false when the agent or broker is away.
export function statusClass(status, online = true) {
  if (online === false) return 'offline';
  switch (status) {
    case 'OK':
      return 'ok';
    case 'WARN':
      return 'warn';
    case 'BAD':
      return 'bad';
    default:
      return 'unknown';
  }
}

export function statusColour(status, online = true) {
  return STATUS_COLOURS[statusClass(status, online)];
}

// The word shown in the status tile.
export function statusLabel(status, online = true) {
  if (online === false) return 'OFFLINE';
  return status === 'OK' || status === 'WARN' || status === 'BAD' ? status : '—';
}

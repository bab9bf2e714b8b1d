// Number and time formatting for the HUD; "—" stands for an absent value.

export const NONE = '—';

export function fmtMs(v, digits = undefined) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return NONE;
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toFixed(d);
}

export function fmtSignedMs(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return NONE;
  return (v >= 0 ? '+' : '−') + fmtMs(Math.abs(v));
}

export function fmtPct(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return NONE;
  return v === 0 ? '0' : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function fmtCount(v) {
  return Number.isInteger(v) ? String(v) : NONE;
}

const pad = (n) => String(n).padStart(2, '0');

// Local wall-clock time HH:MM:SS of an epoch-ms value (or a Date).
export function fmtClock(t) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return NONE;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDateTime(t) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return NONE;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${fmtClock(d)}`;
}

export function fmtDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return NONE;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} m`;
}

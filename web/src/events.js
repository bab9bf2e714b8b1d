// The compact event log: the verdict's and the path's changes (fault_change, path_change events) of every
// target of the agent, newest first. Events are not retained by the broker, so the log holds those that arrived
// while the page was open. Pure: parsed events (payloads.parseEvent) in, lines of text out.
import { fmtClock, NONE } from './format.js';
import { pathText } from './hops.js';
import { segmentShort } from './verdict.js';

export const LOG_TYPES = Object.freeze(['fault_change', 'path_change']);
export const LOG_LINES = 20;

// One log line: {time, who, text, detail, title, kind, segment}. who: the target, or "all targets" for the
// agent's own verdict (a fault_change without a target); detail: the reason; title: the full text for a
// tooltip (with the new path's hops for a path_change).
export function formatEvent(e) {
  const time = e.ts !== null ? fmtClock(e.ts) : NONE;
  if (e.type === 'fault_change') {
    const who = e.target ?? 'all targets';
    const text = `verdict ${e.from !== null ? segmentShort(e.from) : '?'} → ${e.to !== null ? segmentShort(e.to) : '?'}`;
    const detail = e.reason ?? '';
    return { time, who, text, detail, title: [`${who}: ${text}`, detail].filter(Boolean).join('\n'), kind: 'fault',
      segment: e.to };
  }
  if (e.type === 'path_change') {
    const who = e.target ?? 'all targets';
    const hops = pathText(e.hops);
    const detail = e.reason ?? '';
    return { time, who, text: 'path changed', detail,
      title: [`${who}: path changed`, detail, hops && `now: ${hops}`].filter(Boolean).join('\n'), kind: 'path',
      segment: null };
  }
  return { time, who: e.target ?? '', text: e.type, detail: e.reason ?? '', title: '', kind: 'other', segment: null };
}

// The log's lines: the agent's events of LOG_TYPES, newest first, at most `limit`.
export function eventLog(events, limit = LOG_LINES) {
  const out = [];
  for (let i = events.length - 1; i >= 0 && out.length < limit; i--) {
    if (LOG_TYPES.includes(events[i].type)) out.push(formatEvent(events[i]));
  }
  return out;
}

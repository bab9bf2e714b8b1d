// The words beside the HUD's loss and RTO figures and the incident table's duration and lost cells, so each
// number says what it counts. Pure: values in, text out.
//
// What the agent counts (core/target_monitor.hpp), in the stats of one window:
//   lost        probes without an answer: timeouts, ICMP unreachable / time exceeded, local send errors;
//   rto         the timeouts among them, so lost - rto were unreachable or errors;
//   late        replies that came after the timeout (those probes were already counted lost);
//   duplicates  second and later replies to one probe;
//   rto_streak  probes lost in a row right now, whatever the cause (not windowed; the status rule's input).
// "RTO 0" beside "11 lost in a row" is then right when every probe is answered by "unreachable".
import { NONE, fmtCount, fmtDuration } from './format.js';
import { pathText } from './hops.js';
import { verdictLabel } from './verdict.js';

const count = (v) => (Number.isInteger(v) && v >= 0 ? v : null);

// The LOSS tile's two lines under the percentage: the window's accounting.
export function lossLines(st) {
  if (!st) return { sub: '', sub2: '' };
  return {
    sub: `${fmtCount(st.lost)} lost / ${fmtCount(st.sent)} sent · ${fmtCount(st.window_s)}s`,
    sub2: `late ${fmtCount(st.late)} · dup ${fmtCount(st.duplicates)}`,
  };
}

// The RTO tile: the timeouts as its value, then the streak and the losses that were not timeouts.
export function rtoLines(st) {
  if (!st) return { value: NONE, sub: '', sub2: '' };
  const lost = count(st.lost);
  const rto = count(st.rto);
  const other = lost !== null && rto !== null ? Math.max(0, lost - rto) : null;
  return {
    value: fmtCount(st.rto),
    sub: `${fmtCount(st.rto_streak)} lost in a row`,
    sub2: `unreach/err ${fmtCount(other)}`,
  };
}

// One incident's duration and lost cells.
// inc: a parsed incident ({start, end, duration_s, probes_lost}, times in epoch ms, end null while open).
// now: the page's epoch ms; receivedAt: when the page received the incident list (epoch ms, or null);
// agentOffline: the agent is known to be offline; offlineSince: since when (epoch ms), null when the page did not
// see it go.
//
// A closed incident shows the agent's figures. An open one is published by the agent when it opens (duration 0,
// the probes lost so far) and not again until it closes, so the page counts its duration itself: from its start to
// now on the page's clock, which assumes the agent's and the browser's clocks agree (NTP); and never less than
// the published duration plus the time since it arrived, so it grows even on a clock that is behind. Its lost
// count can only have grown since, hence "≥". While the agent is offline the incident's fate is unknown: the
// duration stops where the agent was last seen, as a lower bound.
export function incidentCells(inc, { now, receivedAt = null, agentOffline = false, offlineSince = null }) {
  const published = typeof inc.duration_s === 'number' && inc.duration_s >= 0 ? inc.duration_s : null;
  const lost = count(inc.probes_lost);
  if (inc.end !== null) {
    const seconds = published ?? Math.max(0, (inc.end - inc.start) / 1000);
    return { duration: fmtDuration(seconds), lost: lost === null ? '' : String(lost), ticking: false, seconds };
  }
  const lostOpen = lost === null ? '' : `≥ ${lost}`;
  // The open incident's length at time t (epoch ms) by both clocks, whichever says more.
  const at = (t) => Math.max(
    0,
    published ?? 0,
    (t - inc.start) / 1000,
    published !== null && receivedAt !== null ? published + (t - receivedAt) / 1000 : 0,
  );
  if (agentOffline) {
    const seconds = offlineSince !== null ? at(offlineSince) : published ?? 0;
    return { duration: `≥ ${fmtDuration(seconds)}`, lost: lostOpen, ticking: false, seconds };
  }
  const seconds = at(now);
  return { duration: fmtDuration(seconds), lost: lostOpen, ticking: true, seconds };
}

// One incident's verdict cell (issue 13): the verdict at its worst as a short label ("ISP · hop 3"), its reason,
// and the path as it was when the incident started. Both are optional in the contract: an incident from an
// agent without path monitoring has an empty label. title: the tooltip text (reason, then the path).
export function incidentVerdict(inc) {
  const fault = inc.fault ?? null;
  const path = pathText(inc.path);
  const reason = fault?.reason ?? '';
  return {
    label: fault ? verdictLabel(fault) : '',
    segment: fault?.segment ?? null,
    reason,
    path,
    title: [reason, path && `path at the start: ${path}`].filter(Boolean).join('\n'),
  };
}

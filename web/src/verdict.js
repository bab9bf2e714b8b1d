// The verdict in plain words: whose fault it is (issue 13), for the banner at the top of the page, the incident
// table and the event log. Pure: parsed faults (payloads.parseFault) in, text and a colour level out.
//
// Segments, as the agent names them (docs/verdict.md): host (this machine), lan (hop 1 and the private hops
// after it), isp (the first hops after the LAN), upstream (the rest before the target), remote (the target
// itself), ok (the target is clean, whatever the hops show), unknown (degraded, not placed).
//
// Which verdict the banner shows. With several targets, the agent's own verdict (from its state): it answers
// the home user's question "is it my connection?" across every target: a problem several targets share points
// at the segment they share, and one degraded target among clean ones is that target's own problem ("Your
// connection is fine: only t2 has a problem"). A per-target verdict there would make the banner change with the
// target a person happens to have selected. The selected target's verdict is then shown on a second line when
// it differs, so nothing is hidden. With one target, the agent's verdict is that target's anyway, and the
// target's own (in its stats, refreshed with every stats message) is the fresher of the two, so the banner
// shows the target's. Without an agent verdict (an agent that publishes none in its state yet) the selected
// target's is shown, and without either the banner says why.

export const SEGMENT_NAMES = Object.freeze({
  ok: 'All good',
  host: 'Your computer (host)',
  lan: 'Your network (LAN)',
  isp: 'Your ISP',
  upstream: 'Upstream, beyond your ISP',
  remote: 'The target itself',
  unknown: 'Not placed yet',
});

// Short labels for table cells and the event log.
export const SEGMENT_SHORT = Object.freeze({
  ok: 'ok',
  host: 'host',
  lan: 'LAN',
  isp: 'ISP',
  upstream: 'upstream',
  remote: 'target',
  unknown: 'unknown',
});

export const segmentShort = (segment) => SEGMENT_SHORT[segment] ?? (typeof segment === 'string' ? segment : '?');

const what = (metric) => (metric === 'latency' ? 'delay' : metric === 'loss' ? 'loss' : 'trouble');

// "hop 3 (100.64.0.1)", "hop 3", or null without a hop.
function hopPhrase(fault) {
  if (fault.hop === null) return null;
  return fault.address ? `hop ${fault.hop} (${fault.address})` : `hop ${fault.hop}`;
}

// The headline of one verdict, e.g. "Your ISP: loss starts at hop 3 (100.64.0.1)". name: the target's name, for
// a verdict that blames the target itself. null for no fault.
export function verdictHeadline(fault, { name = null } = {}) {
  if (!fault) return null;
  switch (fault.segment) {
    case 'ok':
      return 'All good';
    case 'host':
      return 'Your computer is slow (host)';
    case 'lan':
    case 'isp':
    case 'upstream': {
      const who = SEGMENT_NAMES[fault.segment];
      const at = hopPhrase(fault);
      if (at) return `${who}: ${what(fault.metric)} starts at ${at}`;
      return `${who}: ${fault.metric === 'latency' ? 'delay' : fault.metric === 'loss' ? 'packet loss' : 'trouble'}`;
    }
    case 'remote': {
      const who = name ?? fault.address ?? 'the target';
      const does = fault.metric === 'latency' ? 'answers slowly' : fault.metric === 'loss' ? 'loses packets' : 'has trouble';
      return `The target itself: ${who} ${does}`;
    }
    default:
      return 'Something is wrong, but where is not clear yet';
  }
}

// The short label of a verdict for a table cell: "ISP · hop 3", "target", "host", "ok".
export function verdictLabel(fault) {
  if (!fault) return '';
  const seg = segmentShort(fault.segment);
  return fault.hop !== null && ['lan', 'isp', 'upstream'].includes(fault.segment) ? `${seg} · hop ${fault.hop}` : seg;
}

// The colour level of a verdict: ok (green) when nothing is wrong, bad (red) when the target's status is BAD,
// warn (amber) for any other fault. status: the health word of the target(s) concerned, or null.
export function faultLevel(fault, status = null) {
  if (!fault) return 'none';
  if (fault.segment === 'ok') return 'ok';
  return status === 'BAD' ? 'bad' : 'warn';
}

const sameFault = (a, b) =>
  a !== null && b !== null && a.segment === b.segment && a.hop === b.hop && a.address === b.address && a.metric === b.metric;

const worstStatus = (list) =>
  list.some((t) => t.status === 'BAD') ? 'BAD' : list.some((t) => t.status === 'WARN') ? 'WARN' : list[0]?.status ?? null;

// The banner's model.
//   agentFault: the agent's verdict from its state (or null);
//   agentSeen: the agent's state was received (so a missing agentFault means the agent publishes none);
//   targets: [{slug, name, fault, status, statsSeen}] for the agent's targets (fault null when absent);
//   selected: the selected target's slug; online: false when the agent is known offline.
// Returns {scope: 'agent'|'target'|'none', subject, level, segment, headline, reason, selected, note}, where
// selected is {name, headline, reason, level, segment} (the selected target's verdict shown under the agent's
// when they differ) or null.
export function verdictBanner({ agentFault = null, agentSeen = false, targets = [], selected = null, online = true }) {
  const sel = targets.find((t) => t.slug === selected) ?? null;
  const several = targets.length > 1;
  let scope = 'none';
  if (agentFault && (several || !sel?.fault)) scope = 'agent';
  else if (sel?.fault) scope = 'target';

  let out;
  if (scope === 'none') {
    const legacy = agentSeen || targets.some((t) => t.statsSeen);
    out = legacy
      ? { level: 'none', segment: null, headline: 'No verdict from this agent',
        reason: 'it publishes no fault: a netstab without path monitoring, or one still starting it', subject: '' }
      : { level: 'none', segment: null, headline: 'Waiting for the verdict…', reason: '', subject: '' };
    out.selected = null;
  } else if (scope === 'agent') {
    const degraded = targets.filter((t) => t.fault && t.fault.segment !== 'ok');
    const status = worstStatus(degraded);
    out = { segment: agentFault.segment, reason: agentFault.reason ?? '',
      subject: several ? `all ${targets.length} targets` : sel?.name ?? '' };
    if (agentFault.segment === 'ok' && degraded.length) {
      out.headline = degraded.length === 1
        ? `Your connection is fine: only ${degraded[0].name} has a problem`
        : `Your connection is fine: ${degraded.length} targets have problems of their own`;
      out.level = status === 'BAD' ? 'bad' : 'warn';
    } else if (agentFault.segment === 'unknown' && degraded.length > 1) {
      out.headline = `${degraded.length} targets have trouble, in different places`;
      out.level = faultLevel(agentFault, status);
    } else {
      out.headline = verdictHeadline(agentFault, { name: several ? null : sel?.name ?? null });
      out.level = faultLevel(agentFault, status);
    }
    out.selected = several && sel?.fault && !sameFault(sel.fault, agentFault)
      ? { name: sel.name, headline: verdictHeadline(sel.fault, { name: sel.name }), reason: sel.fault.reason ?? '',
        level: faultLevel(sel.fault, sel.status), segment: sel.fault.segment }
      : null;
  } else {
    out = { segment: sel.fault.segment, headline: verdictHeadline(sel.fault, { name: sel.name }),
      reason: sel.fault.reason ?? '', level: faultLevel(sel.fault, sel.status), subject: sel.name, selected: null };
  }
  out.scope = scope;
  out.note = '';
  if (online === false && scope !== 'none') {
    out.level = 'offline';
    out.note = 'agent offline: its last verdict';
  }
  return out;
}

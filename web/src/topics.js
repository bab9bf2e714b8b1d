// Topic names of the netstab MQTT contract (v1) and their parsing.
// Pure: no DOM, no MQTT client; shared by the page and the node unit tests.

// The slug the agent uses in topics: every character outside [A-Za-z0-9._-] becomes "_".
export function slugOf(target) {
  return String(target).replace(/[^A-Za-z0-9._-]/g, '_');
}

// A base topic as typed by a person: trimmed, without leading/trailing slashes, "netstab" when empty.
export function normaliseBase(base) {
  const b = String(base ?? '').trim().replace(/^\/+|\/+$/g, '');
  return b === '' ? 'netstab' : b;
}

export const availabilityFilter = (base) => `${base}/+/availability`;
export const commandTopic = (base, agent) => `${base}/${agent}/cmd`;

// The subscriptions that follow one agent: everything it publishes except the command topic,
// whose messages are other clients' commands, not the agent's output.
export function agentSubscriptions(base, agent) {
  const p = `${base}/${agent}`;
  return [`${p}/state`, `${p}/targets/#`, `${p}/events`, `${p}/cmd/reply`];
}

// An agent id usable in a topic: non-empty, no wildcard or separator characters.
export function isValidAgentId(agent) {
  return typeof agent === 'string' && agent.length > 0 && agent.length <= 256 && !/[/+#\u0000]/.test(agent);
}

// Parses a topic under `base` into {agent, kind, slug?, window?}, or null when it is no contract topic.
// kind: availability | state | sample | stats | incidents | path | events | cmd | reply.
export function parseTopic(base, topic) {
  if (typeof topic !== 'string' || !topic.startsWith(base + '/')) return null;
  const parts = topic.slice(base.length + 1).split('/');
  const agent = parts[0];
  if (!isValidAgentId(agent)) return null;
  const rest = parts.slice(1);
  if (rest.length === 1) {
    const kind = { availability: 'availability', state: 'state', events: 'events', cmd: 'cmd' }[rest[0]];
    return kind ? { agent, kind } : null;
  }
  if (rest.length === 2 && rest[0] === 'cmd' && rest[1] === 'reply') return { agent, kind: 'reply' };
  if (rest[0] !== 'targets' || rest.length < 3 || rest[1] === '') return null;
  const slug = rest[1];
  if (rest.length === 3) {
    const kind = { sample: 'sample', stats: 'stats', incidents: 'incidents', path: 'path' }[rest[2]];
    return kind ? { agent, kind, slug } : null;
  }
  if (rest.length === 4 && rest[2] === 'stats' && /^\d+[smhd]$/.test(rest[3])) {
    return { agent, kind: 'stats', slug, window: rest[3] };
  }
  return null;
}

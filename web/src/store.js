// The dashboard's model: agents found on the broker and, per agent, its state and its targets with
// their latest sample, stats, incidents, path (with the hops' recent history) and chart history. Pure: fed with (topic, payload text) pairs,
// it answers what changed; the views read from it. History stays in memory when the selected agent or
// target changes, so switching back shows the minutes already seen.
//
// Bounds: at most MAX_AGENTS agents and MAX_TARGETS targets per agent are tracked (more are ignored),
// each target's history is one SampleRing, and each agent keeps its last MAX_EVENTS events.
import { parseTopic, slugOf } from './topics.js';
import {
  parseAvailability,
  parseEvent,
  parseIncidents,
  parsePath,
  parseReply,
  parseSample,
  parseState,
  parseStats,
} from './payloads.js';
import { SampleRing, DEFAULT_CAPACITY } from './ring.js';
import { HopHistory } from './hops.js';

export const MAX_AGENTS = 256;
export const MAX_TARGETS = 256;
export const MAX_EVENTS = 100;

export class Store {
  constructor({ base = 'netstab', ringCapacity = DEFAULT_CAPACITY } = {}) {
    this.base = base;
    this.ringCapacity = ringCapacity;
    this.agents = new Map();
  }

  agent(id, create = false) {
    let a = this.agents.get(id);
    if (!a && create && this.agents.size < MAX_AGENTS) {
      a = { id, online: null, since: null, state: null, targets: new Map(), events: [] };
      this.agents.set(id, a);
    }
    return a ?? null;
  }

  target(agent, slug, create = false) {
    let t = agent.targets.get(slug);
    if (!t && create && agent.targets.size < MAX_TARGETS) {
      t = {
        slug,
        target: null,
        address: null,
        last: null,
        stats: null,
        windows: new Map(),
        incidents: [],
        incidentsAt: null, // local epoch ms the incident list arrived
        ring: new SampleRing(this.ringCapacity),
        path: null, // the latest path message (parsePath), null when none or cleared
        hops: new HopHistory(),
      };
      agent.targets.set(slug, t);
    }
    return t ?? null;
  }

  // Applies one message. now: local epoch ms of arrival; retained: the broker's retain flag.
  // Returns {agent, kind, slug?, value} describing the change, or null when the message was ignored.
  handle(topic, payload, now = Date.now(), retained = false) {
    const where = parseTopic(this.base, topic);
    if (!where) return null;
    const { kind, slug } = where;
    if (kind === 'cmd') return null;
    if (kind === 'availability') {
      const online = parseAvailability(payload);
      if (online === null) return null;
      const a = this.agent(where.agent, true);
      if (!a) return null;
      if (a.online !== online) a.since = retained ? null : now;
      a.online = online;
      return { agent: a.id, kind, value: online };
    }
    const a = this.agent(where.agent, true);
    if (!a) return null;
    switch (kind) {
      case 'state': {
        const s = parseState(payload);
        if (!s) return null;
        a.state = s;
        for (const st of s.targets) {
          const t = this.target(a, st.slug ?? slugOf(st.target), true);
          if (t) {
            t.target = st.target;
            t.address = st.address ?? t.address;
          }
        }
        return { agent: a.id, kind, value: s };
      }
      case 'events': {
        const e = parseEvent(payload);
        if (!e) return null;
        a.events.push(e);
        if (a.events.length > MAX_EVENTS) a.events.shift();
        return { agent: a.id, kind, value: e };
      }
      case 'reply': {
        const r = parseReply(payload);
        return r ? { agent: a.id, kind, value: r } : null;
      }
      case 'sample': {
        const s = parseSample(payload);
        const t = s && this.target(a, slug, true);
        if (!t) return null;
        t.target = s.target;
        t.address = s.address ?? t.address;
        t.last = s;
        t.ring.push(s);
        return { agent: a.id, kind, slug, value: s };
      }
      case 'stats': {
        const s = parseStats(payload);
        const t = s && this.target(a, slug, true);
        if (!t) return null;
        t.target = s.target;
        t.address = s.address ?? t.address;
        if (where.window) t.windows.set(where.window, s);
        else t.stats = s;
        return { agent: a.id, kind, slug, window: where.window ?? null, value: s };
      }
      case 'path': {
        // An empty retained payload clears the path (path monitoring turned off, or the target removed).
        if (payload === '') {
          const t = this.target(a, slug, false);
          if (!t || t.path === null) return null;
          t.path = null;
          return { agent: a.id, kind, slug, value: null };
        }
        const p = parsePath(payload);
        const t = p && this.target(a, slug, true);
        if (!t) return null;
        t.target = p.target;
        t.address = p.address ?? t.address;
        t.path = p;
        t.hops.push(p);
        return { agent: a.id, kind, slug, value: p };
      }
      case 'incidents': {
        const s = parseIncidents(payload);
        const t = s && this.target(a, slug, true);
        if (!t) return null;
        t.target = s.target;
        t.incidents = s.incidents;
        t.incidentsAt = now;
        return { agent: a.id, kind, slug, value: s };
      }
      default:
        return null;
    }
  }

  // Agents sorted by id, for the agent picker.
  agentList() {
    return [...this.agents.values()]
      .filter((a) => a.online !== null)
      .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
      .map((a) => ({ id: a.id, online: a.online, since: a.since }));
  }

  // The targets to list for an agent: the configured ones from its state when it has published one,
  // else every target seen in its topics.
  targetList(agentId) {
    const a = this.agents.get(agentId);
    if (!a) return [];
    if (a.state) {
      return a.state.targets
        .map((st) => a.targets.get(st.slug ?? slugOf(st.target)))
        .filter((t) => t !== undefined);
    }
    return [...a.targets.values()].filter((t) => t.target !== null);
  }
}

// The agent to show: the remembered one if known, else the first online, else the first known.
export function pickAgent(list, remembered) {
  if (remembered && list.some((a) => a.id === remembered)) return remembered;
  const online = list.find((a) => a.online);
  return online ? online.id : list.length ? list[0].id : null;
}

// Outgoing commands and matching of their replies by id.
// Ids are "<page prefix>-<counter>" so replies to other dashboards on the shared reply topic are ignored.
// Pending commands are kept until their reply arrives or they expire; the map is bounded.

export const REPLY_TIMEOUT_MS = 5000;
const MAX_PENDING = 64;

export class Commander {
  constructor(prefix) {
    this.prefix = prefix;
    this.counter_ = 0;
    this.pending_ = new Map(); // id -> {id, cmd, fields, sentAt}
  }

  // Builds the JSON text of a command; records it as pending. fields: extra members (target, interval_ms...).
  build(cmd, fields = {}, now = Date.now()) {
    const id = `${this.prefix}-${++this.counter_}`;
    const entry = { id, cmd, fields: { ...fields }, sentAt: now };
    this.pending_.set(id, entry);
    if (this.pending_.size > MAX_PENDING) this.pending_.delete(this.pending_.keys().next().value);
    return { id, payload: JSON.stringify({ id, cmd, ...fields }), entry };
  }

  // A parsed reply (payloads.parseReply): returns the pending entry it answers, or null if not ours.
  match(reply) {
    if (!reply || reply.id === null) return null;
    const entry = this.pending_.get(reply.id);
    if (!entry) return null;
    this.pending_.delete(reply.id);
    return entry;
  }

  // Removes and returns the commands older than timeoutMs without a reply.
  expire(now = Date.now(), timeoutMs = REPLY_TIMEOUT_MS) {
    const out = [];
    for (const [id, e] of this.pending_) {
      if (now - e.sentAt >= timeoutMs) {
        out.push(e);
        this.pending_.delete(id);
      }
    }
    return out;
  }

  get pendingCount() {
    return this.pending_.size;
  }
}

// The text shown next to the target box for a reply.
export function describeReply(reply, entry) {
  const what = entry ? entry.cmd + (entry.fields.target !== undefined ? ` ${entry.fields.target}` : '') : reply.cmd ?? 'command';
  if (reply.ok) return `${what}: ok`;
  return `${what}: ${reply.error ?? 'failed'}`;
}

// The one-line reading of a target's stats: where a delay comes from, following the seed's table.
//
//   process latency high, ICMP RTT low  -> "host/OS delay"        (the reply was on time, we were slow)
//   both high                           -> "network/ISP problem"  (the path itself is slow)
//   loss rises                          -> "unstable link"
//   jitter high                         -> "micro-stutter"
//
// "High" comes from the thresholds below; the defaults follow netstab's own WARN thresholds where one
// exists (p95 RTT 100 ms, loss 2 %, jitter 20 ms) and add the gap rule. Several findings may hold at once;
// they are listed worst first.

export const READING_THRESHOLDS = Object.freeze({
  rtt_high_ms: 100, // a median RTT at or above this is "high"
  gap_high_ms: 10, // process - RTT at or above this (and the ratio below) is a host/OS delay
  gap_ratio: 0.5, // ... and the gap is at least this fraction of the RTT
  loss_warn_pct: 2, // loss at or above this is an unstable link
  loss_bad_pct: 5,
  jitter_high_ms: 20, // jitter at or above this is micro-stutter ...
  jitter_rel_min_ms: 5, // ... or at least this many ms and
  jitter_rel_ratio: 0.5, // ... at least this fraction of the median RTT
});

// The representative value of a latency summary: median, else average, else last.
export function typical(summary) {
  if (!summary) return null;
  for (const k of ['p50', 'avg', 'last']) {
    if (typeof summary[k] === 'number' && Number.isFinite(summary[k])) return summary[k];
  }
  return null;
}

const f = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

// stats: a parsed stats payload (payloads.parseStats) or null.
// Returns {level: 'none'|'ok'|'warn'|'bad', kinds: [...], headline, text}.
export function readGap(stats, th = READING_THRESHOLDS) {
  if (!stats || !((stats.received ?? 0) > 0 || (stats.lost ?? 0) > 0)) {
    return { level: 'none', kinds: [], headline: 'no data', text: 'no data yet' };
  }
  const rtt = typical(stats.rtt);
  const proc = typical(stats.process);
  const gap = rtt !== null && proc !== null ? proc - rtt : null;
  const loss = stats.loss_pct ?? 0;
  const jitter = stats.jitter;

  const findings = [];
  if (loss >= th.loss_warn_pct) {
    findings.push({ kind: 'unstable', bad: loss >= th.loss_bad_pct, text: `unstable link (loss ${f(loss)}%)` });
  }
  if (rtt !== null && proc !== null && rtt >= th.rtt_high_ms && proc >= th.rtt_high_ms) {
    findings.push({ kind: 'network', bad: rtt >= 2.5 * th.rtt_high_ms, text: `network/ISP problem (RTT ${f(rtt)} ms)` });
  } else if (gap !== null && rtt < th.rtt_high_ms && gap >= th.gap_high_ms && gap >= th.gap_ratio * rtt) {
    findings.push({ kind: 'host', bad: false, text: `host/OS delay (process +${f(gap)} ms over RTT)` });
  }
  if (
    typeof jitter === 'number' &&
    (jitter >= th.jitter_high_ms ||
      (rtt !== null && jitter >= th.jitter_rel_min_ms && jitter >= th.jitter_rel_ratio * rtt))
  ) {
    findings.push({ kind: 'stutter', bad: false, text: `micro-stutter (jitter ${f(jitter)} ms)` });
  }
  const parts = [];
  parts.push(rtt !== null ? `RTT ${f(rtt)} ms` : 'RTT —');
  parts.push(proc !== null ? `process ${f(proc)} ms` : 'process —');
  if (gap !== null) parts.push(`gap ${gap >= 0 ? '+' : '−'}${f(Math.abs(gap))} ms`);
  parts.push(`loss ${f(loss)}%`);
  if (typeof jitter === 'number') parts.push(`jitter ${f(jitter)} ms`);

  const headline = findings.length ? findings.map((x) => x.text).join(', ') : 'stable';
  const level = findings.length === 0 ? 'ok' : findings.some((x) => x.bad) ? 'bad' : 'warn';
  return { level, kinds: findings.map((x) => x.kind), headline, text: `${headline} — ${parts.join(' · ')}` };
}

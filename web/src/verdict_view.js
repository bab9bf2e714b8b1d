// The views of issue 13: the verdict banner at the top of the page, the selected target's hop table with its
// sparklines, and the event log of verdict and path changes (the incidents' verdict column is in
// incidents_view.js). They read
// the store's objects through the pure models (verdict.js, hops.js, events.js, labels.js) and write text only.
import { $, el, setAttr, setText, syncChildren } from './dom.js';
import { eventLog } from './events.js';
import { fmtClock } from './format.js';
import { currentFault, hopRows, sparkSpan, sparkline } from './hops.js';
import { segmentShort, verdictBanner } from './verdict.js';

// Sparkline sizes, CSS pixels: wider on a desktop, where the table has room.
const SPARK_WIDE = { width: 120, height: 18 };
const SPARK_NARROW = { width: 64, height: 16 };
const narrow = () => window.matchMedia('(max-width: 760px)').matches;
const SPARK_COLOURS = { loss: '#ff4d4f', rtt: '#4fc3f7' };

// The banner's input from the store: every listed target's verdict (the newer of its stats' and path's).
function bannerTargets(targets) {
  return targets.map((t) => ({
    slug: t.slug,
    name: t.target ?? t.slug,
    fault: currentFault(t.stats, t.path),
    status: t.stats?.status ?? null,
    statsSeen: t.stats !== null,
  }));
}

// agent: the store's agent or null; targets: store.targetList(agent); slug: the selected target; online: the
// agent's availability (false: known offline). Returns the banner model (verdict.verdictBanner).
export function renderVerdict(agent, targets, slug, online) {
  const b = verdictBanner({
    agentFault: agent?.state?.fault ?? null,
    agentSeen: Boolean(agent?.state),
    targets: bannerTargets(targets),
    selected: slug,
    online,
  });
  const root = $('verdict');
  root.className = `verdict vd-${b.level}`;
  root.dataset.scope = b.scope;
  root.dataset.segment = b.segment ?? '';
  setText($('vd-scope'), b.subject ? `· ${b.subject}` : '');
  const chip = $('vd-seg');
  chip.hidden = b.segment === null;
  chip.className = `seg-chip seg-${b.segment ?? 'none'}`;
  setText(chip, b.segment === null ? '' : segmentShort(b.segment));
  setText($('vd-head'), b.headline);
  setText($('vd-reason'), b.reason);
  setText($('vd-note'), b.note);
  const sel = $('vd-selected');
  sel.hidden = b.selected === null;
  setText(sel, b.selected ? `selected ${b.selected.name}: ${b.selected.headline}` : '');
  sel.className = `vd-selected vd-${b.selected?.level ?? 'none'}`;
  sel.title = b.selected?.reason ?? '';
  return b;
}

function drawSpark(canvas, geometry, size) {
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  canvas.width = size.width * ratio;
  canvas.height = size.height * ratio;
  const g = canvas.getContext('2d');
  if (!g) return;
  g.scale(ratio, ratio);
  g.fillStyle = SPARK_COLOURS.loss;
  for (const b of geometry.bars) g.fillRect(b.x, b.y, b.w, b.h);
  g.strokeStyle = SPARK_COLOURS.rtt;
  g.lineWidth = 1.25;
  for (const line of geometry.lines) {
    g.beginPath();
    line.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
    g.stroke();
  }
}

// One hop row: made once per TTL, then brought up to date on every path message (so a tooltip stays open).
function createHopRow() {
  const cells = ['c-ttl', 'c-addr', 'c-seg', 'c-loss', 'c-ms', 'c-ms', 'c-spark'].map((c) => el('td', { class: c }));
  cells[1].append(el('span', { class: 'addr' }), el('span', { class: 'seg-inline' }), el('span', { class: 'hop-note' }));
  cells[6].append(el('canvas', { class: 'spark', 'aria-hidden': 'true' }));
  return el('tr', {}, ...cells);
}

function updateHopRow(tr, { r, now, spanMs, size }) {
  const cls = ['hop', r.segment ? `seg-${r.segment}` : null, r.rateLimited ? 'rate-limited' : null,
    r.blamed ? 'blamed' : null, r.noAnswer ? 'no-answer' : null, r.isTarget ? 'is-target' : null];
  tr.className = cls.filter(Boolean).join(' ');
  setAttr(tr, 'data-ttl', r.ttl);
  setAttr(tr, 'title', r.rateLimited ? r.note : null);
  const [ttl, addr, seg, loss, p50, p95, spark] = tr.cells;
  setText(ttl, r.blamed ? `▶${r.ttl}` : String(r.ttl));
  const [address, inline, note] = addr.children;
  setText(address, r.address);
  setText(inline, ` ${r.segmentLabel}`);
  setText(note, r.note);
  note.hidden = r.note === '';
  setText(seg, r.segmentLabel);
  setText(loss, r.loss);
  setAttr(loss, 'title', r.lossTitle || null);
  setText(p50, r.p50);
  setText(p95, r.p95);
  const canvas = spark.firstChild;
  const geometry = sparkline(r.spark, { ...size, now, spanMs });
  setAttr(canvas, 'data-points', r.spark.length);
  setAttr(canvas, 'data-bars', geometry.bars.length);
  canvas.style.width = `${size.width}px`;
  canvas.style.height = `${size.height}px`;
  drawSpark(canvas, geometry, size);
}

// The selected target's hop table. showReason: the banner shows the agent's verdict, so the target's own
// reason is written under the table.
export function renderPath(target, { showReason = false, now = Date.now() } = {}) {
  const path = target?.path ?? null;
  const fault = target ? currentFault(target.stats, path) : null;
  const rows = hopRows(path, fault, target?.hops ?? null);
  const name = target ? target.target ?? target.slug : '';
  setText($('path-target'), target ? `to ${name}` : '');
  setText($('path-traced'), path?.traced_at ? `· traced ${fmtClock(path.traced_at)}` : '');
  $('hops').hidden = rows.length === 0;
  const empty = $('path-empty');
  empty.hidden = rows.length > 0;
  setText(empty, !target ? 'no target selected'
    : path ? 'the path has no hops yet'
      : 'no path published for this target (path monitoring off, or an agent without it)');
  const spanMs = sparkSpan(target?.hops ?? null, now);
  const size = narrow() ? SPARK_NARROW : SPARK_WIDE;
  syncChildren($('hops').tBodies[0], rows.map((r) => ({ r, now, spanMs, size })), (x) => x.r.ttl, createHopRow,
    updateHopRow);
  const reason = $('path-reason');
  const text = showReason && fault?.reason ? `${name}: ${fault.reason}` : '';
  reason.hidden = text === '';
  setText(reason, text);
}

// The compact log of fault_change and path_change events.
export function renderEvents(agent) {
  const lines = eventLog(agent?.events ?? []);
  $('events-empty').hidden = lines.length > 0;
  $('events').replaceChildren(
    ...lines.map((l) =>
      el(
        'li',
        { class: `ev ev-${l.kind}`, title: l.title || null },
        el('span', { class: 'ev-t' }, l.time),
        el('span', { class: 'ev-who' }, l.who),
        el('span', { class: `ev-x${l.segment ? ` seg-${l.segment}` : ''}` }, l.text),
        l.detail ? el('span', { class: 'ev-d' }, l.detail) : null,
      ),
    ),
  );
}

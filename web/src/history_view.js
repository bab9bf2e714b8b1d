// The history panel and the "Report for your ISP": the range buttons and the target of the agent's history, the
// smoke chart of the chosen range, and a printable report (print CSS; the browser prints it to PDF) with a CSV
// download of the rows as the agent sent them. Runs on the page's main thread; talks to the agent only through
// send(cmd, fields) (main.js), and gets the replies back through onReply.
import { $, el, setText } from './dom.js';
import { RANGES, isoSeconds, historyErrorText, parseHistoryReply, parseHistoryTargets, rangeByKey, rangeCommand,
  spanCommand } from './history.js';
import { HistoryChart } from './history_chart.js';
import { buildReport, durationText, figureTexts, toCsv } from './report.js';

const stepText = (s) => (s % 86400 === 0 ? `${s / 86400} d` : s % 3600 === 0 ? `${s / 3600} h` : `${s / 60} min`);

// One line about the bucket under the cursor: its time, median and bands, loss, and the incident or the gap there.
export function readout(p) {
  if (!p) return '';
  const parts = [];
  const r = p.row;
  const ms = (v) => (v === null ? '—' : v.toFixed(1));
  if (r) {
    parts.push(`${isoSeconds(r.ts)}  median ${ms(r.rtt_p50)} ms (p25–p75 ${ms(r.rtt_p25)}–${ms(r.rtt_p75)}, ` +
      `p10–p90 ${ms(r.rtt_p10)}–${ms(r.rtt_p90)})  loss ${r.loss_pct === null ? '—' : r.loss_pct.toFixed(2)} % ` +
      `(${r.lost}/${r.sent})  ${r.worst ?? ''}${r.verdict ? ` ${r.verdict}` : ''}`);
  } else {
    parts.push(p.running ? 'no data' : 'netstab not running');
  }
  if (p.incident) parts.push(`incident: ${p.incident.reason}${p.incident.verdict ? ` (verdict ${p.incident.verdict})` : ''}`);
  return parts.join(' · ');
}

export class HistoryView {
  // send(cmd, fields): returns the command's id, or null when it could not be sent. agent(): the agent's id.
  constructor({ send, agent }) {
    this.send_ = send;
    this.agent_ = agent;
    this.range_ = '24h';
    this.zoomed_ = false; // a span dragged out is shown: no reload each minute
    this.pending_ = null; // the id of the history command whose reply is awaited
    this.last_ = null; // {h, columns, cells, agent} of the last reply shown
    this.chart_ = new HistoryChart($('hist-chart'), {
      onHover: (p) => setText($('hist-readout'), readout(p)),
      onZoom: (from, to) => this.zoom(from, to),
      onReset: () => this.load(),
    });
    $('hist-ranges').replaceChildren(...RANGES.map((r) =>
      el('button', { type: 'button', class: 'ghost', 'data-range': r.key, onclick: () => this.choose(r.key) }, r.label)));
    $('hist-target').addEventListener('change', () => {
      $('hist-target').dataset.picked = 'yes';
      this.load();
    });
    $('hist-report').addEventListener('click', () => this.openReport());
    $('report-close').addEventListener('click', () => this.closeReport());
    $('report-print').addEventListener('click', () => window.print());
    $('report-csv').addEventListener('click', () => this.downloadCsv());
  }

  // What the chart shows (for tests): {target, from, to, step_s, rows}, or null.
  get shown() {
    const h = this.last_?.h;
    return h ? { target: h.target, from: h.from, to: h.to, step_s: h.step_s, rows: h.rows.length } : null;
  }

  // Asks the agent which targets its history holds (on selecting an agent: what was shown belongs to the last one).
  refreshTargets() {
    const sel = $('hist-target');
    sel.replaceChildren();
    delete sel.dataset.picked;
    this.last_ = null;
    this.pending_ = null;
    this.chart_.show(null);
    $('hist-report').disabled = true;
    this.closeReport();
    this.send_('history_targets', {});
  }

  // Reloads a range of a day or less once a minute (the agent's newest minute rows), while the page is seen; this
  // also retries a target the agent's store did not hold yet.
  tick() {
    if (this.pending_ !== null || this.zoomed_ || document.hidden || !$('hist-target').value) return;
    if (rangeByKey(this.range_).seconds <= 86400) this.load();
  }

  // The target shown on the live chart: taken as the history's target until the person picks another.
  offerTarget(name) {
    const sel = $('hist-target');
    if (!name || sel.dataset.picked === 'yes' || sel.value === name) return;
    if (![...sel.options].some((o) => o.value === name)) sel.append(el('option', { value: name }, name));
    sel.value = name;
    this.load();
  }

  choose(key) {
    if (!rangeByKey(key)) return;
    this.range_ = key;
    this.load();
  }

  // A span dragged out on the chart, asked again at the finest step the agent allows for it (at least a minute).
  zoom(fromS, toS) {
    const target = $('hist-target').value;
    if (!target || !(toS > fromS)) return;
    const to = Math.max(toS, fromS + 60);
    this.zoomed_ = true;
    this.pending_ = this.send_('history', { target, ...spanCommand(fromS, to) }) ?? null;
    if (this.pending_ !== null) this.status_(`history ${target}, ${isoSeconds(fromS)} – ${isoSeconds(to)}…`, 'pending');
  }

  load() {
    this.zoomed_ = false;
    const target = $('hist-target').value;
    for (const b of $('hist-ranges').children) {
      b.classList.toggle('on', b.dataset.range === this.range_);
      b.setAttribute('aria-pressed', String(b.dataset.range === this.range_));
    }
    if (!target) return this.status_('no target with history yet', 'err');
    this.pending_ = this.send_('history', { target, ...rangeCommand(this.range_) }) ?? null;
    if (this.pending_ !== null) this.status_(`history ${target}, ${rangeByKey(this.range_).label}…`, 'pending');
  }

  // entry: the command answered (commands.js); reply: parseReply's value, with the reply object as body.
  onReply(entry, reply) {
    if (entry.cmd === 'history_targets') return this.onTargets_(reply);
    if (entry.id !== this.pending_) return;
    this.pending_ = null;
    if (!reply.ok) return this.status_(historyErrorText(reply.error), 'err');
    const h = parseHistoryReply(reply.body);
    if (!h || h.raw) return this.status_('history: the reply could not be read', 'err');
    this.last_ = { h, columns: reply.body.columns, cells: h.cells, agent: this.agent_() };
    this.chart_.show(h);
    const box = $('hist-chart');
    box.dataset.points = String(this.chart_.points);
    box.dataset.rows = String(h.rows.length);
    box.dataset.step = String(h.step_s);
    this.status_(`${h.rows.length} rows at ${stepText(h.step_s)} steps, ${isoSeconds(h.from)} – ${isoSeconds(h.to)}, ` +
      `${h.incidents.length} incident${h.incidents.length === 1 ? '' : 's'}`, 'ok');
    $('hist-report').disabled = false;
    if (!$('report').hidden) this.renderReport_();
  }

  onTargets_(reply) {
    const list = reply.ok ? parseHistoryTargets(reply.body) : null;
    if (!list) return this.status_(historyErrorText(reply.error), 'err');
    const sel = $('hist-target');
    const keep = sel.value;
    sel.replaceChildren(...list.map((t) => el('option', { value: t.target }, t.removed ? `${t.target} (removed)` : t.target)));
    if (keep && !list.some((t) => t.target === keep)) sel.prepend(el('option', { value: keep }, keep));
    if (keep) sel.value = keep;
    if (!this.last_ && sel.value) this.load();
  }

  status_(text, cls) {
    const s = $('hist-status');
    setText(s, text);
    s.className = `reply ${cls}`;
  }

  openReport() {
    if (!this.last_) return;
    this.renderReport_();
    $('report').hidden = false;
    document.body.classList.add('reporting');
    $('report').scrollIntoView();
  }

  closeReport() {
    $('report').hidden = true;
    document.body.classList.remove('reporting');
  }

  downloadCsv() {
    if (!this.last_) return;
    const { h, columns, cells } = this.last_;
    const blob = new Blob([toCsv(columns, cells)], { type: 'text/csv' });
    const a = el('a', { href: URL.createObjectURL(blob), download: `netstab-${h.target}-${isoSeconds(h.from)}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  renderReport_() {
    const { h, agent } = this.last_;
    const r = buildReport(h);
    const t = figureTexts(r.all);
    setText($('report-title'), `Connection report: ${h.target}`);
    const meta = [['agent', agent ?? '—'], ['target', h.target], ['period', `${isoSeconds(h.from)} – ${isoSeconds(h.to)} (UTC)`],
      ['step', stepText(h.step_s)], ['netstab not running', durationText(r.not_running_s)]];
    const rows = [['availability', t.availability], ['loss', t.loss], ['probes sent', t.sent], ['probes lost', t.lost],
      ['median RTT', t.median], ['p95 RTT', t.p95], ['jitter', t.jitter], ['time in WARN', t.warn], ['time in BAD', t.bad]];
    $('report-meta').replaceChildren(...meta.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))));
    $('report-summary').replaceChildren(...rows.map(([k, v]) =>
      el('tr', { 'data-k': k }, el('th', {}, k), el('td', {}, v))));
    // The chart as a picture of the canvas, made only when the report opens (the page has no image otherwise).
    $('report-chart-wrap').replaceChildren(el('img', { id: 'report-chart', class: 'report-chart',
      alt: 'RTT smoke chart of the period', src: this.chart_.snapshot() }));
    this.renderHours_(r.hours);
    this.renderIncidents_(r.incidents);
  }

  renderHours_(hours) {
    $('report-hours-wrap').hidden = hours === null;
    if (!hours) return;
    $('report-hours').replaceChildren(...hours.map((f, hour) => {
      const t = figureTexts(f);
      return el('tr', { 'data-hour': hour }, el('td', {}, `${String(hour).padStart(2, '0')}:00`), el('td', {}, t.sent),
        el('td', {}, t.loss), el('td', {}, t.median), el('td', {}, t.p95), el('td', {}, t.jitter), el('td', {}, t.warn),
        el('td', {}, t.bad));
    }));
  }

  renderIncidents_(incidents) {
    $('report-inc-empty').hidden = incidents.length > 0;
    $('report-incidents').replaceChildren(...incidents.map((i) => el('tr', {},
      el('td', {}, isoSeconds(i.start)), el('td', {}, i.end === null ? 'open' : isoSeconds(i.end)),
      el('td', {}, durationText(i.duration_s)), el('td', {}, i.probes_lost ?? '—'), el('td', {}, i.worst ?? '—'),
      el('td', {}, i.reason), el('td', {}, i.verdict ?? '—'))));
  }
}

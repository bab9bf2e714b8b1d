// The incident table of the selected target, newest first, the open one in red. Its verdict column (issue 13)
// shows the verdict at the incident's worst; a click opens a row under the incident with the reason and the
// path when it started. An open incident's duration ticks every second, so rows are updated in place
// (dom.syncChildren): a click is never lost to a redraw, and an opened row stays open.
import { $, el, setAttr, setText, syncChildren } from './dom.js';
import { fmtDateTime } from './format.js';
import { incidentCells, incidentVerdict } from './labels.js';

const COLUMNS = 8;

export class IncidentsView {
  // onChange(): the table needs drawing again (a verdict cell was opened or closed).
  constructor(onChange) {
    this.onChange_ = onChange;
    this.expanded_ = new Set(); // keys ("slug|start") of the incidents whose detail row is open
  }

  toggle_(key) {
    if (!this.expanded_.delete(key)) this.expanded_.add(key);
    this.onChange_();
  }

  // target: the store's target or null; clock: incidentCells' clock ({now, receivedAt, agentOffline, offlineSince}).
  render(target, clock) {
    const list = target ? [...target.incidents].reverse() : [];
    setText($('inc-target'), target ? target.target ?? target.slug : '');
    $('inc-empty').hidden = list.length > 0;
    const items = [];
    for (const inc of list) {
      const key = `${target.slug}|${inc.start}`;
      const item = { key, inc, cells: incidentCells(inc, clock), verdict: incidentVerdict(inc), open: this.expanded_.has(key) };
      items.push(item);
      if (item.open && item.verdict.label) items.push({ ...item, key: `${key}|detail`, detail: true });
    }
    syncChildren($('incidents').tBodies[0], items, (x) => x.key, (x) => this.create_(x), (tr, x) => this.update_(tr, x));
  }

  create_(x) {
    if (x.detail) {
      return el('tr', { class: 'inc-detail' }, el('td', { colspan: COLUMNS }, el('span', { class: 'inc-reason' }),
        el('span', { class: 'inc-path' })));
    }
    const tds = ['', '', '', 'duration', 'lost', '', 'c-verdict', 'reason'].map((c) => el('td', { class: c || null }));
    tds[6].append(el('button', { type: 'button', class: 'vd-cell', onclick: () => this.toggle_(x.key) }));
    return el('tr', {}, ...tds);
  }

  update_(tr, { inc, cells, verdict, open, detail }) {
    if (detail) {
      const [reason, path] = tr.cells[0].children;
      setText(reason, verdict.reason);
      reason.hidden = verdict.reason === '';
      setText(path, verdict.path ? `path at the start: ${verdict.path}` : 'path at the start: not recorded');
      return;
    }
    tr.className = inc.end === null ? 'open' : '';
    const [id, start, end, duration, lost, worst, v, reason] = tr.cells;
    setText(id, inc.id ?? '');
    setText(start, fmtDateTime(inc.start));
    setText(end, inc.end === null ? 'open' : fmtDateTime(inc.end));
    setText(duration, cells.duration);
    setAttr(duration, 'title', cells.ticking ? 'open: from its start to now' : null);
    setText(lost, cells.lost);
    setText(worst, inc.worst_status ?? '');
    const button = v.firstChild;
    button.hidden = verdict.label === '';
    button.className = `vd-cell seg-${verdict.segment ?? 'none'}`;
    setText(button, verdict.label);
    setAttr(button, 'title', verdict.title || null);
    setAttr(button, 'aria-expanded', String(open));
    setText(reason, inc.reason ?? '');
  }
}

// Wiring of the dashboard: connection -> store -> views, and the controls -> commands.
// Everything runs on the page's main thread. Messages only update the store and mark views dirty;
// the views are redrawn at most once per animation frame, so a burst of samples never stutters.
import { $, el, setAttr, setText, syncChildren } from './dom.js';
import { Connection } from './connection.js';
import { Store, pickAgent } from './store.js';
import { Commander, describeReply } from './commands.js';
import { agentSubscriptions, availabilityFilter, commandTopic, normaliseBase, slugOf } from './topics.js';
import { loadSettings, saveSettings, validateBrokerUrl } from './settings.js';
import { Hud } from './hud.js';
import { Chart } from './chart.js';
import { readGap } from './reading.js';
import { statusColour } from './status.js';
import { fmtClock } from './format.js';
import { IncidentsView } from './incidents_view.js';
import { renderEvents, renderPath, renderVerdict } from './verdict_view.js';
import { HistoryView } from './history_view.js';

const settings = loadSettings(window.localStorage, window.location);
let base = normaliseBase(settings.base);
let store = new Store({ base });
const commander = new Commander(`web${Math.random().toString(36).slice(2, 8)}`);
const followUps = new Map(); // command id -> function run after an ok reply
const selectedSlugs = new Map(); // agent -> selected slug, so switching agents back keeps the choice
let agentId = null;
let slug = null;
let conn = { state: 'idle', text: 'not connected' };
let bannerScope = 'none'; // the verdict banner's scope, read by the path view
const dirty = new Set(['all']);
let frame = 0;

const hud = new Hud();
const incidentsView = new IncidentsView(() => mark('incidents'));
const chart = new Chart($('chart'), {
  spanSeconds: Number($('span').value),
  onLiveChange: (live) => {
    $('live').disabled = live;
  },
});
const historyView = new HistoryView({ send: (cmd, fields) => send(cmd, fields), agent: () => agentId });
const link = new Connection({
  onStatus: (s) => {
    conn = s;
    mark('conn', 'hud', 'controls');
  },
  onMessage,
  onConnect: () => mark('all'),
});

function mark(...what) {
  what.forEach((w) => dirty.add(w));
  if (!frame) frame = requestAnimationFrame(render);
}

// ---- incoming messages ----------------------------------------------------------------------

function onMessage(topic, text, retained) {
  const ch = store.handle(topic, text, Date.now(), retained);
  if (!ch) return;
  if (ch.kind === 'availability') {
    if (agentId === null) selectAgent(pickAgent(store.agentList(), settings.agent));
    mark('agents', ...(ch.agent === agentId ? ['hud', 'controls', 'incidents', 'verdict'] : []));
    return;
  }
  if (ch.agent !== agentId) return;
  switch (ch.kind) {
    case 'state':
      ensureSlug();
      mark('controls', 'targets', 'hud', 'chart', 'incidents', 'verdict', 'path');
      break;
    case 'sample':
      if (slug === null) selectSlug(ch.slug);
      if (ch.slug === slug) mark('hud', 'chart');
      break;
    case 'stats':
      if (slug === null) selectSlug(ch.slug);
      if (ch.window === null) mark('verdict');
      mark('targets', ...(ch.slug === slug && ch.window === null ? ['hud', 'reading', 'path'] : []));
      break;
    case 'path':
      if (slug === null) selectSlug(ch.slug);
      mark('verdict', ...(ch.slug === slug ? ['path'] : []));
      break;
    case 'events':
      mark('events');
      break;
    case 'incidents':
      if (ch.slug === slug) mark('incidents');
      break;
    case 'reply':
      onReply(ch.value);
      break;
    default:
      break;
  }
}

function onReply(reply) {
  const entry = commander.match(reply);
  if (!entry) return;
  if (entry.cmd.startsWith('history')) return historyView.onReply(entry, reply);
  showReply(describeReply(reply, entry), reply.ok ? 'ok' : 'err');
  const agent = store.agent(agentId);
  if (reply.running !== null && agent?.state) {
    agent.state.running = reply.running;
    mark('controls');
  }
  const next = followUps.get(entry.id);
  followUps.delete(entry.id);
  if (reply.ok && next) next();
}

// ---- selection ------------------------------------------------------------------------------

function selectAgent(id) {
  if (id === agentId) return;
  if (agentId !== null) link.unsubscribe(agentSubscriptions(base, agentId));
  agentId = id;
  if (id !== null) {
    link.subscribe(agentSubscriptions(base, id));
    historyView.refreshTargets();
    settings.agent = id;
    saveSettings(window.localStorage, settings);
  }
  slug = selectedSlugs.get(id) ?? null;
  ensureSlug();
  mark('all');
}

function selectSlug(s) {
  slug = s;
  if (agentId !== null) selectedSlugs.set(agentId, s);
  mark('hud', 'chart', 'reading', 'targets', 'incidents', 'verdict', 'path');
}

// Keeps the selected target valid: one of the agent's targets when it lists some.
function ensureSlug() {
  const list = agentId === null ? [] : store.targetList(agentId);
  if (list.length && !list.some((t) => t.slug === slug)) selectSlug(list[0].slug);
}

// ---- commands -------------------------------------------------------------------------------

function send(cmd, fields = {}, then = null) {
  if (agentId === null) return showReply('no agent selected', 'err');
  const { id, payload } = commander.build(cmd, fields);
  if (!link.publish(commandTopic(base, agentId), payload)) {
    commander.match({ id });
    return showReply(`${cmd}: not connected to the broker`, 'err');
  }
  if (then) followUps.set(id, then);
  if (cmd.startsWith('history')) return id;
  showReply(`${cmd}${fields.target !== undefined ? ` ${fields.target}` : ''}…`, 'pending');
}

function showReply(text, cls) {
  const r = $('reply');
  setText(r, text);
  r.className = `reply ${cls}`;
}

// The button does what it shows. A state message can arrive between the last frame and the click: deciding by
// the store's newer state would make a click on START send stop.
function onStartStop(e) {
  e.preventDefault();
  if ($('start').classList.contains('stop')) return send('stop');
  const agent = store.agent(agentId);
  const wanted = $('target').value.trim();
  const current = agent?.state?.targets.map((t) => t.target) ?? [];
  if (wanted && !(current.length === 1 && current[0] === wanted)) {
    send('set_target', { target: wanted }, () => {
      selectSlug(slugOf(wanted));
      send('start');
    });
  } else {
    send('start');
  }
}

function onAdd() {
  const wanted = $('target').value.trim();
  if (!wanted) return showReply('type a target to add', 'err');
  send('add_target', { target: wanted }, () => selectSlug(slugOf(wanted)));
}

setInterval(() => {
  for (const e of commander.expire()) {
    followUps.delete(e.id);
    const why = 'no reply within 5 s (is the agent online?)';
    if (e.cmd.startsWith('history')) historyView.onReply(e, { ok: false, error: why, body: null });
    else showReply(`${e.cmd}: ${why}`, 'err');
  }
}, 1000);

// ---- views ----------------------------------------------------------------------------------

function online() {
  const a = agentId === null ? null : store.agent(agentId);
  return conn.state === 'connected' && a !== null && a.online === true;
}

function bannerText() {
  if (conn.state !== 'connected') return conn.state === 'idle' || conn.state === 'closed' ? 'not connected to the broker' : conn.text;
  const a = agentId === null ? null : store.agent(agentId);
  if (!a) return `no agent found on ${availabilityFilter(base)}`;
  if (a.online === false) return a.since !== null ? `agent offline since ${fmtClock(a.since)}` : 'agent offline';
  return a.online === true ? '' : 'agent state unknown';
}

function selectedTarget() {
  const a = agentId === null ? null : store.agent(agentId);
  return a && slug !== null ? a.targets.get(slug) ?? null : null;
}

function render() {
  frame = 0;
  const all = dirty.has('all');
  const is = (w) => all || dirty.has(w);
  const target = selectedTarget();
  if (is('verdict') && renderBanner()) dirty.add('path');
  if (is('path')) renderPath(target, { showReason: bannerScope === 'agent', now: Date.now() });
  if (is('events')) renderEvents(agentId === null ? null : store.agent(agentId));
  if (is('conn')) renderConn();
  if (is('agents')) renderAgents();
  if (is('controls')) renderControls();
  if (is('targets')) renderTargets();
  if (is('hud')) hud.render({ target, online: online(), banner: bannerText(), now: Date.now() });
  if (is('chart')) renderChart(target);
  if (is('reading')) renderReading(target);
  if (is('incidents')) renderIncidents(target);
  dirty.clear();
}

// Returns true when the banner's scope changed (the path view then shows or hides the target's own reason).
function renderBanner() {
  const a = agentId === null ? null : store.agent(agentId);
  const before = bannerScope;
  bannerScope = renderVerdict(a, agentId === null ? [] : store.targetList(agentId), slug, a?.online ?? null).scope;
  return bannerScope !== before;
}

function renderConn() {
  const pill = $('conn');
  pill.className = `pill pill-${conn.state}`;
  setText($('conn-text'), conn.state === 'connected' ? 'connected' : conn.text);
  pill.title = conn.text;
  setText($('conn-message'), conn.state === 'connected' || conn.state === 'closed' ? '' : conn.text);
  if (conn.state === 'refused') togglePanel(true);
}

function renderAgents() {
  const sel = $('agent');
  const list = store.agentList();
  sel.replaceChildren(
    ...(list.length ? [] : [el('option', { value: '' }, 'no agent')]),
    ...list.map((a) => el('option', { value: a.id, selected: a.id === agentId }, a.online ? a.id : `${a.id} (offline)`)),
  );
  const a = agentId === null ? null : store.agent(agentId);
  const pill = $('agent-avail');
  const state = a?.online === true ? 'online' : a?.online === false ? 'offline' : 'unknown';
  pill.className = `pill pill-${state}`;
  setText(pill, state === 'unknown' ? '—' : state);
}

function renderControls() {
  const a = agentId === null ? null : store.agent(agentId);
  const running = a?.state?.running === true;
  const btn = $('start');
  setText(btn, running ? 'STOP' : 'START');
  btn.classList.toggle('stop', running);
  btn.disabled = !online();
  $('add').disabled = !online();
  renderAgents();
}

// The target list is redrawn on every stats message: its buttons are updated in place, so a click is never lost.
function renderTargets() {
  const list = agentId === null ? [] : store.targetList(agentId);
  const on = online();
  syncChildren($('targets'), list, (t) => t.slug, createTargetItem, (li, t) => {
    const name = t.target ?? t.slug;
    li.className = t.slug === slug ? 'selected' : '';
    setAttr(li, 'data-slug', t.slug);
    const [pick, rm] = li.children;
    setAttr(pick, 'title', t.address ? `${name} (${t.address})` : name);
    pick.firstChild.style.background = statusColour(t.stats?.status, on);
    setText(pick.lastChild, name);
    setAttr(rm, 'aria-label', `remove ${name}`);
    setAttr(rm, 'title', `remove ${name}`);
  });
}

// One item of the target list; its handlers read the target's name when clicked, as the item outlives renames.
function createTargetItem(t) {
  const nameOf = () => store.agent(agentId)?.targets.get(t.slug)?.target ?? t.slug;
  return el(
    'li',
    {},
    el('button', { type: 'button', class: 'pick', onclick: () => selectSlug(t.slug) }, el('span', { class: 'sdot' }),
      el('span', { class: 'pick-name' })),
    el('button', { type: 'button', class: 'rm', onclick: () => send('remove_target', { target: nameOf() }) }, '×'),
  );
}

function renderChart(target) {
  const now = Date.now() / 1000;
  if (!target) {
    chart.setData([[], [], []], [], now);
  } else {
    const newest = target.ring.newestTime();
    chart.setData(target.ring.toSeries(), target.ring.lostTimes(), newest !== null ? Math.max(now, newest) : now);
  }
  $('chart').dataset.points = String(chart.points);
  const name = target ? target.target ?? target.slug : '—';
  historyView.offerTarget(target?.target ?? null);
  setText($('chart-title'), target?.address && target.address !== name ? `${name} (${target.address})` : name);
}

function renderReading(target) {
  const r = readGap(target?.stats ?? null);
  const p = $('reading');
  setText(p, r.text);
  p.className = `reading rd-${r.level}`;
}

function renderIncidents(target) {
  const a = agentId === null ? null : store.agent(agentId);
  incidentsView.render(target, { now: Date.now(), receivedAt: target?.incidentsAt ?? null,
    agentOffline: a?.online === false, offlineSince: a?.since ?? null });
}

// An open incident's duration is counted by the page (the agent publishes it when it opens and closes).
function hasOpenIncident(target) {
  return target !== null && target.incidents.some((i) => i.end === null);
}

// ---- connection panel -----------------------------------------------------------------------

function togglePanel(open) {
  const panel = $('conn-panel');
  panel.hidden = !open;
  $('conn-toggle').setAttribute('aria-expanded', String(open));
}

function fillForm() {
  $('conn-url').value = settings.url;
  $('conn-user').value = settings.username;
  $('conn-pass').value = settings.password;
  $('conn-base').value = settings.base;
  $('conn-remember').checked = settings.remember;
}

function connect() {
  const problem = validateBrokerUrl(settings.url);
  if (problem) {
    conn = { state: 'refused', text: problem };
    mark('conn', 'hud');
    return;
  }
  const newBase = normaliseBase(settings.base);
  if (newBase !== base) {
    base = newBase;
    store = new Store({ base });
    agentId = null;
    slug = null;
    selectedSlugs.clear();
  }
  link.clearSubscriptions();
  link.subscribe([availabilityFilter(base)]);
  if (agentId !== null) link.subscribe(agentSubscriptions(base, agentId));
  link.connect(settings);
  mark('all');
}

$('conn-toggle').addEventListener('click', () => togglePanel($('conn-panel').hidden));
$('conn-form').addEventListener('submit', (e) => {
  e.preventDefault();
  settings.url = $('conn-url').value.trim();
  settings.username = $('conn-user').value;
  settings.password = $('conn-pass').value;
  settings.base = $('conn-base').value.trim();
  settings.remember = $('conn-remember').checked;
  saveSettings(window.localStorage, settings);
  connect();
});
$('conn-disconnect').addEventListener('click', () => link.disconnect());
$('cmd-form').addEventListener('submit', onStartStop);
$('add').addEventListener('click', onAdd);
$('agent').addEventListener('change', (e) => {
  if (e.target.value) selectAgent(e.target.value);
});
$('span').addEventListener('change', (e) => chart.setSpan(Number(e.target.value)));
$('live').addEventListener('click', () => chart.setLive(true));

// The clock and an open incident's duration tick every second, and the live chart keeps sliding between samples.
setInterval(() => {
  const target = selectedTarget();
  hud.tick(Date.now(), target?.last ?? null);
  if (hasOpenIncident(target)) mark('incidents');
}, 1000);
setInterval(() => {
  if (chart.live && !document.hidden) mark('chart');
}, 250);
setInterval(() => historyView.tick(), 60000);

fillForm();
connect();

// A read-only handle for the e2e tests and for a person debugging in the console.
window.netstabDashboard = { store: () => store, chart, history: historyView };

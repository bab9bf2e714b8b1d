// The verdict scenarios (issue 13): the fake agent publishes paths, verdicts, incidents with their verdict and
// path, and fault_change / path_change events; the page must show the verdict first in plain words, the hop
// table with rate-limited hops greyed and the blamed hop marked, the incidents' verdict column with the path at
// the start on click, and the log of changes, on a desktop and on a phone, in Chromium and in Firefox.
//
// Two fake agents on one broker: `fake-verdict` with two targets and path monitoring (started in the ok
// scenario: a rate-limited hop 2 and a clean target), switched through LAN loss, ISP loss with a rate-limited
// hop and a path change, one target degraded of two, and a slow host, by its fake-only `fake_scenario` command;
// and `fake-legacy`, an agent older than path monitoring (no path, no fault fields).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { openEngine } from './driver.mjs';
import { builtPage, mqttClient, publish, saveScreenshot, sleep, startAgent, startMosquitto, waitFor } from './harness.mjs';

const fake = fileURLToPath(new URL('./fake_agent.mjs', import.meta.url));
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const T1 = '192.0.2.2';
const T2 = '192.0.2.77';
const RATE_LIMITED_NOTE = 'rate-limited: drops ICMP to itself; the target is unaffected';
const PATH_AT_START = (scenarioHop3, target) =>
  `path at the start: 1 192.168.1.1 → 2 100.64.0.1 → 3 ${scenarioHop3} → 4 198.51.100.1 → 5 ??? → 6 192.0.2.1 → 7 ${target}`;

// Everything the verdict parts of the page show, read in one go.
const view = (page) =>
  page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const text = (s) => q(s)?.textContent ?? null;
    const v = q('#verdict');
    return {
      cls: v.className, scope: v.dataset.scope, segment: v.dataset.segment, head: text('#vd-head'),
      reason: text('#vd-reason'), scopeText: text('#vd-scope'), chip: q('#vd-seg').hidden ? null : text('#vd-seg'),
      note: text('#vd-note'), selected: q('#vd-selected').hidden ? null : text('#vd-selected'),
      pathTarget: text('#path-target'), pathEmpty: q('#path-empty').hidden ? null : text('#path-empty'),
      pathReason: q('#path-reason').hidden ? null : text('#path-reason'), hopsHidden: q('#hops').hidden,
      hops: [...document.querySelectorAll('#hops tbody tr')].map((tr) => ({
        ttl: Number(tr.dataset.ttl), cls: tr.className, title: tr.title, address: tr.querySelector('.addr').textContent,
        note: tr.querySelector('.hop-note')?.textContent ?? '', loss: tr.querySelector('.c-loss').textContent,
        colour: getComputedStyle(tr.cells[1]).color, points: Number(tr.querySelector('canvas').dataset.points),
      })),
      events: [...document.querySelectorAll('#events li')].map((li) => ({
        who: li.querySelector('.ev-who').textContent, text: li.querySelector('.ev-x').textContent,
        detail: li.querySelector('.ev-d')?.textContent ?? '', title: li.title,
      })),
      incidents: [...document.querySelectorAll('#incidents tbody tr:not(.inc-detail)')].map((tr) => ({
        verdict: tr.querySelector('.c-verdict')?.textContent ?? null, title: tr.querySelector('.vd-cell')?.title ?? null,
      })),
      detail: text('#incidents tr.inc-detail'),
    };
  });

const rowOf = (v, ttl) => v.hops.find((h) => h.ttl === ttl);

export async function runVerdictScenarios(t, { engine = 'chromium' } = {}) {
  const dist = await builtPage();
  const broker = await startMosquitto({ httpDir: dist });
  const origin = `http://127.0.0.1:${broker.wsPort}`;
  const agents = [];
  let browser = null;
  let cmd = null;
  t.after(async () => {
    cmd?.end(true);
    await browser?.close();
    for (const a of agents) await a.kill('SIGKILL');
    await broker.stop();
  });
  const start = (agent, extra) => startAgent({ command: process.execPath, broker: broker.mqttUrl, agent,
    args: [fake, '--broker', broker.mqttUrl, '--agent', agent, '--interval', '200', ...extra] });
  const verdictAgent = await start('fake-verdict', ['--scenario', 'ok', '--target', T1, '--target', T2]);
  agents.push(verdictAgent, await start('fake-legacy', ['--target', '192.0.2.9']));
  cmd = await mqttClient(broker.mqttUrl);
  const scenario = (name, target) =>
    publish(cmd, 'netstab/fake-verdict/cmd', { cmd: 'fake_scenario', scenario: name, ...(target ? { target } : {}) }, false);
  browser = await openEngine(engine, origin);
  const page = await browser.newPage();
  await page.goto(broker.url);
  const shot = (name, opts = { docs: false }) => saveScreenshot(page, `verdict-${name}-${engine}.png`, opts);
  const until = (what, test, ms = 10000) => waitFor(what, async () => {
    const v = await view(page);
    return test(v) ? v : null;
  }, ms);

  await t.test('the page connects and lists both agents', async () => {
    await waitFor('connected', async () => (await page.text('#conn-text')) === 'connected');
    await waitFor('two agents', async () => (await page.count('#agent option')) === 2);
  });

  await t.test('an agent older than path monitoring: no verdict, and why; no path', async () => {
    await page.select('#agent', 'fake-legacy');
    const v = await until('the no-verdict banner', (x) => x.head === 'No verdict from this agent');
    assert.match(v.cls, /\bvd-none\b/);
    assert.match(v.reason, /without path monitoring/);
    assert.equal(v.chip, null);
    assert.equal(v.hopsHidden, true);
    assert.match(v.pathEmpty, /^no path published for this target/);
    assert.deepEqual(v.events, []);
    assert.ok(v.incidents.every((i) => i.verdict === ''), `no verdict in the incidents: ${JSON.stringify(v.incidents)}`);
    await shot('legacy');
  });

  await t.test('ok with a rate-limited hop: All good, the hop greyed with the reason, nothing blamed', async () => {
    await page.select('#agent', 'fake-verdict');
    const v = await until('All good', (x) => x.head === 'All good' && x.hops.length === 7);
    assert.match(v.cls, /\bvd-ok\b/);
    assert.equal(v.scope, 'agent', 'two targets: the agent\'s verdict');
    assert.equal(v.scopeText, '· all 2 targets');
    assert.equal(v.chip, 'ok');
    assert.equal(v.reason, 'ok');
    assert.deepEqual(v.hops.map((h) => h.ttl), [1, 2, 3, 4, 5, 6, 7]);
    const two = rowOf(v, 2);
    assert.match(two.cls, /\brate-limited\b/);
    assert.equal(two.note, RATE_LIMITED_NOTE);
    assert.equal(two.title, RATE_LIMITED_NOTE, 'the reason in the tooltip too');
    assert.notEqual(two.colour, rowOf(v, 1).colour, 'greyed');
    assert.equal(rowOf(v, 5).address, '???');
    assert.equal(rowOf(v, 5).note, 'no answer');
    assert.equal(rowOf(v, 7).address, T1);
    assert.equal(rowOf(v, 7).note, 'the target');
    assert.ok(v.hops.every((h) => !/\bblamed\b/.test(h.cls)), 'nothing blamed');
    await shot('ok');
  });

  await t.test('LAN loss: the verdict names the LAN, hop 1 is blamed, the change is logged', async () => {
    await scenario('lan');
    const v = await until('the LAN verdict', (x) => x.head === 'Your network (LAN): loss starts at hop 1 (192.168.1.1)' &&
      x.hops.some((h) => /\bblamed\b/.test(h.cls)));
    assert.match(v.cls, /\bvd-(warn|bad)\b/);
    assert.equal(v.chip, 'LAN');
    assert.match(v.reason, /^2 of 2 targets lose packets from hop 1 \(192\.168\.1\.1, LAN\)/);
    const blamed = v.hops.filter((h) => /\bblamed\b/.test(h.cls));
    assert.deepEqual(blamed.map((h) => [h.ttl, h.note]), [[1, 'loss starts here']]);
    const log = await until('the fault_change events', (x) => x.events.length >= 3).then((x) => x.events);
    assert.ok(log.some((e) => e.who === T1 && e.text === 'verdict ok → LAN' && /from hop 1 \(192\.168\.1\.1, LAN\)/.test(e.detail)),
      JSON.stringify(log));
    assert.ok(log.some((e) => e.who === 'all targets' && e.text === 'verdict ok → LAN'), JSON.stringify(log));
  });

  await t.test('an incident shows its verdict, and the path at its start on click', async () => {
    const v = await until('an incident with the LAN verdict', (x) => x.incidents.some((i) => i.verdict === 'LAN · hop 1'), 15000);
    const inc = v.incidents.find((i) => i.verdict === 'LAN · hop 1');
    assert.match(inc.title, /^loss 8\.0% from hop 1 \(192\.168\.1\.1, LAN\) to the target since \d\d:\d\d UTC\n/);
    assert.ok(inc.title.endsWith(PATH_AT_START('203.0.113.1', T1)), inc.title);
    const index = v.incidents.indexOf(inc);
    await page.evaluate((i) => document.querySelectorAll('#incidents .c-verdict')[i].scrollIntoView(), index);
    await page.click(`#incidents tbody tr:not(.inc-detail):nth-of-type(${index + 1}) .vd-cell`);
    const open = await until('the detail row', (x) => x.detail !== null);
    assert.ok(open.detail.includes(PATH_AT_START('203.0.113.1', T1)), open.detail);
    await sleep(1200); // the open incident's duration ticks and redraws the table: the detail stays open
    assert.notEqual((await view(page)).detail, null);
    await shot('lan');
  });

  await t.test('ISP loss with a rate-limited hop: the ISP blamed at hop 4, hop 2 greyed, the path change logged', async () => {
    await scenario('isp');
    const v = await until('the ISP verdict', (x) => x.head === 'Your ISP: loss starts at hop 4 (198.51.100.1)' &&
      rowOf(x, 4) && /\bblamed\b/.test(rowOf(x, 4).cls));
    assert.equal(v.chip, 'ISP');
    assert.match(v.reason, /^2 of 2 targets lose packets from hop 4 \(198\.51\.100\.1, ISP\)/);
    assert.equal(v.selected, null, 'the selected target says the same');
    assert.equal(rowOf(v, 3).address, '203.0.113.6', 'the new path');
    assert.equal(rowOf(v, 4).note, 'loss starts here');
    assert.match(rowOf(v, 2).cls, /\brate-limited\b/);
    assert.doesNotMatch(rowOf(v, 2).cls, /\bblamed\b/);
    assert.equal(rowOf(v, 2).note, RATE_LIMITED_NOTE);
    const log = (await until('the path_change event', (x) => x.events.some((e) => e.text === 'path changed'))).events;
    const change = log.find((e) => e.who === T1 && e.text === 'path changed');
    assert.equal(change.detail, 'hop 3 changed 203.0.113.1 -> 203.0.113.6');
    assert.match(change.title, /now: 1 192\.168\.1\.1 → 2 100\.64\.0\.1 → 3 203\.0\.113\.6 → /);
    assert.ok(log.some((e) => e.who === 'all targets' && e.text === 'verdict LAN → ISP'), JSON.stringify(log));
    await until('a sparkline with history', (x) => rowOf(x, 1).points >= 3);
    await shot('isp');
  });

  await t.test('a phone screen: the verdict, the hop table and the log fit without sideways scroll', async () => {
    await page.setViewport(PHONE.width, PHONE.height);
    await waitFor('the phone layout', () => page.evaluate(() => window.innerWidth === 390));
    await sleep(300);
    const fit = await page.evaluate(() => {
      const box = (e) => {
        e.scrollIntoView({ block: 'center' });
        const r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + Math.min(r.width / 2, 20), r.y + Math.min(r.height / 2, 8));
        return { left: r.left, right: r.right, width: r.width, onTop: hit === e || e.contains(hit),
          text: e.textContent.slice(0, 60) };
      };
      const wrap = document.querySelector('#hops').parentElement;
      return {
        scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        wrap: { scroll: wrap.scrollWidth, client: wrap.clientWidth },
        parts: ['#vd-head', '#vd-reason', '#hops', '#hops tr.blamed .hop-note', '#hops tr.rate-limited .hop-note', '#events',
          '#incidents .vd-cell'].map((s) => [s, box(document.querySelector(s))]),
        segHidden: getComputedStyle(document.querySelector('#hops .c-seg')).display === 'none',
        segInline: getComputedStyle(document.querySelector('#hops .seg-inline')).display !== 'none',
      };
    });
    assert.ok(fit.scroll <= fit.inner, `page scrolls sideways: ${JSON.stringify(fit)}`);
    assert.ok(fit.wrap.scroll <= fit.wrap.client, `the hop table scrolls sideways: ${JSON.stringify(fit.wrap)}`);
    for (const [sel, b] of fit.parts) {
      assert.ok(b.width > 0 && b.left >= 0 && b.right <= PHONE.width, `${sel} outside the screen: ${JSON.stringify(b)}`);
      assert.ok(b.onTop, `${sel} covered: ${JSON.stringify(b)}`);
    }
    assert.ok(fit.segHidden && fit.segInline, 'the segment moves under the address on a phone');
    await page.evaluate(() => window.scrollTo(0, 0));
    await saveScreenshot(page, `verdict-isp-${engine}-phone.png`, { docs: false });
    await page.setViewport(DESKTOP.width, DESKTOP.height);
  });

  await t.test('one target degraded of two: the connection is fine, the selected target\'s verdict under it', async () => {
    await scenario('ok', T2);
    const v = await until('only one target has a problem', (x) => x.head === `Your connection is fine: only ${T1} has a problem`);
    assert.match(v.reason, /^1 of 2 targets degraded: 192\.0\.2\.2 \(ISP hop 4\); the others are fine$/);
    assert.equal(v.chip, 'ok');
    assert.match(v.cls, /\bvd-(warn|bad)\b/);
    assert.equal(v.selected, `selected ${T1}: Your ISP: loss starts at hop 4 (198.51.100.1)`);
    assert.match(v.pathReason, /^192\.0\.2\.2: loss 8\.0% from hop 4 \(198\.51\.100\.1, ISP\)/);
    await page.click(`#targets li[data-slug="${T2}"] .pick`);
    const other = await until('the other target\'s path', (x) => x.pathTarget === `to ${T2}` && x.hops.length === 7);
    assert.equal(other.selected, null, 'the selected target is fine, as the agent says');
    assert.ok(other.hops.every((h) => !/\bblamed\b/.test(h.cls)));
    assert.match(rowOf(other, 2).cls, /\brate-limited\b/);
    assert.equal(rowOf(other, 3).address, '203.0.113.1', 'its own path');
    await shot('one-of-two');
  });

  await t.test('a slow host: the banner says so, no hop is blamed', async () => {
    await scenario('host');
    const v = await until('the host verdict', (x) => x.head === 'Your computer is slow (host)');
    assert.equal(v.chip, 'host');
    assert.match(v.reason, /^2 of 2 targets are slowed by the host/);
    assert.ok(v.hops.every((h) => !/\bblamed\b/.test(h.cls)));
    await shot('host');
  });

  await t.test('an agent that goes away: its last verdict, greyed', async () => {
    await verdictAgent.kill('SIGKILL');
    const v = await until('the offline verdict', (x) => /\bvd-offline\b/.test(x.cls), 10000);
    assert.equal(v.head, 'Your computer is slow (host)');
    assert.equal(v.note, 'agent offline: its last verdict');
  });

  await t.test('no request left for another host and no page error', async () => {
    assert.deepEqual(browser.foreign, []);
    assert.deepEqual(await browser.foreignSockets(), []);
    assert.deepEqual(browser.errors, []);
    assert.deepEqual(browser.dialogs, []);
  });
}

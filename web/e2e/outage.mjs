// The outage scenario: the agent's one target answers every probe with "destination unreachable", so it loses
// every probe and none times out. The HUD must say what each figure counts (RTO 0 beside N lost in a row and
// the unreachable count), on a desktop and on a phone; the incident that opens must show a duration that grows
// while it is open, although the agent publishes it once, at its start, with duration 0. With `restore`, the
// target answers again and the closed incident shows the agent's final duration, which no longer moves.
// `startAgent(broker, agent)` starts the agent (already probing the unreachable target) and resolves to
// {kill(signal)} once it is online; `restore()` makes the target answer.
import assert from 'node:assert/strict';
import { openDashboard } from './driver.mjs';
import { saveScreenshot, sleep, waitFor } from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const isNumber = (s) => /^\d+(\.\d+)?$/.test((s ?? '').trim());

// "9.3 s", "42 s", "2 m 05 s", "1 h 01 m", with an optional "≥ ", to seconds; NaN for anything else.
export function durationSeconds(text) {
  const t = (text ?? '').replace(/^≥ /, '').trim();
  let m = t.match(/^(\d+(?:\.\d+)?) s$/);
  if (m) return Number(m[1]);
  m = t.match(/^(\d+) m (\d\d) s$/);
  if (m) return Number(m[1]) * 60 + Number(m[2]);
  m = t.match(/^(\d+) h (\d\d) m$/);
  if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60;
  return NaN;
}

// The HUD's loss and RTO figures, read in one go so they come from one stats message.
const hudCounts = (page) =>
  page.evaluate(() => {
    const text = (id) => document.getElementById(id).textContent;
    return {
      rto: text('h-rto'), rtoSub: text('h-rto-sub'), rtoSub2: text('h-rto-sub2'), loss: text('h-loss'),
      lossSub: text('h-loss-sub'), lossSub2: text('h-loss-sub2'), rtt: text('h-rtt'), status: text('h-status'),
      rtoTitle: document.getElementById('h-rto').parentElement.title,
      lossTitle: document.getElementById('h-loss').parentElement.title,
    };
  });

// The newest incident's row (the table lists newest first), or null.
const newestIncident = (page) =>
  page.evaluate(() => {
    const row = document.querySelector('#incidents tbody tr');
    if (!row) return null;
    const cells = [...row.cells].map((c) => c.textContent);
    return { open: row.classList.contains('open'), id: cells[0], end: cells[2], duration: cells[3], lost: cells[4],
      reason: row.querySelector('.reason').textContent };
  });

// What the agent published for its newest incident, as the page's store holds it.
const publishedIncident = (page, agent) =>
  page.evaluate((a) => {
    const ag = window.netstabDashboard.store().agent(a);
    const t = ag ? [...ag.targets.values()].find((x) => x.incidents.length) : null;
    const i = t ? t.incidents[t.incidents.length - 1] : null;
    return i ? { start: i.start, end: i.end, duration_s: i.duration_s, probes_lost: i.probes_lost } : null;
  }, agent);

export async function runOutageScenario(t, { startAgent, agent, screenshot, engine = 'chromium', restore = null }) {
  const { browser, page } = await openDashboard(t, { startAgent, agent, engine });

  await t.test('the page connects and shows the probes coming back unreachable', async () => {
    await waitFor('connected', async () => (await page.text('#conn-text')) === 'connected');
    await waitFor(`agent ${agent} selected`, async () => (await page.value('#agent')) === agent);
    await waitFor('UNREACHABLE in the RTT tile', async () => (await page.text('#h-rtt')) === 'UNREACHABLE', 10000);
  });

  await t.test('the HUD says what it counts: RTO 0, N lost in a row, the unreachable ones', async () => {
    const h = await waitFor('five probes lost in a row', async () => {
      const c = await hudCounts(page);
      const m = c.rtoSub.match(/^(\d+) lost in a row$/);
      return m && Number(m[1]) >= 5 && c.status === 'BAD' ? c : null;
    }, 15000);
    const streak = Number(h.rtoSub.match(/^(\d+)/)[1]);
    assert.equal(h.rto, '0', 'no probe timed out');
    const unreach = h.rtoSub2.match(/^unreach\/err (\d+)$/);
    assert.ok(unreach, `the losses that were not timeouts are shown: ${JSON.stringify(h)}`);
    const lostSub = h.lossSub.match(/^(\d+) lost \/ (\d+) sent · \d+s$/);
    assert.ok(lostSub, `the loss accounting: ${JSON.stringify(h)}`);
    assert.equal(Number(unreach[1]), Number(lostSub[1]), 'every loss in the window was unreachable');
    assert.ok(Number(unreach[1]) >= 1 && Number(unreach[1]) <= streak, `window count within the streak: ${JSON.stringify(h)}`);
    assert.equal(h.loss, '100.0');
    assert.equal(h.lossSub2, 'late 0 · dup 0');
    assert.match(h.rtoTitle, /RTO \(request timed out\)/);
    assert.match(h.rtoTitle, /lost in a row/);
    assert.match(h.lossTitle, /unreachable/);
  });

  let start = null;
  await t.test('an open incident\'s duration grows while it is open', async () => {
    const row = await waitFor('an open incident', async () => {
      const r = await newestIncident(page);
      return r?.open ? r : null;
    }, 15000);
    assert.equal(row.end, 'open');
    assert.match(row.lost, /^≥ \d+$/);
    assert.match(row.reason, /^\d+ probes lost in a row$|^loss /);
    // The agent published the open incident once, when it opened.
    const pub = await publishedIncident(page, agent);
    assert.equal(pub.end, null);
    assert.equal(pub.duration_s, 0, `published at the start: ${JSON.stringify(pub)}`);
    start = pub.start;
    const firstFrom = Date.now();
    const first = durationSeconds((await newestIncident(page)).duration);
    const firstTo = Date.now();
    assert.ok(Number.isFinite(first), `a duration: ${JSON.stringify(row)}`);
    await sleep(2500); // the shown duration grows with time: time must pass
    const secondFrom = Date.now();
    const second = await newestIncident(page);
    const secondTo = Date.now();
    assert.ok(second.open, 'still open');
    const grown = durationSeconds(second.duration);
    // By the time that passed between the two readings as this test measured it (a loaded machine stretches the
    // 2.5 s), give or take the page's whole seconds and its refresh (the margins the 2.5 s had: -1 s, +2 s).
    const least = (secondFrom - firstTo) / 1000;
    const most = (secondTo - firstFrom) / 1000;
    assert.ok(grown - first >= least - 1 && grown - first <= most + 2,
      `grew from ${first} s to ${grown} s while ${least} to ${most} s passed`);
    // It is counted from the incident's start (agent and page share this machine's clock).
    const expected = (Date.now() - start) / 1000;
    assert.ok(Math.abs(grown - expected) <= 2, `${grown} s shown, ${expected} s since the start`);
  });

  await t.test('a phone screen: UNREACHABLE and the loss and RTO lines fit, two short lines each', async () => {
    await page.setViewport(PHONE.width, PHONE.height);
    await waitFor('the phone layout', () => page.evaluate(() => window.innerWidth === 390));
    await sleep(300);
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(widths.scroll <= widths.inner, `page scrolls sideways: ${JSON.stringify(widths)}`);
    for (const id of ['h-rtt', 'h-rto', 'h-rto-sub', 'h-rto-sub2', 'h-loss', 'h-loss-sub', 'h-loss-sub2']) {
      const v = await page.evaluate((sel) => {
        const e = document.querySelector(sel);
        e.scrollIntoView({ block: 'center' });
        const r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return { text: e.textContent, left: r.left, right: r.right, height: r.height,
          fontSize: parseFloat(getComputedStyle(e).fontSize), clipped: e.scrollWidth > e.clientWidth,
          onTop: hit === e || e.contains(hit) };
      }, `#${id}`);
      assert.ok(v.text.trim() !== '' && v.text !== '—', `#${id} shows nothing: ${JSON.stringify(v)}`);
      assert.ok(v.left >= 0 && v.right <= PHONE.width && !v.clipped && v.onTop, `#${id} cut or hidden: ${JSON.stringify(v)}`);
      if (id.includes('-sub')) {
        assert.ok(v.height <= v.fontSize * 1.5 * 2, `#${id} takes more than two lines: ${JSON.stringify(v)}`);
      }
    }
    await saveScreenshot(page, screenshot.replace('.png', '-phone.png'), { docs: false });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.setViewport(DESKTOP.width, DESKTOP.height);
    await saveScreenshot(page, screenshot, { docs: false });
  });

  if (restore) {
    await t.test('when the target answers again the incident closes with the agent\'s duration, which stays', async () => {
      await restore();
      await waitFor('an RTT number again', async () => isNumber(await page.text('#h-rtt')), 10000);
      const row = await waitFor('the incident closed', async () => {
        const r = await newestIncident(page);
        return r && !r.open ? r : null;
      }, 30000);
      const pub = await publishedIncident(page, agent);
      assert.equal(pub.start, start, 'the same incident');
      assert.notEqual(pub.end, null);
      assert.ok(pub.duration_s > 0);
      assert.match(row.lost, /^\d+$/);
      assert.equal(Number(row.lost), pub.probes_lost);
      const shown = durationSeconds(row.duration);
      assert.ok(Math.abs(shown - pub.duration_s) <= 0.51, `shows ${row.duration} for ${pub.duration_s} s`);
      await sleep(1500);
      assert.equal((await newestIncident(page)).duration, row.duration, 'a closed incident no longer moves');
      await waitFor('the streak back to 0', async () => (await page.text('#h-rto-sub')) === '0 lost in a row');
    });
  }

  await t.test('no request left for another host and no page error', async () => {
    assert.deepEqual(browser.foreign, []);
    assert.deepEqual(await browser.foreignSockets(), []);
    assert.deepEqual(browser.errors, []);
  });
}
